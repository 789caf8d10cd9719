//! SAML single sign-on end to end (issue 14) through real HTTP on both engines, with the test
//! kit's IdP that really signs its XML: sign-in through the IdP then on to a product through
//! our OIDC provider, just-in-time accounts and links, refusals (each audited with its reason,
//! each a plain page), replays at once, IdP-initiated responses, test sign-in and single logout.

use crate::oidc_client::{exchange, front_channel, param, register, relying_party, start};
use crate::sso::events;
use gatehouse_core::ports::Clock;
use gatehouse_testkit::saml_idp::{ResponseSpec, Sign, SigningKey, TestIdp, Xsw};
use gatehouse_testkit::{Browser, Page, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    a_person_signs_in_through_a_saml_idp_then_on_to_a_product,
    later_sign_ins_follow_the_name_id_and_refresh_email_and_name,
    every_refusal_is_audited_with_its_reason_and_shows_a_plain_page,
    an_answer_to_no_request_of_ours_is_refused,
    an_unsolicited_response_is_refused_while_idp_initiated_is_off,
    a_replayed_assertion_is_refused,
    authn_requests_are_signed_when_the_admin_asks,
    the_cleanup_forgets_sign_ins_nobody_finished_and_they_stay_refused,
    one_response_posted_many_times_at_once_signs_in_once,
    idp_initiated_responses_need_the_setting_and_encrypted_assertions_work,
    metadata_and_a_test_sign_in_that_signs_nobody_in,
    single_logout_goes_both_ways,
    metadata_is_fetched_by_url_through_the_guarded_client,
    group_claims_map_to_local_groups_only_and_only_when_turned_on,
);

const DOMAIN: &str = "acme-saml.test";

struct Saml {
    idp: TestIdp,
    json: Value,
}

impl Saml {
    fn id(&self) -> &str {
        self.json["id"].as_str().unwrap()
    }
    fn sp_entity_id(&self) -> &str {
        self.json["sp_entity_id"].as_str().unwrap()
    }
    fn acs_url(&self) -> &str {
        self.json["acs_url"].as_str().unwrap()
    }
    fn acs_path(&self) -> String {
        format!("/saml/{}/acs", self.id())
    }
}

async fn setup(app: &TestApp, extra: Value) -> (TestOrg, Saml) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    let idp = TestIdp::new();
    let mut body = json!({
        "name": "Acme SAML",
        "protocol": "saml",
        "domains": [DOMAIN],
        "metadata_xml": idp.metadata_xml(),
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let made = app.post(&org, "/identity-providers", body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    (org, Saml { idp, json: made.json })
}

/// Starts an SP-initiated sign-in in `b`; the AuthnRequest's id.
async fn start_sign_in(b: &Browser, saml: &Saml, next: &str) -> String {
    let r = b
        .get(&format!("/saml/{}/login?next={}", saml.id(), urlencode(next)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location.unwrap();
    assert!(to.starts_with(&saml.idp.sso_url), "to the IdP: {to}");
    let req = saml.idp.parse_authn_request(&to);
    assert_eq!(req.acs_url, saml.acs_url());
    assert_eq!(req.issuer, saml.sp_entity_id());
    req.id
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}

/// A response the SP accepts for `name_id`, answering `request`.
fn answer(app: &TestApp, saml: &Saml, request: Option<&str>, email: &str) -> ResponseSpec {
    let mut spec = saml
        .idp
        .spec(saml.sp_entity_id(), saml.acs_url(), app.clock.now().millis());
    spec.in_response_to = request.map(str::to_owned);
    email.clone_into(&mut spec.name_id);
    spec.attributes = vec![
        ("email".into(), vec![email.into()]),
        ("displayName".into(), vec!["Ada Lovelace".into()]),
        ("groups".into(), vec!["Engineering".into()]),
    ];
    spec
}

async fn post_acs(b: &Browser, saml: &Saml, response: &str) -> Page {
    b.post(
        &saml.acs_path(),
        &[("SAMLResponse", response), ("RelayState", "ignored")],
    )
    .await
}

async fn a_person_signs_in_through_a_saml_idp_then_on_to_a_product(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let everyone = app.create_group(&org, "Everyone").await;
    let r = app
        .call(
            reqwest::Method::PUT,
            &org,
            "/sso/default-groups",
            Some(json!({"group_ids": [everyone.to_string()]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &["openid", "email"]);
    // A product sends the person to Gatehouse, which has no session: to /login, email first.
    let b = Browser::new(&app.base);
    let authorize = b.client.get(&flow.url).send().await.unwrap();
    let login = authorize.headers()["location"].to_str().unwrap().to_owned();
    let page = b.get(login.trim_start_matches(&app.base)).await;
    let next = gatehouse_testkit::hidden(&page.body, "next")
        .unwrap_or_default()
        .replace("&amp;", "&");
    let step = b
        .post(
            "/login",
            &[
                ("csrf", &page.csrf()),
                ("email", &format!("ada@{DOMAIN}")),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    let to_sp = step.location.unwrap();
    assert!(to_sp.starts_with(&format!("/saml/{}/login", saml.id())), "{to_sp}");
    let r = b.get(&to_sp).await;
    let request = saml.idp.parse_authn_request(&r.location.unwrap()).id;
    let done = post_acs(
        &b,
        &saml,
        &saml
            .idp
            .response(&answer(&app, &saml, Some(&request), &format!("ada@{DOMAIN}"))),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("/oauth2/authorize"),
        "on to the authorize request: {}",
        done.body
    );
    // The account was made just in time, managed, in the default group.
    let created = events(&app, &org, "sso.account_created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    let account = created[0]["targets"][0]["id"].as_str().unwrap().to_owned();
    let a = app.get(&org, &format!("/accounts/{account}")).await;
    assert_eq!(a.json["email"], format!("ada@{DOMAIN}"));
    assert_eq!(a.json["display_name"], "Ada Lovelace");
    assert_eq!(a.json["is_managed"], true, "{}", a.text);
    let members = app.get(&org, &format!("/groups/{everyone}/members")).await;
    assert!(
        members.text.contains(&account),
        "joined the default group: {}",
        members.text
    );
    assert_eq!(events(&app, &org, "sso.signed_in").await.len(), 1);
    // The session goes on to the product: a code, then tokens naming the person.
    let answer = front_channel(&b, &flow.url).await;
    let code = param(&answer, "code").expect("a code");
    let (status, tokens) = exchange(&app, &client, code, flow.verifier.secret()).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = crate::oidc_client::payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], account);
    assert_eq!(id_token["email"], format!("ada@{DOMAIN}"));
}

async fn later_sign_ins_follow_the_name_id_and_refresh_email_and_name(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let sign_in = |email: String, name_id: String| {
        let (app, saml) = (&app, &saml);
        async move {
            let b = Browser::new(&app.base);
            let request = start_sign_in(&b, saml, "/account").await;
            let mut spec = answer(app, saml, Some(&request), &email);
            spec.name_id = name_id;
            spec.name_id_format = Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into());
            post_acs(&b, saml, &saml.idp.response(&spec)).await
        }
    };
    let first = sign_in(format!("ada@{DOMAIN}"), "00u-ada".into()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let account = events(&app, &org, "sso.account_created").await[0]["targets"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Same NameID, a new address on the domain: the same account, its email refreshed.
    let second = sign_in(format!("ada.lovelace@{DOMAIN}"), "00u-ada".into()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let a = app.get(&org, &format!("/accounts/{account}")).await;
    assert_eq!(a.json["email"], format!("ada.lovelace@{DOMAIN}"));
    assert_eq!(
        events(&app, &org, "sso.account_created").await.len(),
        1,
        "no second account"
    );
    assert_eq!(events(&app, &org, "sso.account_updated").await.len(), 1);
    // An address another account has is not taken over: the sign-in goes on, the email stays.
    app.create_account(&org, &format!("grace@{DOMAIN}"), "Grace").await;
    let third = sign_in(format!("grace@{DOMAIN}"), "00u-ada".into()).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);
    let a = app.get(&org, &format!("/accounts/{account}")).await;
    assert_eq!(a.json["email"], format!("ada.lovelace@{DOMAIN}"));
    let conflict = events(&app, &org, "sso.email_conflict").await;
    assert_eq!(conflict.len(), 1);
    assert_eq!(
        conflict[0]["changes"]["after"]["asserted_email"],
        format!("grace@{DOMAIN}")
    );
}

/// Posts `response` (made by `make` for a fresh request) and checks the refusal.
async fn refused(app: &TestApp, org: &TestOrg, saml: &Saml, reason: &str, make: impl FnOnce(&str) -> String) {
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, saml, "/account").await;
    let page = post_acs(&b, saml, &make(&request)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{reason}: {}", page.body);
    assert!(page.body.contains(reason), "the page names {reason}: {}", page.body);
    assert!(!page.body.to_lowercase().contains("panicked") && !page.body.contains("at src/"));
    let failed = events(app, org, "sso.sign_in_failed").await;
    assert!(
        failed.iter().any(|e| e["changes"]["after"]["reason"] == reason),
        "{reason} is in the audit log: {failed:?}"
    );
    assert!(
        b.get("/account").await.status != StatusCode::OK,
        "{reason}: nobody signed in"
    );
}

async fn every_refusal_is_audited_with_its_reason_and_shows_a_plain_page(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let ada = format!("ada@{DOMAIN}");
    let idp = &saml.idp;
    refused(&app, &org, &saml, "unsigned", |r| {
        let mut s = answer(&app, &saml, Some(r), &ada);
        s.sign = Sign::None;
        idp.response(&s)
    })
    .await;
    refused(&app, &org, &saml, "untrusted_key", |r| {
        let mut s = answer(&app, &saml, Some(r), &ada);
        s.sign_with = Some(SigningKey::generate("Mallory IdP"));
        idp.response(&s)
    })
    .await;
    refused(&app, &org, &saml, "signature_wrapping", |r| {
        idp.xsw(Xsw::Xsw3, &answer(&app, &saml, Some(r), &ada))
    })
    .await;
    refused(&app, &org, &saml, "expired", |r| {
        let mut s = answer(&app, &saml, Some(r), &ada);
        s.not_on_or_after_ms = s.now_ms - 600_000;
        s.not_before_ms = s.now_ms - 900_000;
        idp.response(&s)
    })
    .await;
    refused(&app, &org, &saml, "wrong_audience", |r| {
        let mut s = answer(&app, &saml, Some(r), &ada);
        s.audience = "https://another-sp.example/metadata".into();
        idp.response(&s)
    })
    .await;
    refused(&app, &org, &saml, "dtd_refused", |_| {
        use base64::Engine as _;
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>"#;
        base64::engine::general_purpose::STANDARD.encode(xxe)
    })
    .await;
    refused(&app, &org, &saml, "email_outside_domains", |r| {
        idp.response(&answer(&app, &saml, Some(r), "ada@elsewhere.test"))
    })
    .await;
}

async fn an_answer_to_no_request_of_ours_is_refused(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let ada = format!("ada@{DOMAIN}");
    refused(&app, &org, &saml, "wrong_in_response_to", |_| {
        saml.idp.response(&answer(&app, &saml, Some("_not-our-request"), &ada))
    })
    .await;
}

async fn an_unsolicited_response_is_refused_while_idp_initiated_is_off(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let ada = format!("ada@{DOMAIN}");
    refused(&app, &org, &saml, "unsolicited_response", |_| {
        saml.idp.response(&answer(&app, &saml, None, &ada))
    })
    .await;
}

async fn a_replayed_assertion_is_refused(app: TestApp) {
    let (org, saml) = setup(&app, json!({"allow_idp_initiated": true})).await;
    let ada = format!("ada@{DOMAIN}");
    // Answering our request: the request is taken by the first post.
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, &saml, "/account").await;
    let response = saml.idp.response(&answer(&app, &saml, Some(&request), &ada));
    assert_eq!(post_acs(&b, &saml, &response).await.status, StatusCode::OK);
    let again = post_acs(&Browser::new(&app.base), &saml, &response).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
    // Unsolicited (allowed here): the assertion id itself is remembered.
    let response = saml.idp.response(&answer(&app, &saml, None, &ada));
    assert_eq!(
        post_acs(&Browser::new(&app.base), &saml, &response).await.status,
        StatusCode::OK
    );
    let again = post_acs(&Browser::new(&app.base), &saml, &response).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
    assert!(again.body.contains("assertion_replayed"), "{}", again.body);
    let failed = events(&app, &org, "sso.sign_in_failed").await;
    let reasons: Vec<&Value> = failed.iter().map(|e| &e["changes"]["after"]["reason"]).collect();
    assert!(reasons.contains(&&json!("assertion_replayed")), "{reasons:?}");
    assert!(reasons.contains(&&json!("wrong_in_response_to")), "{reasons:?}");
    assert_eq!(
        events(&app, &org, "sso.signed_in").await.len(),
        2,
        "two sign-ins, not four"
    );
}

async fn one_response_posted_many_times_at_once_signs_in_once(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, &saml, "/account").await;
    let response = saml
        .idp
        .response(&answer(&app, &saml, Some(&request), &format!("ada@{DOMAIN}")));
    let posts = (0..12).map(|_| {
        let (base, path, response) = (app.base.clone(), saml.acs_path(), response.clone());
        async move {
            Browser::new(&base)
                .post(&path, &[("SAMLResponse", response.as_str())])
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(posts).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1, "exactly one post signs in: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    assert_eq!(events(&app, &org, "sso.account_created").await.len(), 1);
    assert_eq!(events(&app, &org, "sso.signed_in").await.len(), 1);
}

async fn idp_initiated_responses_need_the_setting_and_encrypted_assertions_work(app: TestApp) {
    let (org, saml) = setup(&app, json!({"allow_idp_initiated": true})).await;
    let ada = format!("ada@{DOMAIN}");
    let b = Browser::new(&app.base);
    let page = post_acs(&b, &saml, &saml.idp.response(&answer(&app, &saml, None, &ada))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("/account"));
    assert_eq!(b.get("/account").await.status, StatusCode::OK, "signed in");
    // An encrypted assertion, to our certificate from the API.
    let cert = gatehouse_saml::Certificate::parse(saml.json["sp_certificate"].as_str().unwrap()).unwrap();
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, &saml, "/account").await;
    let mut spec = answer(&app, &saml, Some(&request), &ada);
    spec.encrypt_to = Some(cert.clone());
    let page = post_acs(&b, &saml, &saml.idp.response(&spec)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(events(&app, &org, "sso.signed_in").await.len(), 2);
    // Its key sent with RSA PKCS#1 v1.5: refused until the admin allows it for this provider.
    let rsa1_5 = |request: &str| {
        let mut spec = answer(&app, &saml, Some(request), &ada);
        spec.encrypt_to = Some(cert.clone());
        spec.key_transport = gatehouse_saml::RSA_1_5;
        saml.idp.response(&spec)
    };
    refused(&app, &org, &saml, "weak_algorithm", rsa1_5).await;
    let path = format!("/identity-providers/{}", saml.id());
    let allowed = app.patch(&org, &path, json!({"allow_rsa1_5": true})).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    assert_eq!(allowed.json["allow_rsa1_5"], true);
    assert_eq!(allowed.json["allow_sha1"], false, "the other settings stay");
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, &saml, "/account").await;
    let page = post_acs(&b, &saml, &rsa1_5(&request)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(events(&app, &org, "sso.signed_in").await.len(), 3);
}

async fn metadata_and_a_test_sign_in_that_signs_nobody_in(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let md = reqwest::get(saml.sp_entity_id()).await.unwrap();
    assert_eq!(md.status(), StatusCode::OK);
    let xml = md.text().await.unwrap();
    assert!(xml.contains(&format!("entityID=\"{}\"", saml.sp_entity_id())), "{xml}");
    assert!(xml.contains(saml.acs_url()));
    let other = reqwest::get(format!("{}/saml/{}/metadata", app.base, uuid::Uuid::now_v7()))
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    // Nobody signed in: the test sign-in asks for one first.
    let anon = Browser::new(&app.base)
        .get(&format!("/saml/{}/login?test=1", saml.id()))
        .await;
    assert!(anon.location.unwrap_or_default().starts_with("/login"));
    let (admin, _) = app.console(&org).await;
    let request = start_sign_in_test(&admin, &saml).await;
    let page = post_acs(
        &admin,
        &saml,
        &saml
            .idp
            .response(&answer(&app, &saml, Some(&request), &format!("ada@{DOMAIN}"))),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Test sign-in"), "{}", page.body);
    assert!(page.body.contains(&format!("ada@{DOMAIN}")) && page.body.contains("Engineering"));
    assert!(
        events(&app, &org, "sso.account_created").await.is_empty(),
        "nobody was created"
    );
    assert_eq!(events(&app, &org, "sso.test_sign_in").await.len(), 1);
}

async fn start_sign_in_test(b: &Browser, saml: &Saml) -> String {
    let r = b.get(&format!("/saml/{}/login?test=1&next=/admin", saml.id())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    saml.idp.parse_authn_request(&r.location.unwrap()).id
}

async fn single_logout_goes_both_ways(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let ada = format!("ada@{DOMAIN}");
    let signed_in = || async {
        let b = Browser::new(&app.base);
        let request = start_sign_in(&b, &saml, "/account").await;
        let page = post_acs(
            &b,
            &saml,
            &saml.idp.response(&answer(&app, &saml, Some(&request), &ada)),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        b
    };
    // We sign out: the session ends and the browser goes on to the IdP with a LogoutRequest.
    let b = signed_in().await;
    let account = b.get("/account").await;
    let out = b.post("/logout", &[("csrf", &account.csrf())]).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    let slo = saml.idp.slo_url.clone();
    assert!(
        out.body.contains(&slo) && out.body.contains("SAMLRequest="),
        "{}",
        out.body
    );
    assert_ne!(b.get("/account").await.status, StatusCode::OK, "signed out here");
    // The IdP signs out: its signed LogoutRequest ends this browser's session and is answered.
    let b = signed_in().await;
    let sp_slo = saml.json["slo_url"].as_str().unwrap();
    let url = saml.idp.logout_request_url(sp_slo, &ada, None, None);
    let r = b.get(url.trim_start_matches(&app.base)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.unwrap().starts_with(&slo), "answered at the IdP");
    assert_ne!(
        b.get("/account").await.status,
        StatusCode::OK,
        "the IdP's logout ended it"
    );
    // A LogoutRequest signed by another key changes nothing.
    let b = signed_in().await;
    let forged = TestIdp::new().logout_request_url(sp_slo, &ada, None, None);
    let r = b.get(forged.trim_start_matches(&app.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(b.get("/account").await.status, StatusCode::OK, "still signed in");
    // The IdP's own signed LogoutRequest, found ten minutes later, changes nothing either.
    let times = gatehouse_testkit::saml_idp::LogoutTimes {
        issued_ms: app.state.services.now().millis() - 10 * 60_000,
        not_on_or_after_ms: None,
    };
    let stale = saml.idp.logout_request_url_at(times, sp_slo, &ada, None, None);
    let r = b.get(stale.trim_start_matches(&app.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("expired"), "{}", r.body);
    assert_eq!(b.get("/account").await.status, StatusCode::OK, "still signed in");
    let failed = events(&app, &org, "sso.sign_in_failed").await;
    assert!(
        failed.iter().any(|e| e["changes"]["after"]["reason"] == "expired"),
        "{failed:?}"
    );
}

async fn metadata_is_fetched_by_url_through_the_guarded_client(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    let idp = TestIdp::new();
    app.dns.set_a("md.acme.test", std::net::Ipv4Addr::LOCALHOST);
    app.https.set(
        "md.acme.test",
        gatehouse_testkit::https::FileAnswer::Body(idp.metadata_xml()),
    );
    let url = format!(
        "https://md.acme.test:{}{}",
        app.https.addr.port(),
        gatehouse_core::domain::HTTPS_PATH
    );
    let body = |u: &str| json!({"name": "By URL", "protocol": "saml", "domains": [DOMAIN], "metadata_url": u});
    let bad = app
        .post(&org, "/identity-providers", body("ftp://md.acme.test/metadata"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let missing = format!("https://nowhere.acme.test:{}/", app.https.addr.port());
    let bad = app.post(&org, "/identity-providers", body(&missing)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        !bad.text.contains("dns") && !bad.text.contains("error trying"),
        "a coarse reason: {}",
        bad.text
    );
    let made = app.post(&org, "/identity-providers", body(&url)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.json["entity_id"], idp.entity_id);
    assert_eq!(made.json["sso_url"], idp.sso_url);
}

/// Without the lab setting, a metadata URL that resolves to a private address is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_url_on_a_private_address_is_refused() {
    let app = TestApp::spawn_with(gatehouse_testkit::Dialect::Sqlite, |c| {
        c.outbound.allow_private_addresses = false;
    })
    .await;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    app.dns.set_a("internal.acme.test", std::net::Ipv4Addr::LOCALHOST);
    app.https.set(
        "internal.acme.test",
        gatehouse_testkit::https::FileAnswer::Body(TestIdp::new().metadata_xml()),
    );
    let url = format!(
        "https://internal.acme.test:{}{}",
        app.https.addr.port(),
        gatehouse_core::domain::HTTPS_PATH
    );
    let r = app
        .post(
            &org,
            "/identity-providers",
            json!({"name": "x", "protocol": "saml", "domains": [DOMAIN], "metadata_url": url}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("unreachable"), "{}", r.text);
    assert_eq!(app.get(&org, "/identity-providers").await.json["items"], json!([]));
}

async fn group_claims_map_to_local_groups_only_and_only_when_turned_on(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let engineering = app.create_group(&org, "engineering").await;
    let dir = app.directory(&org, "Okta").await;
    let owned = app
        .scim(&dir)
        .call(
            reqwest::Method::POST,
            "/Groups",
            Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Directory Staff"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::CREATED, "{}", owned.text);
    let sign_in = |email: String| {
        let (app, saml) = (&app, &saml);
        async move {
            let b = Browser::new(&app.base);
            let request = start_sign_in(&b, saml, "/account").await;
            let mut spec = answer(app, saml, Some(&request), &email);
            spec.attributes.retain(|(k, _)| k != "groups");
            spec.attributes
                .push(("groups".into(), vec!["Engineering".into(), "Directory Staff".into()]));
            let page = post_acs(&b, saml, &saml.idp.response(&spec)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        }
    };
    let members = |group: String| {
        let (app, org) = (&app, &org);
        async move { app.get(org, &format!("/groups/{group}/members")).await.text }
    };
    sign_in(format!("off@{DOMAIN}")).await;
    assert!(
        !members(engineering.to_string())
            .await
            .contains(&format!("off@{DOMAIN}")),
        "mapping is off by default"
    );
    let r = app
        .patch(
            &org,
            &format!("/identity-providers/{}", saml.id()),
            json!({"map_groups": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    sign_in(format!("on@{DOMAIN}")).await;
    let eng = members(engineering.to_string()).await;
    assert!(
        eng.contains(&format!("on@{DOMAIN}")),
        "a local group of that name (any case): {eng}"
    );
    let groups = app.get(&org, "/groups?limit=100").await;
    let staff = groups.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Directory Staff")
        .expect("the directory's group")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = members(staff).await;
    assert!(
        !staff.contains(&format!("on@{DOMAIN}")),
        "never a group the directory owns: {staff}"
    );
    assert!(staff.contains("items"), "{staff}");
}

async fn authn_requests_are_signed_when_the_admin_asks(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let ours = gatehouse_saml::Certificate::parse(saml.json["sp_certificate"].as_str().unwrap()).unwrap();
    let b = Browser::new(&app.base);
    let r = b.get(&format!("/saml/{}/login", saml.id())).await;
    let plain = saml.idp.parse_authn_request(&r.location.unwrap());
    assert!(plain.sig_alg.is_none(), "unsigned unless asked");
    let r = app
        .patch(
            &org,
            &format!("/identity-providers/{}", saml.id()),
            json!({"sign_requests": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = b.get(&format!("/saml/{}/login", saml.id())).await;
    let signed = saml.idp.parse_authn_request(&r.location.unwrap());
    assert!(
        signed.signature_verifies(&ours),
        "signed with our key, verified with our certificate"
    );
    assert!(!signed.signature_verifies(&saml.idp.certificate()), "not with another");
}

async fn the_cleanup_forgets_sign_ins_nobody_finished_and_they_stay_refused(app: TestApp) {
    let (org, saml) = setup(&app, json!({})).await;
    let b = Browser::new(&app.base);
    let request = start_sign_in(&b, &saml, "/account").await;
    assert_eq!(
        app.state.services.sso.prune().await.unwrap(),
        0,
        "nothing has expired yet"
    );
    app.clock.advance_secs(gatehouse_core::sso::REQUEST_SECS + 1);
    assert_eq!(
        app.state.services.sso.prune().await.unwrap(),
        1,
        "the unfinished sign-in is deleted"
    );
    refused(&app, &org, &saml, "wrong_in_response_to", |_| {
        saml.idp
            .response(&answer(&app, &saml, Some(&request), &format!("ada@{DOMAIN}")))
    })
    .await;
}
