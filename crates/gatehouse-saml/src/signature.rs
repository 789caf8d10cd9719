//! XML signatures and encryption behind our own trait, so the library doing XML-DSig (and its
//! C14N) stays replaceable. The default, [`XmlSec`], uses libxmlsec1 through `samael`; XML
//! Encryption's decryption is done with aws-lc-rs (see `encryption.rs`).
//!
//! Callers of [`XmlSignatures::verify`] must have checked the document's structure first
//! (`response::structure`): one ID per element, each `ds:Signature` a child of the element its
//! one `Reference` points at, allowed algorithms only. The trait then verifies the bytes.

use samael::crypto::{CertificateDer, CryptoError, CryptoProvider, ReduceMode};

use crate::keys::Certificate;

/// Why a signature, signing or decryption failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No configured key verifies the signature (wrong key, or the signed content changed).
    #[error("signature did not verify")]
    Invalid,
    /// The document or its signature could not be processed.
    #[error("malformed signed document: {0}")]
    Malformed(String),
    /// The private key could not be used.
    #[error("unusable key: {0}")]
    Key(String),
    /// Decryption failed (wrong key, unsupported algorithm, corrupt ciphertext).
    #[error("decryption failed: {0}")]
    Decryption(String),
}

/// XML Signature and Encryption operations the SP needs.
pub trait XmlSignatures: Send + Sync {
    /// Verifies every `ds:Signature` in `xml` against one of `certificates` (any `KeyInfo` in
    /// the document is ignored as a trust source) and returns the pre-digest bytes of what was
    /// signed: the exclusive-C14N form of the referenced element after the enveloped-signature
    /// transform. When both the Response and its Assertion are signed, the Response's.
    fn verify(&self, xml: &str, certificates: &[Certificate]) -> Result<String, SignatureError>;

    /// Signs the first `ds:Signature` template in `xml` (its `SignedInfo` names the algorithms
    /// and the Reference) with a PKCS#8 DER private key; returns the signed document.
    fn sign(&self, xml: &str, key_pkcs8_der: &[u8]) -> Result<String, SignatureError>;

    /// Decrypts the `xenc:EncryptedData` of the single `saml:EncryptedAssertion` in `xml` with
    /// the SP's PKCS#8 DER RSA key and returns the plaintext (the Assertion's XML).
    fn decrypt(&self, xml: &str, key_pkcs8_der: &[u8]) -> Result<String, SignatureError>;
}

/// The default implementation: libxmlsec1 (OpenSSL backend) through `samael`, in its strictest
/// mode (pre-digest output, IDs registered only from `ID` attributes, duplicates refused).
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlSec;

impl XmlSignatures for XmlSec {
    fn verify(&self, xml: &str, certificates: &[Certificate]) -> Result<String, SignatureError> {
        let ders: Vec<CertificateDer> = certificates
            .iter()
            .map(|c| CertificateDer::from(c.der().to_vec()))
            .collect();
        if ders.is_empty() {
            return Err(SignatureError::Invalid);
        }
        // Algorithms were checked by our own allow-list before this call (it includes SHA-1
        // when the IdP is configured for it, which samael's list cannot express).
        samael::crypto::XmlSec::reduce_xml_to_signed_with_allowed_algorithms(xml, &ders, ReduceMode::PreDigest, None)
            .map_err(|e| match e {
                CryptoError::InvalidSignature => SignatureError::Invalid,
                other => {
                    // xmlsec reports a digest or signature mismatch as a failed verification;
                    // anything else is the document's shape.
                    let text = other.to_string();
                    match other {
                        CryptoError::CryptoProviderError(inner) if inner.to_string().contains("verif") => {
                            SignatureError::Invalid
                        }
                        _ => SignatureError::Malformed(text),
                    }
                }
            })
    }

    fn sign(&self, xml: &str, key_pkcs8_der: &[u8]) -> Result<String, SignatureError> {
        samael::crypto::XmlSec::sign_xml(xml, key_pkcs8_der).map_err(|e| match e {
            CryptoError::CryptoProviderError(inner) => SignatureError::Key(inner.to_string()),
            other => SignatureError::Malformed(other.to_string()),
        })
    }

    fn decrypt(&self, xml: &str, key_pkcs8_der: &[u8]) -> Result<String, SignatureError> {
        crate::encryption::decrypt_assertion(xml, key_pkcs8_der).map_err(|e| SignatureError::Decryption(e.0))
    }
}
