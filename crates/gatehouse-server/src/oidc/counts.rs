//! Token grants (client credentials, refresh) are counted per client in memory and written as
//! one `oauth.tokens_granted` event per client per minute, so a busy back end costs the audit
//! log one row a minute instead of one per token. Only authenticated clients are counted, so
//! the map holds at most one entry per registered client.

use gatehouse_core::Timestamp;
use gatehouse_core::ids::{ClientId, OrgId};
use gatehouse_core::services::Services;
use gatehouse_core::services::provider::TokenGrantCount;
use gatehouse_store::SqlStore;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct GrantCounter {
    counts: Mutex<HashMap<ClientId, TokenGrantCount>>,
}

/// Which grant to count.
#[derive(Clone, Copy)]
pub enum Counted {
    ClientCredentials,
    Refresh,
}

impl GrantCounter {
    pub fn add(&self, client: ClientId, org: OrgId, what: Counted) {
        let mut counts = self.counts.lock().expect("the counter lock is never poisoned");
        let c = counts.entry(client).or_insert_with(|| TokenGrantCount {
            client_id: client,
            org_id: org,
            client_credentials: 0,
            refresh: 0,
        });
        match what {
            Counted::ClientCredentials => c.client_credentials += 1,
            Counted::Refresh => c.refresh += 1,
        }
    }

    /// Takes the counts so far, leaving zero.
    fn take(&self) -> Vec<TokenGrantCount> {
        let mut counts = self.counts.lock().expect("the counter lock is never poisoned");
        std::mem::take(&mut *counts).into_values().collect()
    }

    /// Writes the minute's counts. A failed write puts them back, to go with the next minute.
    pub async fn flush(&self, services: &Services<SqlStore>, minute_start: Timestamp) {
        let counts = self.take();
        if let Err(e) = services.provider.record_token_grants(minute_start, &counts).await {
            tracing::warn!(error = %e, "recording token grants failed; they go with the next minute");
            for c in counts {
                let mut all = self.counts.lock().expect("the counter lock is never poisoned");
                let e = all.entry(c.client_id).or_insert_with(|| TokenGrantCount {
                    client_credentials: 0,
                    refresh: 0,
                    ..c.clone()
                });
                e.client_credentials += c.client_credentials;
                e.refresh += c.refresh;
            }
        }
    }
}
