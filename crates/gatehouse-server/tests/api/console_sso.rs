//! Single sign-on in the console (issue 14), over real HTTP on both engines: an OIDC provider
//! added through the form, listed, its redirect URI read on its page (the admin API's own),
//! edited (a blank secret keeps the stored one), enforced and not, removed after a
//! confirmation; break-glass admins and default groups saved from checkboxes; refused forms
//! keep what was entered and change nothing; forged posts and other organizations' admins get
//! nowhere; names are text, never markup.

use gatehouse_testkit::saml_idp::TestIdp;
use gatehouse_testkit::{Browser, Page, TestApp, TestOrg, engine_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

engine_tests!(
    console_sso_an_oidc_provider_is_added_listed_read_and_edited,
    console_sso_refused_forms_keep_the_input_and_change_nothing,
    console_sso_break_glass_admins_and_default_groups_are_saved_from_checkboxes,
    console_sso_posts_without_csrf_and_other_orgs_admins_change_nothing,
    console_sso_removal_needs_confirmation_and_names_are_escaped,
    console_sso_a_saml_provider_is_added_from_metadata_and_edited_by_hand,
);

const DOMAIN: &str = "acme-sso.test";
const OTHER_DOMAIN: &str = "acme-two.test";
const SECRET: &str = "the client secret the IdP gave";

/// The text of the element marked `data-testid="{id}"`.
fn testid(body: &str, id: &str) -> Option<String> {
    let marker = format!("data-testid=\"{id}\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('<')?;
    Some(body[start..start + end].to_owned())
}

fn sso_path(org: &TestOrg) -> String {
    format!("/admin/orgs/{}/identity-providers", org.id)
}

/// An org with two verified domains and its admin's console.
async fn acme(app: &TestApp) -> (TestOrg, Browser) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    app.verify_domain(&org, OTHER_DOMAIN, "manual").await;
    let (b, _) = app.console(&org).await;
    (org, b)
}

/// Posts the "Add OIDC provider" form with `fields` after the CSRF token and the protocol.
async fn add_oidc(b: &Browser, org: &TestOrg, fields: &[(&str, &str)]) -> Page {
    let path = sso_path(org);
    let csrf = b.get(&path).await.csrf();
    let mut form = vec![("csrf", csrf.as_str()), ("protocol", "oidc")];
    form.extend_from_slice(fields);
    b.post(&path, &form).await
}

fn okta(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("name", name),
        ("domain", DOMAIN),
        ("issuer", "https://acme.okta.example"),
        ("client_id", "gatehouse"),
        ("client_secret", SECRET),
        ("scopes", "openid email profile groups"),
        ("enforced", "on"),
    ]
}

async fn providers(app: &TestApp, org: &TestOrg) -> Vec<Value> {
    let r = app.get(org, "/identity-providers").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// Adds Okta through the form and answers its id, read from where the answer sends the admin.
async fn added(b: &Browser, org: &TestOrg) -> String {
    let made = add_oidc(b, org, &okta("Acme Okta")).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let to = made.location.expect("a redirect to the provider's page");
    let prefix = format!("{}/", sso_path(org));
    let id = to
        .strip_prefix(&prefix)
        .expect("the provider's page")
        .split('?')
        .next()
        .unwrap();
    id.to_owned()
}

async fn console_sso_an_oidc_provider_is_added_listed_read_and_edited(app: TestApp) {
    let (org, b) = acme(&app).await;
    let id = added(&b, &org).await;
    let api = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(api.json["protocol"], "oidc");
    assert_eq!(api.json["domains"], json!([DOMAIN]));
    assert_eq!(api.json["client_secret_set"], true);
    assert_eq!(api.json["scopes"], json!(["openid", "email", "profile", "groups"]));
    assert_eq!(api.json["enforced"], true);

    let list = b.get(&sso_path(&org)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("{}/{id}\">Acme Okta</a>", sso_path(&org))),
        "{}",
        list.body
    );
    assert!(list.body.contains("OpenID Connect") && list.body.contains(DOMAIN));
    assert!(list.body.contains(">enforced</span>"));

    let detail_path = format!("{}/{id}", sso_path(&org));
    let detail = b.get(&format!("{detail_path}?notice=idp_created")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Identity provider added."));
    let redirect_uri = testid(&detail.body, "redirect-uri").expect("the redirect URI is shown");
    assert_eq!(
        redirect_uri,
        api.json["redirect_uri"].as_str().unwrap(),
        "the API's value"
    );
    assert_eq!(redirect_uri, format!("{}/oidc/{id}/callback", app.base));
    assert!(!detail.body.contains(SECRET), "the secret is never shown");
    assert!(detail.body.contains("Stored (never shown)"));
    let test_link = format!("/oidc/{id}/login?test=1&#38;next={detail_path}");
    let test_link_alt = format!("/oidc/{id}/login?test=1&amp;next={detail_path}");
    assert!(
        detail.body.contains(&test_link) || detail.body.contains(&test_link_alt),
        "the test sign-in link: {}",
        detail.body
    );
    assert!(
        detail.body.contains("value=\"https://acme.okta.example\""),
        "the edit form is filled"
    );

    // Edit: a new name, both domains, fewer scopes, the secret left blank.
    let saved = b
        .post(
            &detail_path,
            &[
                ("csrf", &detail.csrf()),
                ("name", "Okta"),
                ("domain", DOMAIN),
                ("domain", OTHER_DOMAIN),
                ("issuer", "https://acme.okta.example"),
                ("client_id", "gatehouse-2"),
                ("client_secret", ""),
                ("scopes", "openid email"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let api = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(api.json["name"], "Okta");
    assert_eq!(api.json["client_id"], "gatehouse-2");
    assert_eq!(api.json["domains"], json!([DOMAIN, OTHER_DOMAIN]), "sorted");
    assert_eq!(api.json["scopes"], json!(["openid", "email"]));
    assert_eq!(
        api.json["client_secret_set"], true,
        "a blank secret keeps the stored one"
    );
    assert_eq!(api.json["enforced"], true, "the edit form leaves enforcement alone");
    let all = app.get(&org, "/events?action=identity_provider.updated").await;
    let items = all.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", all.text);
    assert_eq!(items[0]["actor"]["type"], "account");
    assert!(!all.text.contains(SECRET));

    // Enforcement off, then on again, from its buttons.
    let page = b.get(saved.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Identity provider saved."));
    let enforce = format!("{detail_path}/enforce");
    let off = b.post(&enforce, &[("csrf", &page.csrf()), ("enforced", "off")]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    assert_eq!(
        app.get(&org, &format!("/identity-providers/{id}")).await.json["enforced"],
        false
    );
    let shown = b.get(&detail_path).await;
    assert!(shown.body.contains("Enforce single sign-on") && shown.body.contains(">not enforced</span>"));
    let on = b.post(&enforce, &[("csrf", &page.csrf()), ("enforced", "on")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&org, &format!("/identity-providers/{id}")).await.json["enforced"],
        true
    );
    let odd = b.post(&enforce, &[("csrf", &page.csrf()), ("enforced", "maybe")]).await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
}

async fn console_sso_refused_forms_keep_the_input_and_change_nothing(app: TestApp) {
    let (org, b) = acme(&app).await;
    let before = app.snapshot().await;
    // A domain the org has not verified.
    let mut fields = okta("Wiki Okta");
    fields[1] = ("domain", "unverified.test");
    let refused = add_oidc(&b, &org, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.body.contains("unverified.test is not a domain"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Wiki Okta\""), "the name is kept");
    assert!(
        refused.body.contains("value=\"https://acme.okta.example\""),
        "the issuer is kept"
    );
    assert!(
        refused
            .body
            .contains("name=\"domain\" value=\"unverified.test\" checked"),
        "the ticked domain is kept: {}",
        refused.body
    );
    assert!(
        !refused.body.contains(SECRET),
        "a secret is never written back into a page"
    );
    // No issuer.
    let no_issuer = add_oidc(&b, &org, &[("name", "Half"), ("domain", DOMAIN)]).await;
    assert_eq!(no_issuer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_issuer.body.contains("Issuer: is required"), "{}", no_issuer.body);
    // A SAML form with nothing to trust is refused too, its input kept.
    let csrf = b.get(&sso_path(&org)).await.csrf();
    let saml = b
        .post(
            &sso_path(&org),
            &[
                ("csrf", &csrf),
                ("protocol", "saml"),
                ("name", "Acme ADFS"),
                ("domain", DOMAIN),
            ],
        )
        .await;
    assert_eq!(saml.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", saml.body);
    assert!(saml.body.contains("value=\"Acme ADFS\""));
    assert_eq!(app.snapshot().await, before, "refused forms change nothing");
    assert!(providers(&app, &org).await.is_empty());

    // A domain another provider signs in: 409, shown on the form.
    let id = added(&b, &org).await;
    let taken = add_oidc(&b, &org, &okta("Second")).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(taken.body.contains("role=\"alert\""));
    assert!(taken.body.contains("value=\"Second\""));
    assert_eq!(providers(&app, &org).await.len(), 1);

    // A refused edit keeps what was entered and changes nothing.
    let detail_path = format!("{}/{id}", sso_path(&org));
    let page = b.get(&detail_path).await;
    let bad = b
        .post(
            &detail_path,
            &[
                ("csrf", &page.csrf()),
                ("name", "Renamed"),
                ("domain", DOMAIN),
                ("issuer", "ftp://nope.example"),
                ("client_id", "gatehouse"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("value=\"ftp://nope.example\"") && bad.body.contains("value=\"Renamed\""));
    assert!(!bad.body.contains("panicked") && !bad.body.contains("stack"));
    let api = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(api.json["name"], "Acme Okta");
    assert_eq!(api.json["issuer"], "https://acme.okta.example");
    let no_domain = b
        .post(
            &detail_path,
            &[
                ("csrf", &page.csrf()),
                ("name", "Acme Okta"),
                ("issuer", "https://acme.okta.example"),
            ],
        )
        .await;
    assert_eq!(no_domain.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_domain.body);
    assert_eq!(
        app.get(&org, &format!("/identity-providers/{id}")).await.json["domains"],
        json!([DOMAIN])
    );
}

async fn put(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> Value {
    let r = app.call(Method::PUT, org, path, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

async fn console_sso_break_glass_admins_and_default_groups_are_saved_from_checkboxes(app: TestApp) {
    let (org, b) = acme(&app).await;
    let admin = org.admin_account_id.clone();
    let eng = app.create_group(&org, "Engineering").await.to_string();
    let sales = app.create_group(&org, "Sales").await.to_string();
    let page = b.get(&sso_path(&org)).await;
    assert!(
        page.body.contains(&format!("name=\"account_id\" value=\"{admin}\"")),
        "the admin is a choice"
    );
    assert!(page.body.contains(&format!("name=\"group_id\" value=\"{eng}\"")));

    let glass = format!("/admin/orgs/{}/sso/break-glass", org.id);
    let saved = b.post(&glass, &[("csrf", &page.csrf()), ("account_id", &admin)]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let api = app.get(&org, "/sso/break-glass").await;
    assert_eq!(api.json["account_ids"], json!([admin]));
    let shown = b.get(saved.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("Break-glass admins saved."));
    assert!(
        shown
            .body
            .contains(&format!("name=\"account_id\" value=\"{admin}\" checked"))
    );

    // Not an admin: refused, nothing changes.
    let stranger = app
        .create_account(&org, &format!("eve@{DOMAIN}"), "Eve")
        .await
        .to_string();
    let refused = b
        .post(&glass, &[("csrf", &page.csrf()), ("account_id", &stranger)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("is not an admin of this organization"));
    // The last one stays while a provider is enforced: 409, the unticked box shown unticked.
    added(&b, &org).await;
    let emptied = b.post(&glass, &[("csrf", &page.csrf())]).await;
    assert_eq!(emptied.status, StatusCode::CONFLICT, "{}", emptied.body);
    assert!(emptied.body.contains("The last break-glass admin cannot be removed"));
    assert!(
        !emptied.body.contains(&format!("value=\"{admin}\" checked")),
        "the input is kept"
    );
    assert_eq!(
        app.get(&org, "/sso/break-glass").await.json["account_ids"],
        json!([admin])
    );
    let garbled = b
        .post(&glass, &[("csrf", &page.csrf()), ("account_id", "not-an-id")])
        .await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY);

    let groups = format!("/admin/orgs/{}/sso/default-groups", org.id);
    let saved = b
        .post(
            &groups,
            &[("csrf", &page.csrf()), ("group_id", &eng), ("group_id", &sales)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut want = vec![eng.clone(), sales.clone()];
    want.sort();
    assert_eq!(
        app.get(&org, "/sso/default-groups").await.json["group_ids"],
        json!(want)
    );
    let other = app.create_org("Other").await;
    let foreign = app.create_group(&other, "Theirs").await.to_string();
    let refused = b.post(&groups, &[("csrf", &page.csrf()), ("group_id", &foreign)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("is not a group of this organization"));
    assert_eq!(
        app.get(&org, "/sso/default-groups").await.json["group_ids"],
        json!(want)
    );
    let cleared = b.post(&groups, &[("csrf", &page.csrf())]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&org, "/sso/default-groups").await.json["group_ids"], json!([]));
    let events = app
        .get(
            &org,
            "/events?action=sso.break_glass_changed,sso.default_groups_changed",
        )
        .await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 3, "{}", events.text);
    put(&app, &org, "/sso/default-groups", json!({"group_ids": [eng]})).await;
    let page = b.get(&sso_path(&org)).await;
    assert!(
        page.body
            .contains(&format!("name=\"group_id\" value=\"{eng}\" checked"))
    );
    assert!(
        !page
            .body
            .contains(&format!("name=\"group_id\" value=\"{sales}\" checked"))
    );
}

async fn console_sso_posts_without_csrf_and_other_orgs_admins_change_nothing(app: TestApp) {
    let (org, b) = acme(&app).await;
    let id = added(&b, &org).await;
    let detail_path = format!("{}/{id}", sso_path(&org));
    let before = app.snapshot().await;
    let forged = b
        .post(&sso_path(&org), &[("protocol", "oidc"), ("name", "Forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let wrong = b
        .post(
            &format!("{detail_path}/delete"),
            &[("csrf", "not-the-token"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let off = b.post(&format!("{detail_path}/enforce"), &[("enforced", "off")]).await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
    let edit = b.post(&detail_path, &[("name", "Forged"), ("domain", DOMAIN)]).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    let glass = b
        .post(
            &format!("/admin/orgs/{}/sso/break-glass", org.id),
            &[("account_id", &org.admin_account_id)],
        )
        .await;
    assert_eq!(glass.status, StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before, "forged posts change nothing");
    let api = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(
        (api.json["name"].as_str(), api.json["enforced"].as_bool()),
        (Some("Acme Okta"), Some(true))
    );

    // Another org's admin: 404 on Acme's pages, and on Acme's provider under their own org.
    let other = app.create_org("Other").await;
    let (them, _) = app.console(&other).await;
    let before = app.snapshot().await;
    assert_eq!(them.get(&detail_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(them.get(&sso_path(&org)).await.status, StatusCode::NOT_FOUND);
    let theirs = format!("{}/{id}", sso_path(&other));
    assert_eq!(them.get(&theirs).await.status, StatusCode::NOT_FOUND);
    let csrf = them.get(&sso_path(&other)).await.csrf();
    let del = them
        .post(&format!("{theirs}/delete"), &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(del.status, StatusCode::NOT_FOUND);
    let edit = them.post(&theirs, &[("csrf", &csrf), ("name", "Mine now")]).await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    // Posting to Acme's pages with their own (valid) token: Acme is not theirs.
    let acme_glass = format!("/admin/orgs/{}/sso/break-glass", org.id);
    let glass = them.post(&acme_glass, &[("csrf", &csrf)]).await;
    assert_eq!(glass.status, StatusCode::NOT_FOUND);
    let del = them
        .post(&format!("{detail_path}/delete"), &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(del.status, StatusCode::NOT_FOUND);
    assert_eq!(
        them.get(&format!("{}/not-an-id", sso_path(&other))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(providers(&app, &org).await.len(), 1);
}

async fn console_sso_removal_needs_confirmation_and_names_are_escaped(app: TestApp) {
    let (org, b) = acme(&app).await;
    let evil = "<script>alert(1)</script>";
    let made = add_oidc(&b, &org, &okta(evil)).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let detail_path = made.location.unwrap().split('?').next().unwrap().to_owned();
    let detail = b.get(&detail_path).await;
    for page in [&detail.body, &b.get(&sso_path(&org)).await.body] {
        assert!(!page.contains(evil), "markup from a name is never markup");
        assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"));
    }

    let delete = format!("{detail_path}/delete");
    let unconfirmed = b.post(&delete, &[("csrf", &detail.csrf())]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.body.contains("Tick the box"));
    assert_eq!(providers(&app, &org).await.len(), 1, "not removed without confirmation");
    let removed = b.post(&delete, &[("csrf", &detail.csrf()), ("confirm", "yes")]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(providers(&app, &org).await.is_empty());
    assert_eq!(b.get(&detail_path).await.status, StatusCode::NOT_FOUND);
    let list = b.get(removed.location.as_deref().unwrap()).await;
    assert!(list.body.contains("Identity provider removed") && list.body.contains("No identity providers yet."));
    let ev = app.get(&org, "/events?action=identity_provider.deleted").await;
    let items = ev.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", ev.text);
    assert_eq!(items[0]["actor"]["type"], "account");
}

/// Posts the "Add SAML provider" form with `fields` after the CSRF token and the protocol.
async fn add_saml(b: &Browser, org: &TestOrg, fields: &[(&str, &str)]) -> Page {
    let path = sso_path(org);
    let csrf = b.get(&path).await.csrf();
    let mut form = vec![("csrf", csrf.as_str()), ("protocol", "saml")];
    form.extend_from_slice(fields);
    b.post(&path, &form).await
}

/// Posts owned pairs after the CSRF token.
async fn post_owned(b: &Browser, path: &str, csrf: &str, fields: Vec<(String, String)>) -> Page {
    let mut pairs = vec![("csrf", csrf)];
    pairs.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    b.post(path, &pairs).await
}

/// The values a SAML IdP admin pastes, on the provider's page as the admin API serves them.
fn saml_page_shows_what_to_paste(app: &TestApp, page: &Page, api: &Value, id: &str) {
    for (testid_name, field) in [
        ("sp-entity-id", "sp_entity_id"),
        ("acs-url", "acs_url"),
        ("slo-url", "slo_url"),
    ] {
        let shown = testid(&page.body, testid_name).unwrap_or_else(|| panic!("{testid_name} is shown"));
        assert_eq!(shown, api[field].as_str().unwrap(), "{field} as the API serves it");
    }
    assert_eq!(
        testid(&page.body, "sp-entity-id").unwrap(),
        format!("{}/saml/{id}/metadata", app.base),
        "the SP entity id is the metadata URL"
    );
    let ours = api["sp_certificate"].as_str().unwrap();
    assert!(ours.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(testid(&page.body, "sp-certificate").unwrap(), ours, "our certificate");
    assert!(
        testid(&page.body, "redirect-uri").is_none(),
        "no OIDC value on a SAML page"
    );
    assert!(
        page.body.contains(&format!("/saml/{id}/login?test=1")),
        "the test sign-in is SAML's"
    );
}

async fn console_sso_a_saml_provider_is_added_from_metadata_and_edited_by_hand(app: TestApp) {
    let (org, b) = acme(&app).await;
    let idp = TestIdp::new();
    let metadata = idp.metadata_xml();
    let both = add_saml(
        &b,
        &org,
        &[
            ("name", "Acme ADFS"),
            ("domain", DOMAIN),
            ("metadata_xml", &metadata),
            ("metadata_url", "https://idp.test/metadata"),
        ],
    )
    .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", both.body);
    assert!(both.body.contains("not both"), "{}", both.body);
    assert!(
        both.body.contains("value=\"https://idp.test/metadata\""),
        "the URL is kept"
    );
    let made = add_saml(
        &b,
        &org,
        &[
            ("name", "Acme ADFS"),
            ("domain", DOMAIN),
            ("metadata_xml", &metadata),
            ("sign_requests", "on"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let detail_path = made.location.unwrap().split('?').next().unwrap().to_owned();
    let id = detail_path.rsplit('/').next().unwrap().to_owned();
    let api = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(api.json["entity_id"], idp.entity_id, "read from the metadata");
    assert_eq!(api.json["sign_requests"], true);
    assert_eq!(api.json["enforced"], false, "the enforcement box was left unticked");

    let page = b.get(&detail_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    saml_page_shows_what_to_paste(&app, &page, &api.json, &id);
    assert!(page.body.contains("SAML 2.0") && page.body.contains(&idp.sso_url));
    assert!(
        page.body.contains("name=\"sign_requests\" value=\"on\" checked"),
        "the edit form is filled"
    );
    assert!(page.body.contains(&format!("value=\"{}\"", idp.entity_id)));
    assert!(
        !page.body.contains("name=\"client_secret\""),
        "no OIDC field on a SAML form"
    );

    // By hand: a certificate that is not one is refused by name, the input kept.
    let by_hand = |certs: String| {
        vec![
            ("name".to_owned(), "Acme ADFS".to_owned()),
            ("domain".to_owned(), DOMAIN.to_owned()),
            ("entity_id".to_owned(), idp.entity_id.clone()),
            ("sso_url".to_owned(), idp.sso_url.clone()),
            ("certificates".to_owned(), certs),
            ("allow_idp_initiated".to_owned(), "on".to_owned()),
        ]
    };
    let csrf = page.csrf();
    let bad = post_owned(&b, &detail_path, &csrf, by_hand("not a certificate".into())).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("certificate 1"), "{}", bad.body);
    assert!(bad.body.contains(">not a certificate</textarea>"), "the input is kept");
    let same = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(same.json, api.json, "a refused edit changes nothing");
    // Two certificates while the IdP rotates its key.
    let next = TestIdp::new();
    let certs = format!("{}\n{}", idp.certificate().pem(), next.certificate().pem());
    let saved = post_owned(&b, &detail_path, &csrf, by_hand(certs)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = app.get(&org, &format!("/identity-providers/{id}")).await;
    assert_eq!(
        after.json["certificates"].as_array().unwrap().len(),
        2,
        "{}",
        after.text
    );
    assert_eq!(after.json["allow_idp_initiated"], true);
    assert_eq!(after.json["sign_requests"], false, "an unticked box is off");
    assert_eq!(
        after.json["sp_certificate"], api.json["sp_certificate"],
        "ours never changes"
    );
    let list = b.get(&sso_path(&org)).await;
    assert!(list.body.contains("SAML 2.0") && list.body.contains(">not enforced</span>"));
}
