//! Provisioning many users at once. An identity provider importing a directory sends many
//! `POST /Users` concurrently; each one alone costs about ten statements and a commit. Creates
//! that arrive while a batch is being written queue up and go in the next batch: one
//! transaction, a handful of multi-row statements, one commit, each user still with its own
//! audit event in that transaction.
//!
//! Only the plain case is batched: a new account under an email no account has. Anything
//! else (an existing account to link, a conflict, an error of any kind) goes back to the
//! request, which runs the one-user path and gets its exact answer there; a failed batch
//! rolls back whole, so nothing half-written remains.

use super::ScimFail;
use super::provision::{Fields, uniqueness};
use crate::state::AppState;
use gatehouse_core::audit::{AuditEvent, RequestMeta};
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ids::{AccountId, OrgId};
use gatehouse_core::model::Account;
use gatehouse_core::ports::{Reads, Store, Writes};
use gatehouse_core::product::AccountStatus;
use gatehouse_core::services::DirectoryCaller;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Most creates written in one transaction.
const MAX_BATCH: usize = 64;

/// What became of a queued create.
pub enum Outcome {
    Created(ScimUser),
    /// Refused before anything was written.
    Refused(ScimFail),
    /// Not batched: the request runs the one-user path itself.
    Alone,
}

pub struct Job {
    pub caller: DirectoryCaller,
    pub meta: RequestMeta,
    pub resource: Value,
    pub fields: Fields,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Pending {
    jobs: Vec<Job>,
    /// Batches being written now.
    writers: usize,
}

/// The queue of creates waiting for the next batch.
pub struct CreateQueue {
    pending: Mutex<Pending>,
    /// Batches written at once: one where the engine has one writer (SQLite), a few where
    /// transactions run side by side (PostgreSQL).
    max_writers: usize,
}

impl CreateQueue {
    pub fn new(max_writers: usize) -> Self {
        Self {
            pending: Mutex::default(),
            max_writers: max_writers.max(1),
        }
    }

    /// Queues a create and waits for its batch. Starts a drain when none is running; the drain
    /// is its own task, so a client hanging up cannot cut a batch short.
    pub async fn submit(
        &self,
        st: &AppState,
        caller: DirectoryCaller,
        meta: RequestMeta,
        resource: Value,
        fields: Fields,
    ) -> Outcome {
        let (reply, rx) = oneshot::channel();
        let start = {
            let mut p = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            p.jobs.push(Job {
                caller,
                meta,
                resource,
                fields,
                reply,
            });
            let start = p.writers < self.max_writers;
            if start {
                p.writers += 1;
            }
            start
        };
        if start {
            tokio::spawn(drain(st.clone()));
        }
        // A dropped reply (a batch task that panicked) means: do it alone.
        rx.await.unwrap_or(Outcome::Alone)
    }

    fn take(&self) -> Vec<Job> {
        let mut p = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if p.jobs.is_empty() {
            p.writers -= 1;
            return Vec::new();
        }
        let n = p.jobs.len().min(MAX_BATCH);
        p.jobs.drain(..n).collect()
    }
}

async fn drain(st: AppState) {
    let linger = std::time::Duration::from_millis(u64::from(st.config.scim_batch_linger_ms));
    loop {
        if !linger.is_zero() {
            tokio::time::sleep(linger).await;
        }
        let jobs = st.creates.take();
        if jobs.is_empty() {
            return;
        }
        metrics::with_local_recorder(&st.metrics.recorder, || {
            metrics::histogram!("gatehouse_scim_create_batch_size").record(jobs.len() as f64);
        });
        // Its own task: a panic drops the batch's replies (each request then goes alone)
        // without stopping the queue.
        let _ = tokio::spawn(write(st.clone(), jobs)).await;
    }
}

/// Writes a batch, answering each job.
async fn write(st: AppState, jobs: Vec<Job>) {
    let (ready, others) = match triage(&st, jobs).await {
        Ok(split) => split,
        Err(jobs) => {
            for j in jobs {
                let _ = j.reply.send(Outcome::Alone);
            }
            return;
        }
    };
    for (job, outcome) in others {
        let _ = job.reply.send(outcome);
    }
    if ready.is_empty() {
        return;
    }
    match insert(&st, &ready).await {
        Ok(users) => {
            for ((job, _), user) in ready.into_iter().zip(users) {
                let _ = job.reply.send(Outcome::Created(user));
            }
        }
        Err(()) => {
            for (job, _) in ready {
                let _ = job.reply.send(Outcome::Alone);
            }
        }
    }
}

/// Splits jobs into those for a new account (with it) and those answered otherwise: refused
/// (the email's domain is verified by another organization) or left to the one-user path (an
/// account with the email exists). `Err` gives every job back when the reads fail.
async fn triage(st: &AppState, jobs: Vec<Job>) -> Result<(Vec<(Job, Account)>, Vec<(Job, Outcome)>), Vec<Job>> {
    let Ok(mut r) = st.services.store.reader().await else {
        return Err(jobs);
    };
    let mut owners: HashMap<String, Option<OrgId>> = HashMap::new();
    for j in &jobs {
        let domain = j.fields.email.domain().to_owned();
        if let std::collections::hash_map::Entry::Vacant(slot) = owners.entry(domain) {
            let Ok(found) = r.find_verified_domain(slot.key()).await else {
                return Err(jobs);
            };
            slot.insert(found.map(|d| d.org_id));
        }
    }
    let emails: Vec<String> = jobs.iter().map(|j| j.fields.email.to_string()).collect();
    let Ok(existing) = r.find_accounts_by_emails(&emails).await else {
        return Err(jobs);
    };
    let existing: HashSet<String> = existing.into_iter().map(|a| a.email).collect();
    let now = st.services.clock.now();
    let mut seen = HashSet::new();
    let (mut ready, mut others) = (Vec::new(), Vec::new());
    for j in jobs {
        let org = j.caller.directory().org_id;
        let email = j.fields.email.to_string();
        if owners[j.fields.email.domain()].is_some_and(|o| o != org) {
            let refusal = uniqueness("This email's domain is verified by another organization.");
            others.push((j, Outcome::Refused(refusal)));
        } else if existing.contains(&email) || !seen.insert(email.clone()) {
            others.push((j, Outcome::Alone));
        } else {
            let account = Account {
                id: AccountId::new(),
                email,
                display_name: j.fields.display_name.to_string(),
                status: if j.fields.active {
                    AccountStatus::Active
                } else {
                    AccountStatus::Deactivated
                },
                created_at: now,
                last_active_at: None,
                delete_after: None,
            };
            ready.push((j, account));
        }
    }
    Ok((ready, others))
}

/// One transaction for the batch. Any surprise (an account or link that was taken meanwhile, a
/// taken userName or externalId, a failing statement) rolls it all back.
async fn insert(st: &AppState, ready: &[(Job, Account)]) -> Result<Vec<ScimUser>, ()> {
    // The time the accounts were stamped with in `triage`: one instant for the whole batch.
    let now = ready
        .first()
        .map_or_else(|| st.services.clock.now(), |(_, a)| a.created_at);
    let n = ready.len() as u64;
    let accounts: Vec<Account> = ready.iter().map(|(_, a)| a.clone()).collect();
    let links: Vec<(OrgId, AccountId)> = ready.iter().map(|(j, a)| (j.caller.directory().org_id, a.id)).collect();
    let users: Vec<ScimUser> = ready
        .iter()
        .map(|(j, a)| ScimUser {
            id: uuid::Uuid::now_v7().to_string(),
            directory_id: j.caller.directory().id,
            account_id: a.id,
            user_name: j.fields.user_name.clone(),
            external_id: j.fields.external_id.clone(),
            email: Some(a.email.clone()),
            active: j.fields.active,
            resource: j.resource.to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let events: Vec<AuditEvent> = ready
        .iter()
        .zip(&users)
        .map(|((j, a), u)| {
            AuditEvent::new(
                j.caller.directory().org_id,
                &j.caller.actor(),
                &j.meta,
                "scim.user_created",
                now,
            )
            .target("account", a.id, Some(&a.email))
            .target("scim_user", &u.id, Some(&u.user_name))
            .after(a)
        })
        .collect();
    let written: Result<(), String> = async {
        let mut tx = st.services.store.begin().await.map_err(|e| e.to_string())?;
        let inserted = tx.insert_accounts(&accounts).await.map_err(|e| e.to_string())?;
        if inserted != n {
            return Err(format!("{} of {n} emails were taken meanwhile", n - inserted));
        }
        let linked = tx
            .link_managed_accounts(&links, now, "scim")
            .await
            .map_err(|e| e.to_string())?;
        if linked != n {
            return Err(format!("{} of {n} accounts were linked meanwhile", n - linked));
        }
        tx.insert_scim_users(&users).await.map_err(|e| e.to_string())?;
        tx.insert_events(&events).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())
    }
    .await;
    match written {
        Ok(()) => Ok(users),
        Err(why) => {
            // Expected now and then (a conflict); each request then gets its own answer.
            tracing::info!(batch = ready.len(), %why, "SCIM create batch rolled back; its users go one by one");
            metrics::with_local_recorder(&st.metrics.recorder, || {
                metrics::counter!("gatehouse_scim_create_batch_rollbacks_total").increment(1);
            });
            Err(())
        }
    }
}
