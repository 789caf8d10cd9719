//! Authorization requests from `fixtures/authorize.json`, plus the bounds and the sign-in rules.

mod common;

use common::{assert_description_charset, fixture, pairs};
use gatehouse_oidc::{
    AuthorizeParams, AuthorizeRequest, ClientRules, ErrorCode, NextStep, OAuthError, Prompt, match_redirect_uri,
};
use serde_json::Value;

const NOW: i64 = 1_800_000_000;

/// Where a request ended: a page (no redirect), a redirect with an error, or a valid request.
#[derive(Debug)]
enum Outcome {
    Page(OAuthError),
    Redirect(OAuthError),
    Ok(AuthorizeRequest),
}

fn run(query: &str, registered: &[String], rules: ClientRules) -> Outcome {
    let params = match AuthorizeParams::from_pairs(&pairs(query)) {
        Ok(p) => p,
        Err(e) => return Outcome::Page(e),
    };
    if let Err(e) = match_redirect_uri(registered, params.redirect_uri.as_deref()) {
        return Outcome::Page(e);
    }
    match params.validate(&rules, NOW) {
        Ok(r) => Outcome::Ok(r),
        Err(e) => Outcome::Redirect(e),
    }
}

fn rules_of(v: &Value) -> ClientRules {
    ClientRules {
        public: v["public"].as_bool().unwrap(),
        allows_code: v["allows_code"].as_bool().unwrap(),
        allows_refresh: v["allows_refresh"].as_bool().unwrap(),
    }
}

fn check_ok(name: &str, request: &AuthorizeRequest, want: &Value) {
    assert_eq!(request.client_id, "c1", "{name}");
    assert_eq!(request.started_at, NOW, "{name}");
    assert_eq!(request.scopes.to_string(), want["scopes"].as_str().unwrap(), "{name}");
    let field = |key: &str, got: Option<&str>| {
        if let Some(w) = want.get(key) {
            assert_eq!(got, w.as_str(), "{name}: {key}");
        }
    };
    field("code_challenge", request.code_challenge.as_deref());
    field("nonce", request.nonce.as_deref());
    field("state", request.state.as_deref());
    field("login_hint", request.login_hint.as_deref());
    if let Some(uri) = want.get("redirect_uri") {
        assert_eq!(request.redirect_uri, uri.as_str().unwrap(), "{name}");
    }
    if let Some(max_age) = want.get("max_age") {
        assert_eq!(request.max_age, max_age.as_i64(), "{name}");
    }
    if let Some(prompt) = want.get("prompt") {
        let prompt: Prompt = serde_json::from_value(prompt.clone()).unwrap();
        assert_eq!(request.prompt, prompt, "{name}");
    }
}

#[test]
fn fixture_cases() {
    let f = fixture("authorize.json");
    let registered: Vec<String> = serde_json::from_value(f["registered"].clone()).unwrap();
    let (base, pkce) = (f["base"].as_str().unwrap(), f["pkce"].as_str().unwrap());
    let cases = f["cases"].as_array().unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut query = case["query"].as_str().unwrap().to_owned();
        if case.get("raw").and_then(Value::as_bool) != Some(true) {
            query = query.replace("BASE", base).replace("PKCE", pkce);
        }
        let rules = rules_of(&f["rules"][case["rules"].as_str().unwrap()]);
        let outcome = run(&query, &registered, rules);
        match (&outcome, case.get("page"), case.get("redirect"), case.get("ok")) {
            (Outcome::Page(e), Some(code), None, None) | (Outcome::Redirect(e), None, Some(code), None) => {
                assert_eq!(e.code.as_str(), code.as_str().unwrap(), "{name}");
                assert_description_charset(&e.description);
            }
            (Outcome::Ok(request), None, None, Some(want)) => check_ok(name, request, want),
            _ => panic!("{name}: unexpected {outcome:?}"),
        }
    }
}

fn good_query(extra: &str) -> String {
    format!("client_id=c1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid{extra}")
}

const CONFIDENTIAL: ClientRules = ClientRules {
    public: false,
    allows_code: true,
    allows_refresh: true,
};

fn registered() -> Vec<String> {
    vec!["https://app.example.com/cb".to_owned()]
}

#[test]
fn lengths_are_bounded() {
    let cases = [
        ("state", gatehouse_oidc::authorize::MAX_STATE),
        ("nonce", gatehouse_oidc::authorize::MAX_NONCE),
        ("login_hint", gatehouse_oidc::authorize::MAX_LOGIN_HINT),
    ];
    for (name, max) in cases {
        let at_max = good_query(&format!("&{name}={}", "a".repeat(max)));
        assert!(
            matches!(run(&at_max, &registered(), CONFIDENTIAL), Outcome::Ok(_)),
            "{name} at max"
        );
        let over = good_query(&format!("&{name}={}", "a".repeat(max + 1)));
        match run(&over, &registered(), CONFIDENTIAL) {
            Outcome::Redirect(e) => {
                assert_eq!(e.code, ErrorCode::InvalidRequest, "{name}");
                assert!(e.description.contains(name), "{name}: {}", e.description);
                assert!(!e.description.contains("aaaa"), "the description never echoes input");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn absurd_requests_get_a_page() {
    let huge = good_query(&format!("&nonce={}", "n".repeat(5000)));
    assert!(matches!(run(&huge, &registered(), CONFIDENTIAL), Outcome::Page(_)));
    let huge_unknown = good_query(&format!("&whatever={}", "n".repeat(5000)));
    assert!(matches!(
        run(&huge_unknown, &registered(), CONFIDENTIAL),
        Outcome::Page(_)
    ));
    let many = (0..70).fold(String::new(), |acc, i| acc + &format!("&x{i}=1"));
    assert!(matches!(
        run(&good_query(&many), &registered(), CONFIDENTIAL),
        Outcome::Page(_)
    ));
    let long_client = good_query("").replace("client_id=c1", &format!("client_id={}", "c".repeat(300)));
    assert!(matches!(
        run(&long_client, &registered(), CONFIDENTIAL),
        Outcome::Page(_)
    ));
}

fn request(extra: &str) -> AuthorizeRequest {
    match run(&good_query(extra), &registered(), CONFIDENTIAL) {
        Outcome::Ok(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn sign_in_is_needed_without_a_session() {
    let r = request("");
    assert!(r.needs_login(None, NOW));
    assert_eq!(r.next_step(None, NOW), NextStep::Login);
    // An old session is fine when the client set no limits.
    assert!(!r.needs_login(Some(NOW - 86_400 * 30), NOW));
}

#[test]
fn prompt_none_without_a_session_is_login_required() {
    let r = request("&prompt=none");
    match r.next_step(None, NOW) {
        NextStep::Refuse(e) => assert_eq!(e.code, ErrorCode::LoginRequired),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.next_step(Some(NOW - 60), NOW), NextStep::Proceed);
}

#[test]
fn prompt_login_asks_once_then_accepts_the_fresh_sign_in() {
    let r = request("&prompt=login");
    // A session from before the request does not count...
    assert!(r.needs_login(Some(NOW - 10), NOW));
    // ...the sign-in made for this request does, even seconds later: no loop.
    assert!(!r.needs_login(Some(NOW + 20), NOW + 21));
    assert!(!r.needs_login(Some(NOW), NOW + 3600));
}

#[test]
fn max_age_counts_from_the_last_sign_in() {
    let r = request("&max_age=300");
    assert!(!r.needs_login(Some(NOW - 300), NOW));
    assert!(r.needs_login(Some(NOW - 301), NOW));
    let zero = request("&max_age=0");
    assert!(zero.needs_login(Some(NOW - 1), NOW));
    // max_age=0 means "sign in now": the fresh sign-in satisfies it, later checks do not loop.
    assert!(!zero.needs_login(Some(NOW + 5), NOW + 9));
}

#[test]
fn the_validated_request_survives_storage() {
    let r = request("&prompt=login&nonce=abc&max_age=60");
    let stored = serde_json::to_string(&r).unwrap();
    let back: AuthorizeRequest = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, r);
}
