//! What deactivation means beyond sign-in. For the bill: an account is billable while the
//! organization manages it (here: on its verified domain), it is active and it has product
//! access in the organization (directly or through a group);
//! `active=false` and DELETE stop the billing, reactivation resumes it, and a person is counted
//! once however many ways they reach a product. For credentials: every API token of the
//! account is revoked, whoever deactivates it (a directory or an admin).

use super::scim::{directory, scim};
use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    deactivation_over_scim_stops_billing_and_reactivation_resumes_it,
    deactivation_revokes_api_tokens_and_admins_see_only_managed_tokens,
    the_console_shows_billing_and_revokes_a_managed_accounts_token,
);

/// (the account's `billable`, the organization's count of billable accounts)
async fn billing(app: &TestApp, org: &TestOrg, email: &str) -> (Value, i64) {
    let acc = app.get(org, &format!("/accounts?email={email}")).await;
    let o = app.get(org, "").await;
    (
        acc.json["items"][0]["billable"].clone(),
        o.json["counts"]["billable_accounts"].as_i64().unwrap(),
    )
}

fn active(on: bool) -> Value {
    // Okta's deactivation shape: a replace without a path.
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "value": {"active": on}}]})
}

async fn deactivation_over_scim_stops_billing_and_reactivation_resumes_it(app: TestApp) {
    use reqwest::Method as M;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let site = app
        .post(
            &org,
            "/instances",
            json!({"product":"jira-software","name":"Acme Jira","url":"https://acme.example.net","edition":"standard"}),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.text);
    let d = directory(&app, &org, "Okta").await;
    let (s, ada, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@acme.test",
                    "name": {"givenName": "Ada", "familyName": "Lovelace"}, "active": true}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{ada}");
    let ada_id = ada["id"].as_str().unwrap();
    assert_eq!(
        billing(&app, &org, "ada@acme.test").await,
        (json!(false), 0),
        "no product access yet"
    );

    // Access through a provisioned group makes her billable.
    let (s, grp, _) = scim(
        &app,
        &d,
        M::POST,
        "/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineers",
                    "members": [{"value": ada_id}]}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{grp}");
    let groups = app.get(&org, "/groups?name=Engineers").await;
    let group_id = groups.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Engineers")
        .unwrap()["id"]
        .clone();
    let grant = app
        .post(
            &org,
            "/access",
            json!({"instance_id": site.json["id"], "group_id": group_id, "role": "user"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(true), 1));

    // A direct grant as well: still one billable person.
    let acc = app.get(&org, "/accounts?email=ada@acme.test").await;
    let direct = app
        .post(
            &org,
            "/access",
            json!({"instance_id": site.json["id"], "account_id": acc.json["items"][0]["id"], "role": "admin"}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::CREATED, "{}", direct.text);
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(true), 1));

    // active=false: still a member with access, but no longer billable.
    let (s, u, _) = scim(&app, &d, M::PATCH, &format!("/Users/{ada_id}"), Some(active(false))).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(false), 0));

    // Reactivated: billable again.
    let (s, u, _) = scim(&app, &d, M::PATCH, &format!("/Users/{ada_id}"), Some(active(true))).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(true), 1));

    // DELETE deprovisions: deactivated and unlinked, so not billed.
    let (s, _, _) = scim(&app, &d, M::DELETE, &format!("/Users/{ada_id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(false), 0));
}

/// Gives the account a live API token, as the person's own token page will (through the
/// store port: there is no self-service surface yet). Returns the token id.
async fn seed_token(app: &TestApp, account: &str, name: &str) -> String {
    use gatehouse_core::ports::prelude::*;
    let minted = gatehouse_core::secret::mint("ghu").unwrap();
    let token = gatehouse_core::model::UserApiToken {
        id: gatehouse_core::ids::UserApiTokenId::new(),
        account_id: gatehouse_core::ids::AccountId::parse(account).unwrap(),
        name: name.into(),
        prefix: minted.prefix.clone(),
        created_at: gatehouse_core::Timestamp::now(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = app.store.begin().await.unwrap();
    tx.insert_user_api_token(&token, &minted.digest).await.unwrap();
    tx.commit().await.unwrap();
    token.id.to_string()
}

async fn token_statuses(app: &TestApp, org: &TestOrg, account: &str) -> Vec<String> {
    let r = app.get(org, &format!("/accounts/{account}/api-tokens")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn deactivation_revokes_api_tokens_and_admins_see_only_managed_tokens(app: TestApp) {
    use reqwest::Method as M;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let d = directory(&app, &org, "Okta").await;
    let (s, ada, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@acme.test", "active": true})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{ada}");
    let account = app.get(&org, "/accounts?email=ada@acme.test").await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = seed_token(&app, &account, "CI").await;
    seed_token(&app, &account, "Laptop").await;
    assert_eq!(token_statuses(&app, &org, &account).await, vec!["active", "active"]);

    // An admin revokes one; a second revoke of it is a 404, a made-up id too.
    let path = format!("/accounts/{account}/api-tokens/{first}/revoke");
    assert_eq!(app.post(&org, &path, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.post(&org, &path, json!({})).await.status, StatusCode::NOT_FOUND);
    let bogus = format!("/accounts/{account}/api-tokens/nope/revoke");
    assert_eq!(app.post(&org, &bogus, json!({})).await.status, StatusCode::NOT_FOUND);
    let mut statuses = token_statuses(&app, &org, &account).await;
    statuses.sort();
    assert_eq!(statuses, vec!["active", "revoked"]);
    assert_eq!(app.events(&org, "user_api_token.revoked").await.len(), 1);

    // The directory deactivates her: the remaining token is revoked in the same change, and
    // the revocation is audited with the directory as actor.
    let (s, _, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{}", ada["id"].as_str().unwrap()),
        Some(active(false)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(token_statuses(&app, &org, &account).await, vec!["revoked", "revoked"]);
    let ev = app.get(&org, "/events?action=account.api_tokens_revoked").await.json["items"].clone();
    let ev = ev.as_array().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["actor"]["type"], "directory");
    assert_eq!(ev[0]["changes"]["after"]["revoked"], 1);

    // An admin deactivating an account (not over SCIM) revokes its tokens too.
    let bob = app
        .post(
            &org,
            "/accounts",
            json!({"email": "bob@acme.test", "display_name": "Bob"}),
        )
        .await;
    let bob_id = bob.json["id"].as_str().unwrap().to_owned();
    seed_token(&app, &bob_id, "Script").await;
    let off = app
        .patch(&org, &format!("/accounts/{bob_id}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(token_statuses(&app, &org, &bob_id).await, vec!["revoked"]);

    // Another organization's view of a person it does not manage shows no tokens.
    let other = app.create_org("Globex").await;
    let added = app
        .post(
            &other,
            "/accounts",
            json!({"email": "ada@acme.test", "display_name": "Ada"}),
        )
        .await;
    assert_eq!(added.json["is_managed"], false, "{}", added.text);
    let r = app.get(&other, &format!("/accounts/{account}/api-tokens")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json["code"], "account_not_managed");
    let r = app
        .post(
            &other,
            &format!("/accounts/{account}/api-tokens/{first}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn the_console_shows_billing_and_revokes_a_managed_accounts_token(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let acc = app
        .post(
            &org,
            "/accounts",
            json!({"email": "ada@acme.test", "display_name": "Ada"}),
        )
        .await;
    let account = acc.json["id"].as_str().unwrap().to_owned();
    let token = seed_token(&app, &account, "Release script").await;
    let (b, _) = app.console(&org).await;
    let page = format!("/admin/orgs/{}/accounts/{account}", org.id);
    let detail = b.get(&page).await;
    assert!(
        detail.body.contains("Release script") && detail.body.contains("API tokens"),
        "{}",
        detail.body
    );
    assert!(
        detail.body.contains("<dt>Billable</dt><dd>No</dd>"),
        "no product access, not billable"
    );
    let revoke = format!("{page}/api-tokens/{token}/revoke");
    let r = b.post(&revoke, &[("csrf", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a forged form changes nothing");
    assert_eq!(token_statuses(&app, &org, &account).await, vec!["active"]);
    let r = b.post(&revoke, &[("csrf", &detail.csrf())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(token_statuses(&app, &org, &account).await, vec!["revoked"]);
    let after = b.get(r.location.as_deref().unwrap()).await;
    assert!(after.body.contains("API token revoked."));
    let ev = app.get(&org, "/events?action=user_api_token.revoked").await;
    assert_eq!(ev.json["items"][0]["actor"]["type"], "account");
}
