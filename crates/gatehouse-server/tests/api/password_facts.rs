//! Password facts (issue 12, item 7), over HTTP on both engines: a password set through a reset
//! link is measured (length, zxcvbn strength, whether it is common) in the same write as its
//! hash; the organization that manages the account reads the facts on the API and in the
//! console; one that does not manage it sees nothing of them; a password set before Gatehouse
//! measured passwords reads "unknown".

use gatehouse_core::ids::AccountId;
use gatehouse_testkit::{Browser, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    the_managing_org_reads_the_facts_of_a_password_set_through_a_reset_link,
    a_password_set_before_facts_were_measured_reads_unknown,
    an_org_that_does_not_manage_the_account_sees_nothing_of_its_password,
);

/// Acme, which verified acme.test and so manages Ada's account, made there; Ada's id.
async fn acme_with_ada(app: &TestApp) -> (TestOrg, AccountId) {
    let acme = app.create_org("Acme").await;
    app.verify_domain(&acme, "acme.test", "manual").await;
    let ada = app.create_account(&acme, "ada@acme.test", "Ada Lovelace").await;
    (acme, ada)
}

/// Sets Ada's password through a reset link, as the mailed link would.
async fn set_password(app: &TestApp, org: &TestOrg, ada: AccountId, password: &str) {
    let as_ada = TestOrg {
        admin_account_id: ada.to_string(),
        ..org.clone()
    };
    let (link, _) = app.reset_link(&as_ada).await;
    let set = Browser::new(&app.base).set_password(&link, password).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
}

async fn password_of(app: &TestApp, org: &TestOrg, id: AccountId) -> Value {
    let r = app.get(org, &format!("/accounts/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["password"].clone()
}

async fn the_managing_org_reads_the_facts_of_a_password_set_through_a_reset_link(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    assert_eq!(password_of(&app, &acme, ada).await, json!({"state": "none"}));
    // The default policy refuses common passwords; this one lets them in, to measure one.
    let as_ada = TestOrg {
        admin_account_id: ada.to_string(),
        ..acme.clone()
    };
    let (link, _) = app.reset_link(&as_ada).await;
    let refused = Browser::new(&app.base).set_password(&link, "Password1234").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("commonly used"), "{}", refused.body);
    let default = app.get(&acme, "/policies").await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lax = app
        .patch(
            &acme,
            &format!("/policies/{default}"),
            json!({"password": {"refuse_common": false}}),
        )
        .await;
    assert_eq!(lax.status, StatusCode::OK, "{}", lax.text);

    set_password(&app, &acme, ada, "Password1234").await;
    let weak = password_of(&app, &acme, ada).await;
    assert_eq!(weak["state"], "set");
    assert_eq!(weak["length"], 12);
    assert_eq!(weak["common"], true, "on the list, whatever its case");
    assert!(weak["strength"].as_u64().unwrap() <= 1, "{weak}");
    assert_eq!(weak["set_at"], app.clock_now().as_str());

    app.clock.advance_secs(60);
    set_password(&app, &acme, ada, "v8#Qm2!zR7kL@w4Tn9xE").await;
    let strong = password_of(&app, &acme, ada).await;
    assert_eq!(
        strong,
        json!({"state": "set", "length": 20, "strength": 4, "common": false, "set_at": app.clock_now()}),
        "a new password replaces the old one's facts"
    );
    let listed = app.get(&acme, "/accounts?email=ada@acme.test").await;
    assert_eq!(listed.json["items"][0]["password"], strong, "the list shows them too");

    // Only the facts are stored: the columns hold them and nothing else of the password.
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let row: (i64, i64, i64) =
        sqlx::query_as("SELECT password_length, password_strength, password_common FROM accounts WHERE id = $1")
            .bind(ada.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(row, (20, 4, 0));
    let events = app.get(&acme, "/events?limit=200").await;
    assert!(
        !events.text.contains("\"strength\"") && !events.text.contains("\"length\":20"),
        "audit events carry no password facts"
    );

    // The console's account page says the same to Acme's admins.
    let (console, _) = app.console(&acme).await;
    let page = console.get(&format!("/admin/orgs/{}/accounts/{ada}", acme.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("20 characters, strength 4 of 4, not a common password"),
        "{}",
        page.body
    );
}

async fn a_password_set_before_facts_were_measured_reads_unknown(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    set_password(&app, &acme, ada, "an older passphrase of hers").await;
    // What migration 0015 leaves for a password set before it: a hash without facts.
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    sqlx::query(
        "UPDATE accounts SET password_length = NULL, password_strength = NULL, password_common = NULL, \
         password_set_at = NULL WHERE id = $1",
    )
    .bind(ada.to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(password_of(&app, &acme, ada).await, json!({"state": "unknown"}));
    let (console, _) = app.console(&acme).await;
    let page = console.get(&format!("/admin/orgs/{}/accounts/{ada}", acme.id)).await;
    assert!(page.body.contains("strength unknown"), "{}", page.body);
    // Setting it again measures it.
    set_password(&app, &acme, ada, "a brand new passphrase of hers").await;
    assert_eq!(password_of(&app, &acme, ada).await["state"], "set");
}

async fn an_org_that_does_not_manage_the_account_sees_nothing_of_its_password(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    set_password(&app, &acme, ada, "v8#Qm2!zR7kL@w4Tn9xE").await;
    // Globex works with Ada too: it adds her account, but it does not manage it.
    let globex = app.create_org("Globex").await;
    let added = app
        .post(
            &globex,
            "/accounts",
            json!({"email": "ada@acme.test", "display_name": "Ada"}),
        )
        .await;
    assert_eq!(added.json["id"], ada.to_string().as_str(), "{}", added.text);
    assert_eq!(added.json["is_managed"], false);
    assert!(added.json.get("password").is_none(), "{}", added.text);
    let read = app.get(&globex, &format!("/accounts/{ada}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.json.get("password").is_none(), "{}", read.text);
    let listed = app.get(&globex, "/accounts").await;
    let items = listed.json["items"].as_array().unwrap();
    assert!(items.iter().any(|a| a["id"] == ada.to_string().as_str()));
    assert!(items.iter().all(|a| a.get("password").is_none()), "{}", listed.text);
    for word in ["strength", "\"common\"", "set_at"] {
        assert!(!read.text.contains(word) && !listed.text.contains(word), "{word}");
    }
    let (console, _) = app.console(&globex).await;
    let page = console.get(&format!("/admin/orgs/{}/accounts/{ada}", globex.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<dt>Password</dt>"), "{}", page.body);
    assert!(!page.body.contains("strength"), "{}", page.body);
    // Acme, which manages it, still reads it.
    assert_eq!(password_of(&app, &acme, ada).await["strength"], 4);
}
