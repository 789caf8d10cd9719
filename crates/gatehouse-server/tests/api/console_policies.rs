//! Authentication policies in the console (issue 16), over real HTTP on both engines: the
//! list, a policy's page and its members render; a policy is added; an edit shows the
//! simulator's review and saves only when confirmed; refused edits change nothing; a CSV of
//! members is reviewed, then moved with a report per row (moved, not managed, not found,
//! malformed), as a file without JavaScript and as the script's JSON chunks; more than 10,000
//! rows are refused; forged posts change nothing; names are text, never markup.

use gatehouse_testkit::{Browser, Page, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    console_policies_pages_render_and_a_policy_is_added,
    console_policies_an_edit_is_reviewed_and_saved_only_on_confirm,
    console_policies_refused_edits_show_their_fields_and_change_nothing,
    console_policies_a_csv_upload_is_reviewed_then_reported_per_row,
    console_policies_the_script_moves_in_chunks_and_more_than_10000_rows_are_refused,
    console_policies_forged_posts_change_nothing,
    console_policies_names_are_escaped,
    console_policies_a_change_that_locks_every_admin_out_is_refused,
);

const DOMAIN: &str = "acme-policies.test";

fn base(org: &TestOrg) -> String {
    format!("/admin/orgs/{}/policies", org.id)
}

/// An org with a verified domain, two managed accounts on it (neither has a second factor),
/// one account it does not manage, and its admin's console.
struct Acme {
    org: TestOrg,
    b: Browser,
    alice: String,
    bob: String,
    outsider: String,
}

async fn acme(app: &TestApp) -> Acme {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "automatic").await;
    let alice = app.create_account(&org, &format!("alice@{DOMAIN}"), "Alice").await;
    let bob = app.create_account(&org, &format!("bob@{DOMAIN}"), "Bob").await;
    let outsider = app.create_account(&org, "olga@elsewhere.test", "Olga").await;
    let (b, _) = app.console(&org).await;
    Acme {
        org,
        b,
        alice: alice.to_string(),
        bob: bob.to_string(),
        outsider: outsider.to_string(),
    }
}

async fn policies(app: &TestApp, org: &TestOrg) -> Vec<Value> {
    let r = app.get(org, "/policies").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

async fn policy(app: &TestApp, org: &TestOrg, id: &str) -> Value {
    let r = app.get(org, &format!("/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

async fn member_ids(app: &TestApp, org: &TestOrg, id: &str) -> Vec<String> {
    let r = app.get(org, &format!("/policies/{id}/members")).await;
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["account_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The org's audit events with this action made by a signed-in admin (the console).
async fn console_events(app: &TestApp, org: &TestOrg, action: &str) -> Vec<Value> {
    let r = app
        .get(org, &format!("/events?action={action}&actor_type=account&limit=200"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// Adds a policy through the form; answers its id, from where the answer sends the admin.
async fn add_policy(b: &Browser, org: &TestOrg, name: &str) -> String {
    let csrf = b.get(&base(org)).await.csrf();
    let made = b.post(&base(org), &[("csrf", &csrf), ("name", name)]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let to = made.location.expect("to the policy's page");
    let rest = to.strip_prefix(&format!("{}/", base(org))).expect("the policy's page");
    rest.split('?').next().unwrap().to_owned()
}

/// The edit form as the page fills it for default settings, with `changes` over it.
fn edit_form<'a>(csrf: &'a str, name: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("name", name),
        ("identity_provider_id", ""),
        ("two_step", "optional"),
        ("min_length", "12"),
        ("min_strength", "0"),
        ("expiry_days", ""),
        ("history", "0"),
        ("refuse_common", "on"),
        ("idle_minutes", ""),
        ("absolute_minutes", ""),
    ];
    for (k, v) in changes {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

/// Posts a CSV file as the members page's form does without JavaScript.
async fn upload(b: &Browser, path: &str, csrf: &str, csv: &str) -> Page {
    let boundary = "gatehouse-test-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let res = b
        .client
        .post(format!("{}{path}", b.base))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    Page {
        status: res.status(),
        location: None,
        body: res.text().await.expect("body"),
    }
}

/// Posts JSON as the members page's script does, with the CSRF token in its header.
async fn script_post(b: &Browser, path: &str, csrf: Option<&str>, entries: &[String]) -> (StatusCode, Value) {
    let mut req = b
        .client
        .post(format!("{}{path}", b.base))
        .json(&json!({ "entries": entries }));
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let res = req.send().await.expect("post");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The outcome column of each row of a move page's report, in order.
fn outcomes(body: &str) -> Vec<String> {
    body.match_indices("data-outcome=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn console_policies_pages_render_and_a_policy_is_added(app: TestApp) {
    let a = acme(&app).await;
    let list = a.b.get(&base(&a.org)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("aria-current=\"page\">Authentication policies</a>"));
    assert!(
        list.body
            .contains(">Default</a> <span class=\"badge active\">default</span>")
    );
    assert!(list.body.contains("Two-step optional"), "the rules are summarized");
    let count = policies(&app, &a.org).await[0]["member_count"].as_i64().unwrap();
    assert!(count >= 2, "both managed accounts are in the default");
    assert!(list.body.contains(&format!("/members\">{count}</a>")), "{}", list.body);

    let id = add_policy(&a.b, &a.org, "Strict").await;
    let page = a.b.get(&format!("{}/{id}?notice=policy_created", base(&a.org))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Policy added."));
    assert!(
        page.body
            .contains("name=\"min_length\" inputmode=\"numeric\" value=\"12\"")
    );
    assert!(page.body.contains("Make this the default policy") && page.body.contains("Delete policy"));
    let members = a.b.get(&format!("{}/{id}/members", base(&a.org))).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert!(members.body.contains("No members.") && members.body.contains("<progress id=\"csv-progress\""));
    let default_id = policies(&app, &a.org).await[0]["id"].as_str().unwrap().to_owned();
    let default_members = a.b.get(&format!("{}/{default_id}/members", base(&a.org))).await;
    assert!(default_members.body.contains(&format!("alice@{DOMAIN}")));

    let saved =
        a.b.post(
            &format!("{}/external", base(&a.org)),
            &[
                ("csrf", &list.csrf()),
                ("require_email_code", "on"),
                ("session_max_minutes", "60"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let ext = app.get(&a.org, "/external-users-policy").await;
    assert_eq!(
        (
            ext.json["require_email_code"].clone(),
            ext.json["session_max_minutes"].clone()
        ),
        (json!(true), json!(60))
    );

    let made_default =
        a.b.post(&format!("{}/{id}/default", base(&a.org)), &[("csrf", &list.csrf())])
            .await;
    assert_eq!(made_default.status, StatusCode::SEE_OTHER);
    assert_eq!(policy(&app, &a.org, &id).await["is_default"], true);
}

async fn console_policies_an_edit_is_reviewed_and_saved_only_on_confirm(app: TestApp) {
    let a = acme(&app).await;
    let id = policies(&app, &a.org).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", base(&a.org));
    let csrf = a.b.get(&path).await.csrf();
    let form = edit_form(&csrf, "Default", &[("two_step", "required"), ("min_length", "14")]);
    let review = a.b.post(&path, &form).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(review.body.contains("Review changes to Default"));
    assert!(review.body.contains("Two-step required"), "the proposed rules");
    assert!(review.body.contains(&format!(">alice@{DOMAIN}</a>")), "{}", review.body);
    assert!(
        review
            .body
            .contains("No second factor yet: must enrol at the next sign-in: <strong>")
    );
    assert!(
        review
            .body
            .contains(&format!(">bob@{DOMAIN}</a></td><td>No second factor yet"))
    );
    assert!(review.body.contains("name=\"confirm\" value=\"1\""));
    let before = policy(&app, &a.org, &id).await;
    assert_eq!(
        before["two_step_verification"], "optional",
        "nothing saved by the review"
    );
    assert_eq!(before["password"]["min_length"], 12);

    let mut confirmed = form.clone();
    confirmed.push(("confirm", "1"));
    let saved = a.b.post(&path, &confirmed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = policy(&app, &a.org, &id).await;
    assert_eq!(after["two_step_verification"], "required");
    assert_eq!(after["password"]["min_length"], 14);
    assert_eq!(console_events(&app, &a.org, "policy.updated").await.len(), 1);
}

async fn console_policies_refused_edits_show_their_fields_and_change_nothing(app: TestApp) {
    let a = acme(&app).await;
    let strict = add_policy(&a.b, &a.org, "Strict").await;
    let id = policies(&app, &a.org).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", base(&a.org));
    let csrf = a.b.get(&path).await.csrf();
    let before = policy(&app, &a.org, &id).await;
    for (changes, says) in [
        (vec![("min_length", "7")], "Password.min length: must be from 8 to 128"),
        (vec![("history", "lots")], "Password.history: must be a whole number"),
        (
            vec![("idle_minutes", "5")],
            "Session.idle minutes: must be from 15 minutes",
        ),
        (
            vec![("non_billable", "on"), ("two_step", "required")],
            "cannot require two-step verification",
        ),
    ] {
        for confirm in [false, true] {
            let mut form = edit_form(&csrf, "Default", &changes);
            if confirm {
                form.push(("confirm", "1"));
            }
            let refused = a.b.post(&path, &form).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{changes:?}: {}",
                refused.body
            );
            assert!(refused.body.contains(says), "{says}: {}", refused.body);
            assert!(refused.body.contains("Review changes"), "the form again");
        }
    }
    let taken = a.b.post(&path, &edit_form(&csrf, "strict", &[("confirm", "1")])).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(taken.body.contains("A policy with this name already exists"));
    assert!(taken.body.contains("value=\"strict\""), "what was entered stays");
    assert_eq!(policy(&app, &a.org, &id).await, before, "nothing changed");

    let default_delete =
        a.b.post(&format!("{path}/delete"), &[("csrf", &csrf), ("confirm", "yes")])
            .await;
    assert_eq!(default_delete.status, StatusCode::CONFLICT, "{}", default_delete.body);
    assert!(default_delete.body.contains("The default policy cannot be deleted"));
    let unconfirmed =
        a.b.post(&format!("{}/{strict}/delete", base(&a.org)), &[("csrf", &csrf)])
            .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(policies(&app, &a.org).await.len(), 2);
    let deleted =
        a.b.post(
            &format!("{}/{strict}/delete", base(&a.org)),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(policies(&app, &a.org).await.len(), 1);
}

async fn console_policies_a_csv_upload_is_reviewed_then_reported_per_row(app: TestApp) {
    let a = acme(&app).await;
    let id = add_policy(&a.b, &a.org, "Strict").await;
    let members = format!("{}/{id}/members", base(&a.org));
    let csrf = a.b.get(&members).await.csrf();
    let csv = format!(
        "email\r\nalice@{DOMAIN}\r\n\"{}\"\r\n{},extra column\r\nnobody@{DOMAIN}\r\nnot an account\r\n\r\nALICE@{DOMAIN}\r\n",
        a.bob, a.outsider
    );
    let review = upload(&a.b, &format!("{members}/upload"), &csrf, &csv).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_eq!(
        outcomes(&review.body),
        [
            "will_move",
            "will_move",
            "will_move",
            "not_found",
            "malformed",
            "duplicate"
        ],
        "{}",
        review.body
    );
    assert!(review.body.contains("data-testid=\"simulation\""));
    assert!(
        review.body.contains("1 named account(s) are not managed"),
        "{}",
        review.body
    );
    assert!(
        member_ids(&app, &a.org, &id).await.is_empty(),
        "nothing moved by the review"
    );

    let marker = "<textarea name=\"entries\" hidden>";
    let start = review.body.find(marker).expect("the rows, posted again") + marker.len();
    let end = review.body[start..].find("</textarea>").unwrap();
    let entries = review.body[start..start + end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"");
    let report =
        a.b.post(&members, &[("csrf", &csrf), ("entries", &entries), ("confirm", "1")])
            .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("Move report: Strict"));
    assert_eq!(
        outcomes(&report.body),
        ["moved", "moved", "not_managed", "not_found", "malformed", "duplicate"],
        "{}",
        report.body
    );
    let mut now = member_ids(&app, &a.org, &id).await;
    now.sort();
    let mut expected = vec![a.alice.clone(), a.bob.clone()];
    expected.sort();
    assert_eq!(now, expected);
    assert_eq!(console_events(&app, &a.org, "policy.member_moved").await.len(), 2);

    // One account typed in: reviewed, then already there.
    let one =
        a.b.post(&members, &[("csrf", &csrf), ("entries", &format!("bob@{DOMAIN}"))])
            .await;
    assert_eq!(outcomes(&one.body), ["will_move"]);
    let again =
        a.b.post(
            &members,
            &[("csrf", &csrf), ("entries", &format!("bob@{DOMAIN}")), ("confirm", "1")],
        )
        .await;
    assert_eq!(outcomes(&again.body), ["already_member"]);
}

async fn console_policies_the_script_moves_in_chunks_and_more_than_10000_rows_are_refused(app: TestApp) {
    let a = acme(&app).await;
    let id = add_policy(&a.b, &a.org, "Strict").await;
    let members = format!("{}/{id}/members", base(&a.org));
    let csrf = a.b.get(&members).await.csrf();
    let rows = vec![format!("alice@{DOMAIN}"), a.outsider.clone(), "x".to_owned()];
    let (status, sim) = script_post(&a.b, &format!("{members}/simulate"), Some(&csrf), &rows).await;
    assert_eq!(status, StatusCode::OK, "{sim}");
    assert_eq!(sim["rows"][0]["outcome"], "will_move");
    assert_eq!(sim["rows"][2]["outcome"], "malformed");
    assert_eq!(sim["simulation"]["checked"], 1);
    assert!(member_ids(&app, &a.org, &id).await.is_empty());

    let (status, moved) = script_post(&a.b, &format!("{members}/move"), Some(&csrf), &rows).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let got: Vec<&str> = moved["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["moved", "not_managed", "malformed"]);
    assert_eq!(moved["rows"][0]["label"], "Moved");
    assert_eq!(member_ids(&app, &a.org, &id).await, std::slice::from_ref(&a.alice));

    let too_many: Vec<String> = (0..10_001).map(|n| format!("person{n}@{DOMAIN}")).collect();
    let (status, refused) = script_post(&a.b, &format!("{members}/move"), Some(&csrf), &too_many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("at most 10000"),
        "{refused}"
    );
    let nul = upload(&a.b, &format!("{members}/upload"), &csrf, &format!("{}\0\n", a.bob)).await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);
    assert!(nul.body.contains("must not contain the NUL character"));
    let csv = format!("email\n{}\n{}", a.bob, too_many.join("\n"));
    let page = upload(&a.b, &format!("{members}/upload"), &csrf, &csv).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(
        page.body
            .contains("at most 10000 accounts in one move (this list has 10002)")
    );
    assert_eq!(
        member_ids(&app, &a.org, &id).await,
        std::slice::from_ref(&a.alice),
        "nothing moved"
    );
}

async fn console_policies_forged_posts_change_nothing(app: TestApp) {
    let a = acme(&app).await;
    let id = add_policy(&a.b, &a.org, "Strict").await;
    let members = format!("{}/{id}/members", base(&a.org));
    let forged = a.b.post(&base(&a.org), &[("csrf", "forged"), ("name", "Sneaky")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let edit =
        a.b.post(
            &format!("{}/{id}", base(&a.org)),
            &edit_form("forged", "Strict", &[("two_step", "required"), ("confirm", "1")]),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    let rows = vec![a.alice.clone()];
    for csrf in [None, Some("forged")] {
        let (status, _) = script_post(&a.b, &format!("{members}/move"), csrf, &rows).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let up = upload(&a.b, &format!("{members}/upload"), "forged", &a.alice).await;
    assert_eq!(up.status, StatusCode::FORBIDDEN);
    let moved =
        a.b.post(&members, &[("csrf", "forged"), ("entries", &a.alice), ("confirm", "1")])
            .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);

    assert_eq!(policies(&app, &a.org).await.len(), 2, "no policy added");
    assert_eq!(policy(&app, &a.org, &id).await["two_step_verification"], "optional");
    assert!(member_ids(&app, &a.org, &id).await.is_empty(), "nobody moved");

    // Another organization's admin sees none of it.
    let other = app.create_org("Other").await;
    let (ob, _) = app.console(&other).await;
    assert_eq!(
        ob.get(&format!("{}/{id}", base(&a.org))).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn console_policies_names_are_escaped(app: TestApp) {
    let a = acme(&app).await;
    let id = add_policy(&a.b, &a.org, "<b>Bold</b> & \"co\"").await;
    for path in [
        base(&a.org),
        format!("{}/{id}", base(&a.org)),
        format!("{}/{id}/members", base(&a.org)),
    ] {
        let page = a.b.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<b>Bold</b>"), "{path}: {}", page.body);
        assert!(
            page.body.contains("&#60;b&#62;Bold&#60;/b&#62;") || page.body.contains("&lt;b&gt;Bold&lt;/b&gt;"),
            "{path}"
        );
    }
    let members = format!("{}/{id}/members", base(&a.org));
    let csrf = a.b.get(&members).await.csrf();
    let review =
        a.b.post(&members, &[("csrf", &csrf), ("entries", "<script>x</script>")])
            .await;
    assert!(!review.body.contains("<script>x</script>"));
    assert_eq!(outcomes(&review.body), ["malformed"]);
}

async fn console_policies_a_change_that_locks_every_admin_out_is_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, admin_email) = app.console(&org).await;
    // The organization manages its admin's account: the admin follows the default policy.
    let admin_domain = admin_email.rsplit_once('@').unwrap().1.to_owned();
    app.verify_domain(&org, &admin_domain, "automatic").await;
    let admin = app.get(&org, &format!("/accounts/{}", org.admin_account_id)).await;
    assert_eq!(admin.json["is_managed"], true, "{}", admin.json);
    let id = policies(&app, &org).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", base(&org));
    let csrf = b.get(&path).await.csrf();
    let before = policy(&app, &org, &id).await;

    let form = edit_form(&csrf, "Default", &[("sso_enforced", "on")]);
    let review = b.post(&path, &form).await;
    assert_eq!(
        review.status,
        StatusCode::OK,
        "the review itself changes nothing: {}",
        review.body
    );
    let mut confirmed = form.clone();
    confirmed.push(("confirm", "1"));
    let refused = b.post(&path, &confirmed).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("This change would leave no admin of the organization a way to sign in"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("role=\"alert\""));
    assert_eq!(policy(&app, &org, &id).await, before, "nothing changed");
    assert!(console_events(&app, &org, "policy.updated").await.is_empty());
}
