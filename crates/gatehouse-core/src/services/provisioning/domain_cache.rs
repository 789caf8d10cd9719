//! The verification of email domains as SCIM batches last read it (see [`DomainCache`]).

use crate::Timestamp;
use crate::domain::Domain;
use std::collections::HashMap;
use std::sync::Mutex;

/// A domain's verification as read: the verified domain, or `None` when nobody verified it.
pub(super) struct Seen(pub Option<Domain>);

/// How long a batch trusts what it read of a domain's verification.
const DOMAIN_TTL_MILLIS: i64 = 5_000;
/// Most domains remembered; past it the cache starts over (memory stays bounded whatever
/// domains directories send).
const DOMAIN_CACHE_MAX: usize = 4_096;

/// The verification of email domains as batches last read it, for a few seconds: an import
/// sends thousands of users on one domain, and a read per batch was a round trip per batch.
/// Staleness cannot write a wrong link: the store writes a user only while the domain's
/// verification is still what the batch decided on, and a user it leaves out goes alone (a
/// fresh read) and takes its domain out of the cache.
#[derive(Default)]
pub(super) struct DomainCache(Mutex<HashMap<String, (Option<Domain>, Timestamp)>>);

impl DomainCache {
    /// What was read of `name` (a verified domain or none), if it was read recently.
    pub(super) fn get(&self, name: &str, now: Timestamp) -> Option<Seen> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(name)
            .filter(|(_, at)| now.millis() - at.millis() < DOMAIN_TTL_MILLIS)
            .map(|(d, _)| Seen(d.clone()))
    }

    pub(super) fn put(&self, name: &str, domain: Option<Domain>, now: Timestamp) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= DOMAIN_CACHE_MAX {
            map.clear();
        }
        map.insert(name.to_owned(), (domain, now));
    }

    pub(super) fn forget(&self, name: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_trusted_for_five_seconds_and_forgotten_on_demand() {
        let cache = DomainCache::default();
        let t0 = Timestamp::from_millis(1_000_000);
        cache.put("acme.test", None, t0);
        assert!(matches!(cache.get("acme.test", t0.plus_secs(4)), Some(Seen(None))));
        assert!(cache.get("acme.test", t0.plus_secs(5)).is_none(), "stale after the TTL");
        cache.put("acme.test", None, t0);
        cache.forget("acme.test");
        assert!(cache.get("acme.test", t0).is_none());
    }

    #[test]
    fn memory_stays_bounded_whatever_domains_arrive() {
        let cache = DomainCache::default();
        let now = Timestamp::from_millis(0);
        for i in 0..(DOMAIN_CACHE_MAX * 3) {
            cache.put(&format!("d{i}.test"), None, now);
        }
        assert!(cache.0.lock().unwrap().len() <= DOMAIN_CACHE_MAX);
    }
}
