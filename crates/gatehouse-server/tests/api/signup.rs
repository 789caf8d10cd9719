//! Sign-up (off unless the operator turns it on), confirmed by a mailed link that works once;
//! answers that tell nobody whether an address has an account; and the invitation mail of an
//! account an admin adds.

use crate::outbox::{count, mails, the_mail_to, wait_for};
use gatehouse_testkit::{Browser, Dialect, TestApp};
use reqwest::StatusCode;
use serde_json::json;

gatehouse_testkit::dialect_tests!(
    sign_up_is_not_there_unless_the_operator_turns_it_on,
    an_account_an_admin_adds_is_mailed_a_set_password_link_or_a_notice,
    signing_up_mails_a_link_that_creates_the_account_once,
    an_address_with_an_account_gets_a_notice_and_the_very_same_answer,
    a_link_followed_twice_at_once_makes_exactly_one_account,
    sign_up_requests_are_limited_per_address_whatever_it_is,
    sign_up_forms_refuse_a_forged_or_missing_token,
    a_sign_up_on_a_domain_an_org_claims_is_managed_by_it_and_in_its_log,
);

async fn with_signup(d: Dialect) -> TestApp {
    TestApp::spawn_with(d, |c| c.sign_in.allow_signup = true).await
}

/// Asks for an account for `email` from a fresh browser; answers the page's status and body.
async fn sign_up(app: &TestApp, email: &str) -> (StatusCode, String) {
    let b = Browser::new(&app.base);
    let csrf = b.get("/signup").await.csrf();
    let p = b.post("/signup", &[("csrf", &csrf), ("email", email)]).await;
    (p.status, p.body)
}

/// Fills the confirm page of `link` and posts it from `b`.
async fn confirm(b: &Browser, link: &str, name: &str, password: &str, again: &str) -> gatehouse_testkit::Page {
    let page = b.get(link).await;
    let token = gatehouse_testkit::hidden(&page.body, "token").expect("token field");
    let csrf = page.csrf();
    b.post(
        "/signup/confirm",
        &[
            ("csrf", &csrf),
            ("token", &token),
            ("name", name),
            ("password", password),
            ("confirm", again),
        ],
    )
    .await
}

async fn sign_up_is_not_there_unless_the_operator_turns_it_on(d: Dialect) {
    let app = TestApp::spawn(d).await;
    let b = Browser::new(&app.base);
    for path in ["/signup", "/signup/confirm?token=ghu_x"] {
        assert_eq!(b.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = b.get("/login").await.csrf();
    let post = b
        .post("/signup", &[("csrf", &csrf), ("email", "new@example.net")])
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert!(!b.get("/login").await.body.contains("/signup"), "no link to it either");
    assert!(mails(&app).await.is_empty());
}

async fn signing_up_mails_a_link_that_creates_the_account_once(d: Dialect) {
    let app = with_signup(d).await;
    let b = Browser::new(&app.base);
    assert!(b.get("/login").await.body.contains("href=\"/signup\""));
    let (status, body) = sign_up(&app, "  New.Person@Example.NET ").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Check your email"));
    let mail = the_mail_to(&app, "new.person@example.net").await;
    let link = mail.link("/signup/confirm?token=").expect("a confirm link");
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("new.person@example.net"));
    let res = b.client.get(format!("{}{link}", app.base)).send().await.unwrap();
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    // Bad input is refused with what is wrong, and the link keeps working.
    let short = confirm(&b, &link, "New Person", "short", "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 12 characters"), "{}", short.body);
    let unnamed = confirm(&b, &link, "  ", "a long enough passphrase", "a long enough passphrase").await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.body.contains("Name: is required"), "{}", unnamed.body);
    let mismatch = confirm(&b, &link, "New Person", "a long enough passphrase", "another one").await;
    assert!(mismatch.body.contains("do not match"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM accounts".into()).await, 0);
    let done = confirm(
        &b,
        &link,
        "New Person",
        "a long enough passphrase",
        "a long enough passphrase",
    )
    .await;
    assert_eq!(done.location.as_deref(), Some("/login?signed_up=1"), "{}", done.body);
    assert!(b.get("/login?signed_up=1").await.body.contains("Your account is ready"));
    let verified = "SELECT COUNT(*) FROM accounts WHERE email = 'new.person@example.net' AND status = 'active' \
                    AND email_verified_at IS NOT NULL AND display_name = 'New Person'";
    assert_eq!(count(&app, verified.into()).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM org_accounts".into()).await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events".into()).await,
        0,
        "no org hears"
    );
    let signed_in = b.sign_in("new.person@example.net", "a long enough passphrase").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    // The link worked once.
    assert_eq!(Browser::new(&app.base).get(&link).await.status, StatusCode::GONE);
    let token = link.split_once("token=").unwrap().1;
    let csrf = b.get("/login").await.csrf();
    let again = b
        .post(
            "/signup/confirm",
            &[
                ("csrf", &csrf),
                ("token", token),
                ("name", "Someone Else"),
                ("password", "yet another passphrase"),
                ("confirm", "yet another passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("expired or was already used"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_links".into()).await, 0);
}

async fn an_address_with_an_account_gets_a_notice_and_the_very_same_answer(d: Dialect) {
    let app = with_signup(d).await;
    let org = app.create_org("Acme").await;
    let (_, taken) = app.console(&org).await;
    let known = sign_up(&app, &taken).await;
    let unknown = sign_up(&app, "nobody.yet@example.net").await;
    assert_eq!(known, unknown, "the same status and the very same page");
    let notice = the_mail_to(&app, &taken).await;
    assert!(notice.body.contains("already has one"), "{}", notice.body);
    assert!(notice.link("token=").is_none(), "a notice carries no link");
    let invite = the_mail_to(&app, "nobody.yet@example.net").await;
    assert!(invite.link("/signup/confirm?token=").is_some());
    let links = "SELECT COUNT(*) FROM email_links";
    assert_eq!(count(&app, links.into()).await, 1, "a link for the new address only");
    // A malformed address is told as such: that says nothing about anyone's account.
    let (status, body) = sign_up(&app, "not an address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Enter an email address"));
}

async fn a_link_followed_twice_at_once_makes_exactly_one_account(d: Dialect) {
    let app = with_signup(d).await;
    sign_up(&app, "twice@example.net").await;
    let link = the_mail_to(&app, "twice@example.net")
        .await
        .link("/signup/confirm")
        .unwrap();
    let b = Browser::new(&app.base);
    let page = b.get(&link).await;
    let (token, csrf) = (gatehouse_testkit::hidden(&page.body, "token").unwrap(), page.csrf());
    let posts = (0..4).map(|n| {
        let (b, token, csrf) = (&b, token.clone(), csrf.clone());
        async move {
            let name = format!("Racer {n}");
            let form = [
                ("csrf", csrf.as_str()),
                ("token", token.as_str()),
                ("name", name.as_str()),
                ("password", "a racing passphrase"),
                ("confirm", "a racing passphrase"),
            ];
            b.post("/signup/confirm", &form).await.status
        }
    });
    let statuses = futures::future::join_all(posts).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(won, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::GONE)
    );
    let accounts = "SELECT COUNT(*) FROM accounts WHERE email = 'twice@example.net'";
    assert_eq!(count(&app, accounts.into()).await, 1);
}

async fn sign_up_requests_are_limited_per_address_whatever_it_is(d: Dialect) {
    let app = with_signup(d).await;
    let org = app.create_org("Acme").await;
    let (_, taken) = app.console(&org).await;
    for email in [taken.as_str(), "limited@example.net"] {
        for _ in 0..5 {
            assert_eq!(sign_up(&app, email).await.0, StatusCode::OK, "{email}");
        }
        let (status, body) = sign_up(&app, email).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(body.contains("Too many requests"));
    }
    // Reset requests draw on the same budget: the mailbox is not flooded either way.
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    let forgot = b.post("/login/forgot", &[("csrf", &csrf), ("email", &taken)]).await;
    assert_eq!(forgot.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(wait_for(&app, &taken, 5).await.len(), 5);
    assert_eq!(wait_for(&app, "limited@example.net", 5).await.len(), 5);
    // Every job queued before this one has run once its mail is there.
    sign_up(&app, "last@example.net").await;
    the_mail_to(&app, "last@example.net").await;
    assert_eq!(mails(&app).await.len(), 11, "none after the limit");
}

async fn sign_up_forms_refuse_a_forged_or_missing_token(d: Dialect) {
    let app = with_signup(d).await;
    let b = Browser::new(&app.base);
    let no_cookie = b
        .post("/signup", &[("csrf", "csrf_forged"), ("email", "x@example.net")])
        .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    b.get("/signup").await;
    let wrong = b
        .post("/signup", &[("csrf", "csrf_forged"), ("email", "x@example.net")])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    sign_up(&app, "real@example.net").await;
    let link = the_mail_to(&app, "real@example.net")
        .await
        .link("/signup/confirm")
        .unwrap();
    let token = link.split_once("token=").unwrap().1.to_owned();
    let forged = b
        .post(
            "/signup/confirm",
            &[
                ("csrf", "csrf_forged"),
                ("token", &token),
                ("name", "Mallory"),
                ("password", "mallory's passphrase"),
                ("confirm", "mallory's passphrase"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM accounts".into()).await, 0);
    assert!(
        mails(&app).await.iter().all(|m| m.to == "real@example.net"),
        "nothing mailed to x"
    );
    // The link still works for the person it was mailed to.
    let ok = confirm(&b, &link, "Real", "a real passphrase!", "a real passphrase!").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

async fn a_sign_up_on_a_domain_an_org_claims_is_managed_by_it_and_in_its_log(d: Dialect) {
    let app = with_signup(d).await;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let other = app.create_org("Globex").await;
    sign_up(&app, "joiner@acme.test").await;
    let link = the_mail_to(&app, "joiner@acme.test")
        .await
        .link("/signup/confirm")
        .unwrap();
    let b = Browser::new(&app.base);
    let done = confirm(&b, &link, "Joiner", "joining passphrase", "joining passphrase").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let listed = app.get(&org, "/accounts?email=joiner").await;
    assert_eq!(listed.json["items"][0]["is_managed"], true, "{}", listed.text);
    let events = app.get(&org, "/events?action=auth.signed_up").await;
    let ev = &events.json["items"][0];
    assert_eq!(ev["actor"]["type"], "account", "{}", events.text);
    assert_eq!(ev["actor"]["label"], "joiner@acme.test");
    let elsewhere = app.get(&other, "/events?action=auth.signed_up").await;
    assert_eq!(elsewhere.json["items"], json!([]), "no other org hears");
}

async fn an_account_an_admin_adds_is_mailed_a_set_password_link_or_a_notice(d: Dialect) {
    let app = TestApp::spawn(d).await;
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let request = app
        .post(
            &acme,
            "/accounts",
            json!({"email": "pat@example.org", "display_name": "Pat"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED);
    let invite = the_mail_to(&app, "pat@example.org").await;
    assert!(invite.subject.contains("Acme added you"), "{invite:?}");
    let link = invite.link("/login/reset?token=").expect("a set-password link");
    // It works for 7 days, not the hour of a reset link.
    app.clock.advance_secs(6 * 86_400);
    let b = Browser::new(&app.base);
    let set = b.set_password(&link, "pat's chosen passphrase").await;
    assert_eq!(set.location.as_deref(), Some("/login?password_set=1"), "{}", set.body);
    let proven = "SELECT COUNT(*) FROM accounts WHERE email = 'pat@example.org' AND email_verified_at IS NOT NULL";
    assert_eq!(
        count(&app, proven.into()).await,
        1,
        "a mailed link used proves the address"
    );
    assert_eq!(
        b.sign_in("pat@example.org", "pat's chosen passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    // Another organization adds Pat from its console: a notice, and the password stays.
    let (console, _) = app.console(&globex).await;
    let page = format!("/admin/orgs/{}/accounts", globex.id);
    let csrf = console.get(&page).await.csrf();
    let added = console
        .post(
            &page,
            &[("csrf", &csrf), ("email", "pat@example.org"), ("display_name", "Pat")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let both = wait_for(&app, "pat@example.org", 2).await;
    let notice = &both[1];
    assert!(notice.subject.contains("Globex added you"), "{notice:?}");
    assert!(
        notice.link("token=").is_none(),
        "a notice carries no link: {}",
        notice.body
    );
    assert_eq!(
        b.sign_in("pat@example.org", "pat's chosen passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    let what_was_sent = |r: gatehouse_testkit::Resp| r.json["items"][0]["changes"]["after"]["sent"].clone();
    let path = "/events?action=auth.invitation_sent";
    assert_eq!(what_was_sent(app.get(&acme, path).await), "set_password_link");
    assert_eq!(what_was_sent(app.get(&globex, path).await), "notice");
}
