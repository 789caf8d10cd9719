//! SSRF: the domain prover's HTTPS check never reaches a forbidden address (however the name or
//! its records spell it), only hosts the operator named may lead to private addresses, and
//! callers (the API answer, the stored check, the audit log) see a coarse reason, never the
//! error chain that would map the network behind Gatehouse.

use super::domains::verify;
use gatehouse_testkit::https::FileAnswer;
use gatehouse_testkit::{Dialect, TestApp, TestOrg};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::{Ipv4Addr, Ipv6Addr};

gatehouse_testkit::dialect_tests!(
    names_the_url_parser_reads_as_addresses_cannot_be_added,
    https_checks_never_reach_forbidden_addresses_and_say_only_unreachable,
    named_private_hosts_verify_when_the_operator_allows_them,
    tls_and_connection_failures_show_a_coarse_reason_in_answers_checks_and_events,
);

/// A server that guards outbound requests as production does, except for `allow_hosts`.
async fn guarded(dialect: Dialect, allow_hosts: &[&str]) -> TestApp {
    let hosts: Vec<String> = allow_hosts.iter().map(|h| (*h).to_owned()).collect();
    TestApp::spawn_with(dialect, move |c| {
        c.outbound.allow_private_addresses = false;
        c.outbound.allow_hosts = hosts;
    })
    .await
}

async fn add(app: &TestApp, org: &TestOrg, name: &str) -> Value {
    let r = app
        .post(org, "/domains", json!({"name": name, "claim_mode": "automatic"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

/// Adds `name`, serves its token over HTTPS, and verifies.
async fn add_served_and_verify(app: &TestApp, org: &TestOrg, name: &str) -> Value {
    let d = add(app, org, name).await;
    app.https
        .set(name, FileAnswer::Body(d["token"].as_str().unwrap().to_owned()));
    verify(app, org, &d).await
}

async fn names_the_url_parser_reads_as_addresses_cannot_be_added(dialect: Dialect) {
    let app = guarded(dialect, &[]).await;
    let org = app.create_org("Acme").await;
    let before = app.snapshot().await;
    for name in ["0x7f.0x1", "1.2.3.0x4", "2130706433", "0177.0.0.1", "127.1", "10.0.0.1"] {
        let r = app.post(&org, "/domains", json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.text);
        assert_eq!(r.json["errors"][0]["field"], "name", "{name}: {}", r.text);
    }
    assert_eq!(app.snapshot().await, before, "a refused name changes nothing");
}

async fn https_checks_never_reach_forbidden_addresses_and_say_only_unreachable(dialect: Dialect) {
    let app = guarded(dialect, &[]).await;
    let org = app.create_org("Acme").await;
    // Each name's records lead to a forbidden address; the ones leading to 127.0.0.1 would
    // reach the test HTTPS server, which serves the token, if the rule let them through.
    let v4: [(&str, Ipv4Addr); 7] = [
        ("loop.acme.test", Ipv4Addr::LOCALHOST),
        ("ten.acme.test", Ipv4Addr::new(10, 0, 0, 1)),
        ("metadata.acme.test", Ipv4Addr::new(169, 254, 169, 254)),
        ("cgnat.acme.test", Ipv4Addr::new(100, 64, 0, 1)),
        ("bench.acme.test", Ipv4Addr::new(198, 18, 0, 1)),
        ("reserved.acme.test", Ipv4Addr::new(240, 0, 0, 1)),
        ("ietf.acme.test", Ipv4Addr::new(192, 0, 0, 1)),
    ];
    for (name, ip) in v4 {
        app.dns.set_a(name, ip);
    }
    let v6: [(&str, Ipv6Addr); 5] = [
        ("mapped.acme.test", "::ffff:127.0.0.1".parse().unwrap()),
        ("nat64.acme.test", "64:ff9b::7f00:1".parse().unwrap()),
        ("sixtofour.acme.test", "2002:7f00:1::1".parse().unwrap()),
        ("ula.acme.test", "fd00::1".parse().unwrap()),
        ("loop6.acme.test", Ipv6Addr::LOCALHOST),
    ];
    for (name, ip) in v6 {
        app.dns.set_aaaa(name, ip);
    }
    let names = v4.iter().map(|(n, _)| *n).chain(v6.iter().map(|(n, _)| *n));
    for name in names {
        let v = add_served_and_verify(&app, &org, name).await;
        assert_eq!(v["domain"]["status"], "pending", "{name}: {v}");
        assert_eq!(v["checks"][1]["method"], "https", "{name}: {v}");
        assert_eq!(v["checks"][1]["outcome"], "unreachable", "{name}: {v}");
        assert_eq!(v["checks"][1]["detail"], "unreachable", "{name}: {v}");
    }
}

async fn named_private_hosts_verify_when_the_operator_allows_them(dialect: Dialect) {
    let app = guarded(dialect, &["idp.acme.test"]).await;
    let org = app.create_org("Acme").await;
    app.dns.set_a("idp.acme.test", Ipv4Addr::LOCALHOST);
    app.dns.set_a("wiki.acme.test", Ipv4Addr::LOCALHOST);
    let allowed = add_served_and_verify(&app, &org, "idp.acme.test").await;
    assert_eq!(allowed["domain"]["status"], "verified", "{allowed}");
    assert_eq!(allowed["domain"]["verified_method"], "https");
    let other = add_served_and_verify(&app, &org, "wiki.acme.test").await;
    assert_eq!(other["domain"]["status"], "pending", "only the named host: {other}");
    assert_eq!(other["checks"][1]["detail"], "unreachable");
}

async fn tls_and_connection_failures_show_a_coarse_reason_in_answers_checks_and_events(dialect: Dialect) {
    // The test certificate covers *.test, *.acme.test and *.example.test, not corp.example.
    let app = guarded(dialect, &["idp.corp.example", "sso.acme.test"]).await;
    let org = app.create_org("Acme").await;
    app.dns.set_a("idp.corp.example", Ipv4Addr::LOCALHOST);
    let tls = add_served_and_verify(&app, &org, "idp.corp.example").await;
    assert_eq!(tls["checks"][1]["outcome"], "unreachable", "{tls}");
    assert_eq!(tls["checks"][1]["detail"], "TLS error", "{tls}");

    // Verified first, then its host stops listening (nothing serves 127.0.0.2).
    app.dns.set_a("sso.acme.test", Ipv4Addr::LOCALHOST);
    let d = add_served_and_verify(&app, &org, "sso.acme.test").await;
    assert_eq!(d["domain"]["status"], "verified", "{d}");
    app.dns.set_a("sso.acme.test", Ipv4Addr::new(127, 0, 0, 2));
    let down = verify(&app, &org, &d["domain"]).await;
    assert_eq!(down["checks"][1]["detail"], "unreachable", "{down}");
    let stored = app
        .get(&org, &format!("/domains/{}", d["domain"]["id"].as_str().unwrap()))
        .await;
    let events = app.get(&org, "/events?action=domain.proof_missing").await;
    assert_eq!(events.json["items"].as_array().unwrap().len(), 1, "{}", events.text);
    // The events' own `ip` is the API client's (127.0.0.1): only what the check wrote counts.
    let changes = events.json["items"][0]["changes"].to_string();
    for text in [&tls.to_string(), &down.to_string(), &stored.text, &changes] {
        for leak in [
            "127.0.0.",
            "certificate",
            "Certificate",
            "refused",
            "os error",
            "tcp connect",
            &format!(":{}", app.https.addr.port()),
        ] {
            assert!(!text.contains(leak), "{leak:?} leaked: {text}");
        }
    }
    assert!(changes.contains("https: unreachable"), "{changes}");
}
