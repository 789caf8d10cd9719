//! WebAuthn ceremonies under hostile load, over HTTP on both engines: asking for a passkey
//! sign-in's options (which anybody may do) stores nothing; its answer signs in once, however
//! many copies are posted at once and however its token is respelled; an account keeps one
//! ceremony of each purpose, however often it asks.

use crate::two_step::ada;
use crate::two_step_keys::app_on_localhost;
use futures::future::join_all;
use gatehouse_testkit::{Browser, Dialect, SoftAuthenticator, TestApp, dialect_tests};
use reqwest::StatusCode;
use serde_json::Value;

dialect_tests!(
    a_passkey_sign_in_stores_nothing_before_a_key_signed_and_its_answer_works_once,
    an_account_keeps_one_ceremony_of_each_purpose,
);

async fn ceremony_rows(app: &TestApp) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.db.options.url).await.expect("pool");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webauthn_ceremonies")
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    n
}

/// Posts a passkey's answer from a browser of its own, as the sign-in page does.
async fn post_answer(app: &TestApp, token: &str, answer: &str) -> (StatusCode, Option<String>) {
    let b = Browser::new(&app.base);
    let csrf = b.get("/login").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("token", token),
        ("credential", answer),
        ("next", "/account"),
    ];
    let page = b.post("/login/passkey", &form).await;
    (page.status, page.location)
}

fn token_of(started: &Value) -> String {
    started["token"].as_str().expect("token").to_owned()
}

/// A passkey sign-in token's parts: `ghc_<expires>.<state>.<mac>`.
fn parts(token: &str) -> (String, String, String) {
    let rest = token.strip_prefix("ghc_").expect("a passkey sign-in token");
    let p: Vec<&str> = rest.split('.').collect();
    assert_eq!(p.len(), 3, "{token}");
    (p[0].to_owned(), p[1].to_owned(), p[2].to_owned())
}

async fn a_passkey_sign_in_stores_nothing_before_a_key_signed_and_its_answer_works_once(dialect: Dialect) {
    let (app, origin) = app_on_localhost(dialect).await;
    let (_, _, ada_browser) = ada(&app).await;
    // Most synced passkeys keep no counter: only the ceremony can tell a replay then.
    let mut key = SoftAuthenticator::new().with_backup_eligible(true).without_counter();
    let added = ada_browser.add_security_key(&mut key, &origin, "Phone").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let before = ceremony_rows(&app).await;

    let stranger = Browser::new(&app.base);
    let csrf = stranger.get("/login").await.csrf();
    let mut started = Vec::new();
    for _ in 0..20 {
        let (status, s) = stranger.webauthn_options("/login/passkey/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{s}");
        started.push(s);
    }
    assert_eq!(ceremony_rows(&app).await, before, "asking for options stores nothing");

    // One answer posted by eight browsers at once: one sign-in.
    let answer = key.assert(&started[0]["options"], &origin).to_string();
    assert_eq!(key.counter(), 0);
    let token = token_of(&started[0]);
    let tries = join_all((0..8).map(|_| post_answer(&app, &token, &answer))).await;
    let signed_in = tries.iter().filter(|(_, to)| to.as_deref() == Some("/account")).count();
    assert_eq!(signed_in, 1, "{tries:?}");
    assert!(
        tries
            .iter()
            .all(|(s, to)| to.as_deref() == Some("/account") || *s == StatusCode::UNAUTHORIZED),
        "{tries:?}"
    );
    assert_eq!(
        ceremony_rows(&app).await,
        before + 1,
        "the spent ceremony alone is kept"
    );

    // The same token spelled otherwise is the same ceremony, not another.
    let (expires, state, mac) = parts(&token);
    for respelled in [
        format!("ghc_+{expires}.{state}.{mac}"),
        format!("ghc_0{expires}.{state}.{mac}"),
    ] {
        assert_eq!(post_answer(&app, &respelled, &answer).await.0, StatusCode::UNAUTHORIZED);
    }
    // A token whose time or state was changed does not open.
    let other = key.assert(&started[1]["options"], &origin).to_string();
    let (expires1, state1, mac1) = parts(&token_of(&started[1]));
    let later = format!("ghc_{}.{state1}.{mac1}", expires1.parse::<i64>().unwrap() + 1);
    assert_eq!(post_answer(&app, &later, &other).await.0, StatusCode::UNAUTHORIZED);
    let swapped = format!("ghc_{expires}.{state1}.{mac}");
    assert_eq!(post_answer(&app, &swapped, &other).await.0, StatusCode::UNAUTHORIZED);
    // Another ceremony's token with its own answer still signs in, until it expires.
    assert_eq!(
        post_answer(&app, &token_of(&started[1]), &other).await.1.as_deref(),
        Some("/account")
    );
    let late = key.assert(&started[3]["options"], &origin).to_string();
    app.clock.advance_secs(5 * 60 + 1);
    assert_eq!(
        post_answer(&app, &token_of(&started[3]), &late).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn an_account_keeps_one_ceremony_of_each_purpose(dialect: Dialect) {
    let (app, origin) = app_on_localhost(dialect).await;
    let (_, _, b) = ada(&app).await;
    let csrf = b.get("/account/two-step").await.csrf();
    let before = ceremony_rows(&app).await;
    let mut started = Vec::new();
    for _ in 0..10 {
        let (status, s) = b.webauthn_options("/account/two-step/keys/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{s}");
        started.push(s);
    }
    assert_eq!(ceremony_rows(&app).await, before + 1);
    // The replaced ceremony is gone: its answer adds nothing.
    let mut key = SoftAuthenticator::new();
    let stale = key.register(&started[0]["options"], &origin).to_string();
    let refused = add_key(&b, &csrf, &token_of(&started[0]), &stale).await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    // (A first key added answers 200 with its recovery codes: the refusal is its own page.)
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(!refused.body.contains("The security key is added"), "{}", refused.body);
    // The newest one works.
    let answer = key.register(&started[9]["options"], &origin).to_string();
    let added = add_key(&b, &csrf, &token_of(&started[9]), &answer).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("recovery"), "{}", added.body);
    assert_eq!(ceremony_rows(&app).await, before);
}

/// Posts a registration's answer, as the account page's script does.
async fn add_key(b: &Browser, csrf: &str, token: &str, answer: &str) -> gatehouse_testkit::Page {
    let form = [
        ("csrf", csrf),
        ("token", token),
        ("name", "Key"),
        ("credential", answer),
    ];
    b.post("/account/two-step/keys", &form).await
}
