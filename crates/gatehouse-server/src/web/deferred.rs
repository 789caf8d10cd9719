//! Work a page does after it has answered: looking an address up and mailing it.
//!
//! The forgot-password and sign-up forms answer the same words whether or not an address has
//! an account; doing the lookup, the token write and the mail before answering would still
//! tell by the time it takes. So the page only queues the address and answers; one worker
//! does the rest in order. The queue is bounded: when it is full the page answers 503 before
//! anything about the address is read, so a flood cannot grow memory and the refusal tells
//! nothing either.

use futures::future::BoxFuture;
use gatehouse_core::CoreError;
use tokio::sync::mpsc;

/// Jobs that may wait for the worker; past that, forms answer 503 (busy).
pub const QUEUE: usize = 1024;

type Job = (&'static str, BoxFuture<'static, Result<(), CoreError>>);

/// The queue of after-answer work. Jobs run one at a time, in the order queued (a test can
/// wait for a later job's mail and so know an earlier job is done).
#[derive(Clone)]
pub struct Deferred {
    tx: mpsc::Sender<Job>,
}

impl Deferred {
    /// The queue and its worker (on the current runtime).
    pub fn start() -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            while let Some((what, job)) = rx.recv().await {
                if let Err(e) = job.await {
                    tracing::error!(error = %e, job = what, "deferred work failed");
                }
            }
        });
        Self { tx }
    }

    /// Queues `job`; `Overloaded` when the queue is full (nothing queued).
    pub fn queue(&self, what: &'static str, job: BoxFuture<'static, Result<(), CoreError>>) -> Result<(), CoreError> {
        self.tx
            .try_send((what, job))
            .map_err(|_| CoreError::Overloaded { retry_after_secs: 5 })
    }
}

impl Deferred {
    /// Waits until every job queued before this call has run (tests, and a graceful stop).
    pub async fn settled(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        let marker: BoxFuture<'static, Result<(), CoreError>> = Box::pin(async move {
            let _ = done.send(());
            Ok(())
        });
        if self.tx.send(("settled", marker)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn jobs_run_in_order_and_a_full_queue_refuses_without_running_anything() {
        let d = Deferred::start();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let gate = Arc::new(tokio::sync::Notify::new());
        // The first job holds the worker until released, so the queue fills behind it.
        let g = gate.clone();
        d.queue(
            "hold",
            async move {
                g.notified().await;
                Ok(())
            }
            .boxed(),
        )
        .unwrap();
        tokio::task::yield_now().await;
        let mut refused = 0;
        let ran = Arc::new(AtomicUsize::new(0));
        for n in 0..QUEUE + 10 {
            let (s, r) = (seen.clone(), ran.clone());
            let job = async move {
                s.lock().unwrap().push(n);
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            };
            if d.queue("n", job.boxed()).is_err() {
                refused += 1;
            }
        }
        assert!(refused >= 10, "a bounded queue refuses past its size: {refused}");
        gate.notify_one();
        let accepted = QUEUE + 10 - refused;
        while ran.load(Ordering::SeqCst) < accepted {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let seen = seen.lock().unwrap().clone();
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(seen, sorted, "in the order queued");
    }
}
