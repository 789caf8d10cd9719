//! Domains over real DNS (a DNS server on loopback) and real HTTPS (a server with a test CA),
//! through the API, on both engines.

use gatehouse_testkit::dns::Answer;
use gatehouse_testkit::https::FileAnswer;
use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    a_dns_txt_record_verifies_the_domain_and_claims_its_accounts,
    an_https_file_verifies_when_dns_has_no_record,
    wrong_tokens_and_broken_lookups_never_verify,
    consumer_domains_and_domains_verified_elsewhere_are_refused,
    two_orgs_racing_to_verify_one_domain_leave_one_verified,
    manual_claims_take_a_chosen_subset_and_removal_releases_them,
    the_daily_recheck_warns_then_unverifies_when_the_proof_is_gone,
    inactive_accounts_can_be_listed,
    managed_accounts_change_email_only_within_verified_domains_and_delete_after_a_grace_period,
);

async fn add(app: &TestApp, org: &TestOrg, name: &str, mode: &str) -> Value {
    let r = app
        .post(org, "/domains", json!({"name": name, "claim_mode": mode}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

pub(crate) async fn verify(app: &TestApp, org: &TestOrg, d: &Value) -> Value {
    let r = app
        .post(
            org,
            &format!("/domains/{}/verify", d["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

fn managed_emails(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn a_dns_txt_record_verifies_the_domain_and_claims_its_accounts(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    // Globex made an account on acme.test before Acme proved it owns the domain.
    let bob = app
        .post(
            &globex,
            "/accounts",
            json!({"email":"bob@acme.test","display_name":"Bob"}),
        )
        .await;
    assert_eq!(
        bob.json["is_managed"], false,
        "Globex never verified acme.test, so it does not manage what it creates there"
    );
    let d = add(&app, &acme, "Acme.TEST.", "automatic").await;
    assert_eq!(d["name"], "acme.test");
    assert_eq!(d["status"], "pending");
    let token = d["token"].as_str().unwrap();
    // The record is split in two strings, among other TXT records, as DNS hosts often do.
    let (head, tail) = d["txt_record"].as_str().unwrap().split_at(20);
    app.dns.set_txt(
        "acme.test",
        &[&["v=spf1 -all"], &[head, tail], &["google-site-verification=abc"]],
    );
    let v = verify(&app, &acme, &d).await;
    assert_eq!(v["domain"]["status"], "verified", "{v}");
    assert_eq!(v["domain"]["verified_method"], "dns");
    assert_eq!(v["claimed_accounts"], 1);
    let managed = app.get(&acme, "/accounts?managed=true&domain=acme.test").await;
    assert_eq!(managed_emails(&managed.json), vec!["bob@acme.test"]);
    let at_globex = app
        .get(&globex, &format!("/accounts/{}", bob.json["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        at_globex.json["is_managed"], false,
        "management moved to the domain's owner"
    );
    // Accounts made later on the domain, by anyone, are Acme's to manage.
    let carol = app
        .post(
            &globex,
            "/accounts",
            json!({"email":"carol@acme.test","display_name":"Carol"}),
        )
        .await;
    assert_eq!(carol.json["is_managed"], false);
    let managed = app.get(&acme, "/accounts?managed=true&domain=acme.test").await;
    assert_eq!(managed_emails(&managed.json), vec!["bob@acme.test", "carol@acme.test"]);
    for action in ["domain.added", "domain.verified", "domain.accounts_claimed"] {
        assert!(
            !app.get(&acme, &format!("/events?action={action}")).await.json["items"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{action}"
        );
    }
    let detail = app.get(&acme, &format!("/domains/{}", d["id"].as_str().unwrap())).await;
    assert_eq!(detail.json["checks"][0]["outcome"], "found");
    assert!(!detail.text.contains(&format!("\"secret\":\"{token}\"")));
}

async fn an_https_file_verifies_when_dns_has_no_record(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = add(&app, &org, "web.acme.test", "automatic").await;
    app.dns.set_a("web.acme.test", std::net::Ipv4Addr::LOCALHOST);
    app.https.set(
        "web.acme.test",
        FileAnswer::Body(format!("{}\n", d["token"].as_str().unwrap())),
    );
    let v = verify(&app, &org, &d).await;
    assert_eq!(v["domain"]["status"], "verified", "{v}");
    assert_eq!(v["domain"]["verified_method"], "https");
    assert_eq!(v["checks"][0]["method"], "dns");
    assert_eq!(v["checks"][0]["outcome"], "missing");
}

/// Sets up the DNS zone and web server for one case.
type Arrange = Box<dyn Fn(&TestApp, &str)>;

async fn wrong_tokens_and_broken_lookups_never_verify(app: TestApp) {
    let org = app.create_org("Acme").await;
    let cases: Vec<(&str, Arrange, &str)> = vec![
        (
            "wrong.acme.test",
            Box::new(|a: &TestApp, n: &str| a.dns.set_txt(n, &[&["gatehouse-domain-verification=not-the-token"]])),
            "another token",
        ),
        (
            "nx.acme.test",
            Box::new(|a: &TestApp, n: &str| a.dns.set_behavior(n, Answer::NxDomain)),
            "NXDOMAIN",
        ),
        (
            "servfail.acme.test",
            Box::new(|a: &TestApp, n: &str| a.dns.set_behavior(n, Answer::ServFail)),
            "dns: unreachable",
        ),
        (
            "silent.acme.test",
            Box::new(|a: &TestApp, n: &str| a.dns.set_behavior(n, Answer::Silent)),
            "dns: timeout",
        ),
        (
            "redirect.acme.test",
            Box::new(|a: &TestApp, n: &str| {
                a.dns.set_a(n, std::net::Ipv4Addr::LOCALHOST);
                a.https.set(
                    n,
                    FileAnswer::RedirectTo(format!(
                        "https://elsewhere.acme.test:{}/.well-known/gatehouse-domain-verification.txt",
                        a.https.addr.port()
                    )),
                );
            }),
            "https: bad status",
        ),
        (
            "big.acme.test",
            Box::new(|a: &TestApp, n: &str| {
                a.dns.set_a(n, std::net::Ipv4Addr::LOCALHOST);
                a.https.set(n, FileAnswer::Body("x".repeat(5000)));
            }),
            "https: too large",
        ),
        (
            "gone.acme.test",
            Box::new(|a: &TestApp, n: &str| {
                a.dns.set_a(n, std::net::Ipv4Addr::LOCALHOST);
                a.https.set(n, FileAnswer::Status(404));
            }),
            "https: bad status",
        ),
    ];
    for (name, arrange, expected) in cases {
        let d = add(&app, &org, name, "automatic").await;
        arrange(&app, name);
        let v = verify(&app, &org, &d).await;
        assert_eq!(v["domain"]["status"], "pending", "{name}: {v}");
        let details = v["domain"]["last_check_detail"].as_str().unwrap();
        assert!(details.contains(expected), "{name}: {details}");
        // A coarse reason, never the transport's story (addresses, ports, resolver errors).
        for leak in ["127.0.0.1", "elsewhere", "5000", "404", "SERVFAIL", "error"] {
            assert!(!details.contains(leak), "{name}: {details}");
        }
    }
}

async fn consumer_domains_and_domains_verified_elsewhere_are_refused(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let before = app.snapshot().await;
    let r = app.post(&acme, "/domains", json!({"name":"GMail.com"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "consumer_domain");
    for bad in ["https://acme.test", "acme", "*.acme.test", "acme.test/x"] {
        let r = app.post(&acme, "/domains", json!({"name": bad})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.json["errors"][0]["field"], "name");
    }
    assert_eq!(app.snapshot().await, before);
    let idn = add(&app, &acme, "Bücher.test", "manual").await;
    assert_eq!(idn["name"], "xn--bcher-kva.test");
    let dup = app.post(&acme, "/domains", json!({"name":"xn--bcher-kva.test"})).await;
    assert_eq!(dup.code(), "domain_exists");
    let d = add(&app, &acme, "owned.test", "automatic").await;
    app.dns.set_txt("owned.test", &[&[d["txt_record"].as_str().unwrap()]]);
    verify(&app, &acme, &d).await;
    let r = app.post(&globex, "/domains", json!({"name":"owned.test"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "domain_verified_elsewhere");
    let sub = add(&app, &globex, "eu.owned.test", "automatic").await;
    assert_eq!(sub["status"], "pending", "a subdomain is its own domain");
    let other = app
        .get(&globex, &format!("/domains/{}", d["id"].as_str().unwrap()))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

async fn two_orgs_racing_to_verify_one_domain_leave_one_verified(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let a = add(&app, &acme, "contested.test", "automatic").await;
    let g = add(&app, &globex, "contested.test", "automatic").await;
    app.dns.set_txt(
        "contested.test",
        &[
            &[a["txt_record"].as_str().unwrap()],
            &[g["txt_record"].as_str().unwrap()],
        ],
    );
    let (pa, pg) = (
        format!("/domains/{}/verify", a["id"].as_str().unwrap()),
        format!("/domains/{}/verify", g["id"].as_str().unwrap()),
    );
    let (ra, rg) = tokio::join!(app.post(&acme, &pa, json!({})), app.post(&globex, &pg, json!({})));
    let statuses = [ra.status, rg.status];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let loser = if ra.status == StatusCode::CONFLICT { &ra } else { &rg };
    assert_eq!(loser.code(), "domain_verified_elsewhere");
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM domains WHERE name = 'contested.test' AND status = 'verified'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(n, 1);
}

async fn manual_claims_take_a_chosen_subset_and_removal_releases_them(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let mut ids = Vec::new();
    for who in ["a", "b", "c"] {
        let r = app
            .post(
                &globex,
                "/accounts",
                json!({"email": format!("{who}@manual.test"), "display_name": who}),
            )
            .await;
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let d = add(&app, &acme, "manual.test", "manual").await;
    let id = d["id"].as_str().unwrap();
    let early = app.post(&acme, &format!("/domains/{id}/claim"), json!({})).await;
    assert_eq!(early.code(), "domain_not_verified");
    app.dns.set_txt("manual.test", &[&[d["txt_record"].as_str().unwrap()]]);
    assert_eq!(
        verify(&app, &acme, &d).await["claimed_accounts"],
        0,
        "manual: nothing claimed yet"
    );
    let one = app
        .post(&acme, &format!("/domains/{id}/claim"), json!({"account_ids": [ids[0]]}))
        .await;
    assert_eq!(one.json["claimed_accounts"], 1);
    assert_eq!(
        managed_emails(&app.get(&acme, "/accounts?managed=true&domain=manual.test").await.json),
        vec!["a@manual.test"]
    );
    let rest = app.post(&acme, &format!("/domains/{id}/claim"), json!({})).await;
    assert_eq!(rest.json["claimed_accounts"], 2);
    assert_eq!(
        app.delete(&acme, &format!("/domains/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.get(&acme, "/accounts?managed=true&domain=manual.test").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let released = app.get(&acme, "/events?action=domain.unverified").await;
    assert_eq!(released.json["items"][0]["changes"]["after"]["released_accounts"], 3);
}

async fn the_daily_recheck_warns_then_unverifies_when_the_proof_is_gone(app: TestApp) {
    let org = app.create_org("Acme").await;
    let other = app.create_org("Other").await;
    // Made elsewhere, so Acme manages it only through the domain.
    app.post(
        &other,
        "/accounts",
        json!({"email":"dev@fleeting.test","display_name":"Dev"}),
    )
    .await;
    let d = add(&app, &org, "fleeting.test", "automatic").await;
    app.dns
        .set_txt("fleeting.test", &[&[d["txt_record"].as_str().unwrap()]]);
    assert_eq!(verify(&app, &org, &d).await["claimed_accounts"], 1);
    let never = add(&app, &org, "never.test", "automatic").await;
    app.dns.remove("fleeting.test");
    app.clock.advance_secs(86_400 + 60);
    let (checked, failures) = app.state.services.domains.run_checks().await.unwrap();
    assert!(checked >= 2 && failures.is_empty(), "{failures:?}");
    let got = app.get(&org, &format!("/domains/{}", d["id"].as_str().unwrap())).await;
    assert_eq!(got.json["status"], "verified");
    assert!(got.json["proof_missing_since"].is_string());
    assert_eq!(
        app.get(&org, "/events?action=domain.proof_missing").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.clock.advance_secs(8 * 86_400);
    app.state.services.domains.run_checks().await.unwrap();
    let got = app.get(&org, &format!("/domains/{}", d["id"].as_str().unwrap())).await;
    assert_eq!(got.json["status"], "pending", "unverified after the grace period");
    assert!(
        app.get(&org, "/accounts?managed=true&domain=fleeting.test").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.clock.advance_secs(22 * 86_400);
    app.state.services.domains.run_checks().await.unwrap();
    let got = app
        .get(&org, &format!("/domains/{}", never["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.json["status"], "failed", "pending past its 30-day window");
}

async fn managed_accounts_change_email_only_within_verified_domains_and_delete_after_a_grace_period(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = add(&app, &org, "corp.test", "automatic").await;
    app.dns.set_txt("corp.test", &[&[d["txt_record"].as_str().unwrap()]]);
    verify(&app, &org, &d).await;
    let acc = app
        .post(&org, "/accounts", json!({"email":"old@corp.test","display_name":"Old"}))
        .await;
    let id = acc.json["id"].as_str().unwrap();
    let ok = app
        .patch(&org, &format!("/accounts/{id}"), json!({"email":"New@Corp.test"}))
        .await;
    assert_eq!(ok.json["email"], "new@corp.test", "{}", ok.text);
    let outside = app
        .patch(&org, &format!("/accounts/{id}"), json!({"email":"new@elsewhere.test"}))
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert_eq!(outside.code(), "email_domain_not_verified");
    let scheduled = app.delete(&org, &format!("/accounts/{id}")).await;
    assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.text);
    assert_eq!(scheduled.json["status"], "deactivated");
    assert!(scheduled.json["delete_after"].is_string());
    let cancel = app
        .post(&org, &format!("/accounts/{id}/cancel-deletion"), json!({}))
        .await;
    assert_eq!(cancel.json["status"], "active");
    assert!(cancel.json["delete_after"].is_null());
    app.delete(&org, &format!("/accounts/{id}")).await;
    app.clock.advance_secs(13 * 86_400);
    assert_eq!(
        app.state.services.accounts.purge_deleted().await.unwrap(),
        0,
        "not before 14 days"
    );
    app.clock.advance_secs(2 * 86_400);
    assert_eq!(app.state.services.accounts.purge_deleted().await.unwrap(), 1);
    assert_eq!(
        app.get(&org, &format!("/accounts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let ev = app.get(&org, "/events?action=account.deleted").await;
    assert_eq!(ev.json["items"][0]["actor"]["type"], "system");
    // External users: access to the org's products, not on a verified domain.
    let ext = app
        .post(
            &org,
            "/accounts",
            json!({"email":"guest@partner.test","display_name":"Guest"}),
        )
        .await;
    let other = app.create_org("Partner").await;
    let guest = app
        .post(
            &other,
            "/accounts",
            json!({"email":"visitor@partner.test","display_name":"Visitor"}),
        )
        .await;
    app.post(
        &org,
        "/accounts",
        json!({"email":"visitor@partner.test","display_name":"Visitor"}),
    )
    .await;
    let external = app.get(&org, "/accounts?managed=false").await;
    let emails = managed_emails(&external.json);
    assert!(emails.contains(&"visitor@partner.test".to_owned()), "{emails:?}");
    assert!(
        emails.contains(&"guest@partner.test".to_owned()),
        "Acme created guest on a domain it has not verified, so does not manage it"
    );
    assert_eq!((ext.status, guest.status), (StatusCode::CREATED, StatusCode::CREATED));
}

async fn inactive_accounts_can_be_listed(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.post(
        &org,
        "/accounts",
        json!({"email":"idle@acme.test","display_name":"Idle"}),
    )
    .await;
    let (_, admin_email) = app.console(&org).await;
    let since = app.clock_now();
    let idle = app.get(&org, &format!("/accounts?inactive_since={since}")).await;
    let emails = managed_emails(&idle.json);
    assert!(emails.contains(&"idle@acme.test".to_owned()));
    assert!(
        !emails.contains(&admin_email),
        "signing in to the console counts as activity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_checks_refuse_private_addresses_unless_allowed() {
    let app = TestApp::spawn_with(gatehouse_testkit::Dialect::Sqlite, |c| {
        c.outbound.allow_private_addresses = false;
    })
    .await;
    let org = app.create_org("Acme").await;
    let d = add(&app, &org, "internal.acme.test", "automatic").await;
    app.dns.set_a("internal.acme.test", std::net::Ipv4Addr::LOCALHOST);
    app.https.set(
        "internal.acme.test",
        FileAnswer::Body(d["token"].as_str().unwrap().to_owned()),
    );
    let v = verify(&app, &org, &d).await;
    assert_eq!(v["domain"]["status"], "pending");
    assert_eq!(v["checks"][1]["detail"], "unreachable", "{v}");
}
