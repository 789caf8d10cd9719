//! The organization model end to end through the API.

use gatehouse_core::ids::AccountId;
use gatehouse_testkit::{Grantee, TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    quickstart_flow_creates_everything_and_audits_each_step,
    group_access_shows_on_the_account_and_in_filters,
    service_management_roles_are_checked_per_product,
    deleting_a_managed_account_removes_its_access_and_memberships,
    accounts_of_another_org_are_added_not_duplicated_and_stay_unmanaged,
    the_last_admin_cannot_be_removed,
    lists_page_with_cursors,
    a_user_provisioned_by_a_directory_is_an_account_of_the_org,
);

async fn quickstart_flow_creates_everything_and_audits_each_step(app: TestApp) {
    let org = app.create_org("Acme").await;
    // The organization verifies its domain first: it manages the accounts it creates there.
    app.verify_domain(&org, "example.com", "automatic").await;
    let site = app
        .create_instance(
            &org,
            "jira-software",
            "Acme Jira",
            "https://acme.example.net",
            "standard",
        )
        .await;
    let acc = app
        .post(
            &org,
            "/accounts",
            json!({"email":"Ada@Example.com","display_name":"Ada Lovelace"}),
        )
        .await;
    assert_eq!(acc.status, StatusCode::CREATED, "{}", acc.text);
    assert_eq!(acc.json["email"], "ada@example.com");
    assert_eq!(acc.json["is_managed"], true);
    let acc_id: AccountId = acc.json["id"].as_str().unwrap().parse().unwrap();
    let grp = app.create_group(&org, "Engineering").await;
    app.add_member(&org, grp, acc_id).await;
    app.grant_access(&org, site, Grantee::Account(acc_id), "admin").await;

    for action in [
        "instance.created",
        "account.created",
        "group.created",
        "group.member_added",
        "product_access.granted",
    ] {
        let ev = app.events(&org, action).await;
        assert_eq!(ev.len(), 1, "{action}");
        assert_eq!(ev[0]["actor"]["type"], "api_key");
        assert_eq!(ev[0]["ip"], "127.0.0.1");
        assert_eq!(ev[0]["user_agent"], "gatehouse-tests");
    }
    let granted = &app.events(&org, "product_access.granted").await[0];
    assert_eq!(granted["changes"]["after"]["role"], "admin");
    let targets: Vec<&str> = granted["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(targets.contains(&acc_id.to_string().as_str()) && targets.contains(&site.to_string().as_str()));

    let patched = app
        .patch(&org, &format!("/accounts/{acc_id}"), json!({"status":"deactivated"}))
        .await;
    assert_eq!(patched.json["status"], "deactivated");
    let ev = app.events(&org, "account.deactivated").await;
    assert_eq!(ev[0]["changes"]["before"]["status"], "active");
    assert_eq!(ev[0]["changes"]["after"]["status"], "deactivated");
}

async fn group_access_shows_on_the_account_and_in_filters(app: TestApp) {
    let org = app.create_org("Acme").await;
    let wiki = app
        .create_instance(&org, "confluence", "Wiki", "https://wiki.example.net", "free")
        .await;
    let a_id = app.create_account(&org, "a@example.com", "A").await;
    let b = app
        .post(
            &org,
            "/accounts",
            json!({"email":"b@example.com","display_name":"Beatrice"}),
        )
        .await;
    let g_id = app.create_group(&org, "Writers").await;
    app.add_member(&org, g_id, a_id).await;
    app.grant_access(&org, wiki, Grantee::Group(g_id), "user").await;

    let detail = app.get(&org, &format!("/accounts/{a_id}")).await;
    assert_eq!(detail.json["groups"][0]["name"], "Writers");
    assert_eq!(detail.json["product_access"][0]["via_group_id"], g_id.to_string());
    assert_eq!(detail.json["product_access"][0]["product"], "confluence");

    let by_product = app.get(&org, "/accounts?product=confluence").await;
    let emails: Vec<&str> = by_product.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["a@example.com"]);
    let by_name = app.get(&org, "/accounts?name=BEAT").await;
    assert_eq!(by_name.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_name.json["items"][0]["id"], b.json["id"]);
    let by_status = app.get(&org, "/accounts?status=deactivated").await;
    assert!(by_status.json["items"].as_array().unwrap().is_empty());
}

async fn service_management_roles_are_checked_per_product(app: TestApp) {
    let org = app.create_org("Acme").await;
    let jsm = app
        .post(&org, "/instances", json!({"product":"jira-service-management","name":"Help","url":"https://help.example.net","edition":"premium"}))
        .await;
    let a = app
        .post(
            &org,
            "/accounts",
            json!({"email":"c@example.com","display_name":"Customer"}),
        )
        .await;
    let (jsm_id, a_id) = (jsm.json["id"].as_str().unwrap(), a.json["id"].as_str().unwrap());
    let before = app.snapshot().await;
    let wrong = app
        .post(
            &org,
            "/access",
            json!({"instance_id": jsm_id, "account_id": a_id, "role": "user"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json["errors"][0]["field"], "role");
    assert_eq!(app.snapshot().await, before);
    let ok = app
        .post(
            &org,
            "/access",
            json!({"instance_id": jsm_id, "account_id": a_id, "role": "customer"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let again = app
        .post(
            &org,
            "/access",
            json!({"instance_id": jsm_id, "account_id": a_id, "role": "agent"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "access_exists");
    let access_id = ok.json["id"].as_str().unwrap();
    let up = app
        .patch(&org, &format!("/access/{access_id}"), json!({"role":"agent"}))
        .await;
    assert_eq!(up.json["role"], "agent");
    let sp = app
        .post(
            &org,
            "/instances",
            json!({"product":"statuspage","name":"Status","url":"https://status.example.net","edition":"premium"}),
        )
        .await;
    assert_eq!(sp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sp.json["errors"][0]["field"], "edition");
}

async fn deleting_a_managed_account_removes_its_access_and_memberships(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "example.com", "automatic").await;
    let site = app
        .post(
            &org,
            "/instances",
            json!({"product":"bitbucket","name":"Code","url":"https://code.example.net","edition":"standard"}),
        )
        .await;
    let a = app
        .post(
            &org,
            "/accounts",
            json!({"email":"leaver@example.com","display_name":"Leaver"}),
        )
        .await;
    let g = app.post(&org, "/groups", json!({"name":"Devs"})).await;
    let (site_id, a_id, g_id) = (
        site.json["id"].as_str().unwrap(),
        a.json["id"].as_str().unwrap(),
        g.json["id"].as_str().unwrap(),
    );
    app.post(&org, &format!("/groups/{g_id}/members"), json!({"account_id": a_id}))
        .await;
    app.post(
        &org,
        "/access",
        json!({"instance_id": site_id, "account_id": a_id, "role": "user"}),
    )
    .await;
    let del = app.delete(&org, &format!("/accounts/{a_id}")).await;
    assert_eq!(del.status, StatusCode::ACCEPTED, "{}", del.text);
    app.clock.advance_secs(15 * 86_400);
    assert_eq!(app.state.services.accounts.purge_deleted().await.unwrap(), 1);
    assert_eq!(
        app.get(&org, &format!("/accounts/{a_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&org, &format!("/groups/{g_id}")).await.json["member_count"], 0);
    assert!(
        app.get(&org, &format!("/access?instance_id={site_id}")).await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let ev = app.get(&org, "/events?action=account.deleted").await;
    assert_eq!(ev.json["items"][0]["changes"]["before"]["email"], "leaver@example.com");
    assert_eq!(app.events(&org, "account.deletion_scheduled").await.len(), 1);
}

async fn accounts_of_another_org_are_added_not_duplicated_and_stay_unmanaged(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    app.verify_domain(&acme, "example.com", "automatic").await;
    let first = app
        .post(
            &acme,
            "/accounts",
            json!({"email":"shared@example.com","display_name":"Shared"}),
        )
        .await;
    let second = app
        .post(
            &globex,
            "/accounts",
            json!({"email":"SHARED@example.com","display_name":"Other name"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    assert_eq!(second.json["id"], first.json["id"]);
    assert_eq!(second.json["is_managed"], false);
    assert_eq!(
        second.json["display_name"], "Shared",
        "the profile belongs to the managing org"
    );
    let id = first.json["id"].as_str().unwrap();
    let denied = app
        .patch(&globex, &format!("/accounts/{id}"), json!({"status":"deactivated"}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.code(), "account_not_managed");
    assert_eq!(app.events(&globex, "account.added").await.len(), 1);
    let removed = app.delete(&globex, &format!("/accounts/{id}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&acme, &format!("/accounts/{id}")).await.status,
        StatusCode::OK,
        "removal from one org leaves the account"
    );
}

async fn the_last_admin_cannot_be_removed(app: TestApp) {
    let org = app.create_org("Acme").await;
    let r = app.delete(&org, &format!("/admins/{}", org.admin_account_id)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "last_admin");
    let del = app.delete(&org, &format!("/accounts/{}", org.admin_account_id)).await;
    assert_eq!(del.code(), "last_admin");
    // An account the org manages, so the role is granted at once.
    app.verify_domain(&org, "second.test", "manual").await;
    let b = app
        .post(
            &org,
            "/accounts",
            json!({"email":"second@second.test","display_name":"Second"}),
        )
        .await;
    let b_id = b.json["id"].as_str().unwrap();
    assert_eq!(
        app.post(&org, "/admins", json!({"account_id": b_id})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.post(&org, "/admins", json!({"account_id": b_id})).await.code(),
        "already_admin"
    );
    assert_eq!(
        app.delete(&org, &format!("/admins/{}", org.admin_account_id))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let admins = app.get(&org, "/admins").await;
    assert_eq!(admins.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(admins.json["items"][0]["account_id"], b_id);
}

async fn lists_page_with_cursors(app: TestApp) {
    let org = app.create_org("Acme").await;
    for n in 0..7 {
        let r = app.post(&org, "/groups", json!({"name": format!("Team {n}")})).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut names = Vec::new();
    let mut path = "/groups?limit=3".to_owned();
    loop {
        let r = app.get(&org, &path).await;
        names.extend(
            r.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_owned()),
        );
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/groups?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names, (0..7).map(|n| format!("Team {n}")).collect::<Vec<_>>());
}

async fn a_user_provisioned_by_a_directory_is_an_account_of_the_org(app: TestApp) {
    let org = app.create_org("Acme").await;
    let dir = app.directory(&org, "Okta").await;
    let scim = app.scim(&dir);
    let id = scim.create_user("grace@acme.test", "Grace", "Hopper").await;
    let accounts = app.get(&org, "/accounts?limit=200").await;
    let emails: Vec<&str> = accounts.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"grace@acme.test"), "{emails:?}");
    let read = scim.call(reqwest::Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.json["userName"], "grace@acme.test");
}
