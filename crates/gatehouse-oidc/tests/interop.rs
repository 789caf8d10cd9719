//! A real relying party library (`openidconnect`) reads our discovery document and JWKS and
//! verifies ID tokens we sign, and refuses the ones it must.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{b64, forge};

use gatehouse_oidc::{Alg, IdTokenClaims, KeySet, SigningKey, TYP_ID_TOKEN, amr, discovery_document};
use openidconnect::core::{
    CoreGrantType, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType,
};
use openidconnect::{ClientId, IssuerUrl, Nonce, ProviderMetadataWithLogout, ResponseTypes};
use serde_json::json;

const ISS: &str = "https://id.example.com";
const CLIENT: &str = "client_1";

fn now() -> i64 {
    // The library checks exp against the system clock; the crate itself never reads it.
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims(nonce: &str) -> IdTokenClaims {
    let now = now();
    IdTokenClaims {
        iss: ISS.into(),
        sub: "acc_42".into(),
        aud: CLIENT.into(),
        exp: now + 300,
        iat: now,
        auth_time: now - 10,
        nonce: Some(nonce.into()),
        amr: vec![amr::PWD.into()],
        azp: CLIENT.into(),
        sid: Some("sess_1".into()),
        email: Some("ada@example.com".into()),
        email_verified: Some(true),
        name: Some("Ada".into()),
        org_id: "org_1".into(),
    }
}

fn their_alg(alg: Alg) -> CoreJwsSigningAlgorithm {
    match alg {
        Alg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Alg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        Alg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    }
}

/// The relying party's verifier, configured from what we publish.
fn verifier(keys: &KeySet) -> CoreIdTokenVerifier<'static> {
    let metadata: CoreProviderMetadata = serde_json::from_value(discovery_document(ISS, &keys.algs())).unwrap();
    let jwks: CoreJsonWebKeySet = serde_json::from_value(keys.jwks()).unwrap();
    let algs: Vec<CoreJwsSigningAlgorithm> = metadata.id_token_signing_alg_values_supported().clone();
    CoreIdTokenVerifier::new_public_client(ClientId::new(CLIENT.into()), metadata.issuer().clone(), jwks)
        .set_allowed_algs(algs)
}

#[test]
fn the_discovery_document_parses_as_provider_metadata() {
    let doc = discovery_document(ISS, &Alg::ALL);
    let metadata: CoreProviderMetadata = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(metadata.issuer(), &IssuerUrl::new(ISS.into()).unwrap());
    assert_eq!(
        metadata.authorization_endpoint().as_str(),
        "https://id.example.com/oauth2/authorize"
    );
    assert_eq!(
        metadata.token_endpoint().unwrap().as_str(),
        "https://id.example.com/oauth2/token"
    );
    assert_eq!(metadata.jwks_uri().as_str(), "https://id.example.com/oauth2/jwks");
    assert_eq!(
        metadata.userinfo_endpoint().unwrap().as_str(),
        "https://id.example.com/oauth2/userinfo"
    );
    assert_eq!(
        metadata.response_types_supported(),
        &vec![ResponseTypes::new(vec![CoreResponseType::Code])]
    );
    let grants = metadata.grant_types_supported().unwrap();
    assert!(grants.contains(&CoreGrantType::AuthorizationCode) && grants.contains(&CoreGrantType::RefreshToken));
    assert_eq!(
        metadata.id_token_signing_alg_values_supported(),
        &Alg::ALL.map(their_alg).to_vec(),
        "every algorithm we sign with is one the library knows"
    );
    let with_logout: ProviderMetadataWithLogout = serde_json::from_value(doc).unwrap();
    assert_eq!(
        with_logout
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .unwrap()
            .as_str(),
        "https://id.example.com/oauth2/logout"
    );
}

#[test]
fn id_tokens_verify_for_every_algorithm() {
    for alg in Alg::ALL {
        let keys = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let token = keys.sign(TYP_ID_TOKEN, &claims("n-0S6")).unwrap();
        let id_token: CoreIdToken = token.parse().unwrap();
        let verifier = verifier(&keys);
        let checked = id_token.claims(&verifier, &Nonce::new("n-0S6".into())).unwrap();
        assert_eq!(checked.subject().as_str(), "acc_42", "{alg}");
        assert_eq!(checked.email().unwrap().as_str(), "ada@example.com");
        assert_eq!(checked.email_verified(), Some(true));
        assert_eq!(checked.auth_context_ref(), None);
        assert_eq!(id_token.signing_alg().unwrap(), &their_alg(alg));

        // The nonce is checked: a token for another authorization request is refused.
        assert!(
            id_token.claims(&verifier, &Nonce::new("other".into())).is_err(),
            "{alg}"
        );
    }
}

#[test]
fn a_token_from_another_key_is_refused() {
    for alg in Alg::ALL {
        let ours = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let theirs = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let forged: CoreIdToken = theirs.sign(TYP_ID_TOKEN, &claims("n")).unwrap().parse().unwrap();
        assert!(
            forged.claims(&verifier(&ours), &Nonce::new("n".into())).is_err(),
            "{alg}"
        );
    }
}

#[test]
fn another_key_under_our_kid_is_refused() {
    for alg in Alg::ALL {
        let ours = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let impostor = SigningKey::generate(alg).unwrap();
        let header = json!({"alg": alg.as_str(), "kid": ours.active_kid(), "typ": "JWT"});
        let payload = serde_json::to_value(claims("n")).unwrap();
        let forged: CoreIdToken = forge(alg, impostor.pkcs8_der(), &header, &payload).parse().unwrap();
        assert!(
            forged.claims(&verifier(&ours), &Nonce::new("n".into())).is_err(),
            "{alg}"
        );
        // The same library accepts what the real key signs: the refusal is about the key.
        let real: CoreIdToken = ours.sign(TYP_ID_TOKEN, &claims("n")).unwrap().parse().unwrap();
        assert!(real.claims(&verifier(&ours), &Nonce::new("n".into())).is_ok(), "{alg}");
    }
}

#[test]
fn an_unsigned_token_is_refused() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let header = json!({"alg": "none", "kid": keys.active_kid(), "typ": "JWT"});
    let token = format!("{}.{}.", b64(&header), b64(&serde_json::to_value(claims("n")).unwrap()));
    let parsed = token.parse::<CoreIdToken>();
    assert!(
        parsed.is_err()
            || parsed
                .unwrap()
                .claims(&verifier(&keys), &Nonce::new("n".into()))
                .is_err()
    );
}

#[test]
fn a_token_for_another_client_is_refused() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let mut other = claims("n");
    other.aud = "client_2".into();
    other.azp = "client_2".into();
    let token: CoreIdToken = keys.sign(TYP_ID_TOKEN, &other).unwrap().parse().unwrap();
    assert!(token.claims(&verifier(&keys), &Nonce::new("n".into())).is_err());
}

#[test]
fn a_retired_key_in_the_jwks_still_verifies() {
    let old = SigningKey::generate(Alg::Rs256).unwrap();
    let old_public = old.public().clone();
    let token: CoreIdToken = KeySet::new(old, vec![])
        .sign(TYP_ID_TOKEN, &claims("n"))
        .unwrap()
        .parse()
        .unwrap();
    let rotated = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![old_public]);
    assert!(token.claims(&verifier(&rotated), &Nonce::new("n".into())).is_ok());
}
