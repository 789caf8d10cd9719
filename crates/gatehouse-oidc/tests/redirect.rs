//! Redirects and redirect URI registration, from `fixtures/redirects.json`.

mod common;

use common::fixture;
use gatehouse_oidc::{
    ErrorCode, OAuthError, check_redirect_uri_for_registration, logout_redirect, redirect_with_code,
    redirect_with_error,
};
use serde_json::Value;

fn opt(v: &Value) -> Option<&str> {
    v.as_str()
}

fn code_of(name: &str) -> ErrorCode {
    match name {
        "login_required" => ErrorCode::LoginRequired,
        "access_denied" => ErrorCode::AccessDenied,
        other => panic!("add {other} to the test"),
    }
}

#[test]
fn code_redirects() {
    let f = fixture("redirects.json");
    let issuer = f["issuer"].as_str().unwrap();
    for case in f["code"].as_array().unwrap() {
        let got = redirect_with_code(
            case["uri"].as_str().unwrap(),
            case["code"].as_str().unwrap(),
            opt(&case["state"]),
            issuer,
        );
        assert_eq!(got, case["expect"].as_str().unwrap());
    }
}

#[test]
fn error_redirects() {
    let f = fixture("redirects.json");
    let issuer = f["issuer"].as_str().unwrap();
    for case in f["error"].as_array().unwrap() {
        let error = OAuthError::new(
            code_of(case["error"].as_str().unwrap()),
            case["description"].as_str().unwrap(),
        );
        let got = redirect_with_error(case["uri"].as_str().unwrap(), &error, opt(&case["state"]), issuer);
        assert_eq!(got, case["expect"].as_str().unwrap());
    }
}

#[test]
fn redirect_parameters_read_back_exactly() {
    // Whatever the state holds, a client decoding the query gets it back unchanged.
    let state = "a=b&c=d e+f%20/?#é\u{1F600}";
    let location = redirect_with_code(
        "https://app.example.com/cb?keep=1",
        "x y",
        Some(state),
        "https://id.example.com",
    );
    let url = url::Url::parse(&location).unwrap();
    let got: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let want = [
        ("keep", "1"),
        ("code", "x y"),
        ("state", state),
        ("iss", "https://id.example.com"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert!(url.fragment().is_none());
}

#[test]
fn logout_redirects() {
    let f = fixture("redirects.json");
    for case in f["logout"].as_array().unwrap() {
        let got = logout_redirect(case["uri"].as_str().unwrap(), opt(&case["state"]));
        assert_eq!(got, case["expect"].as_str().unwrap());
    }
}

#[test]
fn registration_rules() {
    let f = fixture("redirects.json");
    for case in f["registration"].as_array().unwrap() {
        let uri = case["uri"].as_str().unwrap();
        let public = case["public"].as_bool().unwrap();
        let result = check_redirect_uri_for_registration(uri, public);
        assert_eq!(
            result.is_ok(),
            case["ok"].as_bool().unwrap(),
            "{uri:?} (public: {public}): {result:?}"
        );
    }
    let long = format!("https://app.example.com/{}", "a".repeat(2000));
    assert!(check_redirect_uri_for_registration(&long, false).is_err());
}
