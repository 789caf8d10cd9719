//! The account page at /account: every signed-in person's own page, through real HTTP.

use gatehouse_testkit::{Browser, TestApp, engine_tests};
use reqwest::StatusCode;

engine_tests!(
    a_person_signs_in_to_their_account_page_and_renames_themselves,
    a_new_password_needs_the_current_one_counts_guesses_and_signs_out_everywhere,
    a_person_leaves_an_org_but_not_the_one_that_manages_them_nor_as_its_last_admin,
    only_an_unmanaged_account_deletes_itself_and_only_with_its_password,
    account_forms_need_the_session_token_and_the_page_needs_a_session,
    an_invitation_is_accepted_on_the_account_page_and_sessions_end_from_it,
);

const PASSWORD: &str = "a passphrase of my own";

async fn a_person_signs_in_to_their_account_page_and_renames_themselves(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, pat) = app.signed_in_member(&org, "pat@elsewhere.example", PASSWORD).await;
    let page = b.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("pat@elsewhere.example"), "{}", page.body);
    assert!(
        page.body.contains("Acme") && page.body.contains("/leave"),
        "the org, and leaving it"
    );
    assert!(
        !page.body.contains("Go to the admin console"),
        "Pat administers nothing"
    );
    assert!(page.body.contains("Delete my account"), "no org manages Pat");
    let renamed = b
        .post(
            "/account/name",
            &[("csrf", &page.csrf()), ("display_name", "Pat <b>Q</b>")],
        )
        .await;
    assert_eq!(renamed.location.as_deref(), Some("/account?notice=name"));
    let page = b.get("/account?notice=name").await;
    assert!(page.body.contains("Your name is saved."));
    assert!(
        page.body.contains("Pat &#60;b&#62;Q&#60;/b&#62;"),
        "escaped: {}",
        page.body
    );
    let empty = b
        .post("/account/name", &[("csrf", &page.csrf()), ("display_name", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("role=\"alert\""));
    // The admin sees the new name through the API; the org does not manage Pat, so its log
    // heard nothing of Pat's own changes.
    let read = app.get(&org, &format!("/accounts/{pat}")).await.json;
    assert_eq!(read["display_name"], "Pat <b>Q</b>", "{read}");
    let events = app.get(&org, "/events?action=account.updated").await.json;
    assert!(events["items"].as_array().unwrap().is_empty(), "{events}");
    // An admin of the org reaches the console from the account page.
    let (admin, _) = app.console(&org).await;
    let mine = admin.get("/account").await;
    assert!(mine.body.contains("Go to the admin console"));
}

async fn a_new_password_needs_the_current_one_counts_guesses_and_signs_out_everywhere(app: TestApp) {
    let org = app.create_org("Acme").await;
    let email = "pat@elsewhere.example";
    let (b, _) = app.signed_in_member(&org, email, PASSWORD).await;
    let other_browser = Browser::new(&app.base);
    let csrf = other_browser.get("/login").await.csrf();
    other_browser
        .post("/login", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(other_browser.get("/account").await.status, StatusCode::OK);
    let csrf = b.get("/account").await.csrf();
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let (b, csrf) = (&b, csrf.clone());
        async move {
            b.post(
                "/account/password",
                &[
                    ("csrf", csrf.as_str()),
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm", confirm),
                ],
            )
            .await
        }
    };
    let mismatch = change(PASSWORD, "a new long passphrase", "another one").await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let short = change(PASSWORD, "short", "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 12"), "{}", short.body);
    // Wrong current passwords are sign-in attempts: the fifth locks this address here.
    for n in 1..=5 {
        let wrong = change(
            "not my password at all",
            "a new long passphrase",
            "a new long passphrase",
        )
        .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {n}: {}",
            wrong.body
        );
        assert!(wrong.body.contains("not your current password"));
    }
    let locked = change(PASSWORD, "a new long passphrase", "a new long passphrase").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
    assert!(locked.body.contains("Too many attempts"));
    // Once the lock passes, the right password changes it and ends every session.
    app.clock.advance_secs(3600);
    let b2 = Browser::new(&app.base);
    let csrf = b2.get("/login").await.csrf();
    let again = b2
        .post("/login", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(again.location.as_deref(), Some("/account"));
    let csrf = b2.get("/account").await.csrf();
    let ok = b2
        .post(
            "/account/password",
            &[
                ("csrf", csrf.as_str()),
                ("current_password", PASSWORD),
                ("new_password", "a new long passphrase"),
                ("confirm", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/login?password_set=1"), "{}", ok.body);
    for browser in [&b, &other_browser, &b2] {
        assert_eq!(
            browser.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "signed out"
        );
    }
    let csrf = b2.get("/login").await.csrf();
    let old = b2
        .post("/login", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = b2
        .post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", "a new long passphrase")],
        )
        .await;
    assert_eq!(new.location.as_deref(), Some("/account"));
}

async fn a_person_leaves_an_org_but_not_the_one_that_manages_them_nor_as_its_last_admin(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    app.verify_domain(&acme, "acme.test", "manual").await;
    // Pat is managed by Acme (created on its verified domain) and also a member of Globex.
    let (b, pat) = app.signed_in_member(&acme, "pat@acme.test", PASSWORD).await;
    let added = app
        .post(
            &globex,
            "/accounts",
            serde_json::json!({"email": "pat@acme.test", "display_name": "Pat"}),
        )
        .await;
    assert!(added.status.is_success(), "{}", added.json);
    let page = b.get("/account").await;
    assert!(page.body.contains("Managed by"), "{}", page.body);
    assert!(
        !page.body.contains("Delete my account"),
        "a managed account is its org's to delete"
    );
    let csrf = page.csrf();
    let refused = b
        .post(&format!("/account/orgs/{}/leave", acme.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("manages your account"));
    assert_eq!(app.get(&acme, &format!("/accounts/{pat}")).await.status, StatusCode::OK);
    let left = b
        .post(&format!("/account/orgs/{}/leave", globex.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(left.location.as_deref(), Some("/account?notice=left"));
    assert_eq!(
        app.get(&globex, &format!("/accounts/{pat}")).await.status,
        StatusCode::NOT_FOUND
    );
    let events = app.get(&globex, "/events?action=account.left_org").await.json;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    // Another org's id, or one Pat is not in: not found, nothing changed.
    let other = app.create_org("Initech").await;
    let none = b
        .post(&format!("/account/orgs/{}/leave", other.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    // The last admin of an org cannot leave it.
    let (admin, _) = app.console(&other).await;
    let csrf = admin.get("/account").await.csrf();
    let last = admin
        .post(&format!("/account/orgs/{}/leave", other.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.body);
    assert!(last.body.contains("last admin"));
}

async fn only_an_unmanaged_account_deletes_itself_and_only_with_its_password(app: TestApp) {
    let org = app.create_org("Acme").await;
    let email = "pat@elsewhere.example";
    let (b, pat) = app.signed_in_member(&org, email, PASSWORD).await;
    let csrf = b.get("/account").await.csrf();
    let wrong = b
        .post(
            "/account/delete",
            &[("csrf", &csrf), ("password", "not my password at all")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&org, &format!("/accounts/{pat}")).await.status, StatusCode::OK);
    let gone = b
        .post("/account/delete", &[("csrf", &csrf), ("password", PASSWORD)])
        .await;
    assert_eq!(gone.location.as_deref(), Some("/login?account_deleted=1"));
    assert_eq!(
        app.get(&org, &format!("/accounts/{pat}")).await.status,
        StatusCode::NOT_FOUND
    );
    let events = app.get(&org, "/events?action=account.deleted_by_owner").await.json;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    assert_eq!(b.get("/account").await.status, StatusCode::SEE_OTHER);
    // A managed account cannot, even by posting the form directly.
    let corp = app.create_org("Corp").await;
    app.verify_domain(&corp, "corp.test", "manual").await;
    let (m, managed) = app.signed_in_member(&corp, "kim@corp.test", PASSWORD).await;
    let csrf = m.get("/account").await.csrf();
    let refused = m
        .post("/account/delete", &[("csrf", &csrf), ("password", PASSWORD)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&corp, &format!("/accounts/{managed}")).await.status,
        StatusCode::OK
    );
}

async fn account_forms_need_the_session_token_and_the_page_needs_a_session(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.signed_in_member(&org, "pat@elsewhere.example", PASSWORD).await;
    let before = app.snapshot().await;
    for (path, form) in [
        ("/account/name", vec![("display_name", "Mallory")]),
        ("/account/delete", vec![("password", PASSWORD)]),
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "mallory's passphrase"),
                ("confirm", "mallory's passphrase"),
            ],
        ),
    ] {
        let mut forged = form.clone();
        forged.push(("csrf", "csrf_forged"));
        let r = b.post(path, &forged).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        let r = b.post(path, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without a token");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    let anonymous = Browser::new(&app.base);
    let r = anonymous.get("/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/login?next=%2Faccount"));
}

async fn an_invitation_is_accepted_on_the_account_page_and_sessions_end_from_it(app: TestApp) {
    let org = app.create_org("Acme").await;
    let email = "pat@elsewhere.example";
    let (b, pat) = app.signed_in_member(&org, email, PASSWORD).await;
    let invited = app.post(&org, "/admins", serde_json::json!({"account_id": pat})).await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.json);
    let page = b.get("/account").await;
    assert!(
        page.body.contains("Admin invitations") && page.body.contains("/accept"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Go to the admin console"),
        "no role before accepting"
    );
    let accept = page
        .body
        .split("action=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|a| a.ends_with("/accept"))
        .unwrap()
        .to_owned();
    // A forged post changes nothing.
    assert_eq!(
        b.post(&accept, &[("csrf", "csrf_forged")]).await.status,
        StatusCode::FORBIDDEN
    );
    let accepted = b.post(&accept, &[("csrf", &page.csrf())]).await;
    assert_eq!(accepted.location.as_deref(), Some("/account?notice=accepted"));
    let page = b.get("/account").await;
    assert!(page.body.contains("Go to the admin console"), "an admin now");
    assert_eq!(b.get(&format!("/admin/orgs/{}", org.id)).await.status, StatusCode::OK);
    // A second browser; the first lists both and ends the other one.
    let other = Browser::new(&app.base);
    let csrf = other.get("/login").await.csrf();
    other
        .post("/login", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)])
        .await;
    let page = b.get("/account").await;
    let rows: Vec<&str> = page
        .body
        .split("<tr>")
        .filter(|r| r.contains("/account/sessions/"))
        .collect();
    assert_eq!(rows.len(), 2, "two sessions listed: {}", page.body);
    let other_row = rows
        .iter()
        .find(|r| !r.contains("this browser"))
        .expect("the other browser's row");
    let end = other_row
        .split("action=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let r = b.post(end, &[("csrf", &page.csrf())]).await;
    assert_eq!(r.location.as_deref(), Some("/account?notice=session_ended"));
    assert_eq!(
        other.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    assert_eq!(b.get("/account").await.status, StatusCode::OK, "this one lives");
    let csrf = b.get("/account").await.csrf();
    let everywhere = b.post("/account/sessions/end-all", &[("csrf", &csrf)]).await;
    assert_eq!(everywhere.location.as_deref(), Some("/login?signed_out=1"));
    assert_eq!(b.get("/account").await.status, StatusCode::SEE_OTHER);
    let revoked = app.get(&org, "/events?action=session.revoked").await.json;
    assert!(!revoked["items"].as_array().unwrap().is_empty(), "{revoked}");
}
