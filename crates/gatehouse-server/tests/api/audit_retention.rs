//! Audit retention in batches: a pass over thousands of old events, many small transactions,
//! while people keep writing through the API. Every write succeeds, every old event goes,
//! every new one stays, and each organization's `audit.pruned` counts add up to exactly what
//! it lost.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::ids::OrgId;
use gatehouse_core::ports::{Clock, prelude::*};
use gatehouse_core::services::Services;
use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

engine_tests!(
    a_pass_in_many_batches_while_writers_write_keeps_every_new_event_and_counts_every_old_one,
    a_batch_size_of_zero_is_refused_and_deletes_nothing,
    a_pass_that_loses_its_lease_midway_stops_with_everything_it_deleted_accounted_for,
);

/// Old events written straight to the store (the API only writes "now"), `per_org` for each of
/// `orgs`, interleaved so every batch holds events of both.
async fn seed_old_events(app: &TestApp, orgs: &[OrgId], per_org: usize) {
    let start = app.clock.now().millis();
    let mut tx = app.store.begin().await.unwrap();
    let events: Vec<AuditEvent> = (0..per_org * orgs.len())
        .map(|i| {
            let at = Timestamp::from_millis(start + i64::try_from(i).unwrap());
            AuditEvent::new(
                orgs[i % orgs.len()],
                &Actor::system("seed"),
                &RequestMeta::default(),
                AuditAction::GroupUpdated,
                at,
            )
            .target("group", format!("old-{i}"), Some("Old"))
        })
        .collect();
    tx.insert_events(&events).await.unwrap();
    tx.commit().await.unwrap();
}

async fn count(app: &TestApp, org: OrgId) -> i64 {
    app.store.reader().await.unwrap().count_events(org).await.unwrap()
}

/// Every event of `action` the API lists for `org`, following the cursor.
async fn listed(app: &TestApp, org: &TestOrg, action: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(org, &format!("/events?action={action}&limit=200{cursor}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.json["items"].as_array().unwrap().iter().cloned());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// Creates groups in `org` through the API until `stop`, at least `min` of them; answers their ids.
async fn keep_writing(app: Arc<TestApp>, org: TestOrg, stop: Arc<AtomicBool>, writer: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < 10 || !stop.load(Ordering::Relaxed) {
        let n = ids.len();
        let r = app
            .post(&org, "/groups", json!({"name": format!("w{writer}-{n}")}))
            .await;
        assert_eq!(r.status, 201, "a write during the pass failed: {}", r.text);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn a_pass_in_many_batches_while_writers_write_keeps_every_new_event_and_counts_every_old_one(app: TestApp) {
    let app = Arc::new(app);
    let orgs = [app.create_org("Acme").await, app.create_org("Globex").await];
    let ids: Vec<OrgId> = orgs.iter().map(|o| OrgId::parse(&o.id).unwrap()).collect();
    seed_old_events(&app, &ids, 2_500).await;
    let old = [count(&app, ids[0]).await, count(&app, ids[1]).await];
    assert!(
        old[0] > 2_500 && old[1] > 2_500,
        "the orgs' own creation events are old too: {old:?}"
    );
    app.clock.advance_secs(31 * 86_400);

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| tokio::spawn(keep_writing(app.clone(), orgs[w % 2].clone(), stop.clone(), w)))
        .collect();
    let services = Services::new(app.store.clone(), app.clock.clone());
    // As the server's job does: a pause as long as each batch took, between batches.
    let pauses = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = pauses.clone();
    let deleted = services
        .audit
        .prune_pausing(30, 64, "test-node", move |took| {
            counted.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(took)
        })
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut written = [BTreeSet::new(), BTreeSet::new()];
    for (w, t) in writers.into_iter().enumerate() {
        written[w % 2].extend(t.await.unwrap());
    }

    assert_eq!(deleted, Some(old[0] + old[1]), "every old event, and only those");
    let mut batches = 0;
    for (i, org) in orgs.iter().enumerate() {
        let pruned = listed(&app, org, "audit.pruned").await;
        batches += pruned.len();
        let sum: i64 = pruned
            .iter()
            .map(|e| e["changes"]["after"]["deleted"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, old[i], "{}'s pruned counts add up to what it lost", org.id);
        assert!(pruned.iter().all(|e| e["changes"]["after"]["retention_days"] == 30));
        let created: BTreeSet<String> = listed(&app, org, "group.created")
            .await
            .iter()
            .map(|e| e["targets"][0]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            created, written[i],
            "every group written during the pass kept its event"
        );
        let kept = i64::try_from(written[i].len() + pruned.len()).unwrap();
        assert_eq!(count(&app, ids[i]).await, kept, "nothing old is left in {}", org.id);
    }
    assert!(batches >= 5_000 / 64, "many batches, each recorded: {batches}");
    let pauses = pauses.load(Ordering::Relaxed);
    assert!(
        pauses >= 5_000 / 64 - 1 && pauses < batches,
        "a pause between batches, none after the last: {pauses} for {batches} records"
    );
    assert_eq!(
        services.audit.prune_in_batches(30, 64, "other-node").await.unwrap(),
        None,
        "the lease stays with the node that pruned"
    );
}

async fn a_batch_size_of_zero_is_refused_and_deletes_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let id = OrgId::parse(&org.id).unwrap();
    let before = count(&app, id).await;
    app.clock.advance_secs(31 * 86_400);
    let services = Services::new(app.store.clone(), app.clock.clone());
    let err = services.audit.prune_in_batches(30, 0, "test-node").await.unwrap_err();
    assert!(
        matches!(&err, gatehouse_core::CoreError::Validation { fields } if fields[0].field == "batch"),
        "{err:?}"
    );
    assert_eq!(count(&app, id).await, before);
}

/// A node that stalls past its lease (here: the clock moves past it during a pause, and another
/// node takes the lease) stops at its next batch: what it deleted is exactly what its
/// `audit.pruned` events count, the rest of the old events are still there, and the other
/// node's pass finishes the job.
async fn a_pass_that_loses_its_lease_midway_stops_with_everything_it_deleted_accounted_for(app: TestApp) {
    let org = app.create_org("Acme").await;
    let id = OrgId::parse(&org.id).unwrap();
    seed_old_events(&app, &[id], 1_000).await;
    let old = count(&app, id).await;
    app.clock.advance_secs(31 * 86_400);
    let services = Services::new(app.store.clone(), app.clock.clone());
    let pauses = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (clock, other, counted) = (app.clock.clone(), services.clone(), pauses.clone());
    let deleted = services
        .audit
        .prune_pausing(30, 100, "node-a", move |_| {
            let n = counted.fetch_add(1, Ordering::Relaxed);
            let (clock, other) = (clock.clone(), other.clone());
            async move {
                if n == 2 {
                    clock.advance_secs(301);
                    let taken = other.leases.acquire("audit-retention", "node-b", 300).await.unwrap();
                    assert!(taken, "node-b takes the lapsed lease");
                }
            }
        })
        .await
        .unwrap()
        .expect("node-a held the lease when it started");
    assert_eq!(deleted, 300, "three batches of 100, then the lease was gone");
    assert_eq!(pauses.load(Ordering::Relaxed), 3, "no batch after the lease was lost");
    let pruned = listed(&app, &org, "audit.pruned").await;
    let sum: i64 = pruned
        .iter()
        .map(|e| e["changes"]["after"]["deleted"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, deleted, "every deletion is in an audit.pruned event");
    let left = old - deleted + i64::try_from(pruned.len()).unwrap();
    assert_eq!(count(&app, id).await, left, "the other old events are still there");
    assert_eq!(
        services.audit.prune_in_batches(30, 100, "node-a").await.unwrap(),
        None,
        "node-a cannot go on while node-b holds the lease"
    );
    let rest = services.audit.prune_in_batches(30, 100, "node-b").await.unwrap();
    assert_eq!(rest, Some(old - deleted), "node-b's pass deletes the rest");
}
