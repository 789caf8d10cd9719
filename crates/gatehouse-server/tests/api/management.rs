//! Only a verified domain makes an organization the manager of an account (issue 11, item 1),
//! over HTTP on both engines. An organization manages what it creates on a domain it verified
//! and what it claims there; enforcement and billing apply to those accounts only. Any other
//! account is the person's own: the organization may add it, grant and revoke its access,
//! suspend it through its directory and remove it, in the organization only.

use gatehouse_core::ids::AccountId;
use gatehouse_testkit::{Grantee, TestApp, TestDirectory, engine_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

engine_tests!(
    an_org_without_the_verified_domain_cannot_deactivate_someone_elses_account,
    an_org_manages_and_bills_only_what_it_creates_on_its_verified_domain,
    a_directory_suspends_an_account_its_org_does_not_manage_in_that_org_only,
    a_directory_suspending_an_admin_it_does_not_manage_ends_their_console_access_there,
    removing_a_verified_domain_releases_the_accounts_created_on_it,
);

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn id_of(r: &gatehouse_testkit::Resp) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

async fn scim_patch(app: &TestApp, dir: &TestDirectory, user: &str, op: Value) -> Value {
    let r = app
        .scim(dir)
        .call(
            Method::PATCH,
            &format!("/Users/{user}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [op]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

async fn an_org_without_the_verified_domain_cannot_deactivate_someone_elses_account(app: TestApp) {
    let victim = app.create_org("Victim").await;
    let mallory = app.create_org("Mallory").await;
    // Mallory is the first to add Victim's CEO, before Victim verified its domain.
    let first = app
        .post(
            &mallory,
            "/accounts",
            json!({"email": "ceo@victim.test", "display_name": "CEO"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.json["is_managed"], false, "no verified domain, no management");
    let id = id_of(&first);
    // The CEO works at Victim and administers its console.
    let added = app
        .post(
            &victim,
            "/accounts",
            json!({"email": "ceo@victim.test", "display_name": "CEO"}),
        )
        .await;
    assert_eq!(added.json["id"], id.as_str());
    // Victim does not manage the account either (no verified domain yet): the CEO is
    // invited, and accepts.
    let invited = app.post(&victim, "/admins", json!({"account_id": id})).await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let email = app.give_password(AccountId::parse(&id).unwrap()).await;
    let person = app.person(&email, "the ceo's browser").await;
    let invitation = gatehouse_core::ids::AdminInvitationId::parse(invited.json["id"].as_str().unwrap()).unwrap();
    app.state
        .services
        .admins
        .accept_invitation(
            &person.signed_in,
            invitation,
            &gatehouse_core::audit::RequestMeta::default(),
        )
        .await
        .unwrap();
    let ceo = app.browser_as(&app.base, &email).await;

    let before = app.snapshot().await;
    for patch in [
        json!({"status": "deactivated"}),
        json!({"display_name": "Pwned"}),
        json!({"email": "ceo@mallory.test"}),
    ] {
        let r = app.patch(&mallory, &format!("/accounts/{id}"), patch.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{patch}: {}", r.text);
        assert_eq!(r.code(), "account_not_managed");
    }
    let cancel = app
        .post(&mallory, &format!("/accounts/{id}/cancel-deletion"), json!({}))
        .await;
    assert_eq!(cancel.code(), "no_deletion_scheduled");
    let tokens = app.get(&mallory, &format!("/accounts/{id}/api-tokens")).await;
    assert_eq!(tokens.code(), "account_not_managed");
    assert_eq!(app.snapshot().await, before, "refusals change nothing");

    // What Mallory may do: grant access to its own products, and remove the CEO from Mallory.
    let wiki = app
        .create_instance(&mallory, "confluence", "Wiki", "https://wiki.mallory.test", "standard")
        .await;
    let account: AccountId = id.parse().unwrap();
    app.grant_access(&mallory, wiki, Grantee::Account(account), "user")
        .await;
    let removed = app.delete(&mallory, &format!("/accounts/{id}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    assert_eq!(
        app.get(&mallory, &format!("/accounts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Victim's CEO is as before: active, named, an admin, still signed in to the console.
    let at_victim = app.get(&victim, &format!("/accounts/{id}")).await;
    assert_eq!(at_victim.json["status"], "active");
    assert_eq!(at_victim.json["display_name"], "CEO");
    assert_eq!(at_victim.json["is_org_admin"], true);
    assert_eq!(
        ceo.get(&format!("/admin/orgs/{}", victim.id)).await.status,
        StatusCode::OK
    );

    // Once Victim verifies victim.test it manages its CEO; Mallory still cannot.
    app.verify_domain(&victim, "victim.test", "automatic").await;
    let managed = app.get(&victim, &format!("/accounts/{id}")).await;
    assert_eq!(managed.json["is_managed"], true);
    app.post(
        &mallory,
        "/accounts",
        json!({"email": "ceo@victim.test", "display_name": "CEO"}),
    )
    .await;
    let denied = app
        .patch(&mallory, &format!("/accounts/{id}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(denied.code(), "account_not_managed");
}

async fn an_org_manages_and_bills_only_what_it_creates_on_its_verified_domain(app: TestApp) {
    let org = app.create_org("Acme").await;
    // Manual claims: what makes the accounts below managed is creating them on the domain.
    app.verify_domain(&org, "acme.test", "manual").await;
    let site = app
        .create_instance(&org, "jira-software", "Jira", "https://jira.acme.test", "standard")
        .await;
    let staff = app.create_account(&org, "bob@acme.test", "Bob").await;
    let guest = app.create_account(&org, "gus@partner.test", "Gus").await;
    for a in [staff, guest] {
        app.grant_access(&org, site, Grantee::Account(a), "user").await;
    }
    let bob = app.get(&org, &format!("/accounts/{staff}")).await;
    assert_eq!(
        (bob.json["is_managed"].clone(), bob.json["billable"].clone()),
        (json!(true), json!(true))
    );
    let gus = app.get(&org, &format!("/accounts/{guest}")).await;
    assert_eq!(
        (gus.json["is_managed"].clone(), gus.json["billable"].clone()),
        (json!(false), json!(false)),
        "the person's own account: access, but no bill"
    );
    assert_eq!(gus.json["product_access"].as_array().unwrap().len(), 1);
    let counts = app.get(&org, "").await;
    assert_eq!(counts.json["counts"]["billable_accounts"], 1);
    let off = app
        .patch(&org, &format!("/accounts/{staff}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(off.json["status"], "deactivated", "{}", off.text);
    let refused = app
        .patch(&org, &format!("/accounts/{guest}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "account_not_managed");
}

#[allow(clippy::too_many_lines)] // one person, seen from two organizations, step by step
async fn a_directory_suspends_an_account_its_org_does_not_manage_in_that_org_only(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let partner = app.create_org("Partner").await;
    // Pat works for Partner, with access to Partner's wiki; nobody verified partner.test.
    let pat = app.create_account(&partner, "pat@partner.test", "Pat").await;
    let theirs = app
        .create_instance(&partner, "confluence", "Wiki", "https://wiki.partner.test", "standard")
        .await;
    app.grant_access(&partner, theirs, Grantee::Account(pat), "user").await;
    // Acme's directory provisions Pat too, and Acme grants Pat its Jira.
    let dir = app.directory(&acme, "Okta").await;
    let user = app.scim(&dir).create_user("pat@partner.test", "Pat", "Doe").await;
    let ours = app
        .create_instance(&acme, "jira-software", "Jira", "https://jira.acme.test", "standard")
        .await;
    app.grant_access(&acme, ours, Grantee::Account(pat), "user").await;
    let at_acme = app.get(&acme, &format!("/accounts/{pat}")).await;
    assert_eq!(at_acme.json["is_managed"], false);
    assert_eq!(at_acme.json["display_name"], "Pat", "the account keeps its own name");
    assert_eq!(at_acme.json["product_access"].as_array().unwrap().len(), 1);

    // active=false: suspended in Acme only.
    let off = scim_patch(&app, &dir, &user, json!({"op": "replace", "value": {"active": false}})).await;
    assert_eq!(off["active"], false);
    let read = app.scim(&dir).call(Method::GET, &format!("/Users/{user}"), None).await;
    assert_eq!(read.json["active"], false, "the directory reads back active: false");
    let at_acme = app.get(&acme, &format!("/accounts/{pat}")).await;
    assert!(at_acme.json["suspended_at"].is_string(), "{}", at_acme.text);
    assert_eq!(at_acme.json["status"], "active", "the account itself is untouched");
    assert!(
        at_acme.json["product_access"].as_array().unwrap().is_empty(),
        "its access here ended"
    );
    let on_jira = app.get(&acme, &format!("/accounts?instance_id={ours}")).await;
    assert!(on_jira.json["items"].as_array().unwrap().is_empty());
    let at_partner = app.get(&partner, &format!("/accounts/{pat}")).await;
    assert_eq!(at_partner.json["status"], "active");
    assert!(at_partner.json["suspended_at"].is_null());
    assert_eq!(at_partner.json["product_access"].as_array().unwrap().len(), 1);
    let ev = app.get(&acme, "/events?action=scim.user_suspended").await;
    assert_eq!(ev.json["items"][0]["actor"]["type"], "directory", "{}", ev.text);
    let (console, _) = app.console(&acme).await;
    let page = console.get(&format!("/admin/orgs/{}/accounts/{pat}", acme.id)).await;
    assert!(
        page.body.contains("<dt>Suspended in this organization</dt>")
            && page.body.contains("No: the person's own account"),
        "{}",
        page.body
    );

    // A rename stays on the directory's resource; the account keeps its name.
    let renamed = scim_patch(
        &app,
        &dir,
        &user,
        json!({"op": "replace", "path": "displayName", "value": "Pat Renamed"}),
    )
    .await;
    assert_eq!(renamed["displayName"], "Pat Renamed");
    assert_eq!(
        app.get(&partner, &format!("/accounts/{pat}")).await.json["display_name"],
        "Pat"
    );
    assert_eq!(
        app.get(&acme, &format!("/accounts/{pat}")).await.json["display_name"],
        "Pat"
    );

    // Active again: the suspension ends and the kept grant applies again.
    scim_patch(&app, &dir, &user, json!({"op": "replace", "value": {"active": true}})).await;
    let back = app.get(&acme, &format!("/accounts/{pat}")).await;
    assert!(back.json["suspended_at"].is_null());
    assert_eq!(back.json["product_access"].as_array().unwrap().len(), 1);

    // DELETE removes Pat from Acme; Partner's Pat is untouched.
    let gone = app
        .scim(&dir)
        .call(Method::DELETE, &format!("/Users/{user}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(
        app.get(&acme, &format!("/accounts/{pat}")).await.status,
        StatusCode::NOT_FOUND
    );
    let at_partner = app.get(&partner, &format!("/accounts/{pat}")).await;
    assert_eq!(
        (
            at_partner.json["status"].clone(),
            at_partner.json["display_name"].clone()
        ),
        (json!("active"), json!("Pat"))
    );
}

async fn a_directory_suspending_an_admin_it_does_not_manage_ends_their_console_access_there(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (b, email) = app.console(&org).await;
    let page = format!("/admin/orgs/{}", org.id);
    assert_eq!(b.get(&page).await.status, StatusCode::OK);
    let dir = app.directory(&org, "Okta").await;
    let user = app.scim(&dir).create_user(&email, "Ad", "Min").await;
    scim_patch(&app, &dir, &user, json!({"op": "replace", "value": {"active": false}})).await;
    assert_eq!(
        b.get(&page).await.status,
        StatusCode::NOT_FOUND,
        "suspended here: not this organization's admin while it lasts"
    );
    scim_patch(&app, &dir, &user, json!({"op": "replace", "value": {"active": true}})).await;
    assert_eq!(b.get(&page).await.status, StatusCode::OK);
}

async fn removing_a_verified_domain_releases_the_accounts_created_on_it(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = app.verify_domain(&org, "corp.test", "automatic").await;
    let made = app.create_account(&org, "made@corp.test", "Made").await;
    assert_eq!(
        app.get(&org, &format!("/accounts/{made}")).await.json["is_managed"],
        true
    );
    let removed = app
        .delete(&org, &format!("/domains/{}", d["id"].as_str().unwrap()))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    assert_eq!(
        app.get(&org, &format!("/accounts/{made}")).await.json["is_managed"],
        false,
        "created there, released with the domain"
    );
    let ev = app.get(&org, "/events?action=domain.unverified").await;
    assert_eq!(ev.json["items"][0]["changes"]["after"]["released_accounts"], 1);
    let refused = app
        .patch(&org, &format!("/accounts/{made}"), json!({"display_name": "Renamed"}))
        .await;
    assert_eq!(refused.code(), "account_not_managed");
}
