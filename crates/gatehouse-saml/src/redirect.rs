//! The HTTP-Redirect binding (saml-bindings §3.4): DEFLATE, base64, URL-encode; the signature
//! is over `SAMLRequest=..&RelayState=..&SigAlg=..` as it appears in the query (§3.4.4.1).

use std::io::{Read as _, Write as _};

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use url::form_urlencoded::byte_serialize;

use crate::algorithms::{ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512, RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512};
use crate::keys::{Certificate, KeyError, KeyKind, SpCredentials, decode_b64_loose};

/// The most a redirect message may inflate to: bounds a DEFLATE bomb.
const MAX_INFLATED: u64 = 256 * 1024;
/// The longest query accepted (browsers and servers cut URLs long before this).
pub const MAX_QUERY: usize = 64 * 1024;

/// Which parameter carries the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    Request,
    Response,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Self::Request => "SAMLRequest",
            Self::Response => "SAMLResponse",
        }
    }
}

/// Builds `endpoint?SAMLRequest=..[&RelayState=..][&SigAlg=..&Signature=..]`.
pub(crate) fn url(
    endpoint: &url::Url,
    param: Param,
    message_xml: &str,
    relay_state: Option<&str>,
    signer: Option<&SpCredentials>,
) -> Result<url::Url, KeyError> {
    let mut query = format!("{}={}", param.name(), enc(&deflate_b64(message_xml)));
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&enc(rs));
    }
    if let Some(creds) = signer {
        query.push_str("&SigAlg=");
        query.push_str(&enc(RSA_SHA256));
        let sig = creds.sign_rsa_sha256(query.as_bytes())?;
        query.push_str("&Signature=");
        query.push_str(&enc(&STANDARD.encode(sig)));
    }
    let mut out = endpoint.clone();
    let joined = match endpoint.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{query}"),
        _ => query,
    };
    out.set_query(Some(&joined));
    Ok(out)
}

fn enc(value: &str) -> String {
    byte_serialize(value.as_bytes()).collect()
}

/// Raw DEFLATE (RFC 1951, no zlib header) then base64 (saml-bindings §3.4.4.1).
pub(crate) fn deflate_b64(xml: &str) -> String {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(xml.as_bytes());
    STANDARD.encode(encoder.finish().unwrap_or_default())
}

/// Reverses [`deflate_b64`], bounded.
pub(crate) fn inflate_b64(value: &str) -> Option<String> {
    let compressed = decode_b64_loose(value)?;
    let mut out = Vec::new();
    DeflateDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)
        .ok()?;
    if out.len() as u64 > MAX_INFLATED {
        return None;
    }
    String::from_utf8(out).ok()
}

/// A parsed redirect query: the raw (still encoded) parameters and their decoded values.
#[derive(Debug, Default)]
pub(crate) struct Query {
    raw: Vec<(String, String)>,
}

/// Why a redirect query was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QueryError {
    Malformed(&'static str),
    Unsigned,
    WeakAlgorithm(String),
    BadSignature,
}

impl Query {
    pub(crate) fn parse(query: &str) -> Result<Self, QueryError> {
        if query.len() > MAX_QUERY {
            return Err(QueryError::Malformed("query too long"));
        }
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut raw: Vec<(String, String)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if raw.iter().any(|(seen, _)| seen == k) {
                return Err(QueryError::Malformed("a parameter given twice"));
            }
            raw.push((k.to_owned(), v.to_owned()));
        }
        Ok(Self { raw })
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The decoded value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let raw = self.raw(name)?;
        url::form_urlencoded::parse(format!("v={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .or_else(|| Some(String::new()))
    }

    /// Which message parameter is present (exactly one).
    pub(crate) fn message(&self) -> Result<(Param, String), QueryError> {
        match (self.get("SAMLRequest"), self.get("SAMLResponse")) {
            (Some(r), None) => Ok((Param::Request, r)),
            (None, Some(r)) => Ok((Param::Response, r)),
            _ => Err(QueryError::Malformed("exactly one of SAMLRequest, SAMLResponse")),
        }
    }

    /// Verifies SigAlg/Signature over the raw parameters in the order §3.4.4.1 fixes.
    pub(crate) fn verify(&self, param: Param, certs: &[Certificate], allow_sha1: bool) -> Result<(), QueryError> {
        let (Some(sig_alg), Some(sig)) = (self.get("SigAlg"), self.get("Signature")) else {
            return Err(QueryError::Unsigned);
        };
        let mut signed = format!("{}={}", param.name(), self.raw(param.name()).unwrap_or_default());
        if let Some(rs) = self.raw("RelayState") {
            signed.push_str("&RelayState=");
            signed.push_str(rs);
        }
        signed.push_str("&SigAlg=");
        signed.push_str(self.raw("SigAlg").unwrap_or_default());
        let sig = decode_b64_loose(&sig).ok_or(QueryError::Malformed("Signature is not base64"))?;
        let ok = certs
            .iter()
            .any(|c| verify_raw(c, &sig_alg, allow_sha1, signed.as_bytes(), &sig) == Ok(true));
        if ok {
            return Ok(());
        }
        match certs.first().map(|c| verify_raw(c, &sig_alg, allow_sha1, b"", b"")) {
            Some(Err(e)) => Err(e),
            _ => Err(QueryError::BadSignature),
        }
    }
}

fn verify_raw(
    cert: &Certificate,
    sig_alg: &str,
    allow_sha1: bool,
    message: &[u8],
    sig: &[u8],
) -> Result<bool, QueryError> {
    let rsa = |alg: &'static dyn VerificationAlgorithm| match cert.key {
        KeyKind::Rsa { .. } => Some(alg),
        KeyKind::Ec { .. } => None,
    };
    let ec = |curve: &str, alg: &'static dyn VerificationAlgorithm| match cert.key {
        KeyKind::Ec { curve: c } if c == curve => Some(alg),
        _ => None,
    };
    let alg: Option<&'static dyn VerificationAlgorithm> = match sig_alg {
        RSA_SHA256 => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        RSA_SHA384 => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        RSA_SHA512 => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        RSA_SHA1 if allow_sha1 => rsa(&signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        // XML-DSig 1.1 §6.4.3: ECDSA values are r||s, fixed length.
        ECDSA_SHA256 => ec("P-256", &signature::ECDSA_P256_SHA256_FIXED),
        ECDSA_SHA384 => ec("P-384", &signature::ECDSA_P384_SHA384_FIXED),
        ECDSA_SHA512 => ec("P-521", &signature::ECDSA_P521_SHA512_FIXED),
        other => return Err(QueryError::WeakAlgorithm(other.to_owned())),
    };
    let Some(alg) = alg else {
        return Ok(false);
    };
    let Some(bits) = cert.public_key_bits() else {
        return Ok(false);
    };
    Ok(UnparsedPublicKey::new(alg, bits).verify(message, sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflate_round_trips_and_a_bomb_is_refused() {
        assert_eq!(inflate_b64(&deflate_b64("<a/>")).as_deref(), Some("<a/>"));
        let bomb = "x".repeat(300 * 1024);
        assert_eq!(inflate_b64(&deflate_b64(&bomb)), None);
    }

    #[test]
    fn a_repeated_parameter_is_refused() {
        assert!(matches!(
            Query::parse("SAMLRequest=a&SAMLRequest=b"),
            Err(QueryError::Malformed(_))
        ));
    }
}
