//! Token requests from `fixtures/token.json`, client authentication and bearer tokens.

mod common;

use common::{assert_description_charset, fixture, literal, pairs};
use gatehouse_oidc::{ClientAuth, ErrorCode, Grant, TokenRequest, parse_bearer, parse_client_auth};
use serde_json::{Value, json};

fn describe_client(client: &ClientAuth) -> Value {
    let mut v = json!({"method": client.method(), "client_id": client.client_id()});
    if let Some(secret) = client.secret() {
        v["secret"] = json!(secret);
    }
    v
}

fn describe_grant(grant: &Grant) -> Value {
    match grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => json!({
            "type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier
        }),
        Grant::RefreshToken { refresh_token, scope } => json!({
            "type": "refresh_token", "refresh_token": refresh_token, "scope": scope.map(|s| s.to_string())
        }),
        Grant::ClientCredentials { scope } => json!({"type": "client_credentials", "scope": scope}),
    }
}

#[test]
fn fixture_cases() {
    let f = fixture("token.json");
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let body = pairs(case["body"].as_str().unwrap());
        let result = TokenRequest::parse(&body, case.get("authorization").and_then(Value::as_str));
        match (result, case.get("error")) {
            (Ok(request), None) => {
                assert_eq!(describe_client(&request.client), case["client"], "{name}");
                assert_eq!(describe_grant(&request.grant), case["grant"], "{name}");
            }
            (Err(e), Some(code)) => {
                assert_eq!(e.code.as_str(), code.as_str().unwrap(), "{name}: {e}");
                assert_description_charset(&e.description);
                let status = if e.code == ErrorCode::InvalidClient { 401 } else { 400 };
                assert_eq!(e.status(), status, "{name}");
            }
            (other, _) => panic!("{name}: unexpected {other:?}"),
        }
    }
}

#[test]
fn client_auth_alone_for_introspection_and_revocation() {
    let body = literal(&[
        ("token", "t"),
        ("token_type_hint", "access_token"),
        ("client_id", "c1"),
        ("client_secret", "s"),
    ]);
    let client = parse_client_auth(&body, None).unwrap();
    assert_eq!(
        client,
        ClientAuth::Post {
            client_id: "c1".into(),
            secret: "s".to_owned().into()
        }
    );

    let basic = parse_client_auth(&literal(&[("token", "t")]), Some("Basic YzE6cGxhaW4tc2VjcmV0")).unwrap();
    assert_eq!(basic.method(), "client_secret_basic");
    assert_eq!(basic.secret(), Some("plain-secret"));

    let both = parse_client_auth(&literal(&[("client_secret", "x")]), Some("Basic YzE6cGxhaW4tc2VjcmV0"));
    assert_eq!(both.unwrap_err().code, ErrorCode::InvalidRequest);
    assert_eq!(
        parse_client_auth(&literal(&[("token", "t")]), None).unwrap_err().code,
        ErrorCode::InvalidClient
    );
}

#[test]
fn oversized_requests_are_refused() {
    let long = "r".repeat(5000);
    let body = literal(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &long),
        ("client_id", "c1"),
    ]);
    assert_eq!(
        TokenRequest::parse(&body, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    let header = format!("Basic {}", "A".repeat(5000));
    let body = literal(&[("grant_type", "client_credentials")]);
    assert_eq!(
        TokenRequest::parse(&body, Some(&header)).unwrap_err().code,
        ErrorCode::InvalidClient
    );
}

#[test]
fn bearer_header() {
    assert_eq!(parse_bearer(Some("Bearer eyJ.eyJ.sig")), Some("eyJ.eyJ.sig"));
    assert_eq!(parse_bearer(Some("BEARER abc")), Some("abc"));
    assert_eq!(parse_bearer(Some("Basic abc")), None);
    assert_eq!(parse_bearer(Some("Bearer a,b")), None);
    assert_eq!(parse_bearer(None), None);
}
