//! Provisioning many users at once, a performance mechanism. An identity provider importing a
//! directory sends many `POST /Users` concurrently; each one alone costs about ten statements
//! and a commit. Creates that arrive while a batch is being written queue up and go in the
//! next batch, written by core's `Provisioning::create_users` in one atomic step (one
//! statement on PostgreSQL), each user still with its own audit event.
//!
//! What a batch may take is core's rule (the plain case: a new account under an email no
//! account has, on a domain no other organization has verified). Any request it leaves out
//! runs the one-user path and gets its exact answer there (an existing account to link, a
//! refusal). So does every request of a batch that fails as a whole (a taken userName or
//! externalId, an error of any kind): it rolls back whole, so nothing half-written remains.

use gatehouse_core::audit::RequestMeta;
use gatehouse_core::directory::{ScimUser, UserResource};
use gatehouse_core::services::{DirectoryCaller, QueuedCreate, Services};
use gatehouse_store::SqlStore;
use metrics_exporter_prometheus::PrometheusRecorder;
use std::sync::Mutex;
use std::time::Duration;
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
    create: QueuedCreate,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Pending {
    jobs: Vec<Job>,
    /// Batches being written now.
    writers: usize,
}

/// What a batch needs from the application. The queue lives in the application's state, so it
/// asks for these through this trait rather than naming that state.
pub trait BatchHost: Clone + Send + Sync + 'static {
    /// The queue batches are taken from.
    fn queue(&self) -> &CreateQueue;
    /// The services that write a batch.
    fn services(&self) -> &Services<SqlStore>;
    /// How long a drain waits for more creates before taking a batch.
    fn linger(&self) -> Duration;
    /// Where batch metrics are recorded.
    fn recorder(&self) -> &PrometheusRecorder;
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
    pub async fn submit<H: BatchHost>(
        &self,
        st: &H,
        caller: DirectoryCaller,
        meta: RequestMeta,
        user: UserResource,
    ) -> Outcome {
        let (reply, rx) = oneshot::channel();
        let start = {
            let mut p = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            p.jobs.push(Job {
                create: QueuedCreate { caller, meta, user },
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

async fn drain<H: BatchHost>(st: H) {
    let linger = st.linger();
    loop {
        if !linger.is_zero() {
            tokio::time::sleep(linger).await;
        }
        let jobs = st.queue().take();
        if jobs.is_empty() {
            return;
        }
        metrics::with_local_recorder(st.recorder(), || {
            metrics::histogram!("gatehouse_scim_create_batch_size").record(jobs.len() as f64);
        });
        // Its own task: a panic drops the batch's replies (each request then goes alone)
        // without stopping the queue.
        let _ = tokio::spawn(write(st.clone(), jobs)).await;
    }
}

/// Writes a batch, answering each job: created, or left to the one-user path.
async fn write<H: BatchHost>(st: H, jobs: Vec<Job>) {
    let (creates, replies): (Vec<QueuedCreate>, Vec<_>) = jobs.into_iter().map(|j| (j.create, j.reply)).unzip();
    match st.services().provisioning.create_users(&creates).await {
        Ok(written) => {
            for (reply, user) in replies.into_iter().zip(written) {
                let _ = reply.send(user.map_or(Outcome::Alone, Outcome::Created));
            }
        }
        Err(why) => {
            // Expected now and then (a taken userName or externalId); each request then gets
            // its own answer.
            tracing::info!(batch = creates.len(), %why, "SCIM create batch rolled back; its users go one by one");
            metrics::with_local_recorder(st.recorder(), || {
                metrics::counter!("gatehouse_scim_create_batch_rollbacks_total").increment(1);
            });
            for reply in replies {
                let _ = reply.send(Outcome::Alone);
            }
        }
    }
}
