//! What a Response is checked against, and what a valid one yields.

use std::collections::BTreeMap;

use crate::keys::Certificate;

/// The largest base64 SAMLResponse accepted: 512 KiB, checked before decoding.
pub const MAX_RESPONSE_BASE64: usize = 512 * 1024;

/// Default clock skew allowed on every time check, in seconds.
pub const DEFAULT_SKEW_SECS: i64 = 180;

/// What the SP expects of a Response for one IdP connection.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// Our SP entity id (the Audience we require).
    pub sp_entity_id: &'a str,
    /// Our ACS URL (Destination and Recipient).
    pub acs_url: &'a str,
    /// The IdP's entity id (Issuer).
    pub idp_entity_id: &'a str,
    /// The IdP's signing certificates: one, or two while it rotates.
    pub certificates: &'a [Certificate],
    /// Accept rsa-sha1 signatures and sha1 digests (off unless an IdP cannot do better).
    pub allow_sha1: bool,
    /// Now, unix milliseconds.
    pub now_ms: i64,
    /// Allowed clock skew in seconds ([`DEFAULT_SKEW_SECS`]).
    pub skew_secs: i64,
    /// The SP's PKCS#8 PEM private key, to decrypt an EncryptedAssertion.
    pub sp_key_pem: Option<&'a str>,
    /// Accept an EncryptedAssertion whose key is sent with RSA PKCS#1 v1.5 (`xmlenc#rsa-1_5`;
    /// off unless an IdP cannot do RSA-OAEP: see the `encryption` module on Bleichenbacher).
    pub allow_rsa1_5: bool,
}

/// A validated assertion. The caller still checks `in_response_to` against its stored request
/// and `id` against its replay cache (kept until `not_on_or_after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The Assertion ID (for the replay cache).
    pub id: String,
    /// The Assertion Issuer (equal to the IdP entity id).
    pub issuer: String,
    /// InResponseTo of the bearer SubjectConfirmationData; `None` for IdP-initiated sign-in.
    pub in_response_to: Option<String>,
    /// The NameID value.
    pub name_id: String,
    /// The NameID Format, if given.
    pub name_id_format: Option<String>,
    /// AuthnStatement SessionIndex (for single logout).
    pub session_index: Option<String>,
    /// AuthnStatement SessionNotOnOrAfter, unix ms.
    pub session_not_on_or_after: Option<i64>,
    /// Attribute values by attribute Name.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The earliest of the confirmation's and the Conditions' NotOnOrAfter, unix ms.
    pub not_on_or_after: i64,
    /// AuthnStatement AuthnInstant, unix ms.
    pub authn_instant: Option<i64>,
}
