//! XML Encryption (xmlenc-core, xmlenc-core1) for `saml:EncryptedAssertion`: RSA key transport
//! (RSA-OAEP, RSA PKCS#1 v1.5) of an AES key, AES-CBC or AES-GCM data. aws-lc-rs does the
//! cryptography; this module only reads the structure.
//!
//! PKCS#1 v1.5 key transport is refused unless the provider's admin allows it
//! ([`key_transport_allowed`]): whether an unwrapped key's padding was valid is Bleichenbacher's
//! oracle, and XML Encryption gave it away through what followed (Jager, Schinzel, Somorovsky,
//! ESORICS 2012). Where it is allowed, a key that does not unwrap to the length the data needs is
//! replaced by a random one and decryption goes on (implicit rejection): a bad padding and a good
//! one end in the same refusal, after the same work.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_128, AES_192, AES_256, DecryptingKey, DecryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey,
    PrivateDecryptingKey,
};
use roxmltree::Node;

use crate::keys::decode_b64_loose;
use crate::xml::{self, NS_ASSERTION, NS_DSIG, NS_XENC};

const NS_XENC11: &str = "http://www.w3.org/2009/xmlenc11#";

/// Key transport: xmlenc-core §5.4.2 (RSA-OAEP with MGF1-SHA1), xmlenc-core1 §5.5.2 (RSA-OAEP
/// with a named MGF), §5.5.1 (PKCS#1 v1.5, kept for IdPs that still send it).
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// xmlenc-core1 RSA-OAEP.
pub const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// RSA PKCS#1 v1.5 key transport.
pub const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
/// Block encryption: xmlenc-core §5.2.2 (AES-CBC), xmlenc-core1 §5.2.4 (AES-GCM).
pub const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
/// AES-192-CBC.
pub const AES192_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
/// AES-256-CBC.
pub const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
/// AES-128-GCM.
pub const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
/// AES-256-GCM.
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";

const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const MGF1_SHA1: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";

/// Why decryption failed (mapped to `DecryptError::Decryption` by the trait's impl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecryptError(pub String);

fn fail(why: impl Into<String>) -> DecryptError {
    DecryptError(why.into())
}

/// Whether every key transport named in `root`'s encrypted keys may be used: RSA-OAEP always,
/// PKCS#1 v1.5 only when `allow_rsa1_5`. Read before any decryption.
pub(crate) fn key_transport_allowed(root: Node<'_, '_>, allow_rsa1_5: bool) -> bool {
    xml::descendants(root, NS_XENC, "EncryptedKey").all(|k| {
        let alg = xml::child(k, NS_XENC, "EncryptionMethod").and_then(|m| m.attribute("Algorithm"));
        alg != Some(RSA_1_5) || allow_rsa1_5
    })
}

/// Decrypts the single `saml:EncryptedAssertion` in `text` and returns the plaintext XML.
pub(crate) fn decrypt_assertion(text: &str, key_der: &[u8]) -> Result<String, DecryptError> {
    let doc = xml::parse(text).map_err(|e| fail(format!("{e:?}")))?;
    let mut found = xml::descendants(doc.root_element(), NS_ASSERTION, "EncryptedAssertion");
    let encrypted = found.next().ok_or_else(|| fail("no EncryptedAssertion"))?;
    if found.next().is_some() {
        return Err(fail("more than one EncryptedAssertion"));
    }
    let data = xml::child(encrypted, NS_XENC, "EncryptedData").ok_or_else(|| fail("no EncryptedData"))?;
    let data_alg = method(data).ok_or_else(|| fail("no data EncryptionMethod"))?;
    let key_len = data_key_len(data_alg)?;
    let ciphertext = cipher_value(data)?;
    // The key may sit in EncryptedData's KeyInfo or beside it (saml-core §2.2.4); with several
    // (one per recipient), the first whose key opens the data is ours.
    let mut last = fail("no EncryptedKey");
    for key_node in xml::descendants(encrypted, NS_XENC, "EncryptedKey") {
        let opened = unwrap_key(key_node, key_der, key_len)
            .and_then(|aes_key| decrypt_data(data_alg, &aes_key, &ciphertext))
            .and_then(|plain| String::from_utf8(plain).map_err(|_| undecryptable()));
        match opened {
            Ok(plain) => return Ok(plain),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// What any failure after a key was unwrapped reads: the same words whatever went wrong, so a
/// sender learns nothing of the key it sent.
fn undecryptable() -> DecryptError {
    fail("the data does not decrypt with this key")
}

/// The AES key length the data's algorithm needs.
fn data_key_len(alg: &str) -> Result<usize, DecryptError> {
    match alg {
        AES128_CBC | AES128_GCM => Ok(16),
        AES192_CBC => Ok(24),
        AES256_CBC | AES256_GCM => Ok(32),
        other => Err(fail(format!("data encryption {other} not supported"))),
    }
}

fn method<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    xml::child(node, NS_XENC, "EncryptionMethod")?.attribute("Algorithm")
}

fn cipher_value(node: Node<'_, '_>) -> Result<Vec<u8>, DecryptError> {
    let value = xml::child(node, NS_XENC, "CipherData")
        .and_then(|d| xml::child(d, NS_XENC, "CipherValue"))
        .and_then(xml::single_text)
        .ok_or_else(|| fail("no CipherValue"))?;
    decode_b64_loose(value).ok_or_else(|| fail("CipherValue is not base64"))
}

fn unwrap_key(key_node: Node<'_, '_>, key_der: &[u8], key_len: usize) -> Result<Vec<u8>, DecryptError> {
    let em = xml::child(key_node, NS_XENC, "EncryptionMethod").ok_or_else(|| fail("no key EncryptionMethod"))?;
    let alg = em.attribute("Algorithm").unwrap_or_default();
    let wrapped = cipher_value(key_node)?;
    let private = PrivateDecryptingKey::from_pkcs8(key_der).map_err(|_| fail("SP key unusable"))?;
    let mut out = vec![0; private.key_size_bytes()];
    let plain = match alg {
        RSA_OAEP_MGF1P | RSA_OAEP => {
            let oaep = oaep_params(em, alg == RSA_OAEP)?;
            let key = OaepPrivateDecryptingKey::new(private).map_err(|_| fail("SP key unusable"))?;
            key.decrypt(oaep, &wrapped, &mut out, None)
                .map_err(|_| fail("key transport failed"))?
                .to_vec()
        }
        RSA_1_5 => {
            // Implicit rejection (see the module's note): a random key is made whether or not
            // it is used, and nothing below tells one case from the other.
            let mut stand_in = vec![0; key_len];
            aws_lc_rs::rand::fill(&mut stand_in).map_err(|_| fail("no randomness"))?;
            let key = Pkcs1PrivateDecryptingKey::new(private).map_err(|_| fail("SP key unusable"))?;
            match key.decrypt(&wrapped, &mut out) {
                Ok(k) if k.len() == key_len => k.to_vec(),
                _ => stand_in,
            }
        }
        other => return Err(fail(format!("key transport {other} not supported"))),
    };
    Ok(plain)
}

fn oaep_params(em: Node<'_, '_>, named_mgf: bool) -> Result<&'static OaepAlgorithm, DecryptError> {
    if xml::child(em, NS_XENC, "OAEPparams").is_some() {
        return Err(fail("OAEPparams not supported"));
    }
    let digest = xml::child(em, NS_DSIG, "DigestMethod")
        .and_then(|d| d.attribute("Algorithm"))
        .unwrap_or(SHA1);
    // rsa-oaep-mgf1p fixes MGF1 with SHA-1 (xmlenc-core §5.4.2); xmlenc11#rsa-oaep names it,
    // SHA-1 by default (xmlenc-core1 §5.5.2).
    let mgf = if named_mgf {
        xml::child(em, NS_XENC11, "MGF")
            .and_then(|m| m.attribute("Algorithm"))
            .unwrap_or(MGF1_SHA1)
    } else {
        MGF1_SHA1
    };
    match (digest, mgf) {
        (SHA1, MGF1_SHA1) => Ok(&OAEP_SHA1_MGF1SHA1),
        (SHA256, MGF1_SHA256) => Ok(&OAEP_SHA256_MGF1SHA256),
        (d, m) => Err(fail(format!("OAEP with {d} and {m} not supported"))),
    }
}

fn decrypt_data(alg: &str, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let (cbc, gcm) = match alg {
        AES128_CBC => (Some((&AES_128, 16)), None),
        AES192_CBC => (Some((&AES_192, 24)), None),
        AES256_CBC => (Some((&AES_256, 32)), None),
        AES128_GCM => (None, Some((&aead::AES_128_GCM, 16))),
        AES256_GCM => (None, Some((&aead::AES_256_GCM, 32))),
        other => return Err(fail(format!("data encryption {other} not supported"))),
    };
    if let Some((algorithm, len)) = cbc {
        if key.len() != len {
            return Err(undecryptable());
        }
        return decrypt_cbc(algorithm, key, data);
    }
    let (algorithm, len) = gcm.ok_or_else(|| fail("unreachable"))?;
    if key.len() != len {
        return Err(undecryptable());
    }
    decrypt_gcm(algorithm, key, data)
}

/// AES-CBC, IV first (xmlenc-core §5.2). The padding is xmlenc's own (§5.2: the last octet
/// counts the padding, the others are arbitrary), so PKCS#7 unpadding would refuse valid data.
fn decrypt_cbc(
    algorithm: &'static aws_lc_rs::cipher::Algorithm,
    key: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, DecryptError> {
    if data.len() < 32 || !data.len().is_multiple_of(16) {
        return Err(fail("CBC ciphertext length"));
    }
    let (iv, body) = data.split_at(16);
    let iv: [u8; 16] = iv.try_into().map_err(|_| fail("IV"))?;
    let key = UnboundCipherKey::new(algorithm, key).map_err(|_| undecryptable())?;
    let key = DecryptingKey::cbc(key).map_err(|_| undecryptable())?;
    let mut buf = body.to_vec();
    let plain = key
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| undecryptable())?;
    let pad = usize::from(*plain.last().ok_or_else(undecryptable)?);
    if pad == 0 || pad > 16 || pad > plain.len() {
        return Err(undecryptable());
    }
    let keep = plain.len() - pad;
    Ok(plain[..keep].to_vec())
}

/// AES-GCM: 96-bit IV, ciphertext, 128-bit tag (xmlenc-core1 §5.2.4).
fn decrypt_gcm(algorithm: &'static aead::Algorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    if data.len() < 12 + 16 {
        return Err(fail("GCM ciphertext length"));
    }
    let (iv, body) = data.split_at(12);
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| fail("GCM IV"))?;
    let key = LessSafeKey::new(UnboundKey::new(algorithm, key).map_err(|_| undecryptable())?);
    let mut buf = body.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .map_err(|_| undecryptable())?;
    Ok(plain.to_vec())
}
