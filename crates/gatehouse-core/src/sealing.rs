//! Secrets at rest: the secrets Gatehouse must read back (signing keys, IdP client secrets,
//! TOTP keys) are sealed with XChaCha20-Poly1305 under a key from the operator's key file.
//!
//! A [`KeyRing`] holds one or more 256-bit keys, each with a key id. The first is the current
//! key: it seals everything new. Every key in the ring opens what it sealed, so a rotation
//! (a new current key in front, the old ones kept) leaves every stored secret readable.
//!
//! A sealed value is one ASCII string, `v1.<key id>.<nonce>.<ciphertext>` (both base64url,
//! unpadded; the nonce is 24 random bytes, the ciphertext ends with its 16-byte tag). The
//! context given to [`KeyRing::seal`] (say `identity_providers.client_secret:<row id>`) is the
//! associated data: it is authenticated, not stored, so a sealed value copied to another row
//! or column does not open there.
//!
//! Keys never appear in `Debug`, `Display` or errors; the key file's text is the only way out.

pub mod canary;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// The format tag of sealed values, also bound into the associated data.
const VERSION: &str = "v1";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
/// The longest key id; ids are short names, not data.
const MAX_ID: usize = 32;

/// Why a sealed value or a key file could not be used. No variant carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The value is not `v1.<id>.<nonce>.<ciphertext>` with well-formed parts.
    #[error("the sealed value is malformed")]
    Malformed,
    /// The value names a key the ring does not hold.
    #[error("the sealed value names key {0:?}, which the key file does not hold")]
    UnknownKey(String),
    /// The key opened nothing: another key of the same id, another context, or a changed value.
    #[error("the sealed value does not open with key {0:?} in this context")]
    Rejected(String),
    /// The key file's text is not a key ring.
    #[error("{0}")]
    BadKeyFile(String),
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

impl From<SealError> for crate::CoreError {
    fn from(e: SealError) -> Self {
        crate::CoreError::internal(e)
    }
}

/// A key id: 1 to 32 of `a-z`, `0-9` and `-` (it appears in every sealed value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(s: &str) -> Result<Self, SealError> {
        let ok = !s.is_empty()
            && s.len() <= MAX_ID
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SealError::BadKeyFile(format!(
                "key id {s:?} must be 1 to {MAX_ID} characters of a-z, 0-9 and -"
            )))
        }
    }

    /// A fresh random id, `k` and 12 hex digits.
    fn fresh() -> Result<Self, SealError> {
        let mut b = [0u8; 6];
        getrandom::fill(&mut b).map_err(|e| SealError::Random(e.to_string()))?;
        Ok(Self(format!("k{}", hex::encode(b))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One key of the ring. The key bytes are wiped when it is dropped.
struct RingKey {
    id: KeyId,
    key: Zeroizing<[u8; KEY_BYTES]>,
}

impl RingKey {
    fn random(id: KeyId) -> Result<Self, SealError> {
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        getrandom::fill(key.as_mut()).map_err(|e| SealError::Random(e.to_string()))?;
        Ok(Self { id, key })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new_from_slice(self.key.as_ref()).expect("the key is 32 bytes")
    }
}

/// The keys that seal and open secrets at rest: the first seals, any opens what it sealed.
/// `Debug` shows the key ids only.
pub struct KeyRing {
    keys: Vec<RingKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("key_ids", &self.ids()).finish()
    }
}

/// The key file's first lines, telling whoever opens it what it is.
const FILE_HEADER: &str = "\
# Gatehouse secret key file: the keys that seal secrets stored in the database.
# Keep it private (mode 0600), the same on every node, and backed up apart from the database:
# a database backup without this file cannot open its secrets.
# One key a line, `<key id> <base64 key>`; the first seals, every one opens what it sealed.
# Rotate with `gatehouse secret-key rotate`; never delete a line while secrets sealed by it remain.
";

impl KeyRing {
    /// A ring of one fresh random key with a fresh id.
    pub fn generate() -> Result<Self, SealError> {
        Ok(Self {
            keys: vec![RingKey::random(KeyId::fresh()?)?],
        })
    }

    /// The ring with a fresh key in front (it seals from now on); the others still open.
    pub fn rotated(self) -> Result<Self, SealError> {
        let id = loop {
            let id = KeyId::fresh()?;
            if !self.keys.iter().any(|k| k.id == id) {
                break id;
            }
        };
        let mut keys = vec![RingKey::random(id)?];
        keys.extend(self.keys);
        Ok(Self { keys })
    }

    /// The id of the key that seals.
    pub fn current(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// Every key id, the current one first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Reads a key file's text: `#` comments and blank lines, then one `<key id> <base64 key>`
    /// a line, the current key first. At least one key; ids distinct; keys exactly 32 bytes.
    pub fn from_key_file(text: &str) -> Result<Self, SealError> {
        let mut keys: Vec<RingKey> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| SealError::BadKeyFile(format!("line {}: {what}", n + 1));
            let mut parts = line.split_whitespace();
            let (Some(id), Some(b64), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad("expected `<key id> <base64 key>`"));
            };
            let id = KeyId::parse(id).map_err(|e| bad(&e.to_string()))?;
            if keys.iter().any(|k| k.id == id) {
                return Err(bad(&format!("key id {id} appears twice")));
            }
            let raw = Zeroizing::new(STANDARD.decode(b64).map_err(|_| bad("the key is not base64"))?);
            let mut key = Zeroizing::new([0u8; KEY_BYTES]);
            if raw.len() != KEY_BYTES {
                return Err(bad("the key is not 32 bytes"));
            }
            key.copy_from_slice(&raw);
            keys.push(RingKey { id, key });
        }
        if keys.is_empty() {
            return Err(SealError::BadKeyFile("it holds no key".into()));
        }
        Ok(Self { keys })
    }

    /// The key file's text for this ring (what [`KeyRing::from_key_file`] reads back).
    pub fn to_key_file(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::from(FILE_HEADER));
        for k in &self.keys {
            out.push_str(k.id.as_str());
            out.push(' ');
            out.push_str(&Zeroizing::new(STANDARD.encode(k.key.as_ref())));
            out.push('\n');
        }
        out
    }

    /// Seals `plaintext` with the current key, bound to `context` (where it will be stored,
    /// e.g. `"identity_providers.client_secret:<row id>"`), under a fresh random nonce.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, SealError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
        let aad = associated_data(&key.id, context);
        let sealed = key
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Malformed)?;
        Ok(format!(
            "{VERSION}.{}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Opens a value [`KeyRing::seal`] made in the same `context` with any key of the ring.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(id), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Malformed);
        };
        let nonce = URL_SAFE_NO_PAD.decode(nonce).map_err(|_| SealError::Malformed)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Malformed)?;
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        if body.len() < TAG_BYTES {
            return Err(SealError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id.as_str() == id)
            .ok_or_else(|| SealError::UnknownKey(id.chars().take(MAX_ID).collect()))?;
        let aad = associated_data(&key.id, context);
        key.cipher()
            .decrypt(&XNonce::from(nonce), Payload { msg: &body, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| SealError::Rejected(key.id.to_string()))
    }

    /// The key id a sealed value names, if it is well formed enough to name one.
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split('.');
        (parts.next() == Some(VERSION)).then(|| parts.next()).flatten()
    }
}

/// What the tag authenticates besides the ciphertext: the format, the key id and the context.
fn associated_data(id: &KeyId, context: &str) -> Vec<u8> {
    format!("gatehouse-sealed\0{VERSION}\0{id}\0{context}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &str = "identity_providers.client_secret:0191";

    #[test]
    fn a_sealed_value_opens_in_its_context_and_shows_nothing_of_the_secret() {
        let ring = KeyRing::generate().unwrap();
        let sealed = ring.seal(CTX, b"s3cret client secret").unwrap();
        assert!(sealed.starts_with(&format!("v1.{}.", ring.current())));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(ring.open(CTX, &sealed).unwrap().as_slice(), b"s3cret client secret");
        // A fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(ring.seal(CTX, b"same").unwrap(), ring.seal(CTX, b"same").unwrap());
    }

    #[test]
    fn another_context_does_not_open_it() {
        let ring = KeyRing::generate().unwrap();
        let sealed = ring.seal(CTX, b"secret").unwrap();
        let err = ring.open("identity_providers.client_secret:0192", &sealed).unwrap_err();
        assert_eq!(err, SealError::Rejected(ring.current().to_string()));
        assert!(ring.open("totp.key:0191", &sealed).is_err());
    }

    #[test]
    fn a_changed_value_does_not_open() {
        let ring = KeyRing::generate().unwrap();
        let sealed = ring.seal(CTX, b"secret").unwrap();
        let parts: Vec<&str> = sealed.split('.').collect();
        // A flipped bit in the ciphertext, then in the nonce.
        let mut body = URL_SAFE_NO_PAD.decode(parts[3]).unwrap();
        body[0] ^= 1;
        let forged = format!("v1.{}.{}.{}", parts[1], parts[2], URL_SAFE_NO_PAD.encode(&body));
        assert!(matches!(ring.open(CTX, &forged), Err(SealError::Rejected(_))));
        let mut nonce = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        nonce[23] ^= 0x80;
        let forged = format!("v1.{}.{}.{}", parts[1], URL_SAFE_NO_PAD.encode(&nonce), parts[3]);
        assert!(matches!(ring.open(CTX, &forged), Err(SealError::Rejected(_))));
        // Cut short, another version, extra parts, not base64.
        let cut = &sealed[..sealed.len() - 30];
        assert!(matches!(
            ring.open(CTX, cut),
            Err(SealError::Rejected(_) | SealError::Malformed)
        ));
        for bad in [
            sealed.replacen("v1.", "v2.", 1),
            format!("{sealed}.x"),
            format!("v1.{}.!!.{}", parts[1], parts[3]),
            format!("v1.{}.{}.", parts[1], parts[2]),
            String::new(),
        ] {
            assert_eq!(ring.open(CTX, &bad).unwrap_err(), SealError::Malformed, "{bad}");
        }
    }

    #[test]
    fn a_key_the_ring_does_not_hold_is_named_and_nothing_opens() {
        let ring = KeyRing::generate().unwrap();
        let other = KeyRing::generate().unwrap();
        let sealed = other.seal(CTX, b"secret").unwrap();
        assert_eq!(
            ring.open(CTX, &sealed).unwrap_err(),
            SealError::UnknownKey(other.current().to_string())
        );
        // The same id with another key (a file made again by hand) is refused, not misread.
        let impostor = other.to_key_file().replace(
            other.to_key_file().lines().last().unwrap().split(' ').nth(1).unwrap(),
            &STANDARD.encode([9u8; 32]),
        );
        let impostor = KeyRing::from_key_file(&impostor).unwrap();
        assert!(matches!(impostor.open(CTX, &sealed), Err(SealError::Rejected(_))));
    }

    #[test]
    fn after_a_rotation_the_new_key_seals_and_the_old_values_still_open() {
        let ring = KeyRing::generate().unwrap();
        let old_id = ring.current().clone();
        let old = ring.seal(CTX, b"sealed before").unwrap();
        let ring = ring.rotated().unwrap();
        assert_ne!(ring.current(), &old_id);
        assert_eq!(ring.ids(), vec![ring.current().as_str(), old_id.as_str()]);
        let new = ring.seal(CTX, b"sealed after").unwrap();
        assert_eq!(KeyRing::key_id_of(&new), Some(ring.current().as_str()));
        assert_eq!(KeyRing::key_id_of(&old), Some(old_id.as_str()));
        assert_eq!(ring.open(CTX, &old).unwrap().as_slice(), b"sealed before");
        assert_eq!(ring.open(CTX, &new).unwrap().as_slice(), b"sealed after");
        // The file round-trips, current key first.
        let again = KeyRing::from_key_file(&ring.to_key_file()).unwrap();
        assert_eq!(again.ids(), ring.ids());
        assert_eq!(again.open(CTX, &old).unwrap().as_slice(), b"sealed before");
    }

    #[test]
    fn a_bad_key_file_is_refused_with_the_line_at_fault() {
        let key = STANDARD.encode([1u8; 32]);
        for (text, wants) in [
            (String::new(), "no key"),
            ("# only a comment\n\n".into(), "no key"),
            (format!("k1 {key} extra\n"), "line 1"),
            ("k1\n".into(), "line 1"),
            (format!("# c\nK1 {key}\n"), "line 2: key id"),
            (format!("k1 {key}\nk1 {key}\n"), "appears twice"),
            ("k1 not*base64\n".into(), "not base64"),
            (format!("k1 {}\n", STANDARD.encode([1u8; 31])), "not 32 bytes"),
            (format!("{} {key}\n", "k".repeat(33)), "key id"),
        ] {
            let err = KeyRing::from_key_file(&text).unwrap_err().to_string();
            assert!(err.contains(wants), "{text:?}: {err}");
            assert!(!err.contains(&key), "an error never shows a key");
        }
    }

    #[test]
    fn debug_shows_the_ids_and_never_a_key() {
        let ring = KeyRing::generate().unwrap();
        let file = ring.to_key_file();
        let key_b64 = file.lines().last().unwrap().split(' ').nth(1).unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains(ring.current().as_str()));
        assert!(!shown.contains(key_b64));
    }
}
