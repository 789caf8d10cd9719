//! RP-initiated logout requests and introspection answers.

mod common;

use common::{literal, pairs};
use gatehouse_oidc::{
    AccessTokenClaims, Alg, ErrorCode, Expect, IdTokenClaims, KeySet, LogoutRequest, SigningKey, TYP_ID_TOKEN,
    VerifyError, introspection,
};
use serde_json::json;

#[test]
fn logout_parameters() {
    let q = "id_token_hint=eyJ.eyJ.sig&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=s+1&ui_locales=fr";
    let request = LogoutRequest::from_pairs(&pairs(q)).unwrap();
    assert_eq!(request.id_token_hint.as_deref(), Some("eyJ.eyJ.sig"));
    assert_eq!(
        request.post_logout_redirect_uri.as_deref(),
        Some("https://app.example.com/bye")
    );
    assert_eq!(request.state.as_deref(), Some("s 1"));
    assert_eq!(request.client_id, None);
    // Nothing at all is a valid request: sign out and show Gatehouse's own page.
    assert_eq!(LogoutRequest::from_pairs(&[]).unwrap(), LogoutRequest::default());
}

#[test]
fn logout_refusals() {
    let no_client = LogoutRequest::from_pairs(&literal(&[("post_logout_redirect_uri", "https://app.example.com/bye")]));
    assert_eq!(no_client.unwrap_err().code, ErrorCode::InvalidRequest);
    let twice = LogoutRequest::from_pairs(&literal(&[("client_id", "c1"), ("client_id", "c2")]));
    assert_eq!(twice.unwrap_err().code, ErrorCode::InvalidRequest);
}

#[test]
fn post_logout_redirects_match_exactly() {
    let registered = vec!["https://app.example.com/bye".to_owned()];
    let request = |uri: &str| {
        LogoutRequest::from_pairs(&literal(&[
            ("client_id", "c1"),
            ("post_logout_redirect_uri", uri),
            ("state", "st"),
        ]))
        .unwrap()
    };
    assert_eq!(
        request("https://app.example.com/bye")
            .redirect_target(&registered)
            .unwrap()
            .as_deref(),
        Some("https://app.example.com/bye?state=st")
    );
    for wrong in [
        "https://app.example.com/bye/",
        "https://app.example.com/bye?x=1",
        "https://evil.example/bye",
    ] {
        assert_eq!(
            request(wrong).redirect_target(&registered).unwrap_err().code,
            ErrorCode::InvalidRequest,
            "{wrong}"
        );
    }
    let none = LogoutRequest::from_pairs(&literal(&[("client_id", "c1")])).unwrap();
    assert_eq!(none.redirect_target(&registered).unwrap(), None);
}

#[test]
fn an_expired_id_token_is_still_a_hint_but_a_forged_one_is_not() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let claims = IdTokenClaims {
        iss: "https://id.example.com".into(),
        sub: "acc_1".into(),
        aud: "c1".into(),
        exp: 1000,
        iat: 700,
        auth_time: 700,
        nonce: None,
        amr: vec![],
        azp: "c1".into(),
        sid: Some("sess_1".into()),
        email: None,
        email_verified: None,
        name: None,
        org_id: "org_1".into(),
    };
    let hint = keys.sign(TYP_ID_TOKEN, &claims).unwrap();
    let back: IdTokenClaims = keys
        .verify(&hint, &Expect::id_token_hint("https://id.example.com", 10_000_000))
        .unwrap();
    assert_eq!(back.sid.as_deref(), Some("sess_1"));
    let other = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let err = other.verify::<IdTokenClaims>(&hint, &Expect::id_token_hint("https://id.example.com", 2000));
    assert_eq!(err.unwrap_err(), VerifyError::UnknownKey);
}

#[test]
fn introspection_answers() {
    assert_eq!(introspection::inactive(), json!({"active": false}));
    let claims = AccessTokenClaims {
        iss: "https://id.example.com".into(),
        sub: "c1".into(),
        aud: "c1".into(),
        exp: 1600,
        iat: 1000,
        jti: "j1".into(),
        client_id: "c1".into(),
        scope: "reports:read".into(),
        auth_time: None,
        amr: None,
        org_id: "org_1".into(),
        gid: Some("g1".into()),
        sid: None,
    };
    assert_eq!(
        introspection::active(&claims, "Bearer"),
        json!({
            "active": true, "scope": "reports:read", "client_id": "c1", "token_type": "Bearer",
            "exp": 1600, "iat": 1000, "sub": "c1", "aud": "c1", "iss": "https://id.example.com",
            "jti": "j1", "org_id": "org_1"
        })
    );
    let person = AccessTokenClaims {
        auth_time: Some(990),
        amr: Some(vec!["pwd".into()]),
        sid: Some("s".into()),
        ..claims
    };
    let answer = introspection::active(&person, "Bearer");
    assert_eq!(
        (
            answer["auth_time"].clone(),
            answer["amr"].clone(),
            answer["sid"].clone()
        ),
        (json!(990), json!(["pwd"]), json!("s"))
    );
    assert!(answer.get("gid").is_none(), "the grant id stays private");
}
