//! Changing one's email address: the current password first (counted like a sign-in), a link
//! to the new address used by the same account, the old address told, other sessions ended;
//! a managed account moves only within its organization's verified domains.

use crate::outbox::{count, mails, the_mail_to};
use gatehouse_testkit::{ADMIN_PASSWORD, Browser, Page, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;

engine_tests!(
    an_account_moves_to_a_new_address_through_a_link_mailed_there,
    the_link_works_only_for_its_own_account_and_only_once,
    a_managed_account_moves_only_within_its_orgs_verified_domains,
    an_address_with_an_account_gets_a_notice_and_the_form_answers_the_same,
    an_address_taken_before_the_confirmation_changes_nothing,
    wrong_passwords_and_forged_forms_change_nothing_and_lock_like_sign_in,
);

/// Posts the email change form from a signed-in browser.
async fn request_change(b: &Browser, new_email: &str, password: &str) -> Page {
    let csrf = b.get("/account/email").await.csrf();
    b.post(
        "/account/email",
        &[("csrf", &csrf), ("new_email", new_email), ("password", password)],
    )
    .await
}

/// Opens a confirm link and presses its button.
async fn confirm(b: &Browser, link: &str) -> Page {
    let page = b.get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = gatehouse_testkit::hidden(&page.body, "token").unwrap();
    b.post("/account/email/confirm", &[("csrf", &page.csrf()), ("token", &token)])
        .await
}

/// Waits until every mail queued so far is written: an account added through the API queues
/// its invitation behind them.
async fn settle(app: &TestApp, org: &TestOrg) {
    let marker = format!("marker-{}@example.net", uuid::Uuid::now_v7().simple());
    app.create_account(org, &marker, "Marker").await;
    the_mail_to(app, &marker).await;
}

async fn email_of(app: &TestApp, id: &str) -> String {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let email: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT email FROM accounts WHERE id = '{id}'"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    email
}

async fn an_account_moves_to_a_new_address_through_a_link_mailed_there(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, old) = app.console(&org).await;
    let elsewhere = Browser::new(&app.base);
    assert_eq!(
        elsewhere.sign_in(&old, ADMIN_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let sent = request_change(&b, "Ada.New@Example.NET", ADMIN_PASSWORD).await;
    assert_eq!(sent.location.as_deref(), Some("/account?notice=email_sent"));
    assert!(
        b.get("/account?notice=email_sent")
            .await
            .body
            .contains("Check your new address")
    );
    let link = the_mail_to(&app, "ada.new@example.net")
        .await
        .link("/account/email/confirm?token=")
        .expect("a confirm link");
    let res = b.client.get(format!("{}{link}", app.base)).send().await.unwrap();
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let done = confirm(&b, &link).await;
    assert_eq!(done.location.as_deref(), Some("/account?notice=email_changed"));
    assert_eq!(email_of(&app, &org.admin_account_id).await, "ada.new@example.net");
    let verified = format!(
        "SELECT COUNT(*) FROM accounts WHERE id = '{}' AND email_verified_at IS NOT NULL",
        org.admin_account_id
    );
    assert_eq!(count(&app, verified).await, 1, "the new address is proven");
    let told = the_mail_to(&app, &old).await;
    assert!(told.body.contains("changed from") && told.body.contains("ada.new@example.net"));
    // This session goes on; the other one ended.
    let here = b.get("/account/email").await;
    assert_eq!(here.status, StatusCode::OK);
    assert!(here.body.contains("ada.new@example.net"));
    assert_eq!(elsewhere.get("/account/email").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        Browser::new(&app.base).sign_in(&old, ADMIN_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        Browser::new(&app.base)
            .sign_in("ada.new@example.net", ADMIN_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let events = app.get(&org, "/events?action=account.email_changed").await;
    let ev = &events.json["items"][0];
    assert_eq!(ev["actor"]["type"], "account", "{}", events.text);
    assert_eq!(ev["changes"]["before"]["email"], old.as_str());
    assert_eq!(ev["changes"]["after"]["email"], "ada.new@example.net");
    let requested = app.get(&org, "/events?action=account.email_change_requested").await;
    assert_eq!(
        requested.json["items"][0]["changes"]["after"]["new_email"],
        "ada.new@example.net"
    );
}

async fn the_link_works_only_for_its_own_account_and_only_once(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let other_org = app.create_org("Globex").await;
    let (other, other_email) = app.console(&other_org).await;
    request_change(&b, "moved@example.net", ADMIN_PASSWORD).await;
    let link = the_mail_to(&app, "moved@example.net")
        .await
        .link("/account/email/confirm")
        .unwrap();
    let token = link.split_once("token=").unwrap().1.to_owned();
    // Nobody signed in: to sign-in, then back here.
    let stranger = Browser::new(&app.base).get(&link).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    let to = stranger.location.unwrap();
    assert!(
        to.starts_with("/login?next=%2Faccount%2Femail%2Fconfirm%3Ftoken%3D"),
        "{to}"
    );
    // Another account signed in: the same, and its post changes nothing.
    assert_eq!(other.get(&link).await.status, StatusCode::SEE_OTHER);
    let csrf = other.get("/account/email").await.csrf();
    let refused = other
        .post("/account/email/confirm", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(email_of(&app, &other_org.admin_account_id).await, other_email);
    // The owner's confirmation still works, once.
    assert_eq!(confirm(&b, &link).await.status, StatusCode::SEE_OTHER);
    assert_eq!(email_of(&app, &org.admin_account_id).await, "moved@example.net");
    assert_eq!(b.get(&link).await.status, StatusCode::GONE);
    let csrf = b.get("/account/email").await.csrf();
    let again = b
        .post("/account/email/confirm", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("expired or was already used"));
}

async fn a_managed_account_moves_only_within_its_orgs_verified_domains(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let pat = app.create_account(&org, "pat@acme.test", "Pat").await;
    let invite = the_mail_to(&app, "pat@acme.test").await;
    let b = Browser::new(&app.base);
    b.set_password(&invite.link("/login/reset?token=").unwrap(), "pat's own passphrase")
        .await;
    assert_eq!(
        b.sign_in("pat@acme.test", "pat's own passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    let outside = request_change(&b, "pat@personal.example", "pat's own passphrase").await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        outside
            .body
            .contains("personal.example is not a domain this organization has verified"),
        "{}",
        outside.body
    );
    let inside = request_change(&b, "pat.two@acme.test", "pat's own passphrase").await;
    assert_eq!(inside.status, StatusCode::SEE_OTHER, "{}", inside.body);
    let link = the_mail_to(&app, "pat.two@acme.test")
        .await
        .link("/account/email/confirm")
        .unwrap();
    assert_eq!(confirm(&b, &link).await.status, StatusCode::SEE_OTHER);
    assert_eq!(email_of(&app, &pat.to_string()).await, "pat.two@acme.test");
    settle(&app, &org).await;
    assert!(!mails(&app).await.iter().any(|m| m.to == "pat@personal.example"));
}

async fn an_address_with_an_account_gets_a_notice_and_the_form_answers_the_same(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, mine) = app.console(&org).await;
    let other = app.create_org("Globex").await;
    let (_, taken) = app.console(&other).await;
    let to_taken = request_change(&b, &taken, ADMIN_PASSWORD).await;
    let to_free = request_change(&b, "free@example.net", ADMIN_PASSWORD).await;
    assert_eq!(
        (to_taken.status, to_taken.location, to_taken.body),
        (to_free.status, to_free.location, to_free.body)
    );
    let notice = the_mail_to(&app, &taken).await;
    assert!(notice.body.contains("already has an account"), "{}", notice.body);
    assert!(notice.link("token=").is_none());
    assert!(the_mail_to(&app, "free@example.net").await.link("token=").is_some());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_links".into()).await, 1);
    assert_eq!(email_of(&app, &org.admin_account_id).await, mine);
}

async fn an_address_taken_before_the_confirmation_changes_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, mine) = app.console(&org).await;
    request_change(&b, "contested@example.net", ADMIN_PASSWORD).await;
    let link = the_mail_to(&app, "contested@example.net")
        .await
        .link("/account/email/confirm")
        .unwrap();
    let other = app.create_org("Globex").await;
    app.create_account(&other, "contested@example.net", "Quick").await;
    let before = app.snapshot().await;
    let refused = confirm(&b, &link).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("Another account has this address now"),
        "{}",
        refused.body
    );
    assert_eq!(email_of(&app, &org.admin_account_id).await, mine);
    assert_eq!(app.snapshot().await, before);
}

async fn wrong_passwords_and_forged_forms_change_nothing_and_lock_like_sign_in(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, mine) = app.console(&org).await;
    let forged = b
        .post(
            "/account/email",
            &[
                ("csrf", "csrf_forged"),
                ("new_email", "x@example.net"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let nobody = Browser::new(&app.base)
        .post("/account/email", &[("csrf", "x"), ("new_email", "x@example.net")])
        .await;
    assert_eq!(nobody.status, StatusCode::SEE_OTHER, "to sign in");
    let bad = request_change(&b, "not an address", ADMIN_PASSWORD).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let same = request_change(&b, &mine, ADMIN_PASSWORD).await;
    assert!(same.body.contains("is already your address"));
    for n in 1..=5 {
        let wrong = request_change(&b, "x@example.net", "not my password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {n}");
        assert!(wrong.body.contains("Incorrect password."));
    }
    let locked = request_change(&b, "x@example.net", ADMIN_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("Too many failed attempts"));
    assert_eq!(
        Browser::new(&app.base).sign_in(&mine, ADMIN_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same lock as sign-in's, for this address from this client"
    );
    settle(&app, &org).await;
    assert!(!mails(&app).await.iter().any(|m| m.to == "x@example.net"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_links".into()).await, 0);
}
