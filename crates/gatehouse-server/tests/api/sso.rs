//! Single sign-on administration and enforcement (issue 14) through the admin API and the
//! sign-in pages: identity providers only for verified domains, every change audited, the
//! password refused to managed accounts while a provider is enforced (the answer the same
//! whatever the password or the account), break-glass admins, default groups, home-realm
//! discovery at /login.

use gatehouse_testkit::{Browser, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    identity_providers_are_for_verified_domains_only_and_every_change_is_audited,
    an_enforced_provider_refuses_passwords_of_managed_accounts_except_break_glass_admins,
    the_email_step_and_a_login_hint_send_a_domain_to_its_provider,
    default_groups_and_break_glass_admins_are_checked_and_audited,
    the_last_break_glass_admin_keeps_the_role_while_sso_is_enforced,
);

const DOMAIN: &str = "acme-sso.test";

fn oidc_idp(domains: &[&str]) -> Value {
    json!({
        "name": "Acme Okta",
        "protocol": "oidc",
        "domains": domains,
        "issuer": "https://acme.okta.example",
        "client_id": "gatehouse",
        "client_secret": "a client secret from the IdP",
    })
}

/// Every event of `action` in the org's log, whoever acted.
pub async fn events(app: &TestApp, org: &TestOrg, action: &str) -> Vec<Value> {
    let r = app.get(org, &format!("/events?action={action}&limit=200")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// The severity the catalog (`/event-actions`) gives `action`.
async fn severity(app: &TestApp, org: &TestOrg, action: &str) -> Value {
    let r = app.get(org, "/event-actions").await;
    let all = r.json["items"].as_array().cloned().unwrap_or_default();
    all.into_iter()
        .find(|a| a["action"] == action || a["name"] == action)
        .map_or(Value::Null, |a| a["severity"].clone())
}

async fn org_with_domain(app: &TestApp) -> TestOrg {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    org
}

async fn identity_providers_are_for_verified_domains_only_and_every_change_is_audited(app: TestApp) {
    let org = org_with_domain(&app).await;
    let r = app
        .post(&org, "/identity-providers", oidc_idp(&["unverified.test"]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("unverified.test"), "{}", r.text);
    let mut mixed = oidc_idp(&[DOMAIN]);
    mixed["metadata_xml"] = json!("<EntityDescriptor/>");
    let r = app.post(&org, "/identity-providers", mixed).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .post(&org, "/identity-providers", json!({"name": "x", "domains": [DOMAIN]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no protocol: {}", r.text);

    let made = app.post(&org, "/identity-providers", oidc_idp(&[DOMAIN])).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let id = made.json["id"].as_str().unwrap().to_owned();
    assert_eq!(made.json["redirect_uri"], format!("{}/oidc/{id}/callback", app.base));
    assert_eq!(made.json["client_secret_set"], true);
    assert_eq!(made.json["enforced"], true, "enforced by default");
    assert!(
        !made.text.contains("a client secret from the IdP"),
        "the secret is never served"
    );
    assert_eq!(made.json["domains"], json!([DOMAIN]));

    let twice = app.post(&org, "/identity-providers", oidc_idp(&[DOMAIN])).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.json["code"], "domain_taken");

    let other = app.create_org("Other").await;
    let r = app.get(&other, &format!("/identity-providers/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another org sees nothing");
    let r = app.delete(&other, &format!("/identity-providers/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let bad = app
        .patch(
            &org,
            &format!("/identity-providers/{id}"),
            json!({"issuer": "ftp://nope"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let r = app
        .patch(
            &org,
            &format!("/identity-providers/{id}"),
            json!({"enforced": false, "name": "Okta"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["enforced"], false);
    assert_eq!(
        r.json["issuer"], "https://acme.okta.example",
        "a bad change changed nothing"
    );
    assert_eq!(events(&app, &org, "identity_provider.created").await.len(), 1);
    let updated = events(&app, &org, "identity_provider.updated").await;
    assert_eq!(updated.len(), 1, "the refused change is not recorded");
    assert_eq!(severity(&app, &org, "identity_provider.updated").await, "high");
    assert!(!updated[0].to_string().contains("sealed"), "no secret in the log");

    let list = app.get(&org, "/identity-providers").await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    let r = app.delete(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(events(&app, &org, "identity_provider.deleted").await.len(), 1);
    let r = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A managed account on the domain with a password, and a managed admin on it.
async fn people(app: &TestApp, org: &TestOrg) -> (String, String, String) {
    let ada = app.create_account(org, &format!("ada@{DOMAIN}"), "Ada").await;
    let ada_email = app.give_password(ada).await;
    let boss = app.create_account(org, &format!("boss@{DOMAIN}"), "Boss").await;
    app.give_password(boss).await;
    let r = app.post(org, "/admins", json!({"account_id": boss.to_string()})).await;
    assert!(r.status.is_success(), "making boss an admin: {}", r.text);
    (ada_email, ada.to_string(), boss.to_string())
}

async fn password(app: &TestApp, email: &str, password: &str) -> gatehouse_testkit::Page {
    Browser::new(&app.base).sign_in(email, password).await
}

async fn an_enforced_provider_refuses_passwords_of_managed_accounts_except_break_glass_admins(app: TestApp) {
    let org = org_with_domain(&app).await;
    let (ada, _, boss) = people(&app, &org).await;
    let pw = gatehouse_testkit::PERSON_PASSWORD;
    assert_eq!(
        password(&app, &ada, pw).await.status,
        StatusCode::SEE_OTHER,
        "before SSO"
    );
    let made = app.post(&org, "/identity-providers", oidc_idp(&[DOMAIN])).await;
    let id = made.json["id"].as_str().unwrap().to_owned();

    let right = password(&app, &ada, pw).await;
    let wrong = password(&app, &ada, "not the password at all").await;
    let nobody = password(&app, &format!("nobody@{DOMAIN}"), pw).await;
    for p in [&right, &wrong, &nobody] {
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
        assert!(p.body.contains("single sign-on"), "{}", p.body);
        assert!(p.location.is_none());
    }
    let failed = events(&app, &org, "auth.sign_in_failed").await;
    assert!(
        failed.iter().any(|e| e["changes"]["after"]["reason"] == "sso_required"),
        "the reason is recorded: {failed:?}"
    );
    // A break-glass admin still gets in, recorded as high severity.
    let boss_email = format!("boss@{DOMAIN}");
    assert_eq!(password(&app, &boss_email, pw).await.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            reqwest::Method::PUT,
            &org,
            "/sso/break-glass",
            Some(json!({"account_ids": [boss]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let signed = password(&app, &boss_email, pw).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let glass = events(&app, &org, "auth.break_glass_signed_in").await;
    assert_eq!(glass.len(), 1);
    assert_eq!(severity(&app, &org, "auth.break_glass_signed_in").await, "high");
    // A break-glass admin with a wrong password reads like everyone else.
    let w = password(&app, &boss_email, "wrong wrong wrong wrong").await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    // The last break-glass admin stays while SSO is enforced.
    let r = app
        .call(
            reqwest::Method::PUT,
            &org,
            "/sso/break-glass",
            Some(json!({"account_ids": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["code"], "last_break_glass_admin");
    // An account on another domain keeps its password.
    let (_, _) = app
        .signed_in_member(&org, "eve@elsewhere.test", "correct horse battery staple")
        .await;
    // Not enforced: passwords work again.
    let r = app
        .patch(&org, &format!("/identity-providers/{id}"), json!({"enforced": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(password(&app, &ada, pw).await.status, StatusCode::SEE_OTHER);
    let r = app
        .call(
            reqwest::Method::PUT,
            &org,
            "/sso/break-glass",
            Some(json!({"account_ids": []})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "not enforced: the list may be emptied: {}",
        r.text
    );
}

async fn the_email_step_and_a_login_hint_send_a_domain_to_its_provider(app: TestApp) {
    let org = org_with_domain(&app).await;
    let made = app.post(&org, "/identity-providers", oidc_idp(&[DOMAIN])).await;
    let id = made.json["id"].as_str().unwrap().to_owned();
    let b = Browser::new(&app.base);
    let csrf = b.get("/login").await.csrf();
    let next = "/oauth2/authorize?client_id=x&state=y";
    let step = b
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &format!("Someone@{}", DOMAIN.to_uppercase())),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    let to = step.location.unwrap();
    assert!(to.starts_with(&format!("/oidc/{id}/login?next=")), "{to}");
    assert!(
        to.contains("%2Foauth2%2Fauthorize"),
        "the authorize request survives: {to}"
    );
    let other = b
        .post("/login", &[("csrf", &csrf), ("email", "someone@elsewhere.test")])
        .await;
    assert_eq!(other.status, StatusCode::OK, "another domain gets the password form");
    assert!(other.body.contains("type=\"password\""), "{}", other.body);
    let hinted = b
        .get(&format!("/login?login_hint=ada%40{DOMAIN}&next=%2Faccount"))
        .await;
    assert_eq!(hinted.status, StatusCode::SEE_OTHER);
    assert!(hinted.location.unwrap().starts_with(&format!("/oidc/{id}/login")));
    let forced = b.get(&format!("/login?login_hint=ada%40{DOMAIN}&password=1")).await;
    assert_eq!(
        forced.status,
        StatusCode::OK,
        "break-glass admins can still reach the password form"
    );
    assert!(forced.body.contains("type=\"password\""));
    // A domain whose verification lapsed routes nowhere.
    let domains = app.get(&org, "/domains").await;
    let did = domains.json["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app.delete(&org, &format!("/domains/{did}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    let step = b
        .post("/login", &[("csrf", &csrf), ("email", &format!("ada@{DOMAIN}"))])
        .await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
}

async fn default_groups_and_break_glass_admins_are_checked_and_audited(app: TestApp) {
    let org = org_with_domain(&app).await;
    let (_, ada_id, _) = people(&app, &org).await;
    let g = app.create_group(&org, "Everyone").await;
    let put = |body: Value, path: &'static str| {
        let app = &app;
        let org = &org;
        async move { app.call(reqwest::Method::PUT, org, path, Some(body)).await }
    };
    let r = put(json!({"group_ids": [g.to_string()]}), "/sso/default-groups").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = put(
        json!({"group_ids": [uuid::Uuid::now_v7().to_string()]}),
        "/sso/default-groups",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.get(&org, "/sso/default-groups").await;
    assert_eq!(
        r.json["group_ids"],
        json!([g.to_string()]),
        "the refused change changed nothing"
    );
    assert_eq!(events(&app, &org, "sso.default_groups_changed").await.len(), 1);
    let r = put(json!({"account_ids": [ada_id]}), "/sso/break-glass").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "only admins: {}", r.text);
    let r = put(json!({"account_ids": ["not-an-id"]}), "/sso/break-glass").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = put(json!({"account_ids": [org.admin_account_id]}), "/sso/break-glass").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let changed = events(&app, &org, "sso.break_glass_changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(severity(&app, &org, "sso.break_glass_changed").await, "high");
}

async fn the_last_break_glass_admin_keeps_the_role_while_sso_is_enforced(app: TestApp) {
    let org = org_with_domain(&app).await;
    let (_, _, boss) = people(&app, &org).await;
    let put = |ids: Value| {
        app.call(
            reqwest::Method::PUT,
            &org,
            "/sso/break-glass",
            Some(json!({"account_ids": ids})),
        )
    };
    assert_eq!(put(json!([boss])).await.status, StatusCode::OK);
    let made = app.post(&org, "/identity-providers", oidc_idp(&[DOMAIN])).await;
    assert_eq!(made.status, StatusCode::CREATED);
    // Neither taking the role away nor removing the account may leave nobody to get in.
    let r = app.delete(&org, &format!("/admins/{boss}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["code"], "last_break_glass_admin");
    let r = app.delete(&org, &format!("/accounts/{boss}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        app.get(&org, "/sso/break-glass").await.json["account_ids"],
        json!([boss]),
        "nothing changed"
    );
    // With a second one named, the first may go.
    assert_eq!(put(json!([boss, org.admin_account_id])).await.status, StatusCode::OK);
    let r = app.delete(&org, &format!("/admins/{boss}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(
        app.get(&org, "/sso/break-glass").await.json["account_ids"],
        json!([org.admin_account_id]),
        "only admins count"
    );
}
