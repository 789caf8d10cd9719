//! Keys and certificates: the SP's own signing/decryption credentials, and IdP certificates
//! pasted by an admin or read from metadata.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::RsaKeyPair;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Ten years (plus leap days): how long the SP certificate is valid.
const SP_CERT_DAYS: i64 = 3653;

/// The SP's key pair and self-signed certificate, as PEM. The certificate goes into SP metadata
/// (signing and encryption); the key signs AuthnRequests and decrypts encrypted assertions. The
/// caller stores `key_pem` sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SpCredentials {
    /// `-----BEGIN CERTIFICATE-----`: X.509, RSA 2048, self-signed, valid ten years.
    pub cert_pem: String,
    /// `-----BEGIN PRIVATE KEY-----`: PKCS#8.
    pub key_pem: String,
}

impl fmt::Debug for SpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpCredentials")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[redacted]")
            .finish()
    }
}

/// Why credentials could not be made or used.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Key generation or certificate signing failed in the crypto library.
    #[error("key generation failed: {0}")]
    Generation(String),
    /// The stored private key is not a PKCS#8 RSA key in PEM.
    #[error("the private key is not a PKCS#8 RSA key in PEM")]
    BadPrivateKey,
}

impl SpCredentials {
    /// Generates an RSA-2048 key and a self-signed certificate for `common_name`, valid from
    /// `now_ms` (unix milliseconds) for ten years.
    pub fn generate(common_name: &str, now_ms: i64) -> Result<Self, KeyError> {
        let gen_err = |e: rcgen::Error| KeyError::Generation(e.to_string());
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).map_err(gen_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        let start = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
            .map_err(|e| KeyError::Generation(e.to_string()))?;
        // A minute of back-dating: an IdP whose clock runs a little behind still accepts it.
        params.not_before = start - time::Duration::minutes(1);
        params.not_after = start + time::Duration::days(SP_CERT_DAYS);
        let cert = params.self_signed(&key).map_err(gen_err)?;
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// The SP certificate, parsed.
    pub fn certificate(&self) -> Result<Certificate, CertificateError> {
        Certificate::parse(&self.cert_pem)
    }

    /// The private key as PKCS#8 DER.
    pub(crate) fn key_der(&self) -> Result<Vec<u8>, KeyError> {
        pem_body(&self.key_pem, "PRIVATE KEY").ok_or(KeyError::BadPrivateKey)
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 SHA-256 (the `rsa-sha256` SigAlg).
    pub(crate) fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let der = self.key_der()?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|_| KeyError::BadPrivateKey)?;
        let mut sig = vec![0; pair.public_modulus_len()];
        pair.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            message,
            &mut sig,
        )
        .map_err(|_| KeyError::BadPrivateKey)?;
        Ok(sig)
    }
}

/// An X.509 certificate that parsed, with a key we can verify with.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    /// Start of validity, unix milliseconds.
    pub not_before_ms: i64,
    /// End of validity (X.509 notAfter), unix milliseconds.
    pub not_after_ms: i64,
    /// SHA-256 of the DER, lowercase hex pairs joined by `:` (as `openssl x509 -fingerprint`).
    pub sha256_fingerprint: String,
    /// The subject distinguished name, RFC 4514 style.
    pub subject: String,
    /// The public key's kind.
    pub key: KeyKind,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("sha256_fingerprint", &self.sha256_fingerprint)
            .field("not_after_ms", &self.not_after_ms)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The public key kinds an IdP certificate may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with its modulus size in bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// Elliptic curve with its named curve.
    Ec {
        /// `P-256`, `P-384` or `P-521`.
        curve: &'static str,
    },
}

/// Why a pasted certificate was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertificateError {
    /// Nothing but whitespace.
    #[error("no certificate given")]
    Empty,
    /// Neither a PEM certificate nor base64 DER.
    #[error("not a PEM certificate or base64 DER")]
    NotBase64,
    /// Base64 that is not an X.509 certificate.
    #[error("not an X.509 certificate: {0}")]
    NotX509(String),
    /// A key other than RSA (>= 2048 bits) or EC P-256/384/521.
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";

impl Certificate {
    /// Parses a certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or as bare base64 DER
    /// (as in metadata's `<ds:X509Certificate>`; whitespace ignored). Refuses anything that is
    /// not X.509 with an RSA (>= 2048 bits) or EC (P-256, P-384, P-521) key. Expiry is reported,
    /// not enforced: an IdP that signs with an expired certificate is the admin's call.
    pub fn parse(text: &str) -> Result<Self, CertificateError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CertificateError::Empty);
        }
        let der = if text.starts_with("-----BEGIN") {
            pem_body(text, "CERTIFICATE").ok_or(CertificateError::NotBase64)?
        } else {
            decode_b64_loose(text).ok_or(CertificateError::NotBase64)?
        };
        Self::from_der(der)
    }

    /// Parses DER bytes.
    pub fn from_der(der: Vec<u8>) -> Result<Self, CertificateError> {
        let (rest, cert) = X509Certificate::from_der(&der).map_err(|e| CertificateError::NotX509(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertificateError::NotX509("trailing bytes".into()));
        }
        let key = key_kind(&cert)?;
        let validity = cert.validity();
        let not_before_ms = validity.not_before.timestamp() * 1000;
        let not_after_ms = validity.not_after.timestamp() * 1000;
        let subject = cert.subject().to_string();
        let digest = digest::digest(&digest::SHA256, &der);
        let sha256_fingerprint = digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        Ok(Self {
            der,
            not_before_ms,
            not_after_ms,
            sha256_fingerprint,
            subject,
            key,
        })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER as one line of base64 (the form metadata's `<ds:X509Certificate>` carries).
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The certificate as PEM.
    pub fn pem(&self) -> String {
        let b64 = self.base64();
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// The SubjectPublicKeyInfo DER (for encrypting to this certificate's key).
    pub fn spki_der(&self) -> Vec<u8> {
        X509Certificate::from_der(&self.der)
            .map(|(_, c)| c.public_key().raw.to_vec())
            .unwrap_or_default()
    }

    /// The subjectPublicKey bits (RSAPublicKey DER, or the EC point) for raw verification.
    pub(crate) fn public_key_bits(&self) -> Option<Vec<u8>> {
        let (_, cert) = X509Certificate::from_der(&self.der).ok()?;
        Some(cert.public_key().subject_public_key.data.to_vec())
    }
}

fn key_kind(cert: &X509Certificate<'_>) -> Result<KeyKind, CertificateError> {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        OID_RSA => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa.key_size(),
                _ => return Err(CertificateError::UnsupportedKey("unreadable RSA key".into())),
            };
            if bits < KeySize::Rsa2048.len() * 8 {
                return Err(CertificateError::UnsupportedKey(format!("RSA {bits} bits")));
            }
            Ok(KeyKind::Rsa { bits })
        }
        OID_EC => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let curve = match curve_oid.as_str() {
                "1.2.840.10045.3.1.7" => "P-256",
                "1.3.132.0.34" => "P-384",
                "1.3.132.0.35" => "P-521",
                other => {
                    return Err(CertificateError::UnsupportedKey(format!("EC curve {other}")));
                }
            };
            Ok(KeyKind::Ec { curve })
        }
        other => Err(CertificateError::UnsupportedKey(format!("algorithm {other}"))),
    }
}

/// The DER inside the first PEM block labelled `label`.
pub(crate) fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    decode_b64_loose(&pem[start..stop])
}

/// Base64 with any ASCII whitespace (line breaks in PEM and in XML text) ignored.
pub(crate) fn decode_b64_loose(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_are_a_ten_year_rsa_certificate_and_its_key() {
        let now = 1_796_568_334_000;
        let creds = SpCredentials::generate("sp.example", now).unwrap();
        let cert = creds.certificate().unwrap();
        assert_eq!(cert.key, KeyKind::Rsa { bits: 2048 });
        assert!(cert.subject.contains("sp.example"));
        let ten_years = (cert.not_after_ms - now) / (24 * 3600 * 1000);
        assert_eq!(ten_years, SP_CERT_DAYS);
        assert!(creds.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{creds:?}").contains("PRIVATE"));
        assert_eq!(creds.sign_rsa_sha256(b"x").unwrap().len(), 256);
    }

    #[test]
    fn pem_and_bare_base64_give_the_same_certificate() {
        let creds = SpCredentials::generate("sp.example", 1_796_568_334_000).unwrap();
        let cert = creds.certificate().unwrap();
        let again = Certificate::parse(&cert.base64()).unwrap();
        assert_eq!(again, cert);
        assert_eq!(Certificate::parse(&cert.pem()).unwrap(), cert);
        assert_eq!(cert.sha256_fingerprint.len(), 32 * 3 - 1);
    }

    #[test]
    fn text_that_is_not_a_certificate_is_refused_with_its_reason() {
        assert_eq!(Certificate::parse("  "), Err(CertificateError::Empty));
        assert_eq!(Certificate::parse("not base64!"), Err(CertificateError::NotBase64));
        assert!(matches!(
            Certificate::parse("aGVsbG8="),
            Err(CertificateError::NotX509(_))
        ));
    }
}
