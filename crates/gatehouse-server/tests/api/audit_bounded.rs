//! The audit log at any size (issue 18): filters that match nothing answer at once, a search
//! that must check events one by one stops at its scan budget and says how far it got, its
//! continuation loses and repeats nothing, and free text finds words and prefixes, rare or
//! common.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, ActorKind, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::ids::OrgId;
use gatehouse_core::ports::{Clock, prelude::*};
use gatehouse_store::AUDIT_SCAN_BUDGET;
use gatehouse_testkit::{Dialect, TestApp, TestOrg, engine_tests};
use serde_json::Value;
use std::collections::BTreeSet;

engine_tests!(
    filters_that_match_nothing_answer_empty_and_complete,
    a_search_past_its_budget_says_how_far_it_got_and_its_continuation_loses_and_repeats_nothing,
    free_text_finds_words_and_prefixes_rare_or_common,
    an_export_of_a_sparse_combination_carries_every_match,
    the_consoles_actor_and_action_pair_is_read_from_its_own_index,
    text_made_of_common_fragments_is_found_whole_by_its_continuation,
);

/// Seeds `n` events for `org`, oldest first, one a second ending an hour ago: every event is
/// an account update by one of 20 API keys on one of 100 accounts; `special(i)` may replace
/// the i-th event with one of its own.
async fn seed(app: &TestApp, org: &TestOrg, n: usize, special: impl Fn(usize, Timestamp) -> Option<AuditEvent>) {
    let org_id = OrgId::parse(&org.id).unwrap();
    let start = app.clock.now().millis() - 3_600_000 - i64::try_from(n).unwrap() * 1000;
    let mut tx = app.store.begin().await.unwrap();
    let mut batch = Vec::new();
    for i in 0..n {
        let at = Timestamp::from_millis(start + i64::try_from(i).unwrap() * 1000);
        let ev = special(i, at).unwrap_or_else(|| {
            let actor = Actor {
                kind: ActorKind::ApiKey,
                id: Some(format!("key-{}", i % 20)),
                label: format!("Key {}", i % 20),
            };
            let meta = RequestMeta {
                ip: Some(format!("198.51.100.{}", i % 50)),
                user_agent: None,
            };
            AuditEvent::new(org_id, &actor, &meta, AuditAction::AccountUpdated, at).target(
                "account",
                format!("acct-{}", i % 100),
                Some(&format!("person{}@filler.example", i % 100)),
            )
        });
        batch.push(ev);
    }
    tx.insert_events(&batch).await.unwrap();
    tx.commit().await.unwrap();
}

fn ids(r: &gatehouse_testkit::Resp) -> Vec<String> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `next_cursor` from the first page of `query` to the end: every id in order, and
/// how many pages stopped at their budget.
async fn walk(app: &TestApp, org: &TestOrg, query: &str) -> (Vec<String>, usize) {
    let (mut all, mut partial, mut cursor) = (Vec::new(), 0, None::<String>);
    for _ in 0..200 {
        let path = match &cursor {
            None => format!("/events?{query}"),
            Some(c) => format!("/events?{query}&cursor={c}"),
        };
        let r = app.get(org, &path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        all.extend(ids(&r));
        if r.json.get("searched_until").is_some() {
            partial += 1;
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (all, partial),
        }
    }
    panic!("more than 200 pages for {query}");
}

fn special_actor(id: &str, label: &str) -> Actor {
    Actor {
        kind: ActorKind::Account,
        id: Some(id.into()),
        label: label.into(),
    }
}

async fn filters_that_match_nothing_answer_empty_and_complete(app: TestApp) {
    let org = app.create_org("Acme").await;
    seed(&app, &org, 300, |_, _| None).await;
    for query in [
        "actor_type=account",
        "actor_type=directory&action=account.created",
        "actor=nobody",
        "target=nothing-here",
        "ip=203.0.113.200",
        "action=group.deleted",
        "q=zzqqxx",
        "q=zz",
        "since=2001-01-01T00:00:00Z&until=2001-01-02T00:00:00Z",
    ] {
        let r = app.get(&org, &format!("/events?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        assert!(ids(&r).is_empty(), "{query} matched {}", r.text);
        assert!(r.json["next_cursor"].is_null(), "{query}: {}", r.text);
        assert!(r.json.get("searched_until").is_none(), "{query}: within the budget");
    }
    // A plain page still answers as it always did: no searched_until, a cursor while more exist.
    let first = app.get(&org, "/events?limit=100").await;
    assert_eq!(ids(&first).len(), 100);
    assert!(first.json["next_cursor"].is_string());
    assert!(first.json.get("searched_until").is_none());
    // Filters matching nothing in a log longer than the budget answer from their own index.
    seed(&app, &org, usize::try_from(AUDIT_SCAN_BUDGET).unwrap() + 500, |_, _| {
        None
    })
    .await;
    for query in [
        "actor_type=account",
        "actor=nobody",
        "target=nothing-here",
        "action=group.deleted",
    ] {
        let r = app.get(&org, &format!("/events?{query}")).await;
        assert!(
            ids(&r).is_empty() && r.json["next_cursor"].is_null(),
            "{query}: {}",
            r.text
        );
        assert!(r.json.get("searched_until").is_none(), "{query}");
    }
    // Two filters that match nothing together (every event is an update by a key): the search
    // stops at its budget and says so, and the continuation ends.
    let r = app.get(&org, "/events?action=account.updated&actor_type=account").await;
    assert!(ids(&r).is_empty(), "{}", r.text);
    assert!(r.json["searched_until"].is_string(), "{}", r.text);
    assert!(r.json["next_cursor"].is_string(), "{}", r.text);
    let (all, partial) = walk(&app, &org, "action=account.updated&actor_type=account").await;
    assert!(all.is_empty() && partial >= 1);
    // The console says how far it searched, and offers to go on.
    let (b, _) = app.console(&org).await;
    let base = format!("/admin/orgs/{}/events", org.id);
    let page = b.get(&format!("{base}?action=account.updated&q=zzqq")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Searched back to"), "{}", page.body);
    assert!(page.body.contains("Continue searching"), "{}", page.body);
    let page = b.get(&format!("{base}?action=account.updated")).await;
    assert!(!page.body.contains("Searched back to") && page.body.contains("Older events"));
    // Two filters each answered by nothing answer at once.
    let r = app.get(&org, "/events?actor=key-3&ip=198.51.100.4").await;
    assert!(ids(&r).is_empty() && r.json["next_cursor"].is_null(), "{}", r.text);
}

async fn a_search_past_its_budget_says_how_far_it_got_and_its_continuation_loses_and_repeats_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let budget = usize::try_from(AUDIT_SCAN_BUDGET).unwrap();
    let n = budget * 3 + 700;
    // Every event is an account update by an API key, but for four by a person, each more than
    // the budget from the next.
    let sparse = |i: usize| i % (budget + 200) == 7;
    seed(&app, &org, n, |i, at| {
        sparse(i).then(|| {
            AuditEvent::new(
                OrgId::parse(&org.id).unwrap(),
                &special_actor("acc-7", "Person 7"),
                &RequestMeta::default(),
                AuditAction::AccountUpdated,
                at,
            )
        })
    })
    .await;
    let expected = (0..n).filter(|i| sparse(*i)).count();
    assert!(expected >= 3);

    // The action's index leads; the actor type is checked event by event.
    let q = "action=account.updated&actor_type=account";
    let (all, partial) = walk(&app, &org, &format!("{q}&limit=2")).await;
    assert_eq!(all.len(), expected, "every match, once");
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), expected, "none repeated");
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted, "newest first across pages");
    assert!(partial >= 1, "more events than the budget lie between matches");

    // The time the search reached bounds what it found, and the next page picks up below it.
    let (mut cursor, mut seen_partial) = (String::new(), false);
    loop {
        let r = app.get(&org, &format!("/events?{q}&limit=50&cursor={cursor}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        if let Some(until) = r.json["searched_until"].as_str() {
            seen_partial = true;
            let until = Timestamp::parse_rfc3339(until, "searched_until").unwrap();
            for e in r.json["items"].as_array().unwrap() {
                let at = Timestamp::parse_rfc3339(e["occurred_at"].as_str().unwrap(), "t").unwrap();
                assert!(at >= until, "found events are no older than where the search stopped");
            }
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => c.clone_into(&mut cursor),
            None => break,
        }
    }
    assert!(seen_partial);

    // A single filter is answered by its own index: full pages, never a budget stop.
    let (all, partial) = walk(&app, &org, "actor=key-7&limit=200").await;
    assert_eq!(all.len(), (0..n).filter(|i| i % 20 == 7 && !sparse(*i)).count());
    assert_eq!(partial, 0);
    // Several actions are read as several ranges of their index, merged newest first.
    let (all, partial) = walk(&app, &org, "action=account.updated,group.created&limit=200").await;
    assert_eq!(all.len(), n);
    assert_eq!(partial, 0);
}

/// Ada Lovelace (account `actor`) deactivating `ada@acme.example` in `org` at `at`.
fn ada_deactivated(org: OrgId, actor: &str, at: Timestamp) -> AuditEvent {
    AuditEvent::new(
        org,
        &special_actor(actor, "Ada Lovelace"),
        &RequestMeta::default(),
        AuditAction::AccountDeactivated,
        at,
    )
    .target("account", "acct-ada", Some("ada@acme.example"))
}

async fn free_text_finds_words_and_prefixes_rare_or_common(app: TestApp) {
    let org = app.create_org("Acme").await;
    let budget = usize::try_from(AUDIT_SCAN_BUDGET).unwrap();
    let n = budget * 2 + 300;
    let org_id = OrgId::parse(&org.id).unwrap();
    // Ada appears twice, long ago (older than the budget reaches): a rare text.
    seed(&app, &org, n, |i, at| match i {
        5 => Some(ada_deactivated(org_id, "acc-ada", at)),
        9 => Some(
            AuditEvent::new(
                org_id,
                &special_actor("acc-grace", "Grace Hopper"),
                &RequestMeta::default(),
                AuditAction::AccountUpdated,
                at,
            )
            .target("account", "acct-ada", Some("ada@acme.example")),
        ),
        _ => None,
    })
    .await;
    // Another organization's Ada, as old: the text index holds her too, and she is never in
    // Acme's answers (each search below expects Acme's events exactly).
    let globex = app.create_org("Globex").await;
    let globex_id = OrgId::parse(&globex.id).unwrap();
    seed(&app, &globex, n, |i, at| {
        (i == 6).then(|| ada_deactivated(globex_id, "acc-ada-g", at))
    })
    .await;
    let r = app.get(&globex, "/events?q=lovel").await;
    assert_eq!(ids(&r).len(), 1, "{}", r.text);
    let actions = |r: &gatehouse_testkit::Resp| -> Vec<String> {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    for (q, want) in [
        ("ada", vec!["account.updated", "account.deactivated"]),
        ("ADA@ACME", vec!["account.updated", "account.deactivated"]),
        ("ada%40acme.ex", vec!["account.updated", "account.deactivated"]),
        ("lovel", vec!["account.deactivated"]),
        ("deactivated", vec!["account.deactivated"]),
        ("grace%20hop", vec!["account.updated"]),
    ] {
        let r = app.get(&org, &format!("/events?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        assert_eq!(actions(&r), want, "{q}: {}", r.text);
        assert!(r.json["next_cursor"].is_null(), "{q}: the text index answered it whole");
        assert!(r.json.get("searched_until").is_none(), "{q}");
    }
    // Common text fills its page from the newest events.
    let r = app.get(&org, "/events?q=person4&limit=20").await;
    assert_eq!(ids(&r).len(), 20, "{}", r.text);
    assert!(r.json.get("searched_until").is_none());
    // Text with other filters is checked within the budget, and found.
    let (all, _) = walk(&app, &org, "q=lovelace&action=account.deactivated").await;
    assert_eq!(all.len(), 1);
    // Ids are not text: the exact filters find them.
    let r = app.get(&org, "/events?q=acct-ada").await;
    let (all, _) = walk(&app, &org, "q=acct-ada").await;
    assert!(all.is_empty(), "{}", r.text);
    let r = app.get(&org, "/events?target=acct-ada").await;
    assert_eq!(ids(&r).len(), 2);
}

async fn an_export_of_a_sparse_combination_carries_every_match(app: TestApp) {
    let org = app.create_org("Acme").await;
    let budget = usize::try_from(AUDIT_SCAN_BUDGET).unwrap();
    let n = budget * 3;
    seed(&app, &org, n, |_, _| None).await;
    // Every event is an account update, one in 50 from this address: the export reads past
    // many budget-limited pages, some of them empty.
    let want = (0..n).filter(|i| i % 50 == 3).count();
    let url = format!(
        "{}/api/v1/orgs/{}/events/export?format=jsonl&action=account.updated&ip=198.51.100.3",
        app.base, org.id
    );
    let body = app
        .client
        .get(url)
        .bearer_auth(&org.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), want, "every match across budget-limited pages");
    assert!(lines.iter().all(|e| e["ip"] == "198.51.100.3"));
    let distinct: BTreeSet<&str> = lines.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), want, "none repeated");
}

/// The console filters by an actor and an action together; that pair has its own index, so an
/// actor with more events than the budget, none of them of the action, answers empty and
/// complete at once, and their events of several actions come in full pages.
async fn the_consoles_actor_and_action_pair_is_read_from_its_own_index(app: TestApp) {
    let org = app.create_org("Acme").await;
    let org_id = OrgId::parse(&org.id).unwrap();
    let n = usize::try_from(AUDIT_SCAN_BUDGET).unwrap() + 300;
    let busy = special_actor("acc-busy", "Busy Person");
    let action = |i: usize| {
        if i.is_multiple_of(3) {
            AuditAction::GroupCreated
        } else {
            AuditAction::AccountUpdated
        }
    };
    seed(&app, &org, n, |i, at| {
        Some(AuditEvent::new(org_id, &busy, &RequestMeta::default(), action(i), at))
    })
    .await;
    for query in [
        "actor=acc-busy&action=group.deleted",
        "actor=acc-busy&action=group.deleted,account.deactivated",
        "actor=acc-busy&action=group.deleted&since=2001-01-01T00:00:00Z",
    ] {
        let r = app.get(&org, &format!("/events?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        assert!(
            ids(&r).is_empty() && r.json["next_cursor"].is_null(),
            "{query}: {}",
            r.text
        );
        assert!(r.json.get("searched_until").is_none(), "{query}: read from its index");
    }
    let (all, partial) = walk(&app, &org, "actor=acc-busy&action=group.created&limit=40").await;
    assert_eq!(all.len(), (0..n).filter(|i| i.is_multiple_of(3)).count());
    assert_eq!(partial, 0, "full pages, never a budget stop");
    let (all, partial) = walk(
        &app,
        &org,
        "actor=acc-busy&action=group.created,account.updated&limit=100",
    )
    .await;
    assert_eq!(all.len(), n);
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), n, "none repeated");
    assert_eq!(partial, 0);
    // Another actor's events of the action are not theirs.
    let r = app.get(&org, "/events?actor=acc-other&action=group.created").await;
    assert!(
        ids(&r).is_empty() && r.json.get("searched_until").is_none(),
        "{}",
        r.text
    );
}

/// Text that is rare as a whole but whose every 3-character fragment is common: the text index
/// would read every event holding those fragments, so the search goes on with the budget (and
/// says how far it got), on SQLite at once (FTS5 counts fragments), on PostgreSQL once the
/// statistics job has counted them (before, it takes them for rare and its index answers).
/// Either way, following the cursor finds exactly its events, newest first.
async fn text_made_of_common_fragments_is_found_whole_by_its_continuation(app: TestApp) {
    let org = app.create_org("Acme").await;
    let org_id = OrgId::parse(&org.id).unwrap();
    // 2,300 events: the even ones are by "Xyzw Alpha", the odd ones by "Zwvq Beta", so "xyz",
    // "yzw", "zwv" and "wvq" are each in more than 1,000 events. Three old events, and no
    // other, are by "Xyzwvq Gamma".
    let n = 2_300;
    let rare = [40, 41, 700];
    seed(&app, &org, n, |i, at| {
        let label = if rare.contains(&i) {
            "Xyzwvq Gamma"
        } else if i % 2 == 0 {
            "Xyzw Alpha"
        } else {
            "Zwvq Beta"
        };
        Some(AuditEvent::new(
            org_id,
            &special_actor(&format!("acc-{i}"), label),
            &RequestMeta::default(),
            AuditAction::AccountUpdated,
            at,
        ))
    })
    .await;
    // Newest first: the events seeded 700th, 41st and 40th.
    let mut expected = Vec::new();
    for k in [700, 41, 40] {
        let r = app.get(&org, &format!("/events?actor=acc-{k}")).await;
        expected.extend(ids(&r));
    }
    assert_eq!(expected.len(), 3);
    if app.dialect == Dialect::Postgres {
        let first = app.get(&org, "/events?q=xyzwvq").await;
        assert_eq!(ids(&first), expected, "no statistics yet: {}", first.text);
        assert!(first.json.get("searched_until").is_none(), "{}", first.text);
    }
    let ran = gatehouse_server::jobs::run_now(&app.state, "audit-text-statistics", "test-node").await;
    assert!(ran.unwrap().unwrap(), "the job ran");
    let first = app.get(&org, "/events?q=xyzwvq").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(ids(&first).is_empty(), "{}", first.text);
    assert!(first.json["searched_until"].is_string(), "{}", first.text);
    let (all, _) = walk(&app, &org, "q=xyzwvq").await;
    assert_eq!(all, expected);
    // Text with a rare fragment is still read through the index: `gam` and `amm` (of "Gamma")
    // are in those three events only.
    let r = app.get(&org, "/events?q=xyzwvq%20gamm").await;
    assert_eq!(ids(&r), expected, "{}", r.text);
    assert!(r.json.get("searched_until").is_none(), "{}", r.text);
    // A fragment found nowhere ends the search at once, whatever the rest of the text.
    let r = app.get(&org, "/events?q=xyzw%20qqq").await;
    assert!(ids(&r).is_empty() && r.json["next_cursor"].is_null(), "{}", r.text);
    assert!(r.json.get("searched_until").is_none(), "{}", r.text);
}
