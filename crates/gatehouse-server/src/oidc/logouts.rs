//! The back-channel logout worker's bell and HTTP client, as `AppState` holds them (the
//! worker itself is `backchannel.rs`).

use crate::outbound::{Outbound, OutboundPolicy};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The worker's bell: rung after a change queued notices, so they go at once.
#[derive(Clone)]
pub struct Logouts {
    bell: Arc<Notify>,
    http: Outbound,
}

impl Logouts {
    pub fn new(policy: &OutboundPolicy) -> anyhow::Result<Self> {
        // Registration allows http only on a loopback host (a product beside Gatehouse);
        // whether loopback may be reached at all is the outbound policy's address rule.
        let policy = OutboundPolicy {
            timeout: Duration::from_secs(5),
            https_only: false,
            ..policy.clone()
        };
        Ok(Self {
            bell: Arc::new(Notify::new()),
            http: Outbound::new(&policy)?,
        })
    }

    pub fn wake(&self) {
        self.bell.notify_one();
    }

    /// Waits for the bell.
    pub async fn rung(&self) {
        self.bell.notified().await;
    }

    /// The client deliveries go through.
    pub fn http(&self) -> &Outbound {
        &self.http
    }
}
