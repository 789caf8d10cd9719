//! Typed identifiers. Each is a UUIDv7, so ids sort by creation time and make stable cursors.

use crate::error::{CoreError, Result};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $field:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses the canonical hyphenated form; anything else is a validation error on `field`.
            pub fn parse(s: &str) -> Result<Self> {
                let u = uuid::Uuid::try_parse(s)
                    .map_err(|_| CoreError::validation($field, "is not a valid id"))?;
                Ok(Self(u))
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }
    };
}

id_type!(/// An organization.
    OrgId, "org_id");
id_type!(/// A global account (a person's identity).
    AccountId, "account_id");
id_type!(/// A group of accounts within one organization.
    GroupId, "group_id");
id_type!(/// A product instance ("site").
    InstanceId, "instance_id");
id_type!(/// A grant of product access.
    AccessId, "access_id");
id_type!(/// An organization API key.
    ApiKeyId, "api_key_id");
id_type!(/// A domain an organization verifies.
    DomainId, "domain_id");
id_type!(/// An identity-provider directory (SCIM).
    DirectoryId, "directory_id");
id_type!(/// An audit event.
    EventId, "event_id");
id_type!(/// A browser's Gatehouse session, as people and admins see it. The token's digest, which
    /// finds the session from the cookie, is never served: this id names it instead.
    SessionId, "session_id");
id_type!(/// An invitation to become an organization admin.
    AdminInvitationId, "invitation_id");
id_type!(/// A product's OpenID Connect client; its text is the `client_id` the product presents.
    ClientId, "client_id");
id_type!(/// One of a client's secrets (a client has two while a rotation overlaps).
    ClientSecretId, "secret_id");
id_type!(/// A product session: one sign-in of an account to a client, and every token issued from it
    /// (its refresh tokens are one family; revoking the grant ends them all).
    GrantId, "grant_id");
id_type!(/// An organization's identity provider (SAML 2.0 or OpenID Connect) that people sign in with.
    IdpId, "idp_id");
id_type!(/// An authentication policy: the security rules of a set of an organization's managed accounts.
    PolicyId, "policy_id");

/// A person's API token. Unlike the other ids, not necessarily a UUID: it is the text the
/// token was stored with, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserApiTokenId(String);

impl UserApiTokenId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Any text of 1 to 64 characters; anything else is a validation error on `token_id`.
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() || s.len() > 64 {
            return Err(CoreError::validation("token_id", "is not a valid id"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for UserApiTokenId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for UserApiTokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl EventId {
    /// A fresh event id whose time part is `at`, so event ids sort in the order events happened
    /// (to the millisecond) even when the clock is not the wall clock.
    pub fn at(at: crate::Timestamp) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        // Events made in the same millisecond (one transaction often writes several) keep the
        // order they were made in: a 32-bit process-wide counter follows the millisecond, in
        // the rand_a and top of rand_b bits (RFC 9562 §6.2, method 1). 42 random bits remain.
        // The counter only orders ids; it carries no configuration.
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let ms = at.millis().clamp(0, (1 << 48) - 1) as u64;
        let mut b = [0u8; 16];
        let _ = getrandom::fill(&mut b[10..]);
        b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        b[6] = 0x70 | (seq >> 28) as u8;
        b[7] = (seq >> 20) as u8;
        b[8] = 0x80 | ((seq >> 14) & 0x3f) as u8;
        b[9] = (seq >> 6) as u8;
        b[10] = ((seq & 0x3f) as u8) << 2 | (b[10] & 0x03);
        Self(uuid::Uuid::from_bytes(b))
    }

    /// The smallest event id of the millisecond `at`: a time bound expressed as an id bound.
    pub fn lower_bound(at: crate::Timestamp) -> String {
        let ms = at.millis().clamp(0, (1 << 48) - 1) as u64;
        format!("{:08x}-{:04x}-7000-8000-000000000000", ms >> 16, ms & 0xffff)
    }

    /// The millisecond an event id (as stored, in text) was minted for; `None` for text that
    /// is not an event id.
    pub fn time_of(id: &str) -> Option<crate::Timestamp> {
        let (high, rest) = id.split_once('-')?;
        let low = rest.get(..4)?;
        if high.len() != 8 || rest.as_bytes().get(4) != Some(&b'-') {
            return None;
        }
        let ms = u64::from_str_radix(high, 16).ok()? << 16 | u64::from_str_radix(low, 16).ok()?;
        Some(crate::Timestamp::from_millis(i64::try_from(ms).ok()?))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_event_id_tells_its_millisecond() {
        let t = crate::Timestamp::from_millis(1_764_400_000_123);
        assert_eq!(super::EventId::time_of(&super::EventId::at(t).to_string()), Some(t));
        assert_eq!(super::EventId::time_of(&super::EventId::lower_bound(t)), Some(t));
        assert_eq!(super::EventId::time_of("not-an-id"), None);
        assert_eq!(super::EventId::time_of("0190f0aa-zzzz-7000-8000-000000000000"), None);
    }

    #[test]
    fn event_ids_fall_between_the_bounds_of_their_millisecond() {
        let t = crate::Timestamp::from_millis(1_764_400_000_123);
        let id = EventId::at(t).to_string();
        assert!(EventId::lower_bound(t) <= id);
        assert!(id < EventId::lower_bound(crate::Timestamp::from_millis(t.millis() + 1)));
    }

    #[test]
    fn event_ids_of_one_millisecond_keep_their_creation_order() {
        let t = crate::Timestamp::from_millis(1_764_400_000_999);
        let ids: Vec<String> = (0..50).map(|_| EventId::at(t).to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(uuid::Uuid::parse_str(&ids[0]).unwrap().get_version_num(), 7);
    }

    use super::*;

    #[test]
    fn ids_created_later_sort_after_earlier_ones() {
        let a = AccountId::new();
        let b = AccountId::new();
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn a_malformed_id_is_a_validation_error_naming_its_field() {
        let err = OrgId::parse("not-a-uuid").unwrap_err();
        match err {
            CoreError::Validation { fields } => assert_eq!(fields[0].field, "org_id"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
