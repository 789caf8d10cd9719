//! The store contract, run on both engines: every test here runs once on SQLite and once on
//! PostgreSQL against a fresh database.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, AuditEvent, AuditFilter, RequestMeta};
use gatehouse_core::ids::{AccountId, GroupId, InstanceId, OrgId};
use gatehouse_core::model::{Account, AccountFilter, Group, Instance, Org};
use gatehouse_core::page::PageRequest;
use gatehouse_core::ports::{ManagedVia, OrgLink, ScimListQuery, prelude::*};
use gatehouse_core::product::{AccountStatus, Edition, Plan, Product};
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Postgres).await } )* }
    };
}

on_both_engines!(
    duplicate_email_insert_reports_false_and_keeps_the_first,
    rows_of_another_org_are_never_found,
    dropping_a_transaction_rolls_everything_back,
    keyset_pages_cover_every_row_once,
    event_time_range_is_exact_to_the_millisecond,
    a_lease_goes_to_one_holder_until_it_expires,
    removing_an_account_from_an_org_cascades_its_memberships,
    migrations_are_recorded_and_rerun_is_a_no_op,
    free_text_search_matches_substrings_quotes_and_short_needles,
    free_text_pages_stay_exact_across_the_recent_scan_and_the_index,
    scim_value_filters_run_in_sql_and_value_paths_stay_within_one_element,
    scim_value_rows_go_with_their_user_directory_and_account,
    event_records_page_newest_first_with_every_field_as_written,
);

async fn store(engine: Dialect) -> (SqlStore, TestDatabase) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    (s, db)
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + ms)
}

fn account(email: &str) -> Account {
    Account {
        id: AccountId::new(),
        email: email.into(),
        display_name: "Someone".into(),
        status: AccountStatus::Active,
        created_at: t(0),
        last_active_at: None,
        delete_after: None,
    }
}

async fn org(s: &SqlStore) -> Org {
    let o = Org {
        id: OrgId::new(),
        name: "Acme".into(),
        plan: Plan::Free,
        free: None,
        created_at: t(0),
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_org(&o).await.unwrap();
    tx.commit().await.unwrap();
    o
}

async fn duplicate_email_insert_reports_false_and_keeps_the_first(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let first = account("ada@example.com");
    let mut tx = s.begin().await.unwrap();
    assert!(tx.insert_account(&first).await.unwrap());
    assert!(!tx.insert_account(&account("ada@example.com")).await.unwrap());
    tx.commit().await.unwrap();
    let found = s
        .reader()
        .await
        .unwrap()
        .find_account_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first.id);
}

async fn rows_of_another_org_are_never_found(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let (a, b) = (org(&s).await, org(&s).await);
    let inst = Instance {
        id: InstanceId::new(),
        org_id: a.id,
        product: Product::Confluence,
        name: "Wiki".into(),
        url: "https://wiki.example.net".into(),
        edition: Edition::Standard,
        created_at: t(0),
    };
    let acc = account("x@example.com");
    let mut tx = s.begin().await.unwrap();
    tx.insert_instance(&inst).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    let link = OrgLink {
        managed_via: Some(ManagedVia::Created),
        ..OrgLink::unmanaged(a.id, acc.id)
    };
    tx.link_org_accounts(&[link], t(0)).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = s.reader().await.unwrap();
    assert!(r.find_instance(a.id, inst.id).await.unwrap().is_some());
    assert!(r.find_instance(b.id, inst.id).await.unwrap().is_none());
    assert!(r.find_org_account(b.id, acc.id).await.unwrap().is_none());
    let page = r
        .list_org_accounts(b.id, &AccountFilter::default(), &PageRequest::first(50))
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

async fn dropping_a_transaction_rolls_everything_back(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    {
        let mut tx = s.begin().await.unwrap();
        tx.insert_account(&account("gone@example.com")).await.unwrap();
        tx.insert_event(&AuditEvent::new(
            o.id,
            &Actor::system("t"),
            &RequestMeta::default(),
            gatehouse_core::audit::AuditAction::AccountCreated,
            t(1),
        ))
        .await
        .unwrap();
    }
    let mut r = s.reader().await.unwrap();
    assert!(r.find_account_by_email("gone@example.com").await.unwrap().is_none());
    assert_eq!(r.count_events(o.id).await.unwrap(), 0);
}

async fn keyset_pages_cover_every_row_once(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let mut tx = s.begin().await.unwrap();
    for n in 0..25 {
        let g = Group {
            id: GroupId::new(),
            org_id: o.id,
            name: format!("g{n}"),
            description: String::new(),
            created_at: t(n),
            member_count: 0,
            directory_id: None,
        };
        tx.insert_group(&g).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = gatehouse_core::page::PageRequest::parse(cursor.as_deref(), Some(10)).unwrap();
        let p = s.reader().await.unwrap().list_groups(o.id, None, &page).await.unwrap();
        seen.extend(p.items.iter().map(|g| g.name.clone()));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);
}

async fn event_time_range_is_exact_to_the_millisecond(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let mut tx = s.begin().await.unwrap();
    for ms in [100, 200, 300, 400] {
        tx.insert_event(&AuditEvent::new(
            o.id,
            &Actor::system("t"),
            &RequestMeta::default(),
            gatehouse_core::audit::AuditAction::OrgUpdated,
            t(ms),
        ))
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let f = AuditFilter {
        since: Some(t(200)),
        until: Some(t(300)),
        ..Default::default()
    };
    let p = s
        .reader()
        .await
        .unwrap()
        .list_events(o.id, &f, &PageRequest::first(50))
        .await
        .unwrap();
    let times: Vec<i64> = p.items.iter().map(|e| e.occurred_at.millis() - t(0).millis()).collect();
    assert_eq!(times, vec![300, 200], "newest first, both bounds inclusive");
}

async fn a_lease_goes_to_one_holder_until_it_expires(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let mut tx = s.begin().await.unwrap();
    assert!(tx.acquire_lease("job", "node-a", t(0), t(1000)).await.unwrap());
    assert!(!tx.acquire_lease("job", "node-b", t(500), t(1500)).await.unwrap());
    assert!(
        tx.acquire_lease("job", "node-a", t(600), t(1600)).await.unwrap(),
        "the holder renews"
    );
    assert!(
        tx.acquire_lease("job", "node-b", t(1700), t(2700)).await.unwrap(),
        "expired leases pass on"
    );
    tx.commit().await.unwrap();
}

async fn removing_an_account_from_an_org_cascades_its_memberships(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let acc = account("m@example.com");
    let g = Group {
        id: GroupId::new(),
        org_id: o.id,
        name: "Team".into(),
        description: String::new(),
        created_at: t(0),
        member_count: 0,
        directory_id: None,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    tx.link_org_accounts(&[OrgLink::unmanaged(o.id, acc.id)], t(0))
        .await
        .unwrap();
    tx.insert_group(&g).await.unwrap();
    assert!(tx.insert_group_member(o.id, g.id, acc.id, t(0)).await.unwrap());
    tx.insert_org_admin(o.id, acc.id, t(0)).await.unwrap();
    tx.unlink_org_account(o.id, acc.id).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = s.reader().await.unwrap();
    assert_eq!(r.find_group(o.id, g.id).await.unwrap().unwrap().member_count, 0);
    assert!(!r.is_org_admin(o.id, acc.id).await.unwrap());
    assert!(
        r.find_account_by_email("m@example.com").await.unwrap().is_some(),
        "the global account stays"
    );
}

async fn migrations_are_recorded_and_rerun_is_a_no_op(engine: Dialect) {
    let (s, _db) = store(engine).await;
    assert!(s.is_ready().await);
    assert!(s.migrate().await.unwrap().is_empty());
}

#[test]
fn both_engines_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    let embedded: Vec<String> = gatehouse_store::MIGRATIONS_SQLITE
        .iter()
        .map(|(n, _)| format!("{n}.sql"))
        .collect();
    assert_eq!(names("sqlite"), embedded, "every migration file is embedded");
    let pg: Vec<&str> = gatehouse_store::MIGRATIONS_POSTGRES.iter().map(|(n, _)| *n).collect();
    let lite: Vec<&str> = gatehouse_store::MIGRATIONS_SQLITE.iter().map(|(n, _)| *n).collect();
    assert_eq!(pg, lite);
}

async fn free_text_search_matches_substrings_quotes_and_short_needles(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let mut tx = s.begin().await.unwrap();
    for label in ["Ada \"The Countess\" Lovelace", "100% Grace_Hopper", "xy"] {
        let ev = AuditEvent::new(
            o.id,
            &Actor::system("t"),
            &RequestMeta::default(),
            gatehouse_core::audit::AuditAction::AccountCreated,
            t(5),
        )
        .target("account", "id", Some(label));
        tx.insert_event(&ev).await.unwrap();
    }
    tx.commit().await.unwrap();
    let hits = |text: &str| {
        let s = s.clone();
        let text = text.to_owned();
        async move {
            let f = AuditFilter {
                text: Some(text),
                ..Default::default()
            };
            s.reader()
                .await
                .unwrap()
                .list_events(o.id, &f, &PageRequest::first(50))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    assert_eq!(hits("COUNTESS").await, 1, "case-insensitive substring");
    assert_eq!(hits("\"the count").await, 1, "quotes are literal");
    assert_eq!(hits("100%").await, 1, "LIKE wildcards are literal");
    assert_eq!(hits("_h").await, 1, "short needles still match");
    assert_eq!(hits("xy").await, 1);
    assert_eq!(hits("zzz").await, 0);
    assert_eq!(hits("' OR 1=1 --").await, 0);
}

async fn free_text_pages_stay_exact_across_the_recent_scan_and_the_index(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let mut tx = s.begin().await.unwrap();
    // 5200 events: every 100th mentions "needle", spread across the newest-5000 boundary.
    for seq in 0..5200 {
        let label = if seq % 100 == 0 {
            format!("needle {seq}")
        } else {
            format!("hay {seq}")
        };
        let ev = AuditEvent::new(
            o.id,
            &Actor::system("t"),
            &RequestMeta::default(),
            gatehouse_core::audit::AuditAction::GroupCreated,
            t(seq),
        )
        .target("group", seq, Some(&label));
        tx.insert_event(&ev).await.unwrap();
    }
    tx.commit().await.unwrap();
    for limit in [7, 26, 50, 52, 60] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = PageRequest::parse(cursor.as_deref(), Some(limit)).unwrap();
            let f = AuditFilter {
                text: Some("NEEDLE".into()),
                ..Default::default()
            };
            let found = s.reader().await.unwrap().list_events(o.id, &f, &page).await.unwrap();
            assert!(found.items.len() <= limit as usize);
            seen.extend(found.items.iter().map(|e| e.occurred_at.millis() - t(0).millis()));
            match found.next_cursor() {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let expected: Vec<i64> = (0..52).rev().map(|k| k * 100).collect();
        assert_eq!(seen, expected, "limit {limit}: every match once, newest first");
    }
}

#[allow(clippy::too_many_lines)] // arrange two users, then one assertion per filter shape
async fn scim_value_filters_run_in_sql_and_value_paths_stay_within_one_element(engine: Dialect) {
    use gatehouse_core::directory::{
        Directory, ElementCondition, ElementPredicate, Literal, ScimUser, SortKey, TextOp, UserPredicate, UserSort,
    };
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let dir = Directory {
        id: gatehouse_core::ids::DirectoryId::new(),
        org_id: o.id,
        name: "Okta".into(),
        created_at: t(0),
        deactivation_limit_per_hour: 50,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_directory(&dir).await.unwrap();
    for (n, (work, home, title, score)) in [
        ("a@work.test", "a@home.test", "Lead", serde_json::json!(10)),
        ("b@work.test", "a@work.test", "Dev", serde_json::json!(9.5)),
        ("c@work.test", "c@home.test", "Dev", serde_json::json!("100")),
    ]
    .iter()
    .enumerate()
    {
        let acc = account(work);
        tx.insert_account(&acc).await.unwrap();
        let resource = serde_json::json!({
            "userName": work, "title": title, "score": score,
            "seen": format!("2026-01-0{}T10:00:00{}", n + 1, ["Z", "+00:00", ".000-01:00"][n]),
            "emails": [{"type": "work", "value": work}, {"type": "home", "value": home}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": n.to_string()}
        });
        let u = ScimUser {
            id: format!("u{n}"),
            directory_id: dir.id,
            account_id: acc.id,
            user_name: (*work).to_string(),
            external_id: None,
            email: Some((*work).to_string()),
            active: true,
            resource: resource.to_string(),
            version: 1,
            created_at: t(0),
            updated_at: t(0),
        };
        tx.insert_scim_user(&u).await.unwrap();
    }
    tx.commit().await.unwrap();
    let ids = |p: UserPredicate| {
        let s = s.clone();
        async move {
            let query = ScimListQuery {
                predicate: &p,
                start: 1,
                count: 10,
                sort: UserSort::Id,
                descending: false,
            };
            let page = s.reader().await.unwrap().list_scim_users(dir.id, &query).await.unwrap();
            page.items.into_iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };
    let cond = |path: &str, value: &str| ElementCondition {
        path: path.into(),
        op: TextOp::Eq,
        value: Literal::Text {
            value: value.into(),
            case_exact: false,
        },
    };
    let value = |path: &str, op: TextOp, value: &str| {
        UserPredicate::Value(ElementCondition {
            op,
            ..cond(path, value)
        })
    };
    let element = |a: ElementCondition, b: ElementCondition| UserPredicate::Element {
        attr: "emails".into(),
        filter: ElementPredicate::And(
            Box::new(ElementPredicate::Compare(a)),
            Box::new(ElementPredicate::Compare(b)),
        ),
    };
    assert_eq!(
        ids(value("emails.value", TextOp::Eq, "A@WORK.test")).await,
        vec!["u0", "u1"],
        "any element, folded"
    );
    assert_eq!(
        ids(element(
            cond("emails.type", "work"),
            cond("emails.value", "a@work.test")
        ))
        .await,
        vec!["u0"],
        "one element"
    );
    assert_eq!(
        ids(element(
            cond("emails.type", "home"),
            cond("emails.value", "a@work.test")
        ))
        .await,
        vec!["u1"]
    );
    assert_eq!(ids(value("title", TextOp::Ne, "lead")).await, vec!["u1", "u2"]);
    assert_eq!(
        ids(value(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber",
            TextOp::Eq,
            "1"
        ))
        .await,
        vec!["u1"]
    );
    assert_eq!(
        ids(UserPredicate::Present {
            path: "title".into(),
            complex: false
        })
        .await,
        vec!["u0", "u1", "u2"]
    );
    assert_eq!(
        ids(value("emails.value", TextOp::Contains, "%")).await,
        Vec::<String>::new(),
        "wildcards are literal"
    );
    let number = |op: TextOp, n: f64| {
        UserPredicate::Value(ElementCondition {
            path: "score".into(),
            op,
            value: Literal::Number(n),
        })
    };
    assert_eq!(
        ids(number(TextOp::Gt, 9.75)).await,
        vec!["u0"],
        "10 > 9.75 > 9.5; \"100\" is text"
    );
    assert_eq!(ids(number(TextOp::Le, 10.0)).await, vec!["u0", "u1"]);
    assert_eq!(ids(number(TextOp::Ne, 10.0)).await, vec!["u1", "u2"]);
    let instant = |op: TextOp, at: &str| {
        UserPredicate::Value(ElementCondition {
            path: "seen".into(),
            op,
            value: Literal::Instant(Timestamp::parse_rfc3339(at, "at").unwrap()),
        })
    };
    assert_eq!(
        ids(instant(TextOp::Eq, "2026-01-02T10:00:00.000Z")).await,
        vec!["u1"],
        "an instant, whatever its notation"
    );
    assert_eq!(
        ids(instant(TextOp::Ge, "2026-01-02T10:00:00Z")).await,
        vec!["u1", "u2"],
        "u2 is 11:00 UTC"
    );
    let sorted = |key: SortKey, desc: bool| {
        let s = s.clone();
        async move {
            let sort = UserSort::Value {
                path: "score".into(),
                primary: None,
                key,
            };
            let query = ScimListQuery {
                predicate: &UserPredicate::All,
                start: 1,
                count: 10,
                sort,
                descending: desc,
            };
            let page = s.reader().await.unwrap().list_scim_users(dir.id, &query).await.unwrap();
            page.items.into_iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        sorted(SortKey::Number, false).await,
        vec!["u1", "u0", "u2"],
        "no number: last"
    );
    assert_eq!(
        sorted(SortKey::Number, true).await,
        vec!["u0", "u1", "u2"],
        "last either way"
    );
    assert_eq!(
        sorted(SortKey::Folded, false).await,
        vec!["u0", "u2", "u1"],
        "as text: \"10\" < \"100\" < \"9.5\""
    );
}

/// The value index has no foreign key on PostgreSQL (migration 0011): the store removes a
/// user's rows wherever the user goes.
async fn scim_value_rows_go_with_their_user_directory_and_account(engine: Dialect) {
    use gatehouse_core::directory::{Directory, ScimUser};
    let (s, db) = store(engine).await;
    let o = org(&s).await;
    let raw = sqlx::any::AnyPoolOptions::new().connect(&db.options.url).await.unwrap();
    let rows_of = |user: &'static str| {
        let raw = raw.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM scim_user_values WHERE user_id = $1")
                .bind(user)
                .fetch_one(&raw)
                .await
                .unwrap()
        }
    };
    let mut tx = s.begin().await.unwrap();
    let dirs: Vec<Directory> = ["Okta", "Entra"]
        .iter()
        .map(|n| Directory {
            id: gatehouse_core::ids::DirectoryId::new(),
            org_id: o.id,
            name: (*n).into(),
            created_at: t(0),
            deactivation_limit_per_hour: 50,
        })
        .collect();
    let mut accounts = Vec::new();
    for (n, (id, dir)) in [
        ("u-deleted", &dirs[0]),
        ("u-account", &dirs[0]),
        ("u-directory", &dirs[1]),
    ]
    .into_iter()
    .enumerate()
    {
        if n == 0 || n == 2 {
            tx.insert_directory(dir).await.unwrap();
        }
        let acc = account(&format!("{id}@x.test"));
        tx.insert_account(&acc).await.unwrap();
        accounts.push(acc.id);
        let resource =
            serde_json::json!({"userName": id, "title": "Dev", "emails": [{"value": format!("{id}@x.test")}]});
        tx.insert_scim_user(&ScimUser {
            id: id.into(),
            directory_id: dir.id,
            account_id: acc.id,
            user_name: id.into(),
            external_id: None,
            email: None,
            active: true,
            resource: resource.to_string(),
            version: 1,
            created_at: t(0),
            updated_at: t(0),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    for u in ["u-deleted", "u-account", "u-directory"] {
        assert!(rows_of(u).await > 0, "{u} is indexed");
    }
    let mut tx = s.begin().await.unwrap();
    tx.delete_scim_user(dirs[0].id, "u-deleted").await.unwrap();
    tx.delete_account(accounts[1]).await.unwrap();
    tx.delete_directory(o.id, dirs[1].id).await.unwrap();
    tx.commit().await.unwrap();
    for u in ["u-deleted", "u-account", "u-directory"] {
        assert_eq!(rows_of(u).await, 0, "{u}'s index rows are gone");
    }
}

/// Exports read event records in pages (packed as one JSON row on SQLite): every field comes
/// back as written, quotes, backslashes, newlines, non-ASCII and absent values included, and
/// the pages cover every event once, newest first, with the filter applied.
async fn event_records_page_newest_first_with_every_field_as_written(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = org(&s).await;
    let mut written = Vec::new();
    let mut tx = s.begin().await.unwrap();
    for n in 0..5_i64 {
        let meta = RequestMeta {
            ip: (n % 2 == 0).then(|| format!("203.0.113.{n}")),
            user_agent: (n % 3 == 0).then(|| "Mozilla/5.0 \"quoted\" \\ agent".to_owned()),
        };
        let actor = Actor::system(&format!("Zoë \"{n}\" \\ line\nbreak"));
        let e = AuditEvent::new(
            o.id,
            &actor,
            &meta,
            gatehouse_core::audit::AuditAction::GroupCreated,
            t(n * 10),
        )
        .target("group", format!("g{n}"), Some(&format!("=\"Ops\" \\ {n} ✓")))
        .target("account", "a1", None)
        .after(&serde_json::json!({"name": format!("Ops {n}"), "tags": ["a\"b", null, 3.5]}));
        tx.insert_event(&e).await.unwrap();
        written.push(e);
    }
    tx.insert_event(&AuditEvent::new(
        o.id,
        &Actor::system("other"),
        &RequestMeta::default(),
        gatehouse_core::audit::AuditAction::OrgUpdated,
        t(60),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let filter = AuditFilter {
        actions: vec!["group.created".into()],
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = s
            .reader()
            .await
            .unwrap()
            .list_event_records(o.id, &filter, &page)
            .await
            .unwrap();
        assert!(p.items.len() <= 2);
        let next = p.next_cursor();
        seen.extend(p.items);
        match next {
            Some(c) => page = PageRequest::parse(Some(&c), Some(2)).unwrap(),
            None => break,
        }
    }
    written.reverse();
    assert_eq!(seen.len(), written.len(), "every event once, the other action left out");
    for (r, ev) in seen.iter().zip(&written) {
        assert_eq!(r.id, ev.id.to_string(), "newest first");
        assert_eq!(r.occurred_at, ev.occurred_at);
        assert_eq!(r.actor_type, ev.actor.kind.as_str());
        assert_eq!(r.actor_id, ev.actor.id);
        assert_eq!(r.actor_label, ev.actor.label);
        assert_eq!(r.action, ev.action);
        assert_eq!(r.ip, ev.ip);
        assert_eq!(r.user_agent, ev.user_agent);
        let targets: serde_json::Value = serde_json::from_str(&r.targets_json).unwrap();
        assert_eq!(targets, serde_json::to_value(&ev.targets).unwrap());
        let changes: serde_json::Value = serde_json::from_str(&r.changes_json).unwrap();
        assert_eq!(changes, serde_json::to_value(&ev.changes).unwrap());
    }
    let none = s
        .reader()
        .await
        .unwrap()
        .list_event_records(
            o.id,
            &AuditFilter {
                actions: vec!["nothing.happened".into()],
                ..Default::default()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.next_cursor().is_none());
}
