//! Sessions you can see and revoke (issue 12, item 5), over HTTP on both engines: one
//! Gatehouse session per browser; the managing organization lists and ends them (API and
//! console), the person lists and ends their own (core methods the account page uses); any
//! other organization sees nothing; deactivation ends them at once on every node.

use futures::future::join_all;
use gatehouse_core::ids::{AccountId, SessionId};
use gatehouse_testkit::{Browser, Dialect, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    the_managing_org_lists_and_ends_an_accounts_sessions,
    no_other_org_sees_or_ends_a_persons_sessions,
    idle_and_expired_sessions_are_not_listed,
    a_person_lists_their_own_sessions_and_signs_out_everywhere,
    the_console_account_page_lists_sessions_and_ends_them,
    revoking_while_the_session_is_used_and_many_revocations_at_once_leave_no_half_state,
);

/// Tests that spawn their own servers.
mod nodes {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(deactivating_on_one_node_signs_the_person_out_on_another_at_once);
    use super::deactivating_on_one_node_signs_the_person_out_on_another_at_once;
}

/// An account `local@domain` the org manages (it verifies `domain` first) and makes an admin
/// at once, with the test password; answers its id and email.
async fn managed_admin(app: &TestApp, org: &TestOrg, domain: &str, local: &str) -> (AccountId, String) {
    if app.get(org, "/domains").await.json["items"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        app.verify_domain(org, domain, "manual").await;
    }
    let id = app.create_account(org, &format!("{local}@{domain}"), local).await;
    let granted = app.post(org, "/admins", json!({"account_id": id.to_string()})).await;
    assert_eq!(granted.status, StatusCode::NO_CONTENT, "{}", granted.text);
    let email = app.give_password(id).await;
    (id, email)
}

fn items(r: &gatehouse_testkit::Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// Whether the browser's session still opens the org's console.
async fn is_signed_in(b: &Browser, org: &TestOrg) -> bool {
    let page = b.get(&format!("/admin/orgs/{}", org.id)).await;
    match page.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(page.location.unwrap_or_default().starts_with("/login"));
            false
        }
        other => panic!("unexpected {other}: {}", page.body),
    }
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn the_managing_org_lists_and_ends_an_accounts_sessions(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let laptop = app.browser_as(&app.base, &email).await;
    let phone = app.browser_as(&app.base, &email).await;
    let path = format!("/accounts/{ada}/sessions");
    let listed = app.get(&org, &path).await;
    let sessions = items(&listed);
    assert_eq!(sessions.len(), 2, "one session per browser: {}", listed.text);
    for s in &sessions {
        assert!(SessionId::parse(s["id"].as_str().unwrap()).is_ok());
        assert_eq!(s["user_agent"], "gatehouse-browser-tests");
        assert_eq!(s["ip"], "127.0.0.1");
        for field in ["created_at", "last_seen_at", "expires_at"] {
            assert!(s[field].is_string(), "{field}");
        }
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(s["amr"], serde_json::json!(["pwd"]), "how the browser signed in");
        assert_eq!(keys.len(), 7, "nothing else is served: {keys:?}");
    }
    // Neither the cookie's token nor its stored digest ever leaves the server.
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let digests: Vec<String> = sqlx::query_scalar("SELECT digest FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(digests.iter().all(|d| !listed.text.contains(d.as_str())));

    // The laptop's session is the older one: end it.
    let first = sessions[0]["id"].as_str().unwrap().to_owned();
    let ended = app.delete(&org, &format!("{path}/{first}")).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{}", ended.text);
    assert!(!is_signed_in(&laptop, &org).await, "the laptop is signed out at once");
    assert!(is_signed_in(&phone, &org).await, "the phone is not");
    let again = app.delete(&org, &format!("{path}/{first}")).await;
    assert_eq!((again.status, again.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(
        app.delete(&org, &format!("{path}/not-a-session")).await.status,
        StatusCode::NOT_FOUND
    );
    let ev = app.events(&org, "session.revoked").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["targets"][0]["id"], ada.to_string());
    assert_eq!(ev[0]["targets"][1]["id"], first.as_str());

    let all = app.delete(&org, &path).await;
    assert_eq!(all.status, StatusCode::NO_CONTENT, "{}", all.text);
    assert!(!is_signed_in(&phone, &org).await);
    assert!(items(&app.get(&org, &path).await).is_empty());
    let ev = app.events(&org, "session.revoked_all").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["changes"]["after"]["revoked"], 1);
    // Nothing left to end: nothing is recorded.
    assert_eq!(app.delete(&org, &path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.events(&org, "session.revoked_all").await.len(), 1);
}

async fn no_other_org_sees_or_ends_a_persons_sessions(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let stranger = app.create_org("Initech").await;
    let (ada, email) = managed_admin(&app, &acme, "acme.test", "ada").await;
    let (bob, bob_email) = managed_admin(&app, &acme, "acme.test", "bob").await;
    let b = app.browser_as(&app.base, &email).await;
    let bob_browser = app.browser_as(&app.base, &bob_email).await;
    // Globex works with Ada too, without managing her account.
    let added = app
        .post(&globex, "/accounts", json!({"email": email, "display_name": "Ada"}))
        .await;
    assert_eq!(added.json["id"], ada.to_string());
    assert_eq!(added.json["is_managed"], false);
    let ada_session = items(&app.get(&acme, &format!("/accounts/{ada}/sessions")).await)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_session = items(&app.get(&acme, &format!("/accounts/{bob}/sessions")).await)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let before = count(&app, "SELECT COUNT(*) FROM sessions").await;
    for r in [
        app.get(&globex, &format!("/accounts/{ada}/sessions")).await,
        app.delete(&globex, &format!("/accounts/{ada}/sessions")).await,
        app.delete(&globex, &format!("/accounts/{ada}/sessions/{ada_session}"))
            .await,
    ] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "account_not_managed"),
            "{}",
            r.text
        );
        assert!(!r.text.contains(&ada_session), "nothing of the session is told");
    }
    for r in [
        app.get(&stranger, &format!("/accounts/{ada}/sessions")).await,
        app.delete(&stranger, &format!("/accounts/{ada}/sessions/{ada_session}"))
            .await,
    ] {
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "an org that does not see the account: {}",
            r.text
        );
    }
    // Bob's session through Ada's path is not Ada's: not found, and Bob stays signed in.
    let crossed = app
        .delete(&acme, &format!("/accounts/{ada}/sessions/{bob_session}"))
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, before);
    assert!(is_signed_in(&b, &acme).await && is_signed_in(&bob_browser, &acme).await);
    assert!(app.events(&globex, "session.revoked").await.is_empty());
}

async fn idle_and_expired_sessions_are_not_listed(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let _b = app.browser_as(&app.base, &email).await;
    let path = format!("/accounts/{ada}/sessions");
    assert_eq!(items(&app.get(&org, &path).await).len(), 1);
    app.clock.advance_secs(29 * 60);
    assert_eq!(items(&app.get(&org, &path).await).len(), 1, "not idle yet");
    app.clock.advance_secs(2 * 60);
    assert!(
        items(&app.get(&org, &path).await).is_empty(),
        "idle for over 30 minutes"
    );
    // A session kept busy still ends at its absolute limit.
    let busy = app.browser_as(&app.base, &email).await;
    for _ in 0..25 {
        app.clock.advance_secs(29 * 60);
        is_signed_in(&busy, &org).await;
    }
    assert!(items(&app.get(&org, &path).await).is_empty(), "past 12 hours");
}

async fn a_person_lists_their_own_sessions_and_signs_out_everywhere(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let (_, bob_email) = managed_admin(&app, &org, "acme.test", "bob").await;
    let laptop = app.person(&email, "Laptop").await;
    let phone = app.person(&email, "Phone").await;
    let bob = app.person(&bob_email, "Bob's").await;
    let sessions = &app.state.services.sessions;
    let mine = sessions.list_mine(&laptop.signed_in).await.unwrap();
    assert_eq!(mine.len(), 2);
    let current: Vec<_> = mine.iter().filter(|s| s.is_current).collect();
    assert_eq!(current.len(), 1, "exactly one is the one looking");
    assert_eq!(current[0].session.user_agent.as_deref(), Some("Laptop"));
    assert_eq!(current[0].session.account_id, ada);

    let meta = gatehouse_core::audit::RequestMeta::default();
    let bobs = bob.signed_in.session().id;
    let err = sessions.revoke_mine(&laptop.signed_in, bobs, &meta).await.unwrap_err();
    assert!(matches!(err, gatehouse_core::CoreError::NotFound { .. }), "{err:?}");
    assert!(
        app.state.signin.session(&bob.token).await.unwrap().is_some(),
        "Bob is untouched"
    );

    let phones = phone.signed_in.session().id;
    sessions.revoke_mine(&laptop.signed_in, phones, &meta).await.unwrap();
    assert!(app.state.signin.session(&phone.token).await.unwrap().is_none());
    assert!(app.state.signin.session(&laptop.token).await.unwrap().is_some());

    let _tablet = app.person(&email, "Tablet").await;
    let ended = sessions.revoke_all_mine(&laptop.signed_in, &meta).await.unwrap();
    assert_eq!(ended, 2, "the laptop and the tablet");
    assert!(app.state.signin.session(&laptop.token).await.unwrap().is_none());
    assert!(sessions.list_mine(&bob.signed_in).await.unwrap().len() == 1);
    // Acme manages Ada (and she administers it): it hears of both.
    let events = items(&app.get(&org, "/events?action=session.revoked").await);
    assert_eq!(events[0]["actor"]["label"], email.as_str());
    assert_eq!(
        items(&app.get(&org, "/events?action=session.revoked_all").await).len(),
        1
    );
}

async fn the_console_account_page_lists_sessions_and_ends_them(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let b = app.browser_as(&app.base, &email).await;
    let other = app.browser_as(&app.base, &email).await;
    let page_path = format!("/admin/orgs/{}/accounts/{ada}", org.id);
    let page = b.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sessions") && page.body.contains("gatehouse-browser-tests"));
    assert!(page.body.contains("127.0.0.1"));
    let ids: Vec<String> = items(&app.get(&org, &format!("/accounts/{ada}/sessions")).await)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        assert!(
            page.body.contains(&format!("/sessions/{id}/revoke")),
            "a revoke button per session"
        );
    }
    // Without the session's CSRF token nothing happens.
    let forged = b
        .post(&format!("{page_path}/sessions/{}/revoke", ids[1]), &[("csrf", "nope")])
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert!(is_signed_in(&other, &org).await);

    let csrf = page.csrf();
    let ended = b
        .post(&format!("{page_path}/sessions/{}/revoke", ids[1]), &[("csrf", &csrf)])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    assert!(ended.location.unwrap().ends_with("notice=session_revoked"));
    assert!(!is_signed_in(&other, &org).await, "the other browser is signed out");
    assert!(is_signed_in(&b, &org).await);
    let all = b
        .post(&format!("{page_path}/sessions/revoke-all"), &[("csrf", &csrf)])
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert!(!is_signed_in(&b, &org).await, "revoking all includes the admin's own");
    let ev = items(&app.get(&org, "/events?action=session.revoked&actor_type=account").await);
    assert_eq!(ev[0]["actor"]["label"], email.as_str());

    // An account the org does not manage shows no sessions (the first admin's is not).
    let (admin, _) = app.console(&org).await;
    let theirs = admin
        .get(&format!("/admin/orgs/{}/accounts/{}", org.id, org.admin_account_id))
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains("/sessions/revoke-all"));
}

async fn revoking_while_the_session_is_used_and_many_revocations_at_once_leave_no_half_state(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let b = app.browser_as(&app.base, &email).await;
    let path = format!("/accounts/{ada}/sessions");
    let id = items(&app.get(&org, &path).await)[0]["id"].as_str().unwrap().to_owned();
    let (one, page) = (format!("{path}/{id}"), format!("/admin/orgs/{}/accounts", org.id));
    let (revoked, used) = futures::join!(
        join_all((0..12).map(|_| app.delete(&org, &one))),
        join_all((0..12).map(|_| b.get(&page)))
    );
    let statuses: Vec<StatusCode> = revoked.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::NO_CONTENT).count(),
        1,
        "exactly one revocation ends it: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::NO_CONTENT || *s == StatusCode::NOT_FOUND)
    );
    assert!(
        used.iter()
            .all(|p| p.status == StatusCode::OK || p.status == StatusCode::SEE_OTHER)
    );
    assert!(!is_signed_in(&b, &org).await);
    assert_eq!(
        app.events(&org, "session.revoked").await.len(),
        1,
        "one event for one ending"
    );

    // Many "end all" at once: no errors, every session ended and counted once.
    let mut browsers = Vec::new();
    for _ in 0..4 {
        browsers.push(app.browser_as(&app.base, &email).await);
    }
    let all = join_all((0..8).map(|_| app.delete(&org, &path))).await;
    assert!(
        all.iter().all(|r| r.status == StatusCode::NO_CONTENT),
        "{:?}",
        all.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for b in &browsers {
        assert!(!is_signed_in(b, &org).await);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    let ended: i64 = app
        .events(&org, "session.revoked_all")
        .await
        .iter()
        .map(|e| e["changes"]["after"]["revoked"].as_i64().unwrap())
        .sum();
    assert_eq!(ended, 4, "every session counted once");
}

async fn deactivating_on_one_node_signs_the_person_out_on_another_at_once(d: Dialect) {
    let app = TestApp::spawn(d).await;
    let node_b = app.another_node(|_| {}).await;
    let org = app.create_org("Acme").await;
    let (ada, email) = managed_admin(&app, &org, "acme.test", "ada").await;
    let on_b = app.browser_as(&node_b.base, &email).await;
    assert!(is_signed_in(&on_b, &org).await, "signed in on node B");
    let deactivated = app
        .patch(&org, &format!("/accounts/{ada}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);
    assert!(
        !is_signed_in(&on_b, &org).await,
        "the next request on node B is signed out"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await,
        0,
        "deleted, not just refused"
    );
    // Reactivated, the old cookie stays dead: the session ended, it was not paused.
    app.patch(&org, &format!("/accounts/{ada}"), json!({"status": "active"}))
        .await;
    assert!(!is_signed_in(&on_b, &org).await);
}
