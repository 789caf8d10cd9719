//! The OpenID Connect provider (issue 13), driven by a real OIDC client (`openidconnect`) over
//! HTTP on both engines: the code flow with PKCE, refresh rotation and reuse, who may sign in,
//! and every negative case the issue lists.

use crate::oidc_client::{
    REDIRECT, Rp, Started, exchange, front_channel, http, introspect, param, payload, register, register_back_end,
    relying_party, start, token_call, userinfo_status,
};
use gatehouse_core::ids::InstanceId;
use gatehouse_testkit::{Browser, Grantee, TestApp, TestOrg, engine_tests};
use openidconnect::core::{CoreErrorResponseType, CoreTokenResponse};
use openidconnect::{
    AuthorizationCode, OAuth2TokenResponse, PkceCodeVerifier, RefreshToken, RequestTokenError, TokenResponse,
};
use serde_json::json;

engine_tests!(
    a_product_signs_a_person_in_with_the_code_flow_and_pkce,
    a_spent_refresh_token_revokes_its_whole_family,
    a_replayed_code_fails_and_revokes_what_it_issued,
    pkce_and_redirect_uri_mistakes_issue_nothing,
    an_expired_code_and_prompt_none_without_a_session_are_refused,
    tokens_from_another_key_or_without_a_signature_or_for_another_client_are_refused,
    a_client_tied_to_an_instance_admits_only_people_with_access,
    a_deactivated_accounts_refresh_token_stops_working,
    client_credentials_introspection_and_revocation,
    signing_out_of_gatehouse_ends_product_sessions_by_back_channel,
    a_code_or_refresh_token_used_many_times_at_once_works_once,
);

/// An org, a product instance, and a person with access to it signed in to Gatehouse.
async fn person_with_access(app: &TestApp) -> (TestOrg, InstanceId, Browser, String) {
    let org = app.create_org("Acme").await;
    let instance = app
        .create_instance(&org, "confluence", "Wiki", "https://wiki.acme-oidc.example", "free")
        .await;
    let (browser, id) = app
        .signed_in_member(&org, "ada@elsewhere.test", "correct horse battery staple")
        .await;
    let account = gatehouse_core::ids::AccountId::parse(&id).unwrap();
    app.grant_access(&org, instance, Grantee::Account(account), "user")
        .await;
    (org, instance, browser, id)
}

/// The person signs in to the product through the browser; the product exchanges the code
/// with its PKCE verifier. The tokens, and what the product kept to check them (the nonce).
async fn sign_in_to(rp: &Rp, browser: &Browser, scopes: &[&str]) -> (CoreTokenResponse, Started) {
    let mut flow = start(rp, scopes);
    let code = param(&front_channel(browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    let verifier = std::mem::replace(&mut flow.verifier, PkceCodeVerifier::new(String::new()));
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    (tokens, flow)
}

fn server_error(
    e: &RequestTokenError<impl std::error::Error, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> Option<CoreErrorResponseType> {
    match e {
        RequestTokenError::ServerResponse(r) => Some(r.error().clone()),
        _ => None,
    }
}

async fn a_product_signs_a_person_in_with_the_code_flow_and_pkce(app: TestApp) {
    let (org, _, browser, account) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    assert!(client["client_secret"].as_str().unwrap().starts_with("ghcs_"));
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &["email", "profile", "offline_access"]);
    let back = front_channel(&browser, &flow.url).await;
    assert_eq!(param(&back, "state"), Some(flow.state.as_str()));
    assert_eq!(
        param(&back, "iss"),
        Some(app.base.as_str()),
        "RFC 9207: the answer names its issuer"
    );
    let code = AuthorizationCode::new(param(&back, "code").unwrap().to_owned());
    let tokens = rp
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(flow.verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&rp.id_token_verifier(), &flow.nonce)
        .expect("the RP verifies the ID token");
    assert_eq!(
        claims.subject().as_str(),
        account,
        "sub is the account id, never the email"
    );
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@elsewhere.test"));
    assert_eq!(
        claims.email_verified(),
        Some(true),
        "the address was proven by a mailed link"
    );
    let raw = payload(&id_token.to_string());
    assert_eq!(raw["org_id"], json!(org.id));
    assert_eq!(raw["amr"], json!(["pwd"]));
    let access = payload(tokens.access_token().secret());
    assert_eq!(access["aud"], client["client_id"]);
    assert_eq!(access["sub"], json!(account));
    assert_eq!(
        tokens.expires_in().unwrap().as_secs(),
        600,
        "access tokens live 10 minutes"
    );
    let info: openidconnect::core::CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http())
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), account);
    let events = app.get(&org, "/events?action=oauth.signed_in").await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 1, "{}", events.json);
    let sessions = app.get(&org, &format!("/accounts/{account}/product-sessions")).await;
    assert_eq!(sessions.json["items"][0]["client_name"], json!("Wiki"));
}

async fn a_spent_refresh_token_revokes_its_whole_family(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let (first, _) = sign_in_to(&rp, &browser, &["offline_access"]).await;
    let rt1 = first
        .refresh_token()
        .expect("offline_access gives a refresh token")
        .clone();
    let second = rp
        .exchange_refresh_token(&rt1)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap();
    let rt2 = second.refresh_token().expect("rotated").clone();
    assert_ne!(rt1.secret(), rt2.secret(), "refresh tokens rotate on every use");
    let reuse = rp
        .exchange_refresh_token(&rt1)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(server_error(&reuse), Some(CoreErrorResponseType::InvalidGrant));
    let after = rp
        .exchange_refresh_token(&rt2)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(
        server_error(&after),
        Some(CoreErrorResponseType::InvalidGrant),
        "the family is revoked"
    );
    assert_eq!(userinfo_status(&app, second.access_token().secret()).await, 401);
    let events = app.get(&org, "/events?action=oauth.refresh_reused").await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 1);
    // Without offline_access there is no refresh token at all.
    let (plain, _) = sign_in_to(&rp, &browser, &[]).await;
    assert!(plain.refresh_token().is_none());
}

async fn a_replayed_code_fails_and_revokes_what_it_issued(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &["offline_access"]);
    let code = param(&front_channel(&browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    let verifier = flow.verifier.secret().clone();
    let first = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.clone()))
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(
        introspect(&app, &client, first.access_token().secret()).await["active"],
        json!(true)
    );
    let replay = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(server_error(&replay), Some(CoreErrorResponseType::InvalidGrant));
    assert_eq!(
        introspect(&app, &client, first.access_token().secret()).await,
        json!({"active": false})
    );
    let rt = first.refresh_token().unwrap();
    let refreshed = rp
        .exchange_refresh_token(rt)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(server_error(&refreshed), Some(CoreErrorResponseType::InvalidGrant));
    let events = app.get(&org, "/events?action=oauth.code_replayed").await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 1);
}

async fn pkce_and_redirect_uri_mistakes_issue_nothing(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    // A redirect URI the client did not register: an error page, never a redirect.
    let flow = start(&rp, &[]);
    let evil = flow
        .url
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.example/cb"));
    let res = browser.client.get(&evil).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("not registered"));
    // Missing and wrong verifiers.
    for verifier in [None, Some("x".repeat(43))] {
        let flow = start(&rp, &[]);
        let code = param(&front_channel(&browser, &flow.url).await, "code")
            .unwrap()
            .to_owned();
        let mut req = rp.exchange_code(AuthorizationCode::new(code.clone())).unwrap();
        if let Some(v) = &verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.clone()));
        }
        let err = req.request_async(&http()).await.unwrap_err();
        assert_eq!(
            server_error(&err),
            Some(CoreErrorResponseType::InvalidGrant),
            "{verifier:?}"
        );
        // The failure spent nothing: the right verifier still works.
        let ok = rp
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(flow.verifier)
            .request_async(&http())
            .await;
        assert!(ok.is_ok(), "a refused exchange changes nothing");
    }
    // A public client must send a challenge at all.
    let public = register(&app, &org, json!({"public": true})).await;
    assert!(public.get("client_secret").is_none());
    let url = format!(
        "{}/oauth2/authorize?client_id={}&response_type=code&scope=openid&redirect_uri={}&state=s",
        app.base,
        public["client_id"].as_str().unwrap(),
        urlencode(REDIRECT)
    );
    let back = front_channel(&browser, &url).await;
    assert_eq!(param(&back, "error"), Some("invalid_request"));
    assert_eq!(param(&back, "state"), Some("s"));
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}

async fn an_expired_code_and_prompt_none_without_a_session_are_refused(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &[]);
    let code = param(&front_channel(&browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    app.clock.advance_secs(61);
    let err = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(flow.verifier)
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(
        server_error(&err),
        Some(CoreErrorResponseType::InvalidGrant),
        "codes live 60 s"
    );
    let stranger = Browser::new(&app.base);
    let flow = start(&rp, &[]);
    let back = front_channel(&stranger, &format!("{}&prompt=none", flow.url)).await;
    assert_eq!(param(&back, "error"), Some("login_required"));
    // Without prompt=none, the stranger is sent to sign in and back.
    let res = stranger.client.get(&flow.url).send().await.unwrap();
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/login?next=%2Foauth2%2Fauthorize%3F"), "{to}");
}

async fn tokens_from_another_key_or_without_a_signature_or_for_another_client_are_refused(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let other = register(&app, &org, json!({"name": "Tracker"})).await;
    let rp = relying_party(&app, &client).await;
    let (tokens, flow) = sign_in_to(&rp, &browser, &[]).await;
    let id_token = tokens.id_token().unwrap();
    // The wrong audience: the other client's RP refuses this ID token.
    let other_rp = relying_party(&app, &other).await;
    assert!(id_token.claims(&other_rp.id_token_verifier(), &flow.nonce).is_err());
    // alg=none and a foreign key: neither the RP nor the provider accepts them.
    let access = tokens.access_token().secret().clone();
    let parts: Vec<&str> = access.split('.').collect();
    let none_header = base64_url(br#"{"alg":"none","typ":"at+jwt"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert_eq!(userinfo_status(&app, &unsigned).await, 401);
    assert_eq!(introspect(&app, &client, &unsigned).await, json!({"active": false}));
    let foreign = gatehouse_oidc::KeySet::new(
        gatehouse_oidc::SigningKey::generate(gatehouse_oidc::Alg::Es256).unwrap(),
        vec![],
    );
    let forged = foreign
        .sign(gatehouse_oidc::TYP_ACCESS_TOKEN, &payload(&access))
        .unwrap();
    assert_eq!(userinfo_status(&app, &forged).await, 401);
    assert_eq!(introspect(&app, &client, &forged).await, json!({"active": false}));
    let forged_id = foreign
        .sign(gatehouse_oidc::TYP_ID_TOKEN, &payload(&id_token.to_string()))
        .unwrap();
    let forged_id: openidconnect::core::CoreIdToken = forged_id.parse().unwrap();
    assert!(forged_id.claims(&rp.id_token_verifier(), &flow.nonce).is_err());
    // The genuine one passes both.
    assert_eq!(userinfo_status(&app, &access).await, 200);
}

fn base64_url(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

async fn a_client_tied_to_an_instance_admits_only_people_with_access(app: TestApp) {
    let (org, instance, browser, _) = person_with_access(&app).await;
    let other = app
        .create_instance(
            &org,
            "confluence",
            "Other wiki",
            "https://other.acme-oidc.example",
            "free",
        )
        .await;
    let tied = register(&app, &org, json!({"instance_id": other.to_string()})).await;
    let rp = relying_party(&app, &tied).await;
    let flow = start(&rp, &[]);
    let res = browser.client.get(&flow.url).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("No access to Wiki"), "{page}");
    assert!(
        page.contains("error=access_denied"),
        "its button returns to the product with access_denied"
    );
    let events = app.get(&org, "/events?action=oauth.access_denied").await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 1);
    // Tied to the instance the person may use: admitted.
    let ok = register(&app, &org, json!({"instance_id": instance.to_string()})).await;
    let rp = relying_party(&app, &ok).await;
    let back = front_channel(&browser, &start(&rp, &[]).url).await;
    assert!(param(&back, "code").is_some());
    // Another org's client, tied to nothing, admits nobody it neither manages nor gave access.
    let elsewhere = app.create_org("Elsewhere").await;
    let foreign = register(&app, &elsewhere, json!({})).await;
    let rp = relying_party(&app, &foreign).await;
    assert_eq!(
        browser.client.get(start(&rp, &[]).url).send().await.unwrap().status(),
        403
    );
}

async fn a_deactivated_accounts_refresh_token_stops_working(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme-oidc.test", "manual").await;
    let id = app.create_account(&org, "cy@acme-oidc.test", "Cy").await;
    let email = app.give_password(id).await;
    let browser = app.browser_as(&app.base, &email).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let (tokens, _) = sign_in_to(&rp, &browser, &["offline_access"]).await;
    let rt: RefreshToken = tokens.refresh_token().unwrap().clone();
    let r = app
        .patch(&org, &format!("/accounts/{id}"), json!({"status": "deactivated"}))
        .await;
    assert!(r.status.is_success(), "{}", r.json);
    let err = rp
        .exchange_refresh_token(&rt)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(server_error(&err), Some(CoreErrorResponseType::InvalidGrant));
    assert_eq!(userinfo_status(&app, tokens.access_token().secret()).await, 401);
    assert_eq!(
        introspect(&app, &client, tokens.access_token().secret()).await,
        json!({"active": false})
    );
}

async fn client_credentials_introspection_and_revocation(app: TestApp) {
    let org = app.create_org("Acme").await;
    let back_end = register_back_end(&app, &org).await;
    let (status, body) = token_call(&app, &back_end, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(body.get("refresh_token").is_none());
    let seen = introspect(&app, &back_end, &token).await;
    assert_eq!(seen["active"], json!(true));
    assert_eq!(seen["client_id"], back_end["client_id"]);
    // Another org's client learns nothing of it.
    let other = app.create_org("Other").await;
    let spy = register_back_end(&app, &other).await;
    assert_eq!(introspect(&app, &spy, &token).await, json!({"active": false}));
    // A wrong secret is invalid_client (401, Basic challenge).
    let mut wrong = back_end.clone();
    wrong["client_secret"] = json!("ghcs_wrong");
    let (status, body) = token_call(&app, &wrong, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    // A code client may not use client credentials.
    let web = register(&app, &org, json!({})).await;
    let (status, body) = token_call(&app, &web, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    // Rotation: the old secret stops at once without an overlap.
    let rotated = app
        .post(
            &org,
            &format!("/clients/{}/secrets", back_end["client_id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, 201);
    let (status, _) = token_call(&app, &back_end, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 401);
    let mut fresh = back_end.clone();
    fresh["client_secret"] = rotated.json["client_secret"].clone();
    assert_eq!(
        token_call(&app, &fresh, &[("grant_type", "client_credentials")])
            .await
            .0,
        200
    );
    // Deleting the client ends its tokens.
    assert_eq!(
        app.delete(&org, &format!("/clients/{}", back_end["client_id"].as_str().unwrap()))
            .await
            .status,
        204
    );
    assert_eq!(introspect(&app, &spy, &token).await, json!({"active": false}));
}

async fn signing_out_of_gatehouse_ends_product_sessions_by_back_channel(app: TestApp) {
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&received);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/bcl",
        axum::routing::post(move |form: axum::Form<Vec<(String, String)>>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock()
                    .unwrap()
                    .extend(form.0.into_iter().filter(|(k, _)| k == "logout_token").map(|(_, v)| v));
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (org, _, browser, account) = person_with_access(&app).await;
    let client = register(
        &app,
        &org,
        json!({"backchannel_logout_uri": format!("http://{addr}/bcl")}),
    )
    .await;
    let rp = relying_party(&app, &client).await;
    let (tokens, _) = sign_in_to(&rp, &browser, &["offline_access"]).await;
    let sid = payload(&tokens.id_token().unwrap().to_string())["sid"].clone();
    let csrf = browser.get("/account").await.csrf();
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while received.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = received
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("a logout token arrived");
    let claims = payload(&token);
    assert_eq!(claims["sub"], json!(account));
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["aud"], client["client_id"]);
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
    let err = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http())
        .await
        .unwrap_err();
    assert_eq!(server_error(&err), Some(CoreErrorResponseType::InvalidGrant));
}

async fn a_code_or_refresh_token_used_many_times_at_once_works_once(app: TestApp) {
    let (org, _, browser, _) = person_with_access(&app).await;
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &["offline_access"]);
    let code = param(&front_channel(&browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    let verifier = flow.verifier.secret().clone();
    let form = |code: String, verifier: String| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code),
            ("redirect_uri".to_owned(), REDIRECT.to_owned()),
            ("code_verifier".to_owned(), verifier),
        ]
    };
    let calls = (0..12).map(|_| {
        let (app_base, c, f) = (app.base.clone(), client.clone(), form(code.clone(), verifier.clone()));
        tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(format!("{app_base}/oauth2/token"))
                .basic_auth(c["client_id"].as_str().unwrap(), c["client_secret"].as_str())
                .form(&f)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap())
        })
    });
    let answers: Vec<(u16, serde_json::Value)> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let won: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(won.len(), 1, "exactly one exchange of a code wins: {answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == 200 || b["error"] == "invalid_grant"));
    // The replays revoked what the winner got (RFC 6749 §4.1.2).
    let refresh = won[0].1["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = token_call(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 400);
    // A fresh family: many refreshes at once, one wins, the rest end the family.
    let flow = start(&rp, &["offline_access"]);
    let code = param(&front_channel(&browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    let (status, first) = exchange(&app, &client, &code, flow.verifier.secret()).await;
    assert_eq!(status, 200, "{first}");
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let calls = (0..12).map(|_| {
        let (app_base, c, rt) = (app.base.clone(), client.clone(), rt.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{app_base}/oauth2/token"))
                .basic_auth(c["client_id"].as_str().unwrap(), c["client_secret"].as_str())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let statuses: Vec<u16> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let reused = app.get(&org, "/events?action=oauth.refresh_reused").await;
    assert!(!reused.json["items"].as_array().unwrap().is_empty());
}
