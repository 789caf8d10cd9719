//! What provisioning means for the bill: an account is billable while it is active and has
//! product access in the organization (directly or through a group); `active=false` and
//! DELETE stop the billing, reactivation resumes it, and a person is counted once however
//! many ways they reach a product.

use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(deactivation_over_scim_stops_billing_and_reactivation_resumes_it);

struct Dir {
    base: String,
    token: String,
}

async fn scim(app: &TestApp, d: &Dir, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", d.base))
        .bearer_auth(&d.token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

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
    let site = app
        .post(
            &org,
            "/instances",
            json!({"product":"jira-software","name":"Acme Jira","url":"https://acme.example.net","edition":"standard"}),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.text);
    let r = app.post(&org, "/directories", json!({"name": "Okta"})).await;
    let d = Dir {
        base: r.json["directory"]["scim_base_url"].as_str().unwrap().to_owned(),
        token: r.json["token"]["secret"].as_str().unwrap().to_owned(),
    };
    let (s, ada) = scim(
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
    let (s, grp) = scim(
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
    let (s, u) = scim(&app, &d, M::PATCH, &format!("/Users/{ada_id}"), Some(active(false))).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(false), 0));

    // Reactivated: billable again.
    let (s, u) = scim(&app, &d, M::PATCH, &format!("/Users/{ada_id}"), Some(active(true))).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(true), 1));

    // DELETE deprovisions: deactivated and unlinked, so not billed.
    let (s, _) = scim(&app, &d, M::DELETE, &format!("/Users/{ada_id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(billing(&app, &org, "ada@acme.test").await, (json!(false), 0));
}
