//! The RFC 7636 PKCE vector and the discovery document snapshot.

mod common;

use common::fixture;
use gatehouse_oidc::{Alg, ErrorCode, discovery_document, pkce};

#[test]
fn rfc7636_appendix_b() {
    let f = fixture("pkce.json");
    let (verifier, challenge) = (
        f["code_verifier"].as_str().unwrap(),
        f["code_challenge"].as_str().unwrap(),
    );
    assert_eq!(pkce::challenge_s256(verifier), challenge);
    assert!(pkce::check_challenge(challenge).is_ok());
    assert!(pkce::verify_s256(verifier, challenge).is_ok());
}

#[test]
fn a_wrong_verifier_is_invalid_grant() {
    let f = fixture("pkce.json");
    let challenge = f["code_challenge"].as_str().unwrap();
    let mut other = f["code_verifier"].as_str().unwrap().to_owned();
    other.replace_range(0..1, "e");
    assert_eq!(
        pkce::verify_s256(&other, challenge).unwrap_err().code,
        ErrorCode::InvalidGrant
    );
}

#[test]
fn a_malformed_verifier_is_invalid_request() {
    let challenge = fixture("pkce.json")["code_challenge"].as_str().unwrap().to_owned();
    for bad in ["short", &"a".repeat(129), &format!("{}!", "a".repeat(50)), ""] {
        assert_eq!(
            pkce::verify_s256(bad, &challenge).unwrap_err().code,
            ErrorCode::InvalidRequest,
            "{bad:?}"
        );
    }
}

#[test]
fn discovery_snapshot() {
    let want = fixture("discovery.json");
    assert_eq!(discovery_document("https://id.example.com", &Alg::ALL), want);
    // A trailing slash on the issuer does not double the endpoints' slashes.
    let doc = discovery_document("https://id.example.com/", &[Alg::Es256]);
    assert_eq!(doc["issuer"], "https://id.example.com/");
    assert_eq!(doc["token_endpoint"], "https://id.example.com/oauth2/token");
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
}
