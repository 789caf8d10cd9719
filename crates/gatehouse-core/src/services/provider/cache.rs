//! Clients that proved their credentials lately, so a busy back end's token and introspection
//! calls do not read its client and secret from the database every time. An entry lives a
//! few seconds; every change to a client on this node (update, rotation, deletion) empties
//! the cache at once, so on one node a rotated-out secret stops working immediately and on a
//! cluster within the entry's life. Bounded: when full, it starts over empty.

use crate::Timestamp;
use crate::ids::ClientId;
use crate::oauth::Client;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long an authentication is trusted without reading the client again.
pub const CLIENT_CACHE_MS: i64 = 5_000;
/// The most clients kept.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    client: Client,
    /// Digests of the secrets that proved this client (none for a public client).
    digests: Vec<String>,
    since: Timestamp,
}

#[derive(Default)]
pub struct ClientCache {
    entries: Mutex<HashMap<ClientId, Entry>>,
}

impl ClientCache {
    /// The client, if it proved this secret digest (or, public, no secret) lately.
    pub fn get(&self, id: ClientId, digest: Option<&str>, now: Timestamp) -> Option<Client> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = entries.get(&id)?;
        let fresh = now.millis() - e.since.millis() < CLIENT_CACHE_MS;
        let proven = match digest {
            Some(d) => e.digests.iter().any(|k| k == d),
            None => e.client.public,
        };
        (fresh && proven).then(|| e.client.clone())
    }

    /// Whether the client was seen lately (it existed then).
    pub fn knows(&self, id: ClientId, now: Timestamp) -> bool {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(&id)
            .is_some_and(|e| now.millis() - e.since.millis() < CLIENT_CACHE_MS)
    }

    /// Remembers a successful authentication.
    pub fn put(&self, client: &Client, digest: Option<String>, now: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&client.id) {
            entries.clear();
        }
        let e = entries.entry(client.id).or_insert_with(|| Entry {
            client: client.clone(),
            digests: Vec::new(),
            since: now,
        });
        if now.millis() - e.since.millis() >= CLIENT_CACHE_MS {
            e.digests.clear();
            e.since = now;
            e.client = client.clone();
        }
        if let Some(d) = digest
            && !e.digests.contains(&d)
            && e.digests.len() < 4
        {
            e.digests.push(d);
        }
    }

    /// Forgets everything (a client changed).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(public: bool) -> Client {
        Client {
            id: ClientId::new(),
            org_id: crate::ids::OrgId::new(),
            name: "Wiki".into(),
            public,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            grant_types: vec![],
            instance_id: None,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn a_proven_secret_is_trusted_for_a_few_seconds_and_no_other_secret_is() {
        let cache = ClientCache::default();
        let c = client(false);
        let t = Timestamp::from_millis(1_000);
        cache.put(&c, Some("d1".into()), t);
        assert!(cache.get(c.id, Some("d1"), t.plus_millis(4_999)).is_some());
        assert!(
            cache.get(c.id, Some("d2"), t).is_none(),
            "another secret is read from the store"
        );
        assert!(
            cache.get(c.id, None, t).is_none(),
            "a confidential client always needs its secret"
        );
        assert!(
            cache.get(c.id, Some("d1"), t.plus_millis(5_000)).is_none(),
            "entries expire"
        );
        cache.put(&c, Some("d1".into()), t);
        cache.clear();
        assert!(cache.get(c.id, Some("d1"), t).is_none(), "a change empties it");
        let p = client(true);
        cache.put(&p, None, t);
        assert!(cache.get(p.id, None, t).is_some() && cache.knows(p.id, t));
    }
}
