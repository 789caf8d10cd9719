//! Admin rights by invitation (issue 12, item 3), over HTTP on both engines: an organization
//! makes an account it manages an admin at once and invites anyone else; the person accepts
//! or declines (core methods the account page uses); until they accept they have no role and
//! the organization hears none of their sign-ins. Invitations are listed, cancelled, expire,
//! and go when the account leaves the organization.

use futures::future::join_all;
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::{AccountId, AdminInvitationId};
use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    a_managed_account_is_made_admin_at_once_and_anyone_else_is_invited,
    an_org_lists_and_cancels_only_its_own_invitations,
    the_person_accepts_one_invitation_and_declines_another,
    an_accept_racing_a_cancel_or_another_accept_has_exactly_one_outcome,
    an_invitation_expires_and_can_then_be_sent_again,
    removing_the_account_from_the_org_cancels_its_invitation,
    the_console_admins_page_invites_grants_and_cancels,
);

fn items(r: &gatehouse_testkit::Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// An account the org sees without managing it (no verified domain), with the test password.
async fn outsider(app: &TestApp, org: &TestOrg, email: &str) -> AccountId {
    let id = app.create_account(org, email, "Outsider").await;
    app.give_password(id).await;
    id
}

async fn invite(app: &TestApp, org: &TestOrg, account: AccountId) -> Value {
    let r = app
        .post(org, "/admins", json!({"account_id": account.to_string()}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    r.json
}

async fn admin_ids(app: &TestApp, org: &TestOrg) -> Vec<String> {
    items(&app.get(org, "/admins").await)
        .iter()
        .map(|a| a["account_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The admin-invitation mails sent so far (an account an admin adds also gets its own
/// set-password link or notice: those are not counted here).
async fn outbox(app: &TestApp) -> Vec<String> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m.contains("Subject: You are invited to be an organization admin"))
        .collect()
}

fn invitation_id(v: &Value) -> AdminInvitationId {
    AdminInvitationId::parse(v["id"].as_str().unwrap()).unwrap()
}

async fn a_managed_account_is_made_admin_at_once_and_anyone_else_is_invited(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "manual").await;
    let ann = app.create_account(&org, "ann@acme.test", "Ann").await;
    let granted = app.post(&org, "/admins", json!({"account_id": ann.to_string()})).await;
    assert_eq!(granted.status, StatusCode::NO_CONTENT, "managed: granted at once");
    assert!(admin_ids(&app, &org).await.contains(&ann.to_string()));
    assert!(
        outbox(&app).await.iter().all(|m| !m.contains("ann@acme.test")),
        "no invitation for Ann"
    );

    let bob = outsider(&app, &org, "bob@elsewhere.test").await;
    let mails_before = outbox(&app).await.len();
    let before = app.snapshot().await;
    let inv = invite(&app, &org, bob).await;
    assert_eq!(inv["account_id"], bob.to_string());
    assert_eq!(inv["email"], "bob@elsewhere.test");
    assert_eq!(inv["invited_by"], "bootstrap");
    let created = gatehouse_core::Timestamp::parse_rfc3339(inv["created_at"].as_str().unwrap(), "t").unwrap();
    let expires = gatehouse_core::Timestamp::parse_rfc3339(inv["expires_at"].as_str().unwrap(), "t").unwrap();
    assert_eq!(
        expires.millis() - created.millis(),
        14 * 86_400_000,
        "two weeks to answer"
    );
    assert_eq!(created.to_rfc3339(), app.clock_now());
    assert!(
        !admin_ids(&app, &org).await.contains(&bob.to_string()),
        "no role until accepted"
    );
    assert_eq!(
        app.snapshot().await.iter().find(|(t, _)| t == "org_admins"),
        before.iter().find(|(t, _)| t == "org_admins")
    );
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), mails_before + 1, "the person is told by mail");
    let mail = mails
        .iter()
        .find(|m| m.contains("To: bob@elsewhere.test"))
        .expect("a mail to Bob");
    assert!(
        mail.contains("\"Acme\"") && mail.contains("bootstrap"),
        "who invited to which org: {mail}"
    );
    assert!(
        mail.contains(&format!("{}/account", app.state.config.public_url)),
        "where to answer: {mail}"
    );
    let ev = app.events(&org, "admin.invited").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["targets"][0]["id"], bob.to_string());

    let again = app.post(&org, "/admins", json!({"account_id": bob.to_string()})).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "invitation_pending")
    );
    let listed = items(&app.get(&org, "/admin-invitations").await);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], inv, "the list shows what the invitation answer showed");
    let already = app.post(&org, "/admins", json!({"account_id": ann.to_string()})).await;
    assert_eq!(already.code(), "already_admin");
    let nobody = app
        .post(&org, "/admins", json!({"account_id": AccountId::new().to_string()}))
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

async fn an_org_lists_and_cancels_only_its_own_invitations(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let bob = outsider(&app, &acme, "bob@elsewhere.test").await;
    let inv = invite(&app, &acme, bob).await;
    let id = inv["id"].as_str().unwrap();
    assert!(items(&app.get(&globex, "/admin-invitations").await).is_empty());
    let before = app.snapshot().await;
    let crossed = app.delete(&globex, &format!("/admin-invitations/{id}")).await;
    assert_eq!((crossed.status, crossed.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(items(&app.get(&acme, "/admin-invitations").await).len(), 1);
    assert_eq!(
        app.delete(&acme, "/admin-invitations/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );

    let cancelled = app.delete(&acme, &format!("/admin-invitations/{id}")).await;
    assert_eq!(cancelled.status, StatusCode::NO_CONTENT, "{}", cancelled.text);
    assert!(items(&app.get(&acme, "/admin-invitations").await).is_empty());
    assert_eq!(
        app.delete(&acme, &format!("/admin-invitations/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let ev = app.events(&acme, "admin.invitation_cancelled").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["targets"][1]["id"], id);
    // A cancelled invitation cannot be accepted.
    let person = app.person("bob@elsewhere.test", "Bob's browser").await;
    let admins = &app.state.services.admins;
    assert!(admins.list_my_invitations(&person.signed_in).await.unwrap().is_empty());
    let late = admins
        .accept_invitation(&person.signed_in, invitation_id(&inv), &RequestMeta::default())
        .await;
    assert!(matches!(late, Err(CoreError::NotFound { .. })), "{late:?}");
    assert!(!admin_ids(&app, &acme).await.contains(&bob.to_string()));
}

async fn the_person_accepts_one_invitation_and_declines_another(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let bob = outsider(&app, &acme, "bob@elsewhere.test").await;
    assert_eq!(app.create_account(&globex, "bob@elsewhere.test", "Bob").await, bob);
    let from_acme = invite(&app, &acme, bob).await;
    let from_globex = invite(&app, &globex, bob).await;
    let admins = &app.state.services.admins;
    let meta = RequestMeta::default();

    // Invited but not accepted: Bob's sign-ins reach neither organization.
    let person = app.person("bob@elsewhere.test", "Bob's browser").await;
    for org in [&acme, &globex] {
        assert!(items(&app.get(org, "/events?action=auth.signed_in").await).is_empty());
    }
    let mine = admins.list_my_invitations(&person.signed_in).await.unwrap();
    let names: Vec<&str> = mine.iter().map(|p| p.org_name.as_str()).collect();
    assert_eq!(names, ["Acme", "Globex"]);
    assert_eq!(mine[0].invitation.invited_by, "bootstrap");

    // Someone else cannot answer Bob's invitation.
    app.give_password(AccountId::parse(&acme.admin_account_id).unwrap())
        .await;
    let admin_email = items(&app.get(&acme, "/admins").await)[0]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let someone = app.person(&admin_email, "Elsewhere").await;
    let stolen = admins
        .accept_invitation(&someone.signed_in, invitation_id(&from_globex), &meta)
        .await;
    assert!(matches!(stolen, Err(CoreError::NotFound { .. })), "{stolen:?}");

    let org = admins
        .accept_invitation(&person.signed_in, invitation_id(&from_acme), &meta)
        .await
        .unwrap();
    assert_eq!(org.name, "Acme");
    assert!(admin_ids(&app, &acme).await.contains(&bob.to_string()));
    let accepted = items(&app.get(&acme, "/events?action=admin.invitation_accepted").await);
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["actor"]["label"], "bob@elsewhere.test");
    let granted = items(
        &app.get(&acme, "/events?action=org_admin.granted&actor_type=account")
            .await,
    );
    assert_eq!(granted.len(), 1, "the role is granted with its usual event");
    assert!(items(&app.get(&acme, "/admin-invitations").await).is_empty());
    // Now an admin of Acme: the console admits Bob, and Acme hears of his sign-ins.
    let b = app.browser_as(&app.base, "bob@elsewhere.test").await;
    assert_eq!(b.get(&format!("/admin/orgs/{}", acme.id)).await.status, StatusCode::OK);
    let bobs = |events: Vec<Value>| {
        events
            .iter()
            .filter(|e| e["actor"]["label"] == "bob@elsewhere.test")
            .count()
    };
    assert_eq!(bobs(items(&app.get(&acme, "/events?action=auth.signed_in").await)), 1);
    assert_eq!(bobs(items(&app.get(&globex, "/events?action=auth.signed_in").await)), 0);

    admins
        .decline_invitation(&person.signed_in, invitation_id(&from_globex), &meta)
        .await
        .unwrap();
    assert!(!admin_ids(&app, &globex).await.contains(&bob.to_string()));
    assert_eq!(
        items(&app.get(&globex, "/events?action=admin.invitation_declined").await).len(),
        1
    );
    assert!(admins.list_my_invitations(&person.signed_in).await.unwrap().is_empty());
    let twice = admins
        .accept_invitation(&person.signed_in, invitation_id(&from_acme), &meta)
        .await;
    assert!(matches!(twice, Err(CoreError::NotFound { .. })), "{twice:?}");
}

async fn an_accept_racing_a_cancel_or_another_accept_has_exactly_one_outcome(app: TestApp) {
    let org = app.create_org("Acme").await;
    let admins = &app.state.services.admins;
    let meta = RequestMeta::default();
    let mut people = Vec::new();
    for n in 0..6 {
        let email = format!("p{n}@elsewhere.test");
        let id = outsider(&app, &org, &email).await;
        let inv = invite(&app, &org, id).await;
        people.push((id, app.person(&email, "browser").await, inv));
    }
    // Half race an accept against a cancel, half two accepts against each other.
    let races = people.iter().enumerate().map(|(n, (_, person, inv))| {
        let id = invitation_id(inv);
        let path = format!("/admin-invitations/{id}");
        let (app, meta, org) = (&app, &meta, &org);
        async move {
            let accept = admins.accept_invitation(&person.signed_in, id, meta);
            if n % 2 == 0 {
                let (a, c) = futures::join!(accept, app.delete(org, &path));
                assert!(
                    matches!(c.status, StatusCode::NO_CONTENT | StatusCode::NOT_FOUND),
                    "{}",
                    c.text
                );
                (a.is_ok(), c.status == StatusCode::NO_CONTENT)
            } else {
                let (a, b) = futures::join!(accept, admins.accept_invitation(&person.signed_in, id, meta));
                for r in [&a, &b] {
                    assert!(matches!(r, Ok(_) | Err(CoreError::NotFound { .. })), "{r:?}");
                }
                (a.is_ok(), b.is_ok())
            }
        }
    });
    let outcomes = join_all(races).await;
    let admin_now = admin_ids(&app, &org).await;
    for ((account, _, _), (first, second)) in people.iter().zip(&outcomes) {
        assert!(first ^ second, "exactly one outcome for {account}: {first} {second}");
        let n = people.iter().position(|(a, _, _)| a == account).unwrap();
        let is_admin = admin_now.contains(&account.to_string());
        assert_eq!(is_admin, n % 2 == 1 || *first, "an admin exactly when an accept won");
    }
    assert!(
        items(&app.get(&org, "/admin-invitations").await).is_empty(),
        "no half state"
    );
    let accepted = items(&app.get(&org, "/events?action=admin.invitation_accepted&limit=50").await).len();
    let cancelled = app.events(&org, "admin.invitation_cancelled").await.len();
    assert_eq!(
        accepted + cancelled,
        people.len(),
        "one event per invitation's one outcome"
    );
}

async fn an_invitation_expires_and_can_then_be_sent_again(app: TestApp) {
    let org = app.create_org("Acme").await;
    let bob = outsider(&app, &org, "bob@elsewhere.test").await;
    let first = invite(&app, &org, bob).await;
    app.clock.advance_secs(14 * 86_400 - 1);
    assert_eq!(
        items(&app.get(&org, "/admin-invitations").await).len(),
        1,
        "a second before the end"
    );
    app.clock.advance_secs(1);
    assert!(items(&app.get(&org, "/admin-invitations").await).is_empty(), "expired");
    let person = app.person("bob@elsewhere.test", "Bob's browser").await;
    let admins = &app.state.services.admins;
    assert!(admins.list_my_invitations(&person.signed_in).await.unwrap().is_empty());
    let late = admins
        .accept_invitation(&person.signed_in, invitation_id(&first), &RequestMeta::default())
        .await;
    assert!(
        matches!(
            late,
            Err(CoreError::Conflict {
                code: "invitation_expired",
                ..
            })
        ),
        "{late:?}"
    );
    assert!(!admin_ids(&app, &org).await.contains(&bob.to_string()));
    let second = invite(&app, &org, bob).await;
    assert_ne!(second["id"], first["id"], "a new invitation replaces the expired one");
    admins
        .accept_invitation(&person.signed_in, invitation_id(&second), &RequestMeta::default())
        .await
        .unwrap();
    assert!(admin_ids(&app, &org).await.contains(&bob.to_string()));
}

async fn removing_the_account_from_the_org_cancels_its_invitation(app: TestApp) {
    let org = app.create_org("Acme").await;
    let bob = outsider(&app, &org, "bob@elsewhere.test").await;
    let inv = invite(&app, &org, bob).await;
    let removed = app.delete(&org, &format!("/accounts/{bob}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    assert!(items(&app.get(&org, "/admin-invitations").await).is_empty());
    let ev = app.events(&org, "admin.invitation_cancelled").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["changes"]["after"]["reason"], "removed_from_organization");
    // Added back, Bob has no invitation waiting: the old one is gone for good.
    app.create_account(&org, "bob@elsewhere.test", "Bob").await;
    let person = app.person("bob@elsewhere.test", "Bob's browser").await;
    let admins = &app.state.services.admins;
    assert!(admins.list_my_invitations(&person.signed_in).await.unwrap().is_empty());
    let stale = admins
        .accept_invitation(&person.signed_in, invitation_id(&inv), &RequestMeta::default())
        .await;
    assert!(matches!(stale, Err(CoreError::NotFound { .. })), "{stale:?}");
    assert!(!admin_ids(&app, &org).await.contains(&bob.to_string()));
}

async fn the_console_admins_page_invites_grants_and_cancels(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "manual").await;
    let ann = app.create_account(&org, "ann@acme.test", "Ann").await;
    let bob = app.create_account(&org, "bob@elsewhere.test", "Bob").await;
    let (b, admin_email) = app.console(&org).await;
    let path = format!("/admin/orgs/{}/admins", org.id);
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&admin_email) && page.body.contains("No pending invitations."));
    let csrf = page.csrf();

    let invited = b
        .post(&path, &[("csrf", &csrf), ("account_id", &bob.to_string())])
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    let shown = b.get(invited.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("Invitation sent."), "{}", shown.body);
    assert!(shown.body.contains("bob@elsewhere.test") && shown.body.contains("Cancel invitation"));
    assert!(!admin_ids(&app, &org).await.contains(&bob.to_string()));
    let by = app.get(&org, "/admin-invitations").await.json["items"][0].clone();
    assert_eq!(by["invited_by"], admin_email.as_str(), "the admin who invited");

    let granted = b
        .post(&path, &[("csrf", &csrf), ("account_id", &ann.to_string())])
        .await;
    assert!(granted.location.unwrap().ends_with("notice=admin_granted"));
    assert!(admin_ids(&app, &org).await.contains(&ann.to_string()));

    let id = by["id"].as_str().unwrap();
    let forged = b
        .post(
            &format!("/admin/orgs/{}/admin-invitations/{id}/cancel", org.id),
            &[("csrf", "x")],
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(items(&app.get(&org, "/admin-invitations").await).len(), 1);
    let cancelled = b
        .post(
            &format!("/admin/orgs/{}/admin-invitations/{id}/cancel", org.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(cancelled.location.unwrap().ends_with("notice=invitation_cancelled"));
    assert!(items(&app.get(&org, "/admin-invitations").await).is_empty());
}
