//! The admin console over real HTTP: sign-in, sessions, CSRF, lockout, reset links, and
//! pages that act through the same services as the API, audited as the signed-in admin.

use gatehouse_testkit::{ADMIN_PASSWORD, Browser, TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    every_console_page_renders_for_a_signed_in_admin,
    console_changes_are_audited_with_the_admin_account_as_actor,
    forms_without_the_session_csrf_token_are_refused_and_change_nothing,
    pages_need_a_session_and_other_orgs_answer_not_found,
    failures_look_alike_and_five_lock_the_address_with_backoff,
    sessions_end_when_idle_and_at_their_absolute_limit,
    reset_links_work_once_and_the_forgot_form_never_tells_who_exists,
    signing_out_and_signing_in_again_rotate_the_session,
    names_render_as_text_and_next_never_leaves_the_console,
    domains_are_added_verified_and_watched_from_the_console,
    directories_are_connected_rotated_and_removed_from_the_console,
    a_person_who_administers_nothing_signs_in_to_their_account_and_the_console_says_so,
);

async fn a_person_who_administers_nothing_signs_in_to_their_account_and_the_console_says_so(app: TestApp) {
    let org = app.create_org("Acme").await;
    let pat = app
        .post(
            &org,
            "/accounts",
            json!({"email":"pat@acme.example","display_name":"Pat"}),
        )
        .await;
    let email = "pat@acme.example";
    // Pat sets a password through the forgot form: it works for every account now.
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    let forgot = b.post("/login/forgot", &[("csrf", &csrf), ("email", email)]).await;
    assert!(forgot.body.contains("If an account exists for that address"));
    let mails = app.mails().await;
    let mail = mails
        .iter()
        .rfind(|m| m.starts_with(&format!("To: {email}")) && m.contains("/login/reset?token="))
        .expect("a reset link for Pat");
    let link = mail.lines().find(|l| l.contains("/login/reset?token=")).unwrap().trim();
    let set = b.set_password(link, "pat's own passphrase").await;
    assert_eq!(set.location.as_deref(), Some("/login?password_set=1"));
    let signed_in = b.sign_in(email, "pat's own passphrase").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    // The console has nothing for Pat: it says so, and no organization's page opens.
    let home = b.get("/admin").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("No organization to administer"), "{}", home.body);
    assert_eq!(
        b.get(&format!("/admin/orgs/{}", org.id)).await.status,
        StatusCode::NOT_FOUND
    );
    // Pat's account is not managed (acme.example is not verified) and Pat is no admin: Acme's
    // log hears nothing of Pat's sign-in.
    assert!(pat.json["id"].is_string());
    assert!(
        app.get(&org, "/events?action=auth.signed_in").await.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["targets"][0]["label"] != email),
        "an org that neither manages nor is administered by Pat hears nothing"
    );
}

async fn directories_are_connected_rotated_and_removed_from_the_console(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let base = format!("/admin/orgs/{}", org.id);
    let csrf = b.get(&format!("{base}/directories")).await.csrf();
    let created = b
        .post(&format!("{base}/directories"), &[("csrf", &csrf), ("name", "Okta")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = gatehouse_testkit::hidden(
        &created
            .body
            .replace("data-testid=\"directory-token\">", "name=\"tok\" value=\""),
        "tok",
    )
    .map(|t| t.split('<').next().unwrap().to_owned())
    .unwrap();
    assert!(token.starts_with("ghd_"), "{token}");
    let url_start = created.body.find("/scim/v2/").unwrap();
    let dir_id = created.body[url_start + 9..url_start + 9 + 36].to_owned();
    let scim = |t: String| {
        let c = app.client.clone();
        let u = format!("{}/scim/v2/{dir_id}/Users", app.base);
        async move { c.get(u).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(scim(token.clone()).await, StatusCode::OK, "the token shown works");
    assert!(
        !b.get(&format!("{base}/directories")).await.body.contains(&token),
        "and is never shown again"
    );
    let detail = format!("{base}/directories/{dir_id}");
    let rotated = b
        .post(&format!("{detail}/tokens"), &[("csrf", &csrf), ("overlap_hours", "0")])
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED);
    assert!(rotated.body.contains("badge expiring") || rotated.body.contains("badge expired"));
    let removed = b.post(&format!("{detail}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(scim(token).await, StatusCode::UNAUTHORIZED);
    let ev = app
        .get(
            &org,
            "/events?action=directory.created,directory.token_created,directory.removed",
        )
        .await;
    assert_eq!(ev.json["items"].as_array().unwrap().len(), 4);
}

async fn domains_are_added_verified_and_watched_from_the_console(app: TestApp) {
    let org = app.create_org("Acme").await;
    let other = app.create_org("Other").await;
    app.post(
        &other,
        "/accounts",
        json!({"email":"eve@console.test","display_name":"Eve"}),
    )
    .await;
    let (b, email) = app.console(&org).await;
    let base = format!("/admin/orgs/{}", org.id);
    let csrf = b.get(&format!("{base}/domains")).await.csrf();
    let gmail = b
        .post(
            &format!("{base}/domains"),
            &[("csrf", &csrf), ("name", "gmail.com"), ("claim_mode", "automatic")],
        )
        .await;
    assert_eq!(gmail.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(gmail.body.contains("public email provider"));
    let added = b
        .post(
            &format!("{base}/domains"),
            &[("csrf", &csrf), ("name", "console.test"), ("claim_mode", "automatic")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page_path = added.location.unwrap().split('?').next().unwrap().to_owned();
    let page = b.get(&page_path).await;
    let start = page.body.find("gatehouse-domain-verification=").unwrap();
    let record = page.body[start..start + 30 + 32].to_owned();
    assert!(page.body.contains("data-copy=\"txt-value\""), "copy buttons");
    let not_yet = b.post(&format!("{page_path}/verify"), &[("csrf", &csrf)]).await;
    assert!(not_yet.location.unwrap().ends_with("notice=domain_not_yet"));
    app.dns.set_txt("console.test", &[&[&record]]);
    let ok = b.post(&format!("{page_path}/verify"), &[("csrf", &csrf)]).await;
    assert!(ok.location.unwrap().ends_with("notice=domain_verified"));
    let verified = b.get(&page_path).await;
    assert!(verified.body.contains("badge verified"), "{}", verified.body);
    assert!(verified.body.contains("found"), "history shows the check");
    let managed = b
        .get(&format!("{base}/accounts?scope=managed&domain=console.test"))
        .await;
    assert!(managed.body.contains("eve@console.test"));
    let external = b.get(&format!("{base}/accounts?scope=external")).await;
    assert!(!external.body.contains("eve@console.test"));
    // The proof disappears: the next daily check warns on every page.
    app.dns.remove("console.test");
    app.clock.advance_secs(86_400 + 60);
    app.state.services.domains.run_checks().await.unwrap();
    let b = Browser::new(&app.base);
    assert_eq!(b.sign_in(&email, ADMIN_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let overview = b.get(&base).await;
    assert!(
        overview.body.contains("class=\"banner\"") && overview.body.contains("console.test"),
        "{}",
        overview.body
    );
    let ev = app.get(&org, "/events?action=domain.verified").await;
    assert_eq!(ev.json["items"][0]["actor"]["label"], email.as_str());
}

async fn every_console_page_renders_for_a_signed_in_admin(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, email) = app.console(&org).await;
    let home = b.get("/admin").await;
    assert_eq!(
        home.location.as_deref(),
        Some(format!("/admin/orgs/{}", org.id).as_str()),
        "one org: straight to it"
    );
    for (path, heading) in [
        ("", "<h1>Acme</h1>"),
        ("/instances", "<h1>Products</h1>"),
        ("/accounts", "<h1>Accounts</h1>"),
        ("/groups", "<h1>Groups</h1>"),
        ("/access", "<h1>Product access</h1>"),
        ("/api-keys", "<h1>API keys</h1>"),
        ("/events", "<h1>Audit log</h1>"),
    ] {
        let p = b.get(&format!("/admin/orgs/{}{path}", org.id)).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        assert!(p.body.contains(heading), "{path}");
        assert!(p.body.contains(&email), "{path} shows who is signed in");
        assert!(p.body.contains("aria-label=\"Main\""));
    }
    let signed_in = app.get(&org, "/events?action=auth.signed_in").await;
    assert_eq!(signed_in.json["items"][0]["actor"]["label"], email.as_str());
}

async fn console_changes_are_audited_with_the_admin_account_as_actor(app: TestApp) {
    let org = app.create_org("Acme").await;
    // Acme verified acme.example: it manages (and may deactivate) the accounts it makes there.
    app.verify_domain(&org, "acme.example", "automatic").await;
    let (b, email) = app.console(&org).await;
    let base = format!("/admin/orgs/{}", org.id);
    let csrf = b.get(&format!("{base}/instances")).await.csrf();
    let r = b
        .post(
            &format!("{base}/instances"),
            &[
                ("csrf", &csrf),
                ("product", "confluence"),
                ("name", "Wiki"),
                ("url", "https://wiki.acme.example"),
                ("edition", "standard"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(
            &format!("{base}/accounts"),
            &[("csrf", &csrf), ("email", "ada@acme.example"), ("display_name", "Ada")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let account_page = r.location.unwrap().split('?').next().unwrap().to_owned();
    let detail = b.get(&account_page).await;
    assert!(detail.body.contains("ada@acme.example"));
    let r = b
        .post(
            &format!("{account_page}/status"),
            &[("csrf", &csrf), ("status", "deactivated")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for action in ["instance.created", "account.created", "account.deactivated"] {
        let ev = app.get(&org, &format!("/events?action={action}")).await;
        let e = &ev.json["items"][0];
        assert_eq!(e["actor"]["type"], "account", "{action}");
        assert_eq!(e["actor"]["label"], email.as_str(), "{action}");
        assert_eq!(e["user_agent"], "gatehouse-browser-tests");
    }
    // The API sees exactly what the console made.
    let accounts = app.get(&org, "/accounts?email=ada@").await;
    assert_eq!(accounts.json["items"][0]["status"], "deactivated");
    let bad = b
        .post(
            &format!("{base}/instances"),
            &[
                ("csrf", &csrf),
                ("product", "confluence"),
                ("name", "Bad"),
                ("url", "ftp://nope"),
                ("edition", "standard"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("role=\"alert\"") && bad.body.contains("https://"));
}

async fn forms_without_the_session_csrf_token_are_refused_and_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let before = app.snapshot().await;
    let path = format!("/admin/orgs/{}/groups", org.id);
    for csrf in ["", "csrf_forged", "ghs_notthisone"] {
        let r = b
            .post(&path, &[("csrf", csrf), ("name", "Sneaky"), ("description", "")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("The form expired or was not sent from Gatehouse"));
    }
    let no_field = b.post(&path, &[("name", "Sneaky"), ("description", "")]).await;
    assert_eq!(no_field.status, StatusCode::FORBIDDEN);
    // Another session's token is no good either.
    let other = Browser::new(&app.base);
    let email = app.get(&org, &format!("/accounts/{}", org.admin_account_id)).await.json["email"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        other.sign_in(&email, ADMIN_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let foreign = other.get(&path).await.csrf();
    assert_eq!(
        b.post(&path, &[("csrf", &foreign), ("name", "Sneaky"), ("description", "")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Sign-in itself is protected by a pre-session token.
    let fresh = Browser::new(&app.base);
    let r = fresh
        .post(
            "/login",
            &[("csrf", "csrf_x"), ("email", "a@b.example"), ("password", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut after = app.snapshot().await;
    let mut before_sans_events = before.clone();
    // The second admin sign-in added events and nothing else; compare everything but the log.
    after.retain(|(t, _)| !t.starts_with("audit"));
    before_sans_events.retain(|(t, _)| !t.starts_with("audit"));
    assert_eq!(after, before_sans_events);
    assert!(
        app.get(&org, "/groups?name=Sneaky").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn pages_need_a_session_and_other_orgs_answer_not_found(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let anon = Browser::new(&app.base);
    let r = anon.get(&format!("/admin/orgs/{}/accounts", acme.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.unwrap().starts_with("/login?next=%2Fadmin%2Forgs%2F"));
    let r = anon
        .post(
            &format!("/admin/orgs/{}/groups", acme.id),
            &[("csrf", "x"), ("name", "n"), ("description", "")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a post without a session goes to sign-in"
    );
    let (b, _) = app.console(&acme).await;
    for path in [
        format!("/admin/orgs/{}", globex.id),
        format!("/admin/orgs/{}/accounts", globex.id),
        format!("/admin/orgs/{}/accounts/{}", acme.id, globex.admin_account_id),
        "/admin/orgs/0192a5e0-0000-7000-8000-000000000000/events".to_owned(),
        format!("/admin/orgs/{}/events/not-an-id", acme.id),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let globex_csrf = b.get(&format!("/admin/orgs/{}/groups", acme.id)).await.csrf();
    let r = b
        .post(
            &format!("/admin/orgs/{}/groups", globex.id),
            &[("csrf", &globex_csrf), ("name", "Crossing"), ("description", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        app.get(&globex, "/groups").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn failures_look_alike_and_five_lock_the_address_with_backoff(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (_, email) = app.console(&org).await;
    let b = Browser::new(&app.base);
    let unknown = b.sign_in("nobody@acme.example", "whatever password").await;
    let wrong = b.sign_in(&email, "not the password at all").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    for p in [&unknown, &wrong] {
        assert!(p.body.contains("role=\"alert\"") && p.body.contains("Incorrect email or password."));
    }
    for _ in 0..4 {
        b.sign_in(&email, "not the password at all").await;
    }
    let locked = b.sign_in(&email, ADMIN_PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is refused while locked"
    );
    assert!(locked.body.contains("Too many failed attempts"));
    let failed = app.get(&org, "/events?action=auth.sign_in_failed").await;
    assert_eq!(failed.json["items"].as_array().unwrap().len(), 5);
    assert_eq!(failed.json["items"][0]["ip"], "127.0.0.1");
    assert_eq!(
        failed.json["items"][0]["changes"]["after"]["reason"], "wrong_password",
        "the log says why, the page does not"
    );
    assert_eq!(
        app.get(&org, "/events?action=auth.locked_out").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.clock.advance_secs(31);
    assert_eq!(
        b.sign_in(&email, ADMIN_PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the lock lifts after its backoff"
    );
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, _) = app.console(&org).await;
    let page = format!("/admin/orgs/{}", org.id);
    app.clock.advance_secs(29 * 60);
    assert_eq!(
        b.get(&page).await.status,
        StatusCode::OK,
        "used within the idle timeout"
    );
    app.clock.advance_secs(29 * 60);
    assert_eq!(b.get(&page).await.status, StatusCode::OK, "activity renewed it");
    app.clock.advance_secs(31 * 60);
    assert_eq!(b.get(&page).await.status, StatusCode::SEE_OTHER, "idle too long");
    let (b, email) = app.console(&org).await;
    for _ in 0..25 {
        app.clock.advance_secs(29 * 60);
        if b.get(&page).await.status != StatusCode::OK {
            break;
        }
    }
    assert_eq!(
        b.get(&page).await.status,
        StatusCode::SEE_OTHER,
        "no session outlives 12 hours"
    );
    assert_eq!(b.sign_in(&email, ADMIN_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn reset_links_work_once_and_the_forgot_form_never_tells_who_exists(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (signed_in, email) = app.console(&org).await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    let known = b.post("/login/forgot", &[("csrf", &csrf), ("email", &email)]).await;
    let unknown = b
        .post("/login/forgot", &[("csrf", &csrf), ("email", "ghost@acme.example")])
        .await;
    assert_eq!(known.status, unknown.status);
    assert!(
        known.body.contains("If an account exists for that address")
            && unknown.body.contains("If an account exists for that address")
    );
    let outbox = app.mails().await;
    assert_eq!(outbox.len(), 1, "one mail, for the known address only");
    let mail = outbox[0].clone();
    assert!(mail.starts_with(&format!("To: {email}")));
    let link = mail
        .lines()
        .find(|l| l.contains("/login/reset?token="))
        .unwrap()
        .trim()
        .to_owned();
    let short = b.set_password(&link, "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 12 characters"));
    let ok = b.set_password(&link, "a brand new passphrase").await;
    assert_eq!(ok.location.as_deref(), Some("/login?password_set=1"));
    let again = b.set_password(&link, "yet another passphrase").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a link works once");
    assert_eq!(
        signed_in.get(&format!("/admin/orgs/{}", org.id)).await.status,
        StatusCode::SEE_OTHER,
        "a new password ends old sessions"
    );
    assert_eq!(b.sign_in(&email, ADMIN_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        b.sign_in(&email, "a brand new passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    let set = app.get(&org, "/events?action=auth.password_set").await;
    assert!(!set.json["items"].as_array().unwrap().is_empty());
}

async fn signing_out_and_signing_in_again_rotate_the_session(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, email) = app.console(&org).await;
    let page = format!("/admin/orgs/{}", org.id);
    let csrf = b.get(&page).await.csrf();
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login?signed_out=1"));
    assert!(b.get("/login?signed_out=1").await.body.contains("You are signed out."));
    assert_eq!(b.get(&page).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&org, "/events?action=auth.signed_out").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A session cookie planted before sign-in is replaced, never adopted.
    let r = b.sign_in(&email, ADMIN_PASSWORD).await;
    let set_cookie = r.location.is_some();
    assert!(set_cookie);
    let sessions = {
        let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    };
    assert_eq!(
        sessions, 1,
        "signing out deleted the old session; signing in made one new one"
    );
}

async fn names_render_as_text_and_next_never_leaves_the_console(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.post(
        &org,
        "/accounts",
        json!({"email":"x@acme.example","display_name":"<script>alert(1)</script>"}),
    )
    .await;
    let (b, email) = app.console(&org).await;
    let page = b.get(&format!("/admin/orgs/{}/accounts", org.id)).await;
    let at = page
        .body
        .find("alert(1)")
        .map(|i| &page.body[i.saturating_sub(40)..i + 40]);
    assert!(
        page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped text is shown: {at:?}"
    );
    assert!(!page.body.contains("<script>alert(1)"));
    let fresh = Browser::new(&app.base);
    let csrf = fresh.get("/login").await.csrf();
    for next in [
        "//evil.example/admin",
        "https://evil.example",
        "/admin\\@evil.example",
        "javascript:alert(1)",
    ] {
        let r = fresh
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", &email),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{next}");
    }
    let headers = b
        .client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .headers()
        .clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

/// A minimal SMTP server on loopback that accepts one conversation at a time and keeps each
/// message's DATA. Real SMTP on the wire: lettre speaks to it exactly as to a relay.
async fn smtp_sink() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            w.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
            let mut data: Option<String> = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(buf) = data.as_mut() {
                    if line == "." {
                        sink.lock().unwrap().push(data.take().unwrap());
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        buf.push_str(&line);
                        buf.push('\n');
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 sink.test\r\n",
                    "DATA" => {
                        data = Some(String::new());
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                w.write_all(reply).await.unwrap();
            }
        }
    });
    (port, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_links_go_out_over_smtp_when_it_is_configured() {
    let (port, got) = smtp_sink().await;
    let app = TestApp::spawn_with(gatehouse_testkit::Dialect::Sqlite, |c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        c.mail.from = "Gatehouse <noreply@gatehouse.test>".into();
    })
    .await;
    let org = app.create_org("Acme").await;
    let (_, email) = app.console(&org).await;
    let b = Browser::new(&app.base);
    let csrf = b.get("/login/forgot").await.csrf();
    b.post("/login/forgot", &[("csrf", &csrf), ("email", &email)]).await;
    app.settle().await;
    let messages = got.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "one message over SMTP");
    assert!(messages[0].contains(&format!("To: {email}")));
    assert!(messages[0].contains("From: Gatehouse <noreply@gatehouse.test>"));
    // The body travels quoted-printable (its link is longer than a mail line): decode it.
    let body = messages[0].replace("=\n", "").replace("=3D", "=");
    let link = body
        .lines()
        .find(|l| l.contains("/login/reset?token="))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        b.set_password(&link, "sent over smtp passphrase").await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        !app.data_dir.path().join("outbox").exists(),
        "nothing went to the outbox"
    );
}
