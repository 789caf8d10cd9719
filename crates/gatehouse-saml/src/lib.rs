//! SAML 2.0 service provider, pure: no HTTP, no database, no clock (`now` is a parameter).
//!
//! - [`SpCredentials::generate`] makes the SP's RSA key and certificate; [`sp_metadata`]
//!   publishes them with our endpoints.
//! - [`IdpMetadata::parse`] reads an IdP's metadata; [`Certificate::parse`] checks a
//!   certificate an admin pastes.
//! - [`authn_request_redirect`] sends the browser to the IdP (HTTP-Redirect binding, signed).
//! - [`validate_response`] checks what the IdP posts back to the ACS and returns the
//!   [`Assertion`], or a [`Refusal`] whose [`Refusal::as_str`] goes to the audit log. XML
//!   signatures are verified by libxmlsec1 behind our [`XmlSignatures`] trait; every value is
//!   read from the element that was signed, after shape checks that refuse signature wrapping.
//! - [`logout_request_redirect`], [`parse_logout_message`], [`logout_response_redirect`]:
//!   single logout over the HTTP-Redirect binding.
//!
//! The caller keeps what needs state: the request ids it sent (to check
//! [`Assertion::in_response_to`]) and the assertion ids it has seen (replay, until
//! [`Assertion::not_on_or_after`]).

mod algorithms;
mod config;
mod encryption;
mod instant;
mod keys;
mod logout;
mod metadata;
mod redirect;
mod request;
mod response;
mod signature;
mod xml;

pub use algorithms::{
    DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA384, DIGEST_SHA512, ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512, ENVELOPED,
    EXC_C14N, RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512,
};
pub use config::{IdpConfig, Sp};
pub use encryption::{AES128_CBC, AES128_GCM, AES192_CBC, AES256_CBC, AES256_GCM, RSA_1_5, RSA_OAEP, RSA_OAEP_MGF1P};
pub use instant::{format as format_instant, parse as parse_instant};
pub use keys::{Certificate, CertificateError, KeyError, KeyKind, SpCredentials};
pub use logout::{
    LogoutError, LogoutMessage, LogoutRequestSpec, LogoutResponseSpec, STATUS_PARTIAL_LOGOUT, STATUS_SUCCESS,
    logout_request_redirect, logout_response_redirect, parse_logout_message,
};
pub use metadata::{IdpMetadata, MAX_METADATA_BYTES, MetadataError, sp_metadata};
pub use request::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, RequestError, authn_request_redirect, authn_request_xml};
pub use response::{
    Assertion, DEFAULT_SKEW_SECS, Expect, MAX_RESPONSE_BASE64, Refusal, validate_response, validate_response_with,
};
pub use signature::{SignatureError, XmlSec, XmlSignatures};
pub use xml::{NS_ASSERTION, NS_DSIG, NS_METADATA, NS_PROTOCOL, NS_XENC};

/// Redirect-binding helpers a test IdP needs to read what we send (DEFLATE + base64).
pub mod binding {
    /// Inflates a `SAMLRequest`/`SAMLResponse` redirect value (bounded).
    pub fn inflate(value: &str) -> Option<String> {
        crate::redirect::inflate_b64(value)
    }

    /// DEFLATEs and base64-encodes a message for the redirect binding.
    pub fn deflate(xml: &str) -> String {
        crate::redirect::deflate_b64(xml)
    }
}
