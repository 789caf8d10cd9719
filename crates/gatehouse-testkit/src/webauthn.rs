//! A software WebAuthn authenticator for tests.
//!
//! Security-key and passkey flows need a real authenticator to prove anything.
//! A mock that the server's own library never checks would prove nothing.
//! So [`SoftAuthenticator`] makes what a browser really posts: an ES256 key made
//! by aws-lc-rs, real signatures, CBOR authenticator data and `clientDataJSON`.
//! The relying party (webauthn-rs) verifies it exactly as it verifies a browser.
//!
//! It plays both the browser and the authenticator. It takes the options JSON the
//! server sends to `navigator.credentials.create/get` and returns the JSON that
//! `/assets/webauthn.js` would post back. Binary fields are base64url without
//! padding, as webauthn-rs serializes and expects them.
//!
//! Misuse panics with a message that says what went wrong. This is a test helper:
//! a failed test that names the wrong option beats an error to thread through.
//!
//! ```
//! use softauth::webauthn::SoftAuthenticator;
//!
//! let mut key = SoftAuthenticator::new();
//! let options = serde_json::json!({"publicKey": {
//!     "challenge": "AAEC",
//!     "rp": {"id": "localhost", "name": "Gatehouse"},
//!     "user": {"id": "AAECAwQFBgcICQoLDA0ODw", "name": "claire", "displayName": "Claire"},
//!     "pubKeyCredParams": [{"type": "public-key", "alg": -7}]
//! }});
//! let posted = key.register(&options, "http://localhost:8080");
//! assert_eq!(posted["type"], "public-key");
//! assert_eq!(key.counter(), 0);
//! ```

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

// WebAuthn §6.1 authenticator data flags.
/// User present: someone touched the key.
const FLAG_UP: u8 = 0x01;
/// User verified: PIN or biometric. Passkeys need it (webauthn-rs requires UV).
const FLAG_UV: u8 = 0x04;
/// Backup eligible: the credential may be synced (a passkey in a password manager).
const FLAG_BE: u8 = 0x08;
/// Backup state: the credential is synced right now.
const FLAG_BS: u8 = 0x10;
/// Attested credential data follows the counter (registration only).
const FLAG_AT: u8 = 0x40;

/// COSE algorithm ES256 (RFC 9053 §2.1): ECDSA on P-256 with SHA-256.
const COSE_ALG_ES256: i64 = -7;
/// A common size on real keys; 32 random bytes never collide between tests.
const CREDENTIAL_ID_LEN: usize = 32;
/// With `"attestation": "none"` browsers zero the AAGUID (WebAuthn §5.4.7), so we send zeros.
const AAGUID_NONE: [u8; 16] = [0; 16];

/// One ES256 credential, like a single security key or one synced passkey.
///
/// `register` binds it to the relying party and user in the options. `assert` then
/// signs for that relying party, as often as a test likes. The signature counter
/// is kept here, like on a real key. `set_counter` lets a test wind it back to
/// play a cloned key.
pub struct SoftAuthenticator {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    credential_id: Vec<u8>,
    counter: u32,
    /// Whether each assertion moves the counter on (synced passkeys mostly keep it at 0).
    counts: bool,
    backup_eligible: bool,
    /// Set by `register`. An assertion needs to know the rp id and user handle.
    binding: Option<Binding>,
}

/// What a discoverable credential remembers about its registration.
struct Binding {
    rp_id: String,
    user_handle: Vec<u8>,
}

impl SoftAuthenticator {
    /// A fresh P-256 key with a random 32-byte credential id and counter 0.
    ///
    /// It is not backup eligible: it behaves like a hardware security key.
    ///
    /// # Panics
    /// If aws-lc-rs cannot make a key or random bytes, which means a broken build.
    #[must_use]
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("aws-lc-rs failed to generate a P-256 key");
        let mut credential_id = vec![0; CREDENTIAL_ID_LEN];
        rng.fill(&mut credential_id)
            .expect("aws-lc-rs failed to produce random bytes");
        Self {
            key,
            rng,
            credential_id,
            counter: 0,
            counts: true,
            backup_eligible: false,
            binding: None,
        }
    }

    /// Marks the credential as a synced passkey (`on = true`) or a device-bound key.
    ///
    /// It sets both BE and BS: a synced passkey is eligible and also backed up.
    /// Choose before `register` and keep it: webauthn-rs refuses an assertion that
    /// drops BE after registration (a discoverable login refuses any change).
    #[must_use]
    pub fn with_backup_eligible(mut self, on: bool) -> Self {
        self.backup_eligible = on;
        self
    }

    /// A key that keeps no signature counter: every assertion carries 0, as most synced
    /// passkeys' do (WebAuthn §6.1.1). A server cannot tell a replay by the counter then.
    #[must_use]
    pub fn without_counter(mut self) -> Self {
        self.counts = false;
        self
    }

    /// The credential id, as the server stores it after registration.
    #[must_use]
    pub fn credential_id(&self) -> Vec<u8> {
        self.credential_id.clone()
    }

    /// The signature counter: what the last assertion carried, or what `set_counter` set.
    #[must_use]
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// Winds the counter to `n`; the next assertion carries `n + 1`.
    ///
    /// A server must refuse a counter that does not grow, since it suggests a cloned key.
    /// This lets a test prove it does.
    pub fn set_counter(&mut self, n: u32) {
        self.counter = n;
    }

    /// Answers `navigator.credentials.create` as a browser with this key would.
    ///
    /// `options` is the server's JSON: webauthn-rs's `CreationChallengeResponse`,
    /// `{"publicKey": {challenge, rp: {id, name}, user: {id, name, displayName},
    /// pubKeyCredParams, ...}}`. `origin` is the page's origin, such as
    /// `http://localhost:8080`.
    ///
    /// It returns what a browser posts, the shape of webauthn-rs-proto's
    /// `RegisterPublicKeyCredential`: `id`, `rawId`, `type`,
    /// `response {attestationObject, clientDataJSON}` and `extensions {}`.
    /// The attestation is `none`, as browsers send for `"attestation": "none"`.
    /// The flags are UP, UV and AT, plus BE and BS when backup eligible.
    /// The counter is sent as it stands.
    ///
    /// It remembers the rp id and user handle, as a discoverable credential does.
    /// A second call rebinds the same key, like re-enrolling it.
    /// `excludeCredentials` is ignored on purpose, so a test can prove the server's
    /// own check. A browser would refuse to create a credential in that list.
    ///
    /// # Panics
    /// If a field above is missing, `user.id` is not base64url, or ES256 (-7) is
    /// not among `pubKeyCredParams`. A real key would refuse those options too.
    pub fn register(&mut self, options: &Value, origin: &str) -> Value {
        let rp_id = string_at(options, "/publicKey/rp/id");
        let challenge = string_at(options, "/publicKey/challenge");
        let user_handle = decode_b64url(string_at(options, "/publicKey/user/id"), "user.id");
        assert!(
            offers_es256(options),
            "the server does not offer ES256 (alg -7) in publicKey.pubKeyCredParams: {}",
            options.pointer("/publicKey/pubKeyCredParams").unwrap_or(&Value::Null)
        );

        let client_data = client_data_json("webauthn.create", challenge, origin);
        let mut auth_data = self.auth_data_head(rp_id, FLAG_UP | FLAG_UV | FLAG_AT);
        // WebAuthn §6.5.1 attested credential data: AAGUID, id length, id, COSE key.
        auth_data.extend_from_slice(&AAGUID_NONE);
        let id_len = u16::try_from(self.credential_id.len()).expect("credential id is 32 bytes");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_public_key().encode());

        // WebAuthn §6.5.4; "none" attestation has an empty attStmt (§8.7).
        let attestation_object = cbor::Value::Map(vec![
            (cbor::Value::text("fmt"), cbor::Value::text("none")),
            (cbor::Value::text("attStmt"), cbor::Value::Map(Vec::new())),
            (cbor::Value::text("authData"), cbor::Value::Bytes(auth_data)),
        ])
        .encode();

        self.binding = Some(Binding {
            rp_id: rp_id.to_owned(),
            user_handle,
        });
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64url(&attestation_object),
                "clientDataJSON": b64url(client_data.as_bytes()),
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get` as a browser with this key would.
    ///
    /// `options` is webauthn-rs's `RequestChallengeResponse`:
    /// `{"publicKey": {challenge, rpId, allowCredentials, userVerification},
    /// "mediation"?}`. An empty `allowCredentials` is a discoverable login.
    ///
    /// The counter goes up first, as on real keys, so the first assertion carries 1.
    /// It signs `authenticatorData || SHA-256(clientDataJSON)` (WebAuthn §6.3.3).
    /// It returns webauthn-rs-proto's `PublicKeyCredential` shape: `id`, `rawId`,
    /// `type`, `response {authenticatorData, clientDataJSON, signature,
    /// userHandle}` and `extensions {}`. `userHandle` is always sent, since
    /// discoverable login needs it and a server must accept it anyway.
    ///
    /// # Panics
    /// Before `register`; if `rpId` differs from the registered one; if
    /// `allowCredentials` is not empty and does not name this credential (a
    /// browser would find no key to use); on a malformed option; on counter overflow.
    pub fn assert(&mut self, options: &Value, origin: &str) -> Value {
        let binding = self
            .binding
            .as_ref()
            .expect("assert called before register: this key holds no credential yet");
        let rp_id = string_at(options, "/publicKey/rpId");
        assert_eq!(
            rp_id, binding.rp_id,
            "publicKey.rpId names another relying party than this key registered with"
        );
        self.check_allowed(options);
        let challenge = string_at(options, "/publicKey/challenge");

        if self.counts {
            self.counter = self
                .counter
                .checked_add(1)
                .expect("signature counter overflowed u32; set_counter lower");
        }
        let auth_data = self.auth_data_head(rp_id, FLAG_UP | FLAG_UV);
        let client_data = client_data_json("webauthn.get", challenge, origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, client_data.as_bytes()).as_ref());
        let signature = self.key.sign(&self.rng, &signed).expect("aws-lc-rs failed to sign");

        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64url(&auth_data),
                "clientDataJSON": b64url(client_data.as_bytes()),
                "signature": b64url(signature.as_ref()),
                "userHandle": b64url(&binding.user_handle),
            },
            "extensions": {},
        })
    }

    /// Panics unless `allowCredentials` is empty or names this credential.
    fn check_allowed(&self, options: &Value) {
        let allowed = options
            .pointer("/publicKey/allowCredentials")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        // Compare bytes, not text: a padded id names the same credential.
        let names_us = allowed.iter().any(|c| {
            c.get("id")
                .and_then(Value::as_str)
                .and_then(|text| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok())
                .is_some_and(|id| id == self.credential_id)
        });
        assert!(
            allowed.is_empty() || names_us,
            "publicKey.allowCredentials {} does not name this key's credential {}; \
             a browser would find no authenticator to use",
            Value::from(allowed),
            b64url(&self.credential_id)
        );
    }

    /// rpIdHash, flags and counter: the part of authenticator data both ceremonies share.
    fn auth_data_head(&self, rp_id: &str, mut flags: u8) -> Vec<u8> {
        if self.backup_eligible {
            flags |= FLAG_BE | FLAG_BS;
        }
        // WebAuthn §6.1: 32-byte SHA-256 of the rp id, 1 flag byte, 4-byte big-endian counter.
        let mut data = Vec::with_capacity(37);
        data.extend_from_slice(digest(&SHA256, rp_id.as_bytes()).as_ref());
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// The public key as a COSE key (RFC 9052 §7, RFC 9053 §7.1.1).
    fn cose_public_key(&self) -> cbor::Value {
        // aws-lc-rs gives the SEC1 uncompressed point: 0x04 || x || y, 32 bytes each.
        let point = self.key.public_key().as_ref();
        assert_eq!(point.len(), 65, "expected an uncompressed P-256 point");
        let (x, y) = point[1..].split_at(32);
        cbor::Value::Map(vec![
            (cbor::Value::Int(1), cbor::Value::Int(2)),              // kty: EC2
            (cbor::Value::Int(3), cbor::Value::Int(COSE_ALG_ES256)), // alg: ES256
            (cbor::Value::Int(-1), cbor::Value::Int(1)),             // crv: P-256
            (cbor::Value::Int(-2), cbor::Value::Bytes(x.to_vec())),
            (cbor::Value::Int(-3), cbor::Value::Bytes(y.to_vec())),
        ])
    }
}

impl Default for SoftAuthenticator {
    fn default() -> Self {
        Self::new()
    }
}

/// Shows what identifies the key, never the private key.
impl fmt::Debug for SoftAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftAuthenticator")
            .field("credential_id", &b64url(&self.credential_id))
            .field("counter", &self.counter)
            .field("backup_eligible", &self.backup_eligible)
            .field("rp_id", &self.binding.as_ref().map(|b| b.rp_id.as_str()))
            .finish_non_exhaustive()
    }
}

/// The client data a browser hashes into the signature (WebAuthn §5.8.1).
///
/// Written by hand, not through a JSON map, to keep the browser's member order
/// (§5.8.1.1: type, challenge, origin, crossOrigin). The challenge is echoed as
/// given, as the spec says; the server compares its bytes.
fn client_data_json(kind: &str, challenge: &str, origin: &str) -> String {
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        Value::from(kind),
        Value::from(challenge),
        Value::from(origin)
    )
}

/// True when some `pubKeyCredParams` entry is a public-key credential with ES256.
fn offers_es256(options: &Value) -> bool {
    options
        .pointer("/publicKey/pubKeyCredParams")
        .and_then(Value::as_array)
        .is_some_and(|params| {
            params.iter().any(|p| {
                p.get("type").and_then(Value::as_str) == Some("public-key")
                    && p.get("alg").and_then(Value::as_i64) == Some(COSE_ALG_ES256)
            })
        })
}

/// The string at a JSON pointer, or a panic that names the missing option.
fn string_at<'a>(options: &'a Value, pointer: &str) -> &'a str {
    options
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("options{pointer} must be a string; options were {options}"))
}

/// Unpadded base64url: what webauthn-rs writes and what browsers' `toJSON()` write.
fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url, padded or not: webauthn-rs sends it unpadded, others may not.
fn decode_b64url(text: &str, what: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("{what} {text:?} is not base64url: {e}"))
}

/// Just enough CBOR (RFC 8949) for an attestation object and a COSE key.
///
/// A CBOR crate would be a new dependency for ~60 lines. Only what WebAuthn
/// needs is here: integers, byte and text strings, and maps.
mod cbor {
    /// A CBOR data item of the kinds WebAuthn needs.
    pub(super) enum Value {
        /// Major type 0 (n >= 0) or 1 (n < 0).
        Int(i64),
        /// Major type 2.
        Bytes(Vec<u8>),
        /// Major type 3.
        Text(String),
        /// Major type 5. Written in CTAP2 canonical order, whatever the order here.
        Map(Vec<(Value, Value)>),
    }

    impl Value {
        pub(super) fn text(s: &str) -> Self {
            Self::Text(s.to_owned())
        }

        /// The item in definite-length, shortest form, as CTAP2 requires.
        pub(super) fn encode(&self) -> Vec<u8> {
            let mut out = Vec::new();
            self.encode_into(&mut out);
            out
        }

        fn encode_into(&self, out: &mut Vec<u8>) {
            match self {
                Self::Int(n) if *n >= 0 => head(out, 0, n.unsigned_abs()),
                // RFC 8949 §3.1: major type 1 carries -1 - n.
                Self::Int(n) => head(out, 1, n.unsigned_abs() - 1),
                Self::Bytes(b) => {
                    head(out, 2, len(b.len()));
                    out.extend_from_slice(b);
                }
                Self::Text(s) => {
                    head(out, 3, len(s.len()));
                    out.extend_from_slice(s.as_bytes());
                }
                Self::Map(entries) => {
                    let mut encoded: Vec<(Vec<u8>, Vec<u8>)> =
                        entries.iter().map(|(k, v)| (k.encode(), v.encode())).collect();
                    // CTAP2 §8 canonical CBOR: by major type, then shorter
                    // encoding first, then bytewise. Parsers such as
                    // authenticator libraries reject other orders.
                    encoded.sort_by(|(a, _), (b, _)| (a[0] >> 5, a.len(), a).cmp(&(b[0] >> 5, b.len(), b)));
                    head(out, 5, len(encoded.len()));
                    for (k, v) in encoded {
                        out.extend_from_slice(&k);
                        out.extend_from_slice(&v);
                    }
                }
            }
        }
    }

    fn len(n: usize) -> u64 {
        u64::try_from(n).expect("a length fits in u64")
    }

    /// The initial byte and argument in the shortest form (RFC 8949 §3).
    fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
        let major = major << 5;
        if let Ok(small) = u8::try_from(arg) {
            if small < 24 {
                out.push(major | small);
            } else {
                out.extend_from_slice(&[major | 0x18, small]);
            }
        } else if let Ok(n) = u16::try_from(arg) {
            out.push(major | 0x19);
            out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(arg) {
            out.push(major | 0x1a);
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(major | 0x1b);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::cbor::Value as Cbor;
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut out, b| {
            write!(out, "{b:02x}").expect("writing to a String cannot fail");
            out
        })
    }

    #[test]
    fn cbor_matches_rfc_8949_appendix_a() {
        let cases: &[(Cbor, &str)] = &[
            (Cbor::Int(0), "00"),
            (Cbor::Int(23), "17"),
            (Cbor::Int(24), "1818"),
            (Cbor::Int(100), "1864"),
            (Cbor::Int(1000), "1903e8"),
            (Cbor::Int(1_000_000), "1a000f4240"),
            (Cbor::Int(1_000_000_000_000), "1b000000e8d4a51000"),
            (Cbor::Int(-1), "20"),
            (Cbor::Int(-10), "29"),
            (Cbor::Int(-100), "3863"),
            (Cbor::Int(-1000), "3903e7"),
            (Cbor::Int(i64::MIN), "3b7fffffffffffffff"),
            (Cbor::Bytes(vec![]), "40"),
            (Cbor::Bytes(vec![1, 2, 3, 4]), "4401020304"),
            (Cbor::text(""), "60"),
            (Cbor::text("IETF"), "6449455446"),
            (Cbor::text("\u{00fc}"), "62c3bc"),
            (Cbor::Map(vec![]), "a0"),
            (
                Cbor::Map(vec![(Cbor::Int(1), Cbor::Int(2)), (Cbor::Int(3), Cbor::Int(4))]),
                "a201020304",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(hex(&value.encode()), *expected);
        }
        assert_eq!(hex(&Cbor::Bytes(vec![7; 24]).encode())[..4], *"5818");
        assert_eq!(hex(&Cbor::Bytes(vec![7; 256]).encode())[..6], *"590100");
    }

    #[test]
    fn cbor_maps_are_written_in_ctap2_canonical_order() {
        // Given out of order on purpose: text keys sort by length, ints before
        // negative ints (major type 0 before 1), and ints before text.
        let map = Cbor::Map(vec![
            (Cbor::text("authData"), Cbor::Int(0)),
            (Cbor::text("fmt"), Cbor::Int(0)),
            (Cbor::Int(-2), Cbor::Int(0)),
            (Cbor::text("attStmt"), Cbor::Int(0)),
            (Cbor::Int(-1), Cbor::Int(0)),
            (Cbor::Int(3), Cbor::Int(0)),
            (Cbor::Int(1), Cbor::Int(0)),
        ]);
        let expected = concat!(
            "a7",
            "0100",
            "0300",
            "2000",
            "2100",
            "63666d7400",           // "fmt"
            "6761747453746d7400",   // "attStmt"
            "68617574684461746100", // "authData"
        );
        assert_eq!(hex(&map.encode()), expected);
    }

    #[test]
    fn cose_key_has_the_well_known_es256_layout() {
        let key = SoftAuthenticator::new();
        let cose = key.cose_public_key().encode();
        // {1: 2, 3: -7, -1: 1, -2: bstr(32) ...}: the prefix every ES256 key shares.
        assert_eq!(hex(&cose[..10]), "a5010203262001215820");
        assert_eq!(hex(&cose[42..45]), "225820");
        assert_eq!(cose.len(), 77);
    }

    #[test]
    fn client_data_keeps_the_browser_member_order_and_escapes() {
        let data = client_data_json("webauthn.get", "ab_-", "http://localhost:8080");
        assert_eq!(
            data,
            r#"{"type":"webauthn.get","challenge":"ab_-","origin":"http://localhost:8080","crossOrigin":false}"#
        );
        let odd = client_data_json("webauthn.get", "a\"b", "http://x");
        let parsed: Value = serde_json::from_str(&odd).expect("valid JSON");
        assert_eq!(parsed["challenge"], "a\"b");
    }

    #[test]
    fn debug_output_names_the_credential_but_not_the_key() {
        let key = SoftAuthenticator::new();
        let shown = format!("{key:?}");
        assert!(shown.contains(&b64url(&key.credential_id())), "{shown}");
        assert!(!shown.contains("EcdsaKeyPair"), "{shown}");
    }
}
