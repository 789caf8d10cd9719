//! Provisioning many users at once. An identity provider importing a directory sends many
//! `POST /Users` concurrently; each one alone costs about ten statements and a commit. Creates
//! that arrive while a batch is being written queue up and go in the next batch, written by
//! `Store::insert_provisioned_users` in one atomic step (one statement on PostgreSQL), each
//! user still with its own audit event.
//!
//! Only the plain case is batched: a new account under an email no account has, on a domain
//! no other organization has verified. The store leaves anything else out, and that request
//! runs the one-user path and gets its exact answer there (an existing account to link, a
//! refusal). So does every request of a batch that fails as a whole (a taken userName or
//! externalId, an error of any kind): it rolls back whole, so nothing half-written remains.

use super::provision::Fields;
use crate::state::AppState;
use gatehouse_core::audit::AuditAction;
use gatehouse_core::audit::{AuditEvent, RequestMeta};
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::Account;
use gatehouse_core::ports::{NewProvisionedUser, ProvisionedUsers, Store};
use gatehouse_core::product::AccountStatus;
use gatehouse_core::services::DirectoryCaller;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Most creates written in one transaction.
const MAX_BATCH: usize = 64;

/// What became of a queued create.
pub enum Outcome {
    Created(ScimUser),
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
    let linger = std::time::Duration::from_millis(u64::from(st.config.scim.batch_linger_ms));
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

/// Writes a batch, answering each job: created, or left to the one-user path (an email that
/// appears twice in the batch, an account that has the email already, a domain another
/// organization verified, or a batch that failed as a whole).
async fn write(st: AppState, jobs: Vec<Job>) {
    let now = st.services.now();
    let mut seen = HashSet::new();
    let (jobs, mut alone): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|j| seen.insert(j.fields.email.to_string()));
    let news: Vec<NewProvisionedUser> = jobs.iter().map(|j| new_user(j, now)).collect();
    let written = st
        .services
        .store
        .insert_provisioned_users(&ProvisionedUsers {
            users: &news,
            linked_at: now,
            via: gatehouse_core::ports::ManagedVia::Scim,
        })
        .await;
    match written {
        Ok(written) => {
            for (job, new) in jobs.into_iter().zip(news) {
                if written.contains(&new.account.id) {
                    let _ = job.reply.send(Outcome::Created(new.user));
                } else {
                    alone.push(job);
                }
            }
        }
        Err(why) => {
            // Expected now and then (a taken userName or externalId); each request then gets
            // its own answer.
            tracing::info!(batch = jobs.len(), %why, "SCIM create batch rolled back; its users go one by one");
            metrics::with_local_recorder(&st.metrics.recorder, || {
                metrics::counter!("gatehouse_scim_create_batch_rollbacks_total").increment(1);
            });
            alone.extend(jobs);
        }
    }
    for job in alone {
        let _ = job.reply.send(Outcome::Alone);
    }
}

/// The account, SCIM user and event a job writes if its email is free.
fn new_user(j: &Job, now: gatehouse_core::Timestamp) -> NewProvisionedUser {
    let dir = j.caller.directory();
    let account = Account {
        id: AccountId::new(),
        email: j.fields.email.to_string(),
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
    let user = ScimUser {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: dir.id,
        account_id: account.id,
        user_name: j.fields.user_name.clone(),
        external_id: j.fields.external_id.clone(),
        email: Some(account.email.clone()),
        active: j.fields.active,
        resource: j.resource.to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let event = AuditEvent::new(
        dir.org_id,
        &j.caller.actor(),
        &j.meta,
        AuditAction::ScimUserCreated,
        now,
    )
    .target("account", account.id, Some(&account.email))
    .target("scim_user", &user.id, Some(&user.user_name))
    .after(&account);
    NewProvisionedUser {
        org: dir.org_id,
        account,
        user,
        event,
    }
}
