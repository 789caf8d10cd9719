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
//!
//! ```
//! use gatehouse_saml::{
//!     DEFAULT_SKEW_SECS, Expect, IdpMetadata, Sp, SpCredentials, authn_request_redirect,
//!     sp_metadata, validate_response,
//! };
//! use gatehouse_testkit::saml_idp::TestIdp;
//!
//! let now = 1_796_568_334_000; // the caller's clock, unix milliseconds
//!
//! // An admin connects the organization's IdP by pasting its metadata.
//! let idp = TestIdp::new();
//! let config = IdpMetadata::parse(&idp.metadata_xml())?.to_config()?;
//!
//! // Gatehouse makes the SP side of the connection and publishes its metadata.
//! let sp = Sp {
//!     entity_id: "https://gatehouse.example/saml/42/metadata".into(),
//!     acs_url: "https://gatehouse.example/saml/42/acs".into(),
//!     slo_url: "https://gatehouse.example/saml/42/slo".into(),
//!     credentials: SpCredentials::generate("gatehouse.example", now)?,
//! };
//! assert!(sp_metadata(&sp).contains("AssertionConsumerService"));
//!
//! // A person signs in: the browser goes to the IdP with a signed AuthnRequest...
//! let url = authn_request_redirect(&sp, &config, "_9f2c", now, Some("/home"), true)?;
//! let request = idp.parse_authn_request(url.as_str());
//! assert!(request.signature_verifies(&sp.credentials.certificate()?));
//!
//! // ...and comes back with a signed Response posted to the ACS.
//! let mut spec = idp.spec(&request.issuer, &request.acs_url, now);
//! spec.in_response_to = Some(request.id);
//! let expect = Expect {
//!     sp_entity_id: &sp.entity_id,
//!     acs_url: &sp.acs_url,
//!     idp_entity_id: &config.entity_id,
//!     certificates: &config.certificates,
//!     allow_sha1: false,
//!     now_ms: now,
//!     skew_secs: DEFAULT_SKEW_SECS,
//!     sp_key_pem: Some(&sp.credentials.key_pem),
//!     allow_rsa1_5: false,
//! };
//! let assertion = validate_response(&idp.response(&spec), &expect)?;
//! assert_eq!(assertion.name_id, "ada@acme.example");
//! assert_eq!(assertion.in_response_to.as_deref(), Some("_9f2c")); // the caller checks it
//!
//! // The same Response for another SP is refused, with a reason for the audit log.
//! spec.audience = "https://elsewhere.example/metadata".into();
//! let refusal = validate_response(&idp.response(&spec), &expect).unwrap_err();
//! assert_eq!(refusal.as_str(), "wrong_audience");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
pub use request::{
    BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, MAX_RELAY_STATE, RequestError, authn_request_redirect, authn_request_xml,
};
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
