//! Subscription records, on both engines: a record reads back as written (replacing the one
//! before), and the enforcement record's queries find exactly the organizations whose trial
//! or subscription is not running (an organization without a record among them) and those
//! with a pause recorded.

use gatehouse_core::Timestamp;
use gatehouse_core::billing::subscription::{Offer, Subscription};
use gatehouse_core::ids::OrgId;
use gatehouse_core::model::Org;
use gatehouse_core::ports::prelude::*;
use gatehouse_core::product::Plan;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

fn t(days: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000).plus_secs(days * 86_400)
}

async fn org(s: &SqlStore) -> OrgId {
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
    o.id
}

async fn put(s: &SqlStore, sub: &Subscription) {
    let mut tx = s.begin().await.unwrap();
    tx.put_subscription(sub).await.unwrap();
    tx.commit().await.unwrap();
}

async fn records_read_back_and_the_enforcement_queries_find_the_right_organizations(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    let annual = Offer::parse("annual", Some(250)).unwrap();
    let monthly = Offer::parse("monthly", None).unwrap();

    let never = org(&s).await;
    let in_trial = org(&s).await;
    let expired = org(&s).await;
    let paying = org(&s).await;
    let ended = org(&s).await;
    let paused = org(&s).await;
    let none = |o| Subscription::none(o, t(0));
    let trial = none(in_trial).start_trial(t(10)).unwrap();
    put(&s, &trial).await;
    put(&s, &none(expired).start_trial(t(0)).unwrap()).await;
    let first = none(paying).start_trial(t(0)).unwrap();
    put(&s, &first).await;
    let bought = first.subscribe(annual, t(5)).unwrap();
    put(&s, &bought).await;
    let gone = none(ended).subscribe(monthly, t(0)).unwrap().cancel(t(3)).unwrap();
    put(&s, &gone).await;
    put(
        &s,
        &Subscription {
            enforcement_paused_at: Some(t(31)),
            ..none(paused)
        },
    )
    .await;

    let mut r = s.reader().await.unwrap();
    assert_eq!(r.find_subscription(never).await.unwrap(), None);
    assert_eq!(r.find_subscription(in_trial).await.unwrap(), Some(trial));
    assert_eq!(
        r.find_subscription(paying).await.unwrap(),
        Some(bought),
        "the later write replaced the trial's"
    );
    assert_eq!(r.find_subscription(ended).await.unwrap(), Some(gone));

    let now = t(35);
    let lapsed = r.list_lapsed_unpaused(now, 100).await.unwrap();
    let mut expected = vec![never, expired, ended];
    expected.sort_by_key(ToString::to_string);
    assert_eq!(
        lapsed.iter().map(|x| x.org_id).collect::<Vec<_>>(),
        expected,
        "no trial or subscription running and no pause recorded, by id"
    );
    assert!(lapsed.iter().all(|x| !x.is_entitled(now)), "core agrees");
    assert_eq!(lapsed.iter().find(|x| x.org_id == never).unwrap(), &none(never));
    assert_eq!(
        r.list_lapsed_unpaused(now, 1).await.unwrap().len(),
        1,
        "the limit holds"
    );
    assert!(
        !r.list_lapsed_unpaused(t(39), 100)
            .await
            .unwrap()
            .iter()
            .any(|x| x.org_id == in_trial),
        "the trial runs until day 40"
    );
    assert!(
        r.list_lapsed_unpaused(t(40), 100)
            .await
            .unwrap()
            .iter()
            .any(|x| x.org_id == in_trial),
        "and has ended on day 40"
    );
    let recorded = r.list_paused(100).await.unwrap();
    assert_eq!(recorded.iter().map(|x| x.org_id).collect::<Vec<_>>(), vec![paused]);
}

mod sqlite {
    #[tokio::test]
    async fn records_read_back_and_the_enforcement_queries_find_the_right_organizations() {
        super::records_read_back_and_the_enforcement_queries_find_the_right_organizations(super::Dialect::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn records_read_back_and_the_enforcement_queries_find_the_right_organizations() {
        super::records_read_back_and_the_enforcement_queries_find_the_right_organizations(super::Dialect::Postgres)
            .await;
    }
}
