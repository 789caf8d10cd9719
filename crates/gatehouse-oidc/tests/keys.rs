//! Signing keys, the JWKS, and token verification: the round trip for every algorithm and every
//! way a forged or misused token must be refused.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{b64, fixture, forge};
use gatehouse_oidc::{
    AccessTokenClaims, Alg, Expect, IdTokenClaims, KeyError, KeySet, LogoutEvents, LogoutTokenClaims, PublicKey,
    SigningKey, TYP_ACCESS_TOKEN, TYP_ID_TOKEN, TYP_LOGOUT_TOKEN, VerifyError, amr,
};
use serde_json::{Value, json};

const ISS: &str = "https://id.example.com";
const NOW: i64 = 1_800_000_000;

fn id_claims() -> IdTokenClaims {
    IdTokenClaims {
        iss: ISS.into(),
        sub: "acc_1".into(),
        aud: "client_1".into(),
        exp: NOW + 300,
        iat: NOW,
        auth_time: NOW - 20,
        nonce: Some("n-0S6_WzA2Mj".into()),
        amr: vec![amr::PWD.into(), amr::OTP.into(), amr::MFA.into()],
        azp: "client_1".into(),
        sid: Some("sess_1".into()),
        email: Some("ada@example.com".into()),
        email_verified: Some(true),
        name: Some("Ada Lovelace".into()),
        org_id: "org_1".into(),
    }
}

fn expect() -> Expect<'static> {
    Expect {
        issuer: ISS,
        audience: Some("client_1"),
        typ: Some(TYP_ID_TOKEN),
        now: NOW,
        leeway: 30,
    }
}

fn parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let mut next = || serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    (next(), next())
}

#[test]
fn keys_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<KeySet>();
    shared::<SigningKey>();
    shared::<PublicKey>();
}

#[test]
fn round_trip_for_every_algorithm() {
    for alg in Alg::ALL {
        let key = SigningKey::generate(alg).unwrap();
        let kid = key.kid().to_owned();
        let keys = KeySet::new(key, vec![]);
        let token = keys.sign(TYP_ID_TOKEN, &id_claims()).unwrap();
        let (header, _) = parts(&token);
        assert_eq!(header, json!({"alg": alg.as_str(), "kid": kid, "typ": "JWT"}), "{alg}");
        let back: IdTokenClaims = keys.verify(&token, &expect()).unwrap();
        assert_eq!(back, id_claims(), "{alg}");
        assert_eq!(keys.active_alg(), alg);
        assert_eq!(keys.active_kid(), kid);
    }
}

#[test]
fn another_implementation_verifies_our_tokens() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, jwk::Jwk};
    for (alg, theirs) in [
        (Alg::Es256, Algorithm::ES256),
        (Alg::EdDsa, Algorithm::EdDSA),
        (Alg::Rs256, Algorithm::RS256),
    ] {
        let keys = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let token = keys.sign(TYP_ID_TOKEN, &id_claims()).unwrap();
        let jwk: Jwk = serde_json::from_value(keys.jwks()["keys"][0].clone()).unwrap();
        let mut validation = Validation::new(theirs);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&["client_1"]);
        validation.validate_exp = false; // the claims use a fixed clock
        let data = decode::<IdTokenClaims>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation).unwrap();
        assert_eq!(data.claims, id_claims(), "{alg}");
        assert_eq!(data.header.kid.as_deref(), Some(keys.active_kid()));
    }
}

#[test]
fn alg_none_is_refused() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let claims = serde_json::to_value(id_claims()).unwrap();
    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "kid": keys.active_kid(), "typ": "JWT"});
        for signature in ["", "AAAA"] {
            let token = format!("{}.{}.{signature}", b64(&header), b64(&claims));
            assert_eq!(
                keys.verify::<IdTokenClaims>(&token, &expect()).unwrap_err(),
                VerifyError::Algorithm
            );
        }
    }
    let no_alg = format!("{}.{}.", b64(&json!({"kid": keys.active_kid()})), b64(&claims));
    assert_eq!(
        keys.verify::<Value>(&no_alg, &expect()).unwrap_err(),
        VerifyError::Algorithm
    );
}

#[test]
fn hmac_with_the_public_key_as_secret_is_refused() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    for alg in Alg::ALL {
        let keys = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let jwk = keys.jwks()["keys"][0].clone();
        // Everything an attacker could take for "the public key": the JWK text, its members.
        let mut secrets = vec![serde_json::to_vec(&jwk).unwrap()];
        for member in ["x", "n"] {
            if let Some(v) = jwk[member].as_str() {
                secrets.push(v.as_bytes().to_vec());
                secrets.push(URL_SAFE_NO_PAD.decode(v).unwrap());
            }
        }
        for secret in secrets {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(keys.active_kid().to_owned());
            let token = encode(&header, &id_claims(), &EncodingKey::from_secret(&secret).unwrap()).unwrap();
            assert_eq!(
                keys.verify::<IdTokenClaims>(&token, &expect()).unwrap_err(),
                VerifyError::Algorithm,
                "{alg}"
            );
        }
    }
}

#[test]
fn algorithm_swaps_are_refused() {
    // An RS256 key's kid on a token that claims ES256 (and the reverse) never reaches a verifier.
    let es = SigningKey::generate(Alg::Es256).unwrap();
    let es_der = es.pkcs8_der().to_vec();
    let rs = SigningKey::generate(Alg::Rs256).unwrap();
    let rs_kid = rs.kid().to_owned();
    let keys = KeySet::new(es, vec![rs.public().clone()]);
    let claims = serde_json::to_value(id_claims()).unwrap();
    let token = forge(
        Alg::Es256,
        &es_der,
        &json!({"alg": "ES256", "kid": rs_kid, "typ": "JWT"}),
        &claims,
    );
    assert_eq!(
        keys.verify::<Value>(&token, &expect()).unwrap_err(),
        VerifyError::Algorithm
    );
}

#[test]
fn unknown_or_missing_kid_is_refused() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let stranger = SigningKey::generate(Alg::Es256).unwrap();
    let claims = serde_json::to_value(id_claims()).unwrap();
    let token = forge(
        Alg::Es256,
        stranger.pkcs8_der(),
        &json!({"alg": "ES256", "kid": stranger.kid()}),
        &claims,
    );
    assert_eq!(
        keys.verify::<Value>(&token, &expect()).unwrap_err(),
        VerifyError::UnknownKey
    );
    let token = forge(
        Alg::Es256,
        stranger.pkcs8_der(),
        &json!({"alg": "ES256", "typ": "JWT"}),
        &claims,
    );
    assert_eq!(
        keys.verify::<Value>(&token, &expect()).unwrap_err(),
        VerifyError::UnknownKey
    );
}

#[test]
fn another_key_under_our_kid_is_refused() {
    for alg in Alg::ALL {
        let keys = KeySet::new(SigningKey::generate(alg).unwrap(), vec![]);
        let impostor = SigningKey::generate(alg).unwrap();
        let header = json!({"alg": alg.as_str(), "kid": keys.active_kid(), "typ": "JWT"});
        let claims = serde_json::to_value(id_claims()).unwrap();
        let token = forge(alg, impostor.pkcs8_der(), &header, &claims);
        assert_eq!(
            keys.verify::<Value>(&token, &expect()).unwrap_err(),
            VerifyError::Signature,
            "{alg}"
        );
    }
}

#[test]
fn tampering_breaks_the_signature() {
    let keys = KeySet::new(SigningKey::generate(Alg::EdDsa).unwrap(), vec![]);
    let token = keys.sign(TYP_ID_TOKEN, &id_claims()).unwrap();
    let (header, mut payload) = parts(&token);
    payload["sub"] = json!("acc_2");
    let signature = token.rsplit('.').next().unwrap();
    let tampered = format!("{}.{}.{signature}", b64(&header), b64(&payload));
    assert_eq!(
        keys.verify::<Value>(&tampered, &expect()).unwrap_err(),
        VerifyError::Signature
    );
}

#[test]
fn claims_and_type_are_checked() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let token = keys.sign(TYP_ID_TOKEN, &id_claims()).unwrap();
    let check = |e: Expect<'_>| keys.verify::<IdTokenClaims>(&token, &e);
    assert_eq!(
        check(Expect {
            issuer: "https://evil.example",
            ..expect()
        })
        .unwrap_err(),
        VerifyError::Issuer
    );
    assert_eq!(
        check(Expect {
            audience: Some("client_2"),
            ..expect()
        })
        .unwrap_err(),
        VerifyError::Audience
    );
    assert_eq!(
        check(Expect {
            typ: Some(TYP_ACCESS_TOKEN),
            ..expect()
        })
        .unwrap_err(),
        VerifyError::Type
    );
    assert_eq!(
        check(Expect {
            now: NOW + 330,
            ..expect()
        })
        .unwrap_err(),
        VerifyError::Expired
    );
    assert!(
        check(Expect {
            now: NOW + 329,
            ..expect()
        })
        .is_ok(),
        "inside the leeway"
    );
    assert!(
        check(Expect {
            audience: None,
            typ: None,
            ..expect()
        })
        .is_ok()
    );
    assert!(
        check(Expect::id_token_hint(ISS, NOW + 86_400 * 365)).is_ok(),
        "an expired hint is still a hint"
    );
}

#[test]
fn audience_arrays_nbf_and_missing_exp() {
    let key = SigningKey::generate(Alg::Es256).unwrap();
    let der = key.pkcs8_der().to_vec();
    let keys = KeySet::new(key, vec![]);
    let header = json!({"alg": "ES256", "kid": keys.active_kid(), "typ": "at+jwt"});
    let e = Expect {
        typ: Some("application/AT+JWT"),
        ..expect()
    };
    let run = |payload: Value| keys.verify::<Value>(&forge(Alg::Es256, &der, &header, &payload), &e);
    let base = json!({"iss": ISS, "exp": NOW + 60});
    let with = |extra: Value| {
        let mut p = base.clone();
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    assert!(run(with(json!({"aud": ["other", "client_1"]}))).is_ok());
    assert_eq!(run(with(json!({"aud": ["other"]}))).unwrap_err(), VerifyError::Audience);
    assert_eq!(run(base.clone()).unwrap_err(), VerifyError::Audience);
    assert_eq!(
        run(with(json!({"aud": "client_1", "nbf": NOW + 100}))).unwrap_err(),
        VerifyError::NotYetValid
    );
    assert_eq!(
        run(json!({"iss": ISS, "aud": "client_1"})).unwrap_err(),
        VerifyError::Claims
    );
    assert_eq!(
        run(with(json!({"aud": "client_1", "exp": "soon"}))).unwrap_err(),
        VerifyError::Claims
    );
}

#[test]
fn malformed_tokens() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let good = keys.sign(TYP_ID_TOKEN, &id_claims()).unwrap();
    let crit = {
        let (mut header, payload) = parts(&good);
        header["crit"] = json!(["exp"]);
        format!("{}.{}.AAAA", b64(&header), b64(&payload))
    };
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        &format!("{good}."),
        &format!("{good}=="),
        "e30.e30.e30",
        &crit,
        &"a".repeat(20_000),
    ] {
        let err = keys.verify::<Value>(bad, &expect()).unwrap_err();
        assert!(
            matches!(err, VerifyError::Malformed | VerifyError::Algorithm),
            "{bad:.40}: {err:?}"
        );
    }
    assert_eq!(
        keys.verify::<Value>(&format!("{good}=="), &expect()).unwrap_err(),
        VerifyError::Malformed
    );
}

#[test]
fn a_retired_key_still_verifies_until_it_is_dropped() {
    let old = SigningKey::generate(Alg::Rs256).unwrap();
    let old_public = old.public().clone();
    let token = KeySet::new(old, vec![]).sign(TYP_ID_TOKEN, &id_claims()).unwrap();

    let rotated = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![old_public.clone()]);
    assert!(rotated.verify::<IdTokenClaims>(&token, &expect()).is_ok());
    assert_eq!(rotated.jwks()["keys"].as_array().unwrap().len(), 2);
    assert_eq!(rotated.algs(), vec![Alg::Es256, Alg::Rs256]);
    assert_ne!(rotated.active_kid(), old_public.kid());

    let later = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    assert_eq!(
        later.verify::<IdTokenClaims>(&token, &expect()).unwrap_err(),
        VerifyError::UnknownKey
    );
}

#[test]
fn jwks_has_public_members_only() {
    let active = SigningKey::generate(Alg::Es256).unwrap();
    let retired = [
        SigningKey::generate(Alg::EdDsa).unwrap(),
        SigningKey::generate(Alg::Rs256).unwrap(),
    ];
    let keys = KeySet::new(active, retired.iter().map(|k| k.public().clone()).collect());
    let jwks = keys.jwks();
    let list = jwks["keys"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for jwk in list {
        let mut members: Vec<&str> = jwk.as_object().unwrap().keys().map(String::as_str).collect();
        members.sort_unstable();
        let want: &[&str] = match jwk["kty"].as_str().unwrap() {
            "EC" => &["alg", "crv", "kid", "kty", "use", "x", "y"],
            "OKP" => &["alg", "crv", "kid", "kty", "use", "x"],
            "RSA" => &["alg", "e", "kid", "kty", "n", "use"],
            other => panic!("{other}"),
        };
        assert_eq!(members, want);
        assert_eq!(jwk["use"], "sig");
        // Each published JWK reads back as the same public key.
        assert_eq!(PublicKey::from_jwk(jwk).unwrap().jwk(), jwk);
    }
}

#[test]
fn keys_are_thumbprinted_and_reloadable() {
    for alg in Alg::ALL {
        let key = SigningKey::generate(alg).unwrap();
        assert_eq!(key.kid(), key.public().thumbprint());
        assert_eq!(key.kid().len(), 43);
        let again = SigningKey::from_pkcs8(alg, key.pkcs8_der()).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.public(), key.public());
        let debug = format!("{key:?}");
        assert!(debug.contains(key.kid()) && debug.contains(alg.as_str()), "{debug}");
        assert!(
            !debug.contains(&URL_SAFE_NO_PAD.encode(key.pkcs8_der())[..16]),
            "{debug}"
        );
        let other = Alg::ALL.into_iter().find(|a| *a != alg).unwrap();
        assert_eq!(
            SigningKey::from_pkcs8(other, key.pkcs8_der()).unwrap_err(),
            KeyError::InvalidPkcs8(other)
        );
    }
    assert!(SigningKey::from_pkcs8(Alg::Es256, b"not a key").is_err());
}

#[test]
fn rfc7638_thumbprint() {
    let f = fixture("rfc7638.json");
    let key = PublicKey::from_jwk(&f["jwk"]).unwrap();
    assert_eq!(key.thumbprint(), f["thumbprint"].as_str().unwrap());
    assert_eq!(key.kid(), "2011-04-29");
    assert_eq!(key.alg(), Alg::Rs256);
    let mut without_kid = f["jwk"].clone();
    without_kid.as_object_mut().unwrap().remove("kid");
    assert_eq!(
        PublicKey::from_jwk(&without_kid).unwrap().kid(),
        f["thumbprint"].as_str().unwrap()
    );
}

#[test]
fn jwk_reading_refuses_private_and_odd_keys() {
    let key = SigningKey::generate(Alg::Es256).unwrap();
    let jwk = key.public().jwk().clone();
    let with = |name: &str, value: Value| {
        let mut j = jwk.clone();
        j[name] = value;
        PublicKey::from_jwk(&j)
    };
    assert!(with("d", json!("AAAA")).is_err(), "private member");
    assert!(with("use", json!("enc")).is_err());
    assert!(with("alg", json!("RS256")).is_err(), "alg that does not fit the key");
    assert!(with("alg", json!("HS256")).is_err());
    assert!(with("crv", json!("P-384")).is_err());
    assert!(with("x", json!("AAAA")).is_err(), "wrong size");
    assert!(with("x", jwk["y"].clone()).is_err(), "not a point on the curve");
    assert!(PublicKey::from_jwk(&json!({"kty": "oct", "k": "c2VjcmV0"})).is_err());
    assert!(PublicKey::from_jwk(&json!("a string")).is_err());
}

#[test]
fn access_and_logout_tokens_carry_their_types() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let access = AccessTokenClaims {
        iss: ISS.into(),
        sub: "acc_1".into(),
        aud: "client_1".into(),
        exp: NOW + 600,
        iat: NOW,
        jti: "jti_1".into(),
        client_id: "client_1".into(),
        scope: "openid email".into(),
        auth_time: Some(NOW - 5),
        amr: Some(vec![amr::HWK.into()]),
        org_id: "org_1".into(),
        gid: Some("grant_1".into()),
        sid: None,
    };
    let token = keys.sign(TYP_ACCESS_TOKEN, &access).unwrap();
    let e = Expect {
        typ: Some(TYP_ACCESS_TOKEN),
        ..expect()
    };
    assert_eq!(keys.verify::<AccessTokenClaims>(&token, &e).unwrap(), access);
    // An access token is not an ID token, and the reverse.
    assert_eq!(keys.verify::<Value>(&token, &expect()).unwrap_err(), VerifyError::Type);

    let logout = LogoutTokenClaims {
        iss: ISS.into(),
        aud: "client_1".into(),
        iat: NOW,
        exp: NOW + 120,
        jti: "jti_2".into(),
        sub: "acc_1".into(),
        sid: Some("sess_1".into()),
        events: LogoutEvents::default(),
    };
    let token = keys.sign(TYP_LOGOUT_TOKEN, &logout).unwrap();
    assert_eq!(parts(&token).0["typ"], "logout+jwt");
    let e = Expect {
        typ: Some(TYP_LOGOUT_TOKEN),
        ..expect()
    };
    assert_eq!(keys.verify::<LogoutTokenClaims>(&token, &e).unwrap(), logout);
    assert!(keys.sign(TYP_ID_TOKEN, &json!(["not", "an", "object"])).is_err());
}
