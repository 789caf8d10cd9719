//! Password hashing: argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane) on a fixed pool
//! of worker threads behind a bounded queue.
//!
//! Each worker allocates its 19 MiB of argon2 memory once, at its first job, and reuses it for
//! every hash after, so the memory of hashing is `workers × 19 MiB` however many requests
//! arrive. (Allocating per hash on blocking threads left freed blocks in one malloc arena per
//! thread: 100 reset posts grew the process to about 530 MB.) A request that finds the queue
//! full is answered at once with [`CoreError::Overloaded`] (503 with `Retry-After`); it waits
//! for nothing and hashed nothing.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use gatehouse_core::ports::{BoxFuture, PasswordHasher};
use gatehouse_core::{CoreError, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// Seconds a caller turned away by a full queue is asked to wait: a queue's worth of hashes
/// takes well under that.
const RETRY_AFTER_SECS: u64 = 2;

/// The argon2id parameters every new hash is written with.
fn params() -> Params {
    Params::new(19_456, 2, 1, Some(32)).expect("valid argon2 params")
}

/// What one job asks of a worker.
enum Work {
    Hash(String),
    Verify { password: String, hash: String },
}

/// What a worker answers.
enum Done {
    Hash(std::result::Result<String, String>),
    Verify(bool),
}

struct Job {
    work: Work,
    /// The request's span, so the worker's logs sit inside it.
    span: tracing::Span,
    reply: oneshot::Sender<Done>,
}

/// Counts of the pool's work, for `/metrics`.
#[derive(Clone)]
pub struct HashCounters {
    /// Hashes computed, new (`op="hash"`) or to verify (`op="verify"`).
    pub hashed: metrics::Counter,
    pub verified: metrics::Counter,
    /// Requests turned away because the queue was full.
    pub refused: metrics::Counter,
}

impl HashCounters {
    /// The counters, registered with `recorder`.
    pub fn register(recorder: &metrics_exporter_prometheus::PrometheusRecorder) -> Self {
        metrics::with_local_recorder(recorder, || Self {
            hashed: metrics::counter!("gatehouse_password_hashes_total", "op" => "hash"),
            verified: metrics::counter!("gatehouse_password_hashes_total", "op" => "verify"),
            refused: metrics::counter!("gatehouse_password_hash_refused_total"),
        })
    }
}

/// The pool: `workers` threads, a queue of at most `queue` jobs waiting for them. The threads
/// end when the pool is dropped.
pub struct HashPool {
    jobs: SyncSender<Job>,
    /// Jobs queued and not yet taken by a worker, and the most the queue holds.
    waiting: Arc<AtomicUsize>,
    capacity: usize,
    /// The workers' end of the queue, kept so the queue stays open whatever the workers do;
    /// the workers stop once `jobs` is dropped.
    _queue: Arc<Mutex<Receiver<Job>>>,
    counters: HashCounters,
}

impl HashPool {
    pub fn new(workers: usize, queue: usize, counters: HashCounters) -> std::io::Result<Self> {
        Self::start(workers.max(1), queue, counters)
    }

    fn start(workers: usize, queue: usize, counters: HashCounters) -> std::io::Result<Self> {
        let (jobs, rx) = sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let waiting = Arc::new(AtomicUsize::new(0));
        for n in 0..workers {
            let rx = rx.clone();
            let counters = counters.clone();
            let waiting = waiting.clone();
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{n}"))
                .spawn(move || work(&rx, &counters, &waiting))?;
        }
        Ok(Self {
            jobs,
            waiting,
            capacity: queue.max(1),
            _queue: rx,
            counters,
        })
    }

    /// Queues `work` and waits for its answer; `Overloaded` at once when the queue is full.
    async fn run(&self, work: Work) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work,
            span: tracing::Span::current(),
            reply,
        };
        // Counted before it is sent, so a worker never takes a job it was not counted for.
        self.waiting.fetch_add(1, Ordering::SeqCst);
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                self.counters.refused.increment(1);
                return Err(CoreError::Overloaded {
                    retry_after_secs: RETRY_AFTER_SECS,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return Err(CoreError::internal("the hashing pool has stopped"));
            }
        }
        answer
            .await
            .map_err(|_| CoreError::internal("a hashing worker stopped"))
    }
}

impl PasswordHasher for HashPool {
    fn hash(&self, password: String) -> BoxFuture<'_, Result<String>> {
        Box::pin(async move {
            match self.run(Work::Hash(password)).await? {
                Done::Hash(h) => h.map_err(CoreError::Internal),
                Done::Verify(_) => Err(CoreError::internal("a hash job answered a verification")),
            }
        })
    }

    fn verify(&self, password: String, hash: String) -> BoxFuture<'_, Result<bool>> {
        Box::pin(async move {
            match self.run(Work::Verify { password, hash }).await? {
                Done::Verify(ok) => Ok(ok),
                Done::Hash(_) => Err(CoreError::internal("a verification answered a hash")),
            }
        })
    }

    /// Counted as a refusal when it answers `Some`: the caller refuses on it.
    fn saturated(&self) -> Option<u64> {
        let full = self.waiting.load(Ordering::SeqCst) >= self.capacity;
        if full {
            self.counters.refused.increment(1);
        }
        full.then_some(RETRY_AFTER_SECS)
    }
}

/// A worker: takes jobs until the pool is dropped, with one memory block for all of them.
fn work(rx: &Mutex<Receiver<Job>>, counters: &HashCounters, waiting: &AtomicUsize) {
    let params = params();
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // The lock is held only while waiting for the next job; the others wait their turn.
        let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            return; // the pool was dropped
        };
        waiting.fetch_sub(1, Ordering::SeqCst);
        if memory.is_empty() {
            memory = vec![Block::default(); params.block_count()];
        }
        let _in_request = job.span.enter();
        let done = match job.work {
            Work::Hash(password) => {
                counters.hashed.increment(1);
                Done::Hash(hash_with(&params, password.as_bytes(), &mut memory))
            }
            Work::Verify { password, hash } => {
                counters.verified.increment(1);
                Done::Verify(verify_with(password.as_bytes(), &hash, &mut memory))
            }
        };
        // The caller may have gone (its request was cancelled); the answer is simply dropped.
        let _ = job.reply.send(done);
    }
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) for `password`.
fn hash_with(params: &Params, password: &[u8], memory: &mut [Block]) -> std::result::Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut out, &mut memory[..params.block_count()])
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `hash`, computed in `memory`. The parameters are
/// the hash's own; one that needs more memory than the pool's (never written by this server)
/// gets its own allocation. The comparison is constant-time (`Output`'s equality).
fn verify_with(password: &[u8], hash: &str, memory: &mut [Block]) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(phc.algorithm.as_str()), Params::try_from(&phc)) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or(Version::V0x13),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let ctx = Argon2::new(algorithm, version, params.clone());
    let blocks = params.block_count();
    let computed = if blocks <= memory.len() {
        ctx.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
    } else {
        tracing::warn!(
            blocks,
            "a stored password hash needs more memory than the hashing pool holds"
        );
        ctx.hash_password_into(password, salt, &mut out)
    };
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters() -> HashCounters {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        HashCounters::register(&recorder)
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let h = HashPool::new(2, 4, counters()).unwrap();
        let hash = h.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(h.verify("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!h.verify("wrong horse battery".into(), hash.clone()).await.unwrap());
        assert!(!h.verify("anything".into(), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_written_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let stock = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"an older passphrase")
            .unwrap()
            .to_string();
        let h = HashPool::new(1, 1, counters()).unwrap();
        assert!(h.verify("an older passphrase".into(), stock.clone()).await.unwrap());
        assert!(!h.verify("another passphrase".into(), stock).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_hashes_nothing() {
        // No worker takes jobs here, so the queue of one stays full once one job waits in it.
        let h = HashPool::start(0, 1, counters()).unwrap();
        assert_eq!(h.saturated(), None, "an empty queue has room");
        let waiting = h.hash("queued passphrase".into());
        tokio::pin!(waiting);
        assert!(
            futures::poll!(&mut waiting).is_pending(),
            "the first job waits in the queue"
        );
        assert!(
            h.saturated().is_some(),
            "a full queue says so before anyone asks it to hash"
        );
        match h.verify("refused passphrase".into(), "$argon2id$...".into()).await {
            Err(CoreError::Overloaded { retry_after_secs }) => assert!(retry_after_secs > 0),
            other => panic!("expected Overloaded, got {:?}", other.map_err(|e| e.to_string())),
        }
    }
}
