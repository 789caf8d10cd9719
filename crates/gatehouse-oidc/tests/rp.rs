//! The relying party on fixtures: discovery documents shaped like real providers', a JWKS with
//! keys we must leave out, and every way an ID token must be refused, each with its reason.

mod common;

use common::{b64, fixture, forge};
use gatehouse_oidc::rp::{
    AuthorizationRequest, ClaimNames, DEFAULT_SKEW_SECS, IdTokenCheck, ProviderMetadata, RpError, authorization_url,
    end_session_url, identity_from_claims, validate_id_token,
};
use gatehouse_oidc::{Alg, KeySet, RemoteKeys, SigningKey, VerifyError};
use serde_json::{Map, Value, json};

const ISS: &str = "https://sso.acme.example/realms/staff";
const CLIENT: &str = "gatehouse-rp";
const NONCE: &str = "n-4Qd7kP0b";
const NOW: i64 = 1_800_000_000;

fn check() -> IdTokenCheck<'static> {
    IdTokenCheck {
        issuer: ISS,
        client_id: CLIENT,
        nonce: NONCE,
        now: NOW,
        skew: DEFAULT_SKEW_SECS,
    }
}

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": CLIENT, "sub": "f3b1-77", "exp": NOW + 300, "iat": NOW - 2,
        "nonce": NONCE, "email": "ada@acme.example", "email_verified": true,
        "given_name": "Ada", "family_name": "Lovelace", "groups": ["eng", "admins"],
    })
}

/// The provider: one key of each algorithm, and what we read of its JWKS.
struct Idp {
    keys: Vec<SigningKey>,
    remote: RemoteKeys,
}

impl Idp {
    fn new() -> Idp {
        let keys: Vec<SigningKey> = Alg::ALL.iter().map(|a| SigningKey::generate(*a).unwrap()).collect();
        let mut doc = fixture("rp_jwks.json");
        let list = doc["keys"].as_array_mut().unwrap();
        list.extend(keys.iter().map(|k| k.public().jwk().clone()));
        Idp {
            remote: RemoteKeys::from_jwks(&doc).unwrap(),
            keys,
        }
    }

    fn sign_with(&self, i: usize, payload: &Value) -> String {
        let k = &self.keys[i];
        forge(
            k.alg(),
            k.pkcs8_der(),
            &json!({"alg": k.alg().as_str(), "kid": k.kid(), "typ": "JWT"}),
            payload,
        )
    }

    fn token(&self, payload: &Value) -> String {
        self.sign_with(0, payload)
    }

    fn validate(&self, token: &str) -> Result<Map<String, Value>, RpError> {
        validate_id_token(&self.remote, token, &check())
    }
}

fn with(changes: &Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

#[test]
fn discovery_documents_of_real_provider_shapes_are_read() {
    let f = fixture("rp_discovery.json");
    for case in f["accepted"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let meta = ProviderMetadata::from_discovery(&case["doc"], case["issuer"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(meta.issuer, case["issuer"].as_str().unwrap(), "{name}");
        assert_eq!(meta.jwks_uri, case["doc"]["jwks_uri"].as_str().unwrap(), "{name}");
        assert_eq!(
            meta.end_session_endpoint.as_deref(),
            case["end_session_endpoint"].as_str(),
            "{name}"
        );
    }
}

#[test]
fn discovery_documents_that_break_a_rule_are_refused_with_the_rule() {
    let f = fixture("rp_discovery.json");
    for case in f["refused"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let err = ProviderMetadata::from_discovery(&case["doc"], case["issuer"].as_str().unwrap()).unwrap_err();
        match (case["reason"].as_str(), case["error"].as_str()) {
            (Some(reason), _) => assert_eq!(err.reason(), reason, "{name}"),
            (None, Some(rule)) => {
                assert!(matches!(err, RpError::Discovery(r) if r == rule), "{name}: {err}");
            }
            _ => panic!("{name}: the fixture names no outcome"),
        }
    }
    assert_eq!(
        ProviderMetadata::from_discovery(&json!("https://x"), "https://x").unwrap_err(),
        RpError::Discovery("the document is not a JSON object")
    );
}

#[test]
fn our_own_discovery_document_is_accepted_as_a_provider() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
    let doc = gatehouse_oidc::discovery_document("https://id.example.com", &keys.algs());
    let meta = ProviderMetadata::from_discovery(&doc, "https://id.example.com").unwrap();
    assert_eq!(meta.token_endpoint, "https://id.example.com/oauth2/token");
    assert_eq!(
        meta.end_session_endpoint.as_deref(),
        Some("https://id.example.com/oauth2/logout")
    );
}

#[test]
fn the_jwks_keeps_only_keys_we_verify_with() {
    let idp = Idp::new();
    let kids: Vec<&str> = idp.remote.keys().iter().map(gatehouse_oidc::PublicKey::kid).collect();
    let ours: Vec<&str> = idp.keys.iter().map(SigningKey::kid).collect();
    assert_eq!(
        kids, ours,
        "encryption, P-384, RS512, HMAC, short RSA and private keys are left out"
    );
    assert!(!idp.remote.has_kid("enc-1"));
    assert!(RemoteKeys::from_jwks(&json!({"keys": {}})).is_err());
    assert!(RemoteKeys::from_jwks(&json!([{"kty": "EC"}])).is_err());
    let many: Vec<Value> = (0..65).map(|_| json!({"kty": "oct"})).collect();
    assert!(RemoteKeys::from_jwks(&json!({ "keys": many })).is_err());
    assert!(RemoteKeys::from_jwks(&json!({"keys": []})).unwrap().keys().is_empty());
}

#[test]
fn a_good_id_token_of_every_algorithm_is_accepted() {
    let idp = Idp::new();
    for i in 0..idp.keys.len() {
        let got = idp.validate(&idp.sign_with(i, &claims())).unwrap();
        assert_eq!(got["sub"], "f3b1-77", "{:?}", idp.keys[i].alg());
    }
}

#[test]
fn signatures_keys_and_algorithms_are_checked() {
    let idp = Idp::new();
    let other = SigningKey::generate(Alg::Es256).unwrap();
    // Another key under a published kid.
    let forged = forge(
        Alg::Es256,
        other.pkcs8_der(),
        &json!({"alg": "ES256", "kid": idp.keys[0].kid()}),
        &claims(),
    );
    assert_eq!(idp.validate(&forged), Err(RpError::IdToken(VerifyError::Signature)));
    // A kid nobody published: the caller may fetch the JWKS again.
    let unknown = forge(
        Alg::Es256,
        other.pkcs8_der(),
        &json!({"alg": "ES256", "kid": other.kid()}),
        &claims(),
    );
    assert_eq!(
        idp.validate(&unknown).unwrap_err().reason(),
        "id_token_invalid:unknown_key"
    );
    // No kid while several keys are published (OIDC Core §10.1).
    let no_kid = forge(Alg::Es256, idp.keys[0].pkcs8_der(), &json!({"alg": "ES256"}), &claims());
    assert_eq!(idp.validate(&no_kid), Err(RpError::IdToken(VerifyError::UnknownKey)));
    // ... which is fine when the set has one key.
    let single = RemoteKeys::from_jwks(&json!({"keys": [idp.keys[0].public().jwk()]})).unwrap();
    assert!(validate_id_token(&single, &no_kid, &check()).is_ok());
    // An algorithm other than the key's, alg none, HMAC with the public key as secret.
    let swapped = forge(
        Alg::Rs256,
        idp.keys[2].pkcs8_der(),
        &json!({"alg": "RS256", "kid": idp.keys[0].kid()}),
        &claims(),
    );
    assert_eq!(idp.validate(&swapped), Err(RpError::IdToken(VerifyError::Algorithm)));
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": idp.keys[0].kid()})),
        b64(&claims())
    );
    assert_eq!(idp.validate(&none).unwrap_err().reason(), "id_token_invalid:algorithm");
    let hs = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "HS256", "kid": idp.keys[0].kid()})),
        b64(&claims())
    );
    assert_eq!(idp.validate(&hs).unwrap_err().reason(), "id_token_invalid:algorithm");
    // An extension we do not understand, and a token cut short.
    let crit = forge(
        Alg::Es256,
        idp.keys[0].pkcs8_der(),
        &json!({"alg": "ES256", "kid": idp.keys[0].kid(), "crit": ["exp"], "exp": 1}),
        &claims(),
    );
    assert_eq!(idp.validate(&crit).unwrap_err().reason(), "id_token_invalid:malformed");
    let good = idp.token(&claims());
    let cut = good.rsplit_once('.').unwrap().0;
    assert_eq!(idp.validate(cut).unwrap_err().reason(), "id_token_invalid:malformed");
    // A changed claim breaks the signature.
    let (head, rest) = good.split_once('.').unwrap();
    let sig = rest.split_once('.').unwrap().1;
    let tampered = format!("{head}.{}.{sig}", b64(&with(&json!({"sub": "someone-else"}))));
    assert_eq!(
        idp.validate(&tampered).unwrap_err().reason(),
        "id_token_invalid:signature"
    );
}

#[test]
fn issuer_audience_and_azp_are_checked() {
    let idp = Idp::new();
    let cases = [
        (
            json!({"iss": "https://sso.acme.example/realms/other"}),
            "id_token_invalid:issuer",
        ),
        (json!({"iss": format!("{ISS}/")}), "id_token_invalid:issuer"),
        (json!({"aud": "another-client"}), "id_token_invalid:audience"),
        (json!({"aud": ["another-client"]}), "id_token_invalid:audience"),
        (json!({"aud": null}), "id_token_invalid:audience"),
        (json!({"aud": [CLIENT, "another-client"]}), "id_token_invalid:azp"),
        (
            json!({"aud": [CLIENT, "another-client"], "azp": "another-client"}),
            "id_token_invalid:azp",
        ),
        (json!({"azp": "another-client"}), "id_token_invalid:azp"),
    ];
    for (change, reason) in cases {
        let got = idp.validate(&idp.token(&with(&change)));
        assert_eq!(got.unwrap_err().reason(), reason, "{change}");
    }
    for change in [
        json!({"aud": [CLIENT]}),
        json!({"aud": [CLIENT, "another-client"], "azp": CLIENT}),
        json!({"azp": CLIENT}),
    ] {
        assert!(idp.validate(&idp.token(&with(&change))).is_ok(), "{change}");
    }
}

#[test]
fn times_are_checked_with_a_small_skew() {
    let idp = Idp::new();
    let skew = DEFAULT_SKEW_SECS;
    let cases = [
        (json!({"exp": NOW - skew}), "id_token_invalid:expired"),
        (json!({"exp": null}), "id_token_invalid:claims"),
        (json!({"nbf": NOW + skew + 1}), "id_token_invalid:not_yet_valid"),
        (json!({"iat": NOW + skew + 1}), "id_token_invalid:iat"),
        (json!({"iat": NOW - 601 - skew}), "id_token_invalid:iat"),
        (json!({"iat": null}), "id_token_invalid:iat"),
        (json!({"iat": "yesterday"}), "id_token_invalid:iat"),
    ];
    for (change, reason) in cases {
        let got = idp.validate(&idp.token(&with(&change)));
        assert_eq!(got.unwrap_err().reason(), reason, "{change}");
    }
    for change in [
        json!({"exp": NOW - skew + 1}),
        json!({"iat": NOW + skew}),
        json!({"nbf": NOW + skew}),
        json!({"iat": NOW - 600 - skew}),
    ] {
        assert!(idp.validate(&idp.token(&with(&change))).is_ok(), "{change}");
    }
}

#[test]
fn the_nonce_and_the_subject_are_checked() {
    let idp = Idp::new();
    let cases = [
        (json!({"nonce": "n-other"}), "nonce_mismatch"),
        (json!({"nonce": format!("{NONCE}x")}), "nonce_mismatch"),
        (json!({"nonce": null}), "nonce_mismatch"),
        (json!({"nonce": ""}), "nonce_mismatch"),
        (json!({"nonce": 7}), "nonce_mismatch"),
        (json!({"sub": null}), "id_token_invalid:sub"),
        (json!({"sub": ""}), "id_token_invalid:sub"),
        (json!({"sub": "x".repeat(256)}), "id_token_invalid:sub"),
        (json!({"sub": 42}), "id_token_invalid:sub"),
    ];
    for (change, reason) in cases {
        let got = idp.validate(&idp.token(&with(&change)));
        assert_eq!(got.unwrap_err().reason(), reason, "{change}");
    }
}

#[test]
fn claims_map_to_an_identity_by_the_configured_names() {
    let idp = Idp::new();
    let got = idp.validate(&idp.token(&claims())).unwrap();
    let who = identity_from_claims(&got, &ClaimNames::default()).unwrap();
    assert_eq!(who.subject, "f3b1-77");
    assert_eq!(who.email.as_deref(), Some("ada@acme.example"));
    assert_eq!(
        who.display_name.as_deref(),
        Some("Ada Lovelace"),
        "given and family name joined"
    );
    assert_eq!(who.groups, ["eng", "admins"]);
    assert_eq!(who.claims["groups"], ["eng", "admins"]);
    assert_eq!(who.claims["email_verified"], ["true"]);
    assert_eq!(who.claims["iat"], [(NOW - 2).to_string()]);

    let entra = json!({"sub": "AAAbbb", "upn": "ada@acme.example", "name": "Ada L.", "roles": "Staff"});
    let names = ClaimNames {
        email: "upn".into(),
        groups: "roles".into(),
        ..ClaimNames::default()
    };
    let who = identity_from_claims(entra.as_object().unwrap(), &names).unwrap();
    assert_eq!(who.email.as_deref(), Some("ada@acme.example"));
    assert_eq!(who.display_name.as_deref(), Some("Ada L."), "the full name wins");
    assert_eq!(who.groups, ["Staff"], "one group as a string");

    let bare = json!({"sub": "s", "email": "  ", "groups": [1, " ", "x"], "blob": "é".repeat(600)});
    let who = identity_from_claims(bare.as_object().unwrap(), &ClaimNames::default()).unwrap();
    assert_eq!((who.email, who.display_name), (None, None));
    assert_eq!(who.groups, ["x"]);
    assert!(who.claims["blob"][0].len() <= gatehouse_oidc::rp::MAX_CLAIM_TEXT);
}

#[test]
fn an_email_the_provider_did_not_verify_is_refused() {
    for verified in [json!(false), json!("false"), json!("FALSE")] {
        let c = with(&json!({ "email_verified": verified }));
        let err = identity_from_claims(c.as_object().unwrap(), &ClaimNames::default()).unwrap_err();
        assert_eq!(err.reason(), "email_unverified", "{verified}");
    }
    let absent = with(&json!({"email_verified": null}));
    assert!(identity_from_claims(absent.as_object().unwrap(), &ClaimNames::default()).is_ok());
    let no_email = with(&json!({"email_verified": false, "email": null}));
    assert!(identity_from_claims(no_email.as_object().unwrap(), &ClaimNames::default()).is_ok());
}

fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').unwrap().1;
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

#[test]
fn the_authorization_url_carries_the_code_flow_with_pkce() {
    let scopes = vec!["openid".to_owned(), "email".to_owned(), "profile".to_owned()];
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let request = AuthorizationRequest {
        client_id: CLIENT,
        redirect_uri: "https://gh.example.com/oidc/0190/callback",
        scopes: &scopes,
        state: "s&t=1",
        nonce: NONCE,
        pkce_verifier: verifier,
        login_hint: None,
    };
    let url = authorization_url("https://sso.acme.example/auth?tenant=staff", &request).unwrap();
    assert!(url.starts_with("https://sso.acme.example/auth?"));
    let pairs = query(&url);
    let want: Vec<(String, String)> = [
        ("tenant", "staff"),
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", "https://gh.example.com/oidc/0190/callback"),
        ("scope", "openid email profile"),
        ("state", "s&t=1"),
        ("nonce", NONCE),
        // RFC 7636 Appendix B.
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(pairs, want);
    assert!(!url.contains(verifier), "the verifier never leaves us");
    assert_eq!(authorization_url("not a url", &request), None);
    let hinted = AuthorizationRequest {
        login_hint: Some("ada+x@acme.example"),
        ..request
    };
    let pairs = query(&authorization_url("https://sso.acme.example/auth", &hinted).unwrap());
    assert_eq!(
        pairs.last().unwrap(),
        &("login_hint".to_owned(), "ada+x@acme.example".to_owned())
    );
}

#[test]
fn the_logout_url_names_the_session_and_where_to_come_back() {
    let url = end_session_url(
        "https://sso.acme.example/logout",
        Some("h.p.s"),
        CLIENT,
        Some("https://gh.example.com/login"),
        Some("xyz"),
    )
    .unwrap();
    assert_eq!(
        query(&url),
        [
            ("id_token_hint".to_owned(), "h.p.s".to_owned()),
            ("client_id".to_owned(), CLIENT.to_owned()),
            (
                "post_logout_redirect_uri".to_owned(),
                "https://gh.example.com/login".to_owned()
            ),
            ("state".to_owned(), "xyz".to_owned()),
        ]
    );
    let bare = end_session_url("https://sso.acme.example/logout?x=1", None, CLIENT, None, None).unwrap();
    assert_eq!(bare, "https://sso.acme.example/logout?x=1&client_id=gatehouse-rp");
}
