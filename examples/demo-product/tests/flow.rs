//! The sign-in round trip against a test provider on 127.0.0.1 (real HTTP, real ES256
//! signatures): sign in, see who signed in, refresh, sign out; and the callback refusing
//! answers that do not belong to this browser's sign-in.

mod support;

use support::{
    Browser, CLIENT_ID, EMAIL, ORG_ID, SUB, TestOp, csrf_of, location, sign_in, start_demo, start_demo_with_secret,
};

#[tokio::test]
async fn signs_in_shows_who_it_is_refreshes_and_signs_out() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let mut browser = Browser::new();

    // Signed out: the sign-in button.
    let home = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    assert!(home.contains("Sign in with Gatehouse"), "{home}");

    // The round trip lands on / with a session.
    let back = sign_in(&mut browser, &demo).await;
    assert_eq!(location(&back), "/");
    assert!(browser.cookies.contains_key("demo_product_session"));
    assert!(
        !browser.cookies.contains_key("demo_product_login"),
        "the pending sign-in cookie is cleared"
    );
    // The token request authenticated with client_secret_basic.
    assert!(op.token_auth.lock().unwrap()[0].starts_with("Basic "));

    let page = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    for shown in [EMAIL, ORG_ID, SUB, "pwd", "Refresh tokens", "Sign out"] {
        assert!(page.contains(shown), "the page shows {shown}: {page}");
    }
    assert!(page.contains("Ada &lt;Lovelace&gt;"), "the name is escaped");
    assert!(
        page.contains("&quot;client_id&quot;: &quot;demo-client&quot;"),
        "access token claims"
    );
    assert!(page.contains("&quot;at-"), "the access token's jti is shown");
    let first_jti = jti_of(&page);

    // Refresh: a new access token is shown.
    let csrf = csrf_of(&page);
    let refreshed = browser
        .post_form(&format!("{}/refresh", demo.url), &[("csrf", &csrf)])
        .await;
    assert_eq!(location(&refreshed), "/?notice=refreshed");
    let page = browser
        .get(&format!("{}/?notice=refreshed", demo.url))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("The tokens were refreshed."));
    assert_ne!(jti_of(&page), first_jti, "a new access token");
    assert!(page.contains(EMAIL), "still signed in as the same person");

    // Sign out: the local session ends and the browser goes to the provider's end_session.
    let out = browser
        .post_form(&format!("{}/logout", demo.url), &[("csrf", &csrf)])
        .await;
    let end = reqwest::Url::parse(&location(&out)).unwrap();
    assert_eq!(
        end.as_str().split('?').next().unwrap(),
        format!("{}/oauth2/logout", op.issuer)
    );
    let q: std::collections::HashMap<_, _> = end.query_pairs().into_owned().collect();
    assert_eq!(q["post_logout_redirect_uri"], format!("{}/", demo.url));
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["id_token_hint"].split('.').count(), 3);
    assert!(!q["state"].is_empty());
    let home = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    assert!(home.contains("Sign in with Gatehouse"));
}

fn jti_of(page: &str) -> String {
    let at = page.find("&quot;at-").unwrap() + 6;
    page[at..].split("&quot;").next().unwrap().to_owned()
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &demo).await;
    let res = browser
        .post_form(&format!("{}/logout", demo.url), &[("csrf", "forged")])
        .await;
    assert_eq!(res.status(), 403);
    let res = browser.post_form(&format!("{}/refresh", demo.url), &[]).await;
    assert_eq!(res.status(), 403);
    let page = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    assert!(page.contains(EMAIL), "still signed in");
}

/// Starts a sign-in and returns the authorization response's query, without delivering it.
async fn pending_answer(browser: &mut Browser, demo: &support::Demo) -> reqwest::Url {
    let login = browser.get(&format!("{}/login", demo.url)).await;
    let back = browser.get(&location(&login)).await;
    reqwest::Url::parse(&location(&back)).unwrap()
}

fn with_param(url: &reqwest::Url, name: &str, value: Option<&str>) -> String {
    let mut out = url.clone();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().filter(|(k, _)| k != name).collect();
    {
        let mut q = out.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    out.to_string()
}

#[tokio::test]
async fn the_callback_refuses_an_unknown_or_mismatched_state_and_a_foreign_issuer() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;

    // No pending sign-in in this browser at all.
    let mut stranger = Browser::new();
    let mut browser = Browser::new();
    let answer = pending_answer(&mut browser, &demo).await;
    let res = stranger.get(answer.as_str()).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("unknown or has expired"));

    // The right browser, a wrong state: refused, and the pending sign-in is spent.
    let res = browser.get(&with_param(&answer, "state", Some("not-the-state"))).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("(state)"));
    let res = browser.get(answer.as_str()).await;
    assert_eq!(res.status(), 400, "a pending sign-in is used once");
    assert!(!browser.cookies.contains_key("demo_product_session"));

    // RFC 9207: another issuer, or none when the provider announced it sends one.
    let answer = pending_answer(&mut browser, &demo).await;
    let res = browser
        .get(&with_param(&answer, "iss", Some("http://evil.example")))
        .await;
    assert_eq!(res.status(), 400);
    let answer = pending_answer(&mut browser, &demo).await;
    let res = browser.get(&with_param(&answer, "iss", None)).await;
    assert_eq!(res.status(), 400);
    assert!(!browser.cookies.contains_key("demo_product_session"));

    // And the untouched answer still works, so the refusals above were about what changed.
    let answer = pending_answer(&mut browser, &demo).await;
    let res = browser.get(answer.as_str()).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn access_denied_shows_that_the_organization_refused() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    op.tweaks.lock().unwrap().authorize_error = Some("access_denied".into());
    let mut browser = Browser::new();
    let res = sign_in(&mut browser, &demo).await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("Access was denied by your organization"), "{page}");
    assert!(
        page.contains("&lt;b&gt;not for you&lt;/b&gt;"),
        "the description is escaped"
    );

    op.tweaks.lock().unwrap().authorize_error = Some("<i>server_error</i>".into());
    let page = sign_in(&mut browser, &demo).await.text().await.unwrap();
    assert!(
        page.contains("&lt;i&gt;server_error&lt;/i&gt;") && !page.contains("<i>"),
        "{page}"
    );
}

#[tokio::test]
async fn tokens_that_fail_verification_open_no_session() {
    let op = TestOp::start().await;
    let demo = start_demo(&op).await;
    let mut browser = Browser::new();

    // An ID token answering another sign-in's nonce.
    op.tweaks.lock().unwrap().id_token_nonce = Some("someone-else's".into());
    let res = sign_in(&mut browser, &demo).await;
    assert_eq!(res.status(), 502);
    assert!(res.text().await.unwrap().contains("nonce"));

    // An access token that is not typed at+jwt (RFC 9068 §4).
    op.tweaks.lock().unwrap().id_token_nonce = None;
    op.tweaks.lock().unwrap().access_token_typ = Some("JWT".into());
    let res = sign_in(&mut browser, &demo).await;
    assert_eq!(res.status(), 502);
    assert!(res.text().await.unwrap().contains("access token"));
    assert!(!browser.cookies.contains_key("demo_product_session"));
    assert_eq!(demo.app.stores.sessions.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_alone() {
    let op = TestOp::start().await;
    op.tweaks.lock().unwrap().public_client = true;
    let demo = start_demo_with_secret(&op, None).await;
    let mut browser = Browser::new();
    let back = sign_in(&mut browser, &demo).await;
    assert_eq!(location(&back), "/");
    assert!(
        op.token_auth.lock().unwrap().is_empty(),
        "no client authentication header"
    );
    let page = browser.get(&format!("{}/", demo.url)).await.text().await.unwrap();
    assert!(page.contains(EMAIL));

    // The same provider refuses the confidential demo's secret for this public client.
    let confidential = start_demo(&op).await;
    let res = sign_in(&mut Browser::new(), &confidential).await;
    assert_eq!(res.status(), 502);
}
