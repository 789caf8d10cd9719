//! Why a SAML Response was refused: one variant per check, each with a stable reason name for
//! the audit log.

/// A refused SAML Response. [`Refusal::as_str`] is the stable reason for the audit log; the
/// `Display` text adds detail for the operator's log (never shown to the person signing in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The base64 SAMLResponse is over the size limit (refused before decoding).
    #[error("too_large: the SAMLResponse is over {0} bytes of base64")]
    TooLarge(usize),
    /// Not base64, not UTF-8, not well-formed XML, or not a SAML Response.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The document declares a DTD (external entities, entity expansion): refused unread.
    #[error("dtd_refused: the document declares a DTD")]
    DtdRefused,
    /// Neither the Response nor the Assertion carries a signature.
    #[error("unsigned: neither the Response nor the Assertion is signed")]
    Unsigned,
    /// A signature does not verify with the configured certificates (content changed, or signed
    /// by a key the document does not name).
    #[error("bad_signature: the signature does not verify with the configured certificates")]
    BadSignature,
    /// The signature verifies, but only with a certificate the document carries itself, which
    /// is not one of the IdP's configured certificates.
    #[error("untrusted_key: signed by a certificate that is not configured for this IdP")]
    UntrustedKey,
    /// The document's shape could let an unsigned element pass as signed: duplicate IDs, a
    /// Response or Assertion out of place, a Reference that does not point at its signature's
    /// parent, or an assertion beside the signed one.
    #[error("signature_wrapping: {0}")]
    SignatureWrapping(&'static str),
    /// An algorithm outside the allow-list (SHA-1 unless allowed, non-exclusive C14N, other
    /// transforms).
    #[error("weak_algorithm: {0}")]
    WeakAlgorithm(String),
    /// The IdP answered with a status other than Success; carries the status code(s).
    #[error("idp_status: {0}")]
    IdpStatus(String),
    /// The Response's Destination is not our ACS URL.
    #[error("wrong_destination: {0}")]
    WrongDestination(String),
    /// The Response or Assertion Issuer is not the configured IdP entity id.
    #[error("wrong_issuer: {0}")]
    WrongIssuer(String),
    /// No bearer SubjectConfirmation whose Recipient is our ACS URL.
    #[error("wrong_recipient: no bearer confirmation for our ACS URL")]
    WrongRecipient,
    /// No AudienceRestriction, or one that does not name our SP entity id.
    #[error("wrong_audience: the assertion is not for this SP")]
    WrongAudience,
    /// Past NotOnOrAfter (Conditions or SubjectConfirmationData), beyond the allowed skew.
    #[error("expired: past NotOnOrAfter")]
    Expired,
    /// Before Conditions NotBefore, beyond the allowed skew.
    #[error("not_yet_valid: before NotBefore")]
    NotYetValid,
    /// The Response holds no Assertion.
    #[error("no_assertion: the Response holds no assertion")]
    NoAssertion,
    /// The Response holds more than one Assertion (all of them signed).
    #[error("multiple_assertions: exactly one assertion is accepted")]
    MultipleAssertions,
    /// The Assertion has no Subject/NameID.
    #[error("no_name_id: the assertion has no NameID")]
    NoNameId,
    /// The NameID is not one plain text node (a comment or element inside it could make a
    /// reader see a value other than the one signed).
    #[error("malformed_name_id: the NameID is not plain text")]
    MalformedNameId,
    /// An EncryptedAssertion could not be decrypted with the SP key (or no key was given).
    #[error("decryption_failed: {0}")]
    DecryptionFailed(String),
}

impl Refusal {
    /// The stable reason name for the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::Malformed(_) => "malformed",
            Self::DtdRefused => "dtd_refused",
            Self::Unsigned => "unsigned",
            Self::BadSignature => "bad_signature",
            Self::UntrustedKey => "untrusted_key",
            Self::SignatureWrapping(_) => "signature_wrapping",
            Self::WeakAlgorithm(_) => "weak_algorithm",
            Self::IdpStatus(_) => "idp_status",
            Self::WrongDestination(_) => "wrong_destination",
            Self::WrongIssuer(_) => "wrong_issuer",
            Self::WrongRecipient => "wrong_recipient",
            Self::WrongAudience => "wrong_audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::NoAssertion => "no_assertion",
            Self::MultipleAssertions => "multiple_assertions",
            Self::NoNameId => "no_name_id",
            Self::MalformedNameId => "malformed_name_id",
            Self::DecryptionFailed(_) => "decryption_failed",
        }
    }
}

impl From<crate::xml::XmlError> for Refusal {
    fn from(e: crate::xml::XmlError) -> Self {
        match e {
            crate::xml::XmlError::Dtd => Self::DtdRefused,
            crate::xml::XmlError::Malformed(m) => Self::Malformed(m),
        }
    }
}
