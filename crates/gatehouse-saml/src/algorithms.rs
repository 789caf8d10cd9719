//! The signature, digest and canonicalization algorithms we accept (XML-DSig 1.1, RFC 6931).

/// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6931 §2.3.2): what we sign with.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSA with SHA-384.
pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
/// RSA with SHA-512.
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
/// ECDSA with SHA-256 (RFC 6931 §2.3.6).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// ECDSA with SHA-384.
pub const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
/// ECDSA with SHA-512.
pub const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
/// RSA with SHA-1: only for an IdP configured with `allow_sha1`.
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

/// SHA-256 digest.
pub const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-384 digest.
pub const DIGEST_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
/// SHA-512 digest.
pub const DIGEST_SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
/// SHA-1 digest: only with `allow_sha1`.
pub const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Exclusive XML Canonicalization 1.0 without comments (SAML core §5.4.3, §5.4.4).
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform (SAML core §5.4.4).
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Whether `uri` is an accepted SignatureMethod.
pub fn signature_allowed(uri: &str, allow_sha1: bool) -> bool {
    matches!(
        uri,
        RSA_SHA256 | RSA_SHA384 | RSA_SHA512 | ECDSA_SHA256 | ECDSA_SHA384 | ECDSA_SHA512
    ) || (allow_sha1 && uri == RSA_SHA1)
}

/// Whether `uri` is an accepted DigestMethod.
pub fn digest_allowed(uri: &str, allow_sha1: bool) -> bool {
    matches!(uri, DIGEST_SHA256 | DIGEST_SHA384 | DIGEST_SHA512) || (allow_sha1 && uri == DIGEST_SHA1)
}
