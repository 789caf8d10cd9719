//! Sign-in pages under attack: attempt limits per (email, client), per email and per client;
//! the hashing queue; reset links checked before hashing and bound to the password they
//! replace; the cleanup job; and the sign-in forms' own input (next, unreadable forms, CSRF).

use gatehouse_testkit::{ADMIN_PASSWORD, Browser, Dialect, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::net::IpAddr;

engine_tests!(
    reset_posts_check_the_link_before_hashing_and_an_older_link_dies_when_a_newer_one_is_used,
    reset_requests_are_limited_per_address_whatever_it_is,
    expired_sessions_reset_links_and_throttle_keys_are_deleted_by_the_cleanup_job,
    a_next_address_with_a_line_break_is_a_bad_request_not_a_crash,
    forms_that_do_not_parse_say_what_was_wrong,
    a_csrf_cookie_the_server_did_not_make_is_refused_with_its_matching_field,
    the_email_step_answers_alike_for_an_address_with_an_account_and_one_without,
);

/// Tests that need a configuration of their own, on each engine.
macro_rules! configured_tests {
    ($($name:ident),* $(,)?) => {
        mod configured_sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(gatehouse_testkit::Dialect::Sqlite).await } )*
        }
        mod configured_postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(gatehouse_testkit::Dialect::Postgres).await } )*
        }
    };
}

configured_tests!(
    one_persons_typos_lock_only_their_address_from_their_client,
    a_success_takes_back_only_its_own_attempt,
    guessing_one_address_from_many_clients_meets_the_email_ceiling,
    one_client_guessing_many_addresses_meets_its_ceiling,
    reset_posts_meet_the_clients_ceiling,
    a_full_hashing_queue_answers_503_with_retry_after_and_counts_nothing,
    the_forgot_form_answers_before_its_mail_is_sent,
);

/// An app that believes `X-Forwarded-For` from loopback, so a test can speak from any client
/// address, with the sign-in settings `tweak` sets.
async fn behind_proxy(d: Dialect, tweak: impl FnOnce(&mut gatehouse_server::config::Config)) -> TestApp {
    TestApp::spawn_with(d, |c| {
        c.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
        tweak(c);
    })
    .await
}

/// What a form post answered.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// Posts a sign-in page's form from client address `ip`, with the browser's own form token.
async fn post_from(b: &Browser, ip: &str, path: &str, form: &[(&str, &str)]) -> Answer {
    let page = if path == "/login/reset" { "/login/forgot" } else { path };
    let csrf = b.get(page).await.csrf();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let res = b
        .client
        .post(format!("{}{path}", b.base))
        .header("x-forwarded-for", ip)
        .form(&fields)
        .send()
        .await
        .unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

async fn sign_in_from(b: &Browser, ip: &str, email: &str, password: &str) -> Answer {
    post_from(
        b,
        ip,
        "/login",
        &[("email", email), ("password", password), ("next", "/admin")],
    )
    .await
}

/// An org with an admin who has a password, and the admin's email.
async fn admin_with_password(app: &TestApp, name: &str) -> (TestOrg, String) {
    let org = app.create_org(name).await;
    let (_, email) = app.console(&org).await;
    (org, email)
}

/// One number from the database.
async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn one_persons_typos_lock_only_their_address_from_their_client(d: Dialect) {
    let app = behind_proxy(d, |_| {}).await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let (_, bob) = admin_with_password(&app, "Globex").await;
    let b = Browser::new(&app.base);
    for _ in 0..5 {
        let typo = sign_in_from(&b, "198.51.100.1", &ada, "not quite the password").await;
        assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    }
    let locked = sign_in_from(&b, "198.51.100.1", &ada, ADMIN_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "five typos lock Ada here");
    assert!(locked.headers.contains_key("retry-after"));
    assert!(locked.body.contains("Too many failed attempts"), "{}", locked.body);
    let elsewhere = sign_in_from(&Browser::new(&app.base), "203.0.113.9", &ada, ADMIN_PASSWORD).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::SEE_OTHER,
        "from another client Ada signs in"
    );
    let colleague = sign_in_from(&Browser::new(&app.base), "198.51.100.1", &bob, ADMIN_PASSWORD).await;
    assert_eq!(
        colleague.status,
        StatusCode::SEE_OTHER,
        "Bob behind the same NAT is not locked by Ada's typos"
    );
}

async fn guessing_one_address_from_many_clients_meets_the_email_ceiling(d: Dialect) {
    let app = behind_proxy(d, |c| c.sign_in.email_ceiling = 8).await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    for n in 1..=8 {
        let guess = sign_in_from(&b, &format!("198.51.100.{n}"), &ada, "a guessed password").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let right = sign_in_from(&b, "203.0.113.9", &ada, ADMIN_PASSWORD).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "eight guesses from eight clients lock the address everywhere"
    );
}

async fn one_client_guessing_many_addresses_meets_its_ceiling(d: Dialect) {
    let app = behind_proxy(d, |c| c.sign_in.ip_ceiling = 8).await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    for n in 1..=8 {
        let guess = sign_in_from(&b, "198.51.100.7", &format!("user{n}@acme.example"), "a guess").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let from_there = sign_in_from(&b, "198.51.100.7", &ada, ADMIN_PASSWORD).await;
    assert_eq!(from_there.status, StatusCode::TOO_MANY_REQUESTS, "the client is locked");
    let from_elsewhere = sign_in_from(&b, "203.0.113.9", &ada, ADMIN_PASSWORD).await;
    assert_eq!(
        from_elsewhere.status,
        StatusCode::SEE_OTHER,
        "the addresses it tried are not"
    );
}

async fn a_success_takes_back_only_its_own_attempt(d: Dialect) {
    let app = behind_proxy(d, |_| {}).await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let guesser = Browser::new(&app.base);
    for _ in 0..4 {
        let guess = sign_in_from(&guesser, "198.51.100.66", &ada, "a guessed password").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let ada_signs_in = sign_in_from(&Browser::new(&app.base), "203.0.113.9", &ada, ADMIN_PASSWORD).await;
    assert_eq!(ada_signs_in.status, StatusCode::SEE_OTHER);
    // Ada's success cleared nobody's count but her own: the guesser has one guess left.
    let fifth = sign_in_from(&guesser, "198.51.100.66", &ada, "another guess").await;
    assert_eq!(fifth.status, StatusCode::UNAUTHORIZED);
    let sixth = sign_in_from(&guesser, "198.51.100.66", &ada, ADMIN_PASSWORD).await;
    assert_eq!(
        sixth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's earlier guesses still count"
    );
    let email_attempts = count(&app, "SELECT attempts FROM sign_in_throttle WHERE key LIKE 'email:%'").await;
    assert_eq!(
        email_attempts, 5,
        "five guesses counted for the address; Ada's own taken back"
    );
}

async fn a_full_hashing_queue_answers_503_with_retry_after_and_counts_nothing(d: Dialect) {
    let app = behind_proxy(d, |c| {
        c.sign_in.hash_workers = 1;
        c.sign_in.hash_queue = 1;
        c.sign_in.attempts = 1000;
        c.sign_in.email_ceiling = 1000;
        c.sign_in.ip_ceiling = 1000;
    })
    .await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = std::sync::Arc::new(Browser::new(&app.base));
    let csrf = b.get("/login").await.csrf();
    let (mut refused, mut checked) = (0, 0);
    // Rounds of twenty at once until the queue has overflowed (one worker, a queue of one).
    for _ in 0..10 {
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (b, csrf, ada) = (b.clone(), csrf.clone(), ada.clone());
                tokio::spawn(async move {
                    let res = b
                        .client
                        .post(format!("{}/login", b.base))
                        .form(&[
                            ("csrf", csrf.as_str()),
                            ("email", &ada),
                            ("password", "a wrong password"),
                        ])
                        .send()
                        .await
                        .unwrap();
                    let (status, headers) = (res.status(), res.headers().clone());
                    (status, headers, res.text().await.unwrap())
                })
            })
            .collect();
        for t in tasks {
            let (status, headers, body) = t.await.unwrap();
            match status {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    refused += 1;
                    assert!(headers.contains_key("retry-after"));
                    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
                    assert!(body.contains("busy"), "{body}");
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        if refused > 0 {
            break;
        }
    }
    assert!(
        refused > 0,
        "twenty sign-ins at once overflow one worker and a queue of one"
    );
    let counted = count(&app, "SELECT attempts FROM sign_in_throttle WHERE key LIKE 'pair:%'").await;
    assert_eq!(counted, checked, "only the attempts that were checked count");
    assert!(app.metric("gatehouse_password_hash_refused_total").await >= f64::from(refused));
}

async fn reset_posts_check_the_link_before_hashing_and_an_older_link_dies_when_a_newer_one_is_used(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (older, email) = app.reset_link(&org).await;
    let (newer, _) = app.reset_link(&org).await;
    let hashes = || app.metric("gatehouse_password_hashes_total{op=\"hash\"}");
    let before = hashes().await as i64;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    let unknown = format!("ghr_{}", "A".repeat(43));
    for token in [unknown.as_str(), "ghr_short", "not-a-token"] {
        let r = b
            .post(
                "/login/reset",
                &[
                    ("csrf", &csrf),
                    ("token", token),
                    ("password", "a long enough passphrase"),
                    ("confirm", "a long enough passphrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{token}");
        assert!(r.body.contains("expired or was already used"), "{token}");
    }
    assert_eq!(hashes().await as i64, before, "no link, no hash");
    assert_eq!(
        b.set_password(&newer, "the newer passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    let stale = b.set_password(&older, "the older passphrase").await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("expired or was already used"));
    assert_eq!(hashes().await as i64, before + 1, "only the working link hashed");
    assert_eq!(
        b.sign_in(&email, "the newer passphrase").await.status,
        StatusCode::SEE_OTHER,
        "the newer link set the password"
    );
    let (expiring, _) = app.reset_link(&org).await;
    app.clock.advance_secs(3601);
    let late = b.set_password(&expiring, "a passphrase too late").await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY, "an expired link");
}

async fn reset_requests_are_limited_per_address_whatever_it_is(app: TestApp) {
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    for email in [ada.as_str(), "ghost@acme.example"] {
        for _ in 0..5 {
            let r = b.post("/login/forgot", &[("csrf", &csrf), ("email", email)]).await;
            assert!(r.body.contains("If an account exists for that address"), "{email}");
        }
        let r = b.post("/login/forgot", &[("csrf", &csrf), ("email", email)]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(r.body.contains("Too many requests"), "{email}");
    }
    let mails = app.mails().await.len();
    assert_eq!(mails, 5, "five mails to Ada, none after the limit, none to nobody");
}

async fn reset_posts_meet_the_clients_ceiling(d: Dialect) {
    let app = behind_proxy(d, |c| c.sign_in.ip_ceiling = 6).await;
    let org = app.create_org("Acme").await;
    let (link, _) = app.reset_link(&org).await;
    let b = Browser::new(&app.base);
    let bogus = format!("ghr_{}", "B".repeat(43));
    for n in 0..6 {
        let r = post_from(
            &b,
            "198.51.100.3",
            "/login/reset",
            &[
                ("token", &bogus),
                ("password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "post {n}");
    }
    let token = link.split("token=").nth(1).unwrap();
    let fields = [
        ("token", token),
        ("password", "a long enough passphrase"),
        ("confirm", "a long enough passphrase"),
    ];
    let limited = post_from(&b, "198.51.100.3", "/login/reset", &fields).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    let elsewhere = post_from(&b, "203.0.113.9", "/login/reset", &fields).await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER, "the link itself still works");
}

async fn expired_sessions_reset_links_and_throttle_keys_are_deleted_by_the_cleanup_job(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (_, email) = app.console(&org).await;
    Browser::new(&app.base)
        .sign_in("ghost@acme.example", "a guessed password")
        .await;
    app.reset_link(&org).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 1);
    app.clock.advance_secs(13 * 3600);
    // What is still live afterwards: a new session, a new link, the keys of a new sign-in.
    let b = Browser::new(&app.base);
    assert_eq!(b.sign_in(&email, ADMIN_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let (live_link, _) = app.reset_link(&org).await;
    let ran = gatehouse_server::jobs::run_now(&app.state, "sign-in-cleanup", "test-node").await;
    assert!(matches!(ran, Some(Ok(true))));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await,
        1,
        "only the new session"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM password_resets").await,
        1,
        "used and expired links are gone"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sign_in_throttle").await,
        2,
        "the ghost's keys are gone; the new sign-in's email and client keys remain"
    );
    assert_eq!(b.get(&format!("/admin/orgs/{}", org.id)).await.status, StatusCode::OK);
    assert_eq!(
        b.set_password(&live_link, "a live link's passphrase").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn a_next_address_with_a_line_break_is_a_bad_request_not_a_crash(app: TestApp) {
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    let page = b.get("/login?next=/admin%0D%0ASet-Cookie:%20x=1").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("control characters"), "{}", page.body);
    let csrf = b.get("/login").await.csrf();
    let before = count(&app, "SELECT COUNT(*) FROM sessions").await;
    let post = b
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &ada),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin\r\nSet-Cookie: x=1"),
            ],
        )
        .await;
    assert_eq!(post.status, StatusCode::BAD_REQUEST);
    assert!(post.body.contains("control characters"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await,
        before,
        "no session opened"
    );
}

async fn forms_that_do_not_parse_say_what_was_wrong(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let groups = format!("/admin/orgs/{}/groups", org.id);
    let csrf = b.get(&groups).await.csrf();
    let before = app.snapshot().await;
    let missing = b.post(&groups, &[("csrf", &csrf), ("description", "no name")]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body.contains("missing field") && missing.body.contains("name"),
        "{}",
        missing.body
    );
    assert!(!missing.body.contains("Form expired"));
    let forged = b.post(&groups, &[("csrf", "csrf_forged"), ("description", "x")]).await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "without the token it is still refused as forged"
    );
    let fresh = Browser::new(&app.base);
    let login_csrf = fresh.get("/login").await.csrf();
    let no_email = fresh
        .post("/login", &[("csrf", &login_csrf), ("password", "a passphrase")])
        .await;
    assert_eq!(no_email.status, StatusCode::BAD_REQUEST);
    assert!(
        no_email.body.contains("missing field") && no_email.body.contains("email"),
        "{}",
        no_email.body
    );
    assert!(no_email.body.contains("<html"), "a page, not plain text");
    assert_eq!(app.snapshot().await, before);
}

async fn a_csrf_cookie_the_server_did_not_make_is_refused_with_its_matching_field(app: TestApp) {
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let genuine = Browser::new(&app.base).get("/login").await.csrf();
    let (nonce_and_time, _) = genuine.rsplit_once('.').unwrap();
    for planted in [
        "csrf_planted".to_owned(),
        format!("csrf_{}", "A".repeat(43)),
        format!("{nonce_and_time}.{}", "A".repeat(43)),
    ] {
        let r = app
            .client
            .post(format!("{}/login", app.base))
            .header("cookie", format!("gh_login_csrf={planted}"))
            .form(&[
                ("csrf", planted.as_str()),
                ("email", &ada),
                ("password", ADMIN_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{planted}");
        assert!(r.text().await.unwrap().contains("The form expired"));
    }
    // The server's own pair still works, on any node sharing the database.
    let node = app.another_node(|_| {}).await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login").await.csrf();
    let r = b
        .client
        .post(format!("{}/login", node.base))
        .header("cookie", format!("gh_login_csrf={csrf}"))
        .form(&[("csrf", csrf.as_str()), ("email", &ada), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// The page without its CSRF token (which differs per visitor, whatever the address).
fn without_token(body: &str) -> String {
    let token = gatehouse_testkit::hidden(body, "csrf").unwrap_or_default();
    body.replace(&token, "")
}

async fn the_email_step_answers_alike_for_an_address_with_an_account_and_one_without(app: TestApp) {
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login").await.csrf();
    let step = |email: String| {
        let (b, csrf) = (&b, csrf.clone());
        async move {
            b.post("/login", &[("csrf", csrf.as_str()), ("email", email.as_str())])
                .await
        }
    };
    let known = step(ada.clone()).await;
    let unknown = step("ghost@acme.example".to_owned()).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert!(
        known.body.contains("name=\"password\""),
        "the password step: {}",
        known.body
    );
    assert_eq!(
        without_token(&known.body).replace(&ada, "ADDRESS"),
        without_token(&unknown.body).replace("ghost@acme.example", "ADDRESS"),
        "the same page but for the address it repeats"
    );
    let bad = step("not an address".to_owned()).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter an email address"));
}

/// The forgot form answers while its mail cannot be delivered at all: an SMTP server that
/// accepts connections and never says a word. Were the lookup and the mail done before the
/// answer, a known address would wait on the mail server (and so differ from an unknown one).
async fn the_forgot_form_answers_before_its_mail_is_sent(d: Dialect) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = TestApp::spawn_with(d, |c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let (_, ada) = admin_with_password(&app, "Acme").await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    for email in [ada.as_str(), "ghost@acme.example", ada.as_str()] {
        let answered = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            b.post("/login/forgot", &[("csrf", &csrf), ("email", email)]),
        )
        .await
        .expect("the page answers without waiting for the mail server");
        assert!(
            answered.body.contains("If an account exists for that address"),
            "{email}"
        );
    }
    silent.abort();
}
