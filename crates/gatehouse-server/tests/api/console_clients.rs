//! Product clients and product sessions in the console, over real HTTP: a client registered
//! through the form gets a secret shown once that works at the token endpoint, rotation ends
//! it, bad registrations come back with their errors and change nothing, deletion is audited,
//! and an admin ends an account's product sessions from its page.

use gatehouse_testkit::{Browser, Grantee, Page, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;

engine_tests!(
    console_clients_secret_shown_once_works_and_stops_after_rotation_without_overlap,
    console_clients_bad_redirect_uri_rerenders_the_form_and_creates_nothing,
    console_clients_are_tied_to_an_instance_and_edited_under_the_same_rules,
    console_clients_delete_needs_confirmation_and_is_audited,
    console_clients_names_are_escaped_and_forms_without_csrf_change_nothing,
    console_clients_product_sessions_are_listed_and_ended_from_the_account_page,
);

const CB: &str = "http://127.0.0.1:9/cb";

/// The text of the element marked `data-testid="{id}"`.
fn testid(body: &str, id: &str) -> Option<String> {
    let marker = format!("data-testid=\"{id}\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('<')?;
    Some(body[start..start + end].to_owned())
}

/// Registers a client through the console's form; `extra` adds fields (grant checkboxes...).
async fn register(b: &Browser, org: &TestOrg, name: &str, uris: &str, extra: &[(&str, &str)]) -> Page {
    let path = format!("/admin/orgs/{}/clients", org.id);
    let csrf = b.get(&path).await.csrf();
    let mut form = vec![("csrf", csrf.as_str()), ("name", name), ("redirect_uris", uris)];
    form.extend_from_slice(extra);
    b.post(&path, &form).await
}

/// `POST /oauth2/token` authenticated with `client_secret_basic`.
async fn token(app: &TestApp, client_id: &str, secret: &str, form: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    let res = app
        .client
        .post(format!("{}/oauth2/token", app.base))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = res.status();
    (status, res.json().await.unwrap_or_default())
}

async fn client_count(app: &TestApp, org: &TestOrg) -> usize {
    let list = app.get(org, "/clients").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    list.json["items"].as_array().map_or(0, Vec::len)
}

async fn console_clients_secret_shown_once_works_and_stops_after_rotation_without_overlap(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let created = register(&b, &org, "Billing back end", "", &[("grant_client_credentials", "on")]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.body.contains("never shown again"), "{}", created.body);
    let client_id = testid(&created.body, "client-id").expect("the client_id is shown");
    let secret = testid(&created.body, "client-secret").expect("the secret is shown");
    assert!(secret.starts_with("ghcs_"), "{secret}");
    let cc = [("grant_type", "client_credentials")];
    let (status, body) = token(&app, &client_id, &secret, &cc).await;
    assert_eq!(status, StatusCode::OK, "the secret shown works: {body}");
    assert!(body["access_token"].is_string());

    let detail = format!("/admin/orgs/{}/clients/{client_id}", org.id);
    let again = b.get(&detail).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.body.contains(&secret), "the secret is never shown again");
    let prefix: String = secret.chars().take("ghcs".len() + 7).collect();
    assert!(
        again.body.contains(&format!("<code>{prefix}…</code>")),
        "the working secret is listed by its prefix: {}",
        again.body
    );
    let list = b.get(&format!("/admin/orgs/{}/clients", org.id)).await;
    assert!(list.body.contains(&client_id) && list.body.contains("confidential"));
    assert!(list.body.contains("client_credentials") && !list.body.contains(&secret));

    let rotated = b
        .post(
            &format!("{detail}/secrets"),
            &[("csrf", &again.csrf()), ("overlap_seconds", "0")],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
    let new_secret = testid(&rotated.body, "client-secret").expect("the new secret is shown");
    assert_ne!(new_secret, secret);
    let (old, _) = token(&app, &client_id, &secret, &cc).await;
    assert_eq!(old, StatusCode::UNAUTHORIZED, "no overlap: the old secret stops now");
    let (new, body) = token(&app, &client_id, &new_secret, &cc).await;
    assert_eq!(new, StatusCode::OK, "{body}");
    let audit = app
        .get(&org, "/events?action=client.created,client.secret_rotated")
        .await;
    assert_eq!(audit.json["items"].as_array().unwrap().len(), 2, "{}", audit.text);
}

async fn console_clients_bad_redirect_uri_rerenders_the_form_and_creates_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let refused = register(
        &b,
        &org,
        "Wiki entered",
        "http://evil.example/cb",
        &[("grant_authorization_code", "on")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("must use https"), "{}", refused.body);
    assert!(refused.body.contains("value=\"Wiki entered\""), "the name is kept");
    assert!(
        refused.body.contains(">http://evil.example/cb</textarea>"),
        "the URIs are kept"
    );
    assert!(!refused.body.contains("data-testid=\"client-secret\""));
    assert_eq!(client_count(&app, &org).await, 0, "nothing was created");
    assert!(
        app.get(&org, "/events?action=client.created").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn console_clients_are_tied_to_an_instance_and_edited_under_the_same_rules(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let instance = app
        .create_instance(
            &org,
            "jira-software",
            "Team wiki",
            "https://wiki.acme.example",
            "standard",
        )
        .await;
    let made = register(
        &b,
        &org,
        "Wiki",
        CB,
        &[
            ("grant_authorization_code", "on"),
            ("instance_id", &instance.to_string()),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = testid(&made.body, "client-id").unwrap();
    let list = b.get(&format!("/admin/orgs/{}/clients", org.id)).await;
    assert!(list.body.contains("Team wiki"), "the tied instance is named");
    let detail = format!("/admin/orgs/{}/clients/{id}", org.id);
    let bad_edit = b
        .post(
            &detail,
            &[
                ("csrf", &made.csrf()),
                ("name", "Wiki"),
                ("redirect_uris", "https://wiki.example/cb#frag"),
                ("grant_authorization_code", "on"),
            ],
        )
        .await;
    assert_eq!(bad_edit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_edit.body.contains("must not have a fragment"), "{}", bad_edit.body);
    let api = app.get(&org, &format!("/clients/{id}")).await;
    assert_eq!(api.json["redirect_uris"][0], CB, "a refused edit changes nothing");
    assert_eq!(api.json["instance_id"], instance.to_string());
    let saved = b
        .post(
            &detail,
            &[
                ("csrf", &made.csrf()),
                ("name", "Wiki renamed"),
                ("redirect_uris", &format!("{CB}\nhttps://wiki.acme.example/cb")),
                ("grant_authorization_code", "on"),
                ("grant_refresh_token", "on"),
                ("instance_id", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let api = app.get(&org, &format!("/clients/{id}")).await;
    assert_eq!(api.json["name"], "Wiki renamed");
    assert_eq!(api.json["redirect_uris"].as_array().unwrap().len(), 2);
    assert!(api.json["instance_id"].is_null(), "untied: any instance");
}

async fn console_clients_delete_needs_confirmation_and_is_audited(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let made = register(&b, &org, "Old portal", CB, &[("grant_authorization_code", "on")]).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = testid(&made.body, "client-id").unwrap();
    let delete = format!("/admin/orgs/{}/clients/{id}/delete", org.id);
    let unconfirmed = b.post(&delete, &[("csrf", &made.csrf())]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.body.contains("Tick the box"));
    assert_eq!(client_count(&app, &org).await, 1, "not deleted without confirmation");
    let deleted = b.post(&delete, &[("csrf", &made.csrf()), ("confirm", "yes")]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(client_count(&app, &org).await, 0);
    let gone = b.get(&format!("/admin/orgs/{}/clients/{id}", org.id)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let list = b.get(deleted.location.as_deref().unwrap()).await;
    assert!(list.body.contains("Client deleted") && !list.body.contains(&id));
    let ev = app.get(&org, "/events?action=client.deleted").await;
    let items = ev.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", ev.text);
    assert_eq!(items[0]["actor"]["type"], "account", "{}", ev.text);
    assert_eq!(items[0]["targets"][0]["id"], id.as_str());
}

async fn console_clients_names_are_escaped_and_forms_without_csrf_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let evil = "<script>alert(1)</script>";
    let made = register(&b, &org, evil, CB, &[("grant_authorization_code", "on")]).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = testid(&made.body, "client-id").unwrap();
    for page in [
        made.body.clone(),
        b.get(&format!("/admin/orgs/{}/clients", org.id)).await.body,
    ] {
        assert!(!page.contains(evil), "markup from a name is never markup");
        assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"));
    }

    let path = format!("/admin/orgs/{}/clients", org.id);
    let before = app.snapshot().await;
    let forged = b
        .post(
            &path,
            &[
                ("name", "Forged"),
                ("redirect_uris", CB),
                ("grant_authorization_code", "on"),
            ],
        )
        .await;
    assert_ne!(forged.status, StatusCode::CREATED);
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    let wrong = b
        .post(
            &format!("{path}/{id}/delete"),
            &[("csrf", "not-the-token"), ("confirm", "yes")],
        )
        .await;
    assert_ne!(wrong.status, StatusCode::SEE_OTHER);
    let rotate = b
        .post(&format!("{path}/{id}/secrets"), &[("overlap_seconds", "0")])
        .await;
    assert_ne!(rotate.status, StatusCode::CREATED);
    assert_eq!(app.snapshot().await, before, "refused forms change nothing");
    assert_eq!(client_count(&app, &org).await, 1);
    let secrets = app.get(&org, &format!("/clients/{id}")).await;
    assert_eq!(
        secrets.json["secrets"].as_array().unwrap().len(),
        1,
        "no rotation happened"
    );
}

/// Runs the code flow for the browser's person and answers the refresh token.
async fn sign_in_to_product(app: &TestApp, person: &Browser, client_id: &str, secret: &str) -> String {
    let q = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CB),
        ("scope", "openid email offline_access"),
        ("state", "s1"),
    ])
    .unwrap();
    let authorized = person.get(&format!("/oauth2/authorize?{q}")).await;
    assert_eq!(authorized.status, StatusCode::FOUND, "{}", authorized.body);
    let to = reqwest::Url::parse(authorized.location.as_deref().unwrap()).unwrap();
    let code = to
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code in the redirect");
    let (status, body) = token(
        app,
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["refresh_token"].as_str().expect("a refresh token").to_owned()
}

async fn console_clients_product_sessions_are_listed_and_ended_from_the_account_page(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (admin, _) = app.console(&org).await;
    let instance = app
        .create_instance(
            &org,
            "jira-software",
            "Team wiki",
            "https://wiki.acme.example",
            "standard",
        )
        .await;
    let (pat, pat_id) = app
        .signed_in_member(&org, "pat@elsewhere.example", "pat's long passphrase")
        .await;
    let account = pat_id.parse().unwrap();
    app.grant_access(&org, instance, Grantee::Account(account), "user")
        .await;
    let made = register(
        &admin,
        &org,
        "Wiki",
        CB,
        &[("grant_authorization_code", "on"), ("grant_refresh_token", "on")],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let client_id = testid(&made.body, "client-id").unwrap();
    let secret = testid(&made.body, "client-secret").unwrap();
    let first = sign_in_to_product(&app, &pat, &client_id, &secret).await;
    let second = sign_in_to_product(&app, &pat, &client_id, &secret).await;

    let page_path = format!("/admin/orgs/{}/accounts/{pat_id}", org.id);
    let page = admin.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Product sessions"));
    assert!(
        !page.body.contains("No product sessions."),
        "an unmanaged account's sessions show"
    );
    let ends: Vec<&str> = page.body.matches("/product-sessions/").collect();
    assert_eq!(ends.len(), 3, "two End buttons and End all: {}", page.body);
    assert!(page.body.contains("openid email offline_access"));

    // End one: its refresh token stops at once, the other session's still works.
    let marker = format!("/accounts/{pat_id}/product-sessions/");
    let start = page.body.find(&marker).unwrap() + marker.len();
    let grant = &page.body[start..start + page.body[start..].find('/').unwrap()];
    let ended = admin
        .post(
            &format!("{page_path}/product-sessions/{grant}/revoke"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    let refresh = |t: String| {
        let (app, client_id, secret) = (&app, client_id.as_str(), secret.as_str());
        async move {
            let form = [("grant_type", "refresh_token"), ("refresh_token", t.as_str())];
            token(app, client_id, secret, &form).await
        }
    };
    let (a, b) = (refresh(first).await, refresh(second).await);
    let (alive, dead) = if a.0 == StatusCode::OK { (a, b) } else { (b, a) };
    assert_eq!(alive.0, StatusCode::OK, "the other session still works: {}", alive.1);
    assert_eq!(dead.0, StatusCode::BAD_REQUEST, "the ended one is refused: {}", dead.1);
    assert_eq!(dead.1["error"], "invalid_grant");
    let rotated = alive.1["refresh_token"].as_str().unwrap().to_owned();
    let one_left = admin.get(&page_path).await;
    assert_eq!(
        one_left.body.matches("/product-sessions/").count(),
        2,
        "one End and End all"
    );
    assert!(
        !one_left.body.contains(grant),
        "the ended session is gone from the list"
    );

    let all = admin
        .post(
            &format!("{page_path}/product-sessions/revoke-all"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    let (s, _) = refresh(rotated).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "End all ends it too");
    let after = admin.get(&page_path).await;
    assert!(after.body.contains("No product sessions."), "{}", after.body);
    let ev = app.get(&org, "/events?action=oauth.session_revoked").await;
    assert_eq!(ev.json["items"].as_array().unwrap().len(), 2, "{}", ev.text);
}
