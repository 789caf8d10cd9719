//! Back-channel logout (OIDC Back-Channel Logout 1.0): a logout token signed by the provider's
//! published key ends the matching sessions; anything else answers 400 `invalid_request` and
//! ends nothing.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use support::{Browser, Demo, EMAIL, KID, TestKey, TestOp, sign_in, start_demo};

async fn post_logout_token(demo: &Demo, token: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(format!("{}/backchannel-logout", demo.url))
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status == 400 {
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    (status, res.text().await.unwrap())
}

async fn is_signed_in(browser: &mut Browser, demo: &Demo) -> bool {
    let page = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    page.contains(EMAIL)
}

/// A token that is refused: 400, `{"error":"invalid_request"}`, and the session lives on.
async fn refused(demo: &Demo, browser: &mut Browser, token: &str, why: &str) {
    let (status, body) = post_logout_token(demo, token).await;
    assert_eq!(status, 400, "{why}: {body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "error": "invalid_request" }),
        "{why}"
    );
    assert!(is_signed_in(browser, demo).await, "{why}: the session must live on");
}

#[tokio::test]
async fn a_signed_logout_token_ends_the_session_of_its_sid() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &demo).await;
    assert!(is_signed_in(&mut browser, &demo).await);

    let token = op.key.sign("logout+jwt", KID, &op.logout_claims());
    let (status, _) = post_logout_token(&demo, &token).await;
    assert_eq!(status, 200);
    assert!(!is_signed_in(&mut browser, &demo).await, "signed out by the provider");

    // The same token again is a replay.
    let (status, body) = post_logout_token(&demo, &token).await;
    assert_eq!((status, body.as_str()), (400, r#"{"error":"invalid_request"}"#));
}

#[tokio::test]
async fn a_logout_token_with_only_sub_ends_every_session_of_that_person() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let (mut one, mut two) = (Browser::new(), Browser::new());
    sign_in(&mut one, &demo).await;
    sign_in(&mut two, &demo).await;
    let mut claims = op.logout_claims();
    claims.as_object_mut().unwrap().remove("sid");
    let (status, _) = post_logout_token(&demo, &op.key.sign("logout+jwt", KID, &claims)).await;
    assert_eq!(status, 200);
    assert!(!is_signed_in(&mut one, &demo).await);
    assert!(!is_signed_in(&mut two, &demo).await);
}

#[tokio::test]
async fn unsigned_foreign_and_malformed_logout_tokens_are_refused() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &demo).await;

    // alg "none": no signature at all.
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let header = json!({ "alg": "none", "typ": "logout+jwt" });
    let unsigned = format!("{}.{}.", enc(&header), enc(&op.logout_claims()));
    refused(&demo, &mut browser, &unsigned, "alg none").await;

    // A key the provider never published, under its key id and under another.
    let rogue = TestKey::generate(KID);
    refused(
        &demo,
        &mut browser,
        &rogue.sign("logout+jwt", KID, &op.logout_claims()),
        "another key, same kid",
    )
    .await;
    refused(
        &demo,
        &mut browser,
        &rogue.sign("logout+jwt", "rogue", &op.logout_claims()),
        "unknown kid",
    )
    .await;

    // The provider's key, but claims that break the profile.
    let with = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut claims = op.logout_claims();
        change(claims.as_object_mut().unwrap());
        op.key.sign("logout+jwt", KID, &claims)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "wrong aud",
            with(&|c| drop(c.insert("aud".into(), json!("another-client")))),
        ),
        (
            "wrong iss",
            with(&|c| drop(c.insert("iss".into(), json!("http://evil.example")))),
        ),
        (
            "expired",
            with(&|c| drop(c.insert("exp".into(), json!(support::now() - 600)))),
        ),
        ("no events", with(&|c| drop(c.remove("events")))),
        (
            "other event",
            with(&|c| drop(c.insert("events".into(), json!({ "urn:other": {} })))),
        ),
        ("a nonce", with(&|c| drop(c.insert("nonce".into(), json!("n"))))),
        (
            "neither sub nor sid",
            with(&|c| {
                c.remove("sub");
                c.remove("sid");
            }),
        ),
        ("no jti", with(&|c| drop(c.remove("jti")))),
        (
            "old iat",
            with(&|c| drop(c.insert("iat".into(), json!(support::now() - 3600)))),
        ),
        ("an ID token's type", op.key.sign("JWT", KID, &op.logout_claims())),
        ("not a JWT", "not-a-jwt".into()),
    ];
    for (why, token) in &cases {
        refused(&demo, &mut browser, token, why).await;
    }

    // No form field at all.
    let res = reqwest::Client::new()
        .post(format!("{}/backchannel-logout", demo.url))
        .form(&[("something_else", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The right token for another sid ends nothing, but is accepted (the sid may be gone).
    let mut other = op.logout_claims();
    other["sid"] = json!("sid-of-someone-else");
    let (status, _) = post_logout_token(&demo, &op.key.sign("logout+jwt", KID, &other)).await;
    assert_eq!(status, 200);
    assert!(is_signed_in(&mut browser, &demo).await);
}
