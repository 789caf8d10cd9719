//! The provider's remaining contracts over HTTP on both engines: revocation (RFC 7009),
//! `client_secret_post`, `prompt=login` and `max_age=0` without a loop, `login_hint`,
//! RP-initiated logout's exact redirect match, the per-minute count of token grants, and the
//! rate limits under `/oauth2/`.

use crate::oidc_client::{
    exchange, front_channel, introspect, param, register, register_back_end, relying_party, start, token_call,
};
use gatehouse_core::ids::AccountId;
use gatehouse_testkit::{Dialect, Grantee, TestApp, engine_tests};
use serde_json::{Value, json};

engine_tests!(
    revocation_ends_a_refresh_family_or_an_access_tokens_grant_and_only_the_clients_own,
    client_secret_post_authenticates_like_basic_and_both_at_once_is_refused,
    prompt_login_and_max_age_zero_send_a_signed_in_person_to_sign_in_once_without_a_loop,
    rp_initiated_logout_goes_only_to_a_registered_address,
    token_grants_are_counted_per_client_in_one_event_a_minute,
    clients_are_listed_read_changed_and_deleted_through_the_api,
);

/// Tests that spawn their own (configured) servers.
mod configured {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(the_oauth_endpoints_are_rate_limited_per_client_in_oauths_words);
    use super::the_oauth_endpoints_are_rate_limited_per_client_in_oauths_words;
}

/// A person with access to an instance of `org`, signed in, and a client of `org`.
async fn setup(app: &TestApp) -> (gatehouse_testkit::TestOrg, gatehouse_testkit::Browser, Value) {
    let org = app.create_org("Acme").await;
    let instance = app
        .create_instance(
            &org,
            "confluence",
            "Wiki",
            &format!("https://wiki-{}.more-oidc.example", uuid::Uuid::now_v7().simple()),
            "free",
        )
        .await;
    let (browser, id) = app
        .signed_in_member(&org, "ada@elsewhere.test", "correct horse battery staple")
        .await;
    app.grant_access(&org, instance, Grantee::Account(AccountId::parse(&id).unwrap()), "user")
        .await;
    let client = register(
        app,
        &org,
        json!({"post_logout_redirect_uris": ["http://127.0.0.1:9/bye"]}),
    )
    .await;
    (org, browser, client)
}

/// A code flow run by hand: the token endpoint's answer.
async fn tokens(app: &TestApp, browser: &gatehouse_testkit::Browser, client: &Value, scopes: &[&str]) -> Value {
    let rp = relying_party(app, client).await;
    let flow = start(&rp, scopes);
    let code = param(&front_channel(browser, &flow.url).await, "code")
        .unwrap()
        .to_owned();
    let (status, body) = exchange(app, client, &code, flow.verifier.secret()).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn revoke(app: &TestApp, client: &Value, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", app.base))
        .basic_auth(client["client_id"].as_str().unwrap(), client["client_secret"].as_str())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn revocation_ends_a_refresh_family_or_an_access_tokens_grant_and_only_the_clients_own(app: TestApp) {
    let (org, browser, client) = setup(&app).await;
    let other = register(&app, &org, json!({"name": "Tracker"})).await;
    let t = tokens(&app, &browser, &client, &["offline_access"]).await;
    let (access, refresh) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    // Another client's revocation of these tokens changes nothing (and says nothing).
    assert_eq!(revoke(&app, &other, refresh).await, 200);
    assert_eq!(revoke(&app, &other, access).await, 200);
    assert_eq!(introspect(&app, &client, access).await["active"], json!(true));
    assert_eq!(
        revoke(&app, &client, "not-a-token").await,
        200,
        "RFC 7009 §2.2: unknown tokens answer 200"
    );
    assert_eq!(revoke(&app, &client, refresh).await, 200);
    assert_eq!(
        introspect(&app, &client, access).await,
        json!({"active": false}),
        "the grant ended with it"
    );
    let (status, body) = token_call(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    // An access token's revocation ends its grant too.
    let t = tokens(&app, &browser, &client, &["offline_access"]).await;
    assert_eq!(revoke(&app, &client, t["access_token"].as_str().unwrap()).await, 200);
    let refresh = t["refresh_token"].as_str().unwrap();
    let (status, _) = token_call(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        app.get(&org, "/events?action=oauth.session_revoked").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn client_secret_post_authenticates_like_basic_and_both_at_once_is_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let back_end = register_back_end(&app, &org).await;
    let (id, secret) = (
        back_end["client_id"].as_str().unwrap(),
        back_end["client_secret"].as_str().unwrap(),
    );
    let post = |form: Vec<(&'static str, String)>, basic: bool| {
        let mut req = reqwest::Client::new()
            .post(format!("{}/oauth2/token", app.base))
            .form(&form);
        if basic {
            req = req.basic_auth(id, Some(secret));
        }
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let form = vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", id.to_owned()),
        ("client_secret", secret.to_owned()),
    ];
    assert_eq!(post(form.clone(), false).await.0, 200, "client_secret_post");
    let (status, body) = post(form, true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "two methods at once"
    );
    let (status, body) = post(vec![("grant_type", "client_credentials".to_owned())], false).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let wrong_type = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.base))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400, "only form bodies");
}

async fn prompt_login_and_max_age_zero_send_a_signed_in_person_to_sign_in_once_without_a_loop(app: TestApp) {
    let (_, browser, client) = setup(&app).await;
    let rp = relying_party(&app, &client).await;
    for extra in ["&prompt=login", "&max_age=0"] {
        // The session is older than the request (a sign-in in the request's own second counts
        // as fresh: auth_time has whole seconds).
        app.clock.advance_secs(2);
        let flow = start(&rp, &[]);
        let url = format!("{}{extra}&login_hint=ada%40elsewhere.test", flow.url);
        let res = browser.client.get(&url).send().await.unwrap();
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            to.starts_with("/login?next="),
            "{extra}: a signed-in person signs in again: {to}"
        );
        let login = browser.get(&to).await;
        assert!(
            login.body.contains("value=\"ada@elsewhere.test\""),
            "login_hint fills the email"
        );
        let next = unescape(&gatehouse_testkit::hidden(&login.body, "next").unwrap());
        assert!(!next.contains("prompt=login") && !next.contains("max_age"), "{next}");
        let csrf = login.csrf();
        let signed = browser
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", "ada@elsewhere.test"),
                    ("password", "correct horse battery staple"),
                    ("next", &next),
                ],
            )
            .await;
        assert_eq!(
            signed.status, 200,
            "a page that continues to the product: {}",
            signed.body
        );
        assert!(signed.body.contains("http-equiv=\"refresh\""));
        let back = front_channel(&browser, &format!("{}{next}", app.base)).await;
        assert!(
            param(&back, "code").is_some(),
            "{extra}: back at the product with a code, no loop"
        );
    }
}

async fn rp_initiated_logout_goes_only_to_a_registered_address(app: TestApp) {
    let (_, browser, client) = setup(&app).await;
    let t = tokens(&app, &browser, &client, &[]).await;
    let id_token = t["id_token"].as_str().unwrap();
    let logout = |uri: &str| {
        format!(
            "{}/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s1",
            app.base,
            serde_urlencoded::to_string([("", uri)]).unwrap()[1..].to_owned()
        )
    };
    let evil = browser
        .client
        .get(logout("https://evil.example/bye"))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 400);
    assert!(evil.headers().get("location").is_none());
    assert_eq!(
        browser.get("/account").await.status,
        200,
        "still signed in: nothing changed"
    );
    let ok = browser
        .client
        .get(logout("http://127.0.0.1:9/bye"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(
        ok.headers()["location"].to_str().unwrap(),
        "http://127.0.0.1:9/bye?state=s1"
    );
    assert_eq!(browser.get("/account").await.status, 303, "signed out of Gatehouse");
    // Without a hint, a signed-in person is asked first: a link alone signs nobody out.
    let (_, browser, client) = setup(&app).await;
    let url = format!(
        "{}/oauth2/logout?client_id={}",
        app.base,
        client["client_id"].as_str().unwrap()
    );
    let page = browser.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Sign out of Gatehouse?"));
    assert_eq!(browser.get("/account").await.status, 200);
}

async fn token_grants_are_counted_per_client_in_one_event_a_minute(app: TestApp) {
    let org = app.create_org("Acme").await;
    let back_end = register_back_end(&app, &org).await;
    for _ in 0..7 {
        assert_eq!(
            token_call(&app, &back_end, &[("grant_type", "client_credentials")])
                .await
                .0,
            200
        );
    }
    app.state
        .oidc
        .counter
        .flush(&app.state.services, app.state.services.now())
        .await;
    let events = app.get(&org, "/events?action=oauth.tokens_granted").await.json["items"].clone();
    let events = events.as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "one event for the minute, not one per token: {events:?}"
    );
    assert_eq!(
        events[0]["changes"]["after"]["client_credentials"],
        json!(7),
        "{}",
        events[0]
    );
    app.state
        .oidc
        .counter
        .flush(&app.state.services, app.state.services.now())
        .await;
    let again = app.get(&org, "/events?action=oauth.tokens_granted").await.json["items"].clone();
    assert_eq!(again.as_array().unwrap().len(), 1, "a quiet minute writes nothing");
}

async fn the_oauth_endpoints_are_rate_limited_per_client_in_oauths_words(d: Dialect) {
    let app = TestApp::spawn_with(d, |c| {
        c.limits.oauth_per_client = Some(gatehouse_server::config::RateLimit::per_minute(5).unwrap());
    })
    .await;
    let org = app.create_org("Acme").await;
    let back_end = register_back_end(&app, &org).await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..12 {
        let res = reqwest::Client::new()
            .post(format!("{}/oauth2/token", app.base))
            .basic_auth(
                back_end["client_id"].as_str().unwrap(),
                back_end["client_secret"].as_str(),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            limited = Some(res.json::<Value>().await.unwrap());
        }
    }
    assert!(statuses.contains(&200) && statuses.contains(&429), "{statuses:?}");
    assert_eq!(
        limited.unwrap()["error"],
        json!("temporarily_unavailable"),
        "an OAuth error body"
    );
}

/// An attribute value as the browser reads it (askama escapes `& < > " '` and `/`).
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn clients_are_listed_read_changed_and_deleted_through_the_api(app: TestApp) {
    let org = app.create_org("Acme").await;
    let made = register(&app, &org, json!({})).await;
    let id = made["client_id"].as_str().unwrap().to_owned();
    let listed = app.get(&org, "/clients").await;
    assert_eq!(listed.json["items"][0]["client_id"], json!(id));
    assert!(
        listed.json["items"][0].get("client_secret").is_none(),
        "a secret is shown once"
    );
    let read = app.get(&org, &format!("/clients/{id}")).await;
    assert_eq!(read.json["secrets"].as_array().unwrap().len(), 1);
    assert!(read.json["secrets"][0]["prefix"].as_str().unwrap().starts_with("ghcs_"));
    // A bad change is refused whole and changes nothing.
    let bad = app
        .patch(
            &org,
            &format!("/clients/{id}"),
            json!({"name": "Wiki 2", "redirect_uris": ["http://evil.example/cb"]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.json);
    assert_eq!(
        app.get(&org, &format!("/clients/{id}")).await.json["name"],
        json!("Wiki")
    );
    let good = app
        .patch(
            &org,
            &format!("/clients/{id}"),
            json!({"name": "Wiki 2", "backchannel_logout_uri": "https://wiki.example/bcl"}),
        )
        .await;
    assert_eq!(good.status, 200, "{}", good.json);
    assert_eq!(good.json["backchannel_logout_uri"], json!("https://wiki.example/bcl"));
    let cleared = app
        .patch(&org, &format!("/clients/{id}"), json!({"backchannel_logout_uri": null}))
        .await;
    assert_eq!(
        cleared.json["backchannel_logout_uri"],
        Value::Null,
        "null clears a field"
    );
    // Rotation with an overlap: both secrets work until the overlap ends.
    let rotated = app
        .post(
            &org,
            &format!("/clients/{id}/secrets"),
            json!({"overlap_seconds": 3600}),
        )
        .await;
    assert_eq!(rotated.status, 201);
    assert_eq!(rotated.json["secrets"].as_array().unwrap().len(), 2);
    let too_long = app
        .post(
            &org,
            &format!("/clients/{id}/secrets"),
            json!({"overlap_seconds": 99_999_999}),
        )
        .await;
    assert_eq!(too_long.status, 422);
    // Another organization sees none of it.
    let other = app.create_org("Other").await;
    assert_eq!(app.get(&other, &format!("/clients/{id}")).await.status, 404);
    assert_eq!(app.delete(&other, &format!("/clients/{id}")).await.status, 404);
    assert_eq!(app.delete(&org, &format!("/clients/{id}")).await.status, 204);
    assert_eq!(app.get(&org, &format!("/clients/{id}")).await.status, 404);
    let actions: Vec<String> = app.get(&org, "/events?limit=50").await.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .filter(|a| a.starts_with("client."))
        .collect();
    for a in [
        "client.created",
        "client.updated",
        "client.secret_rotated",
        "client.deleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
