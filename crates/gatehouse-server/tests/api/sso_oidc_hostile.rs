//! The relying party against a hostile OpenID Connect provider: a small server in the test
//! that answers as a provider would, except for the one forgery each case asks of it (an ID
//! token for another audience, another issuer, signed by another key, unsigned, expired; an
//! unverified email; a discovery document or an answer naming another issuer). A real
//! provider never sends these, so this one plays the attacker. A well-behaved round first
//! proves the harness can sign a person in, so each refusal is the check's and not the
//! harness's. Both engines; each refusal audited with its reason.

use crate::sso_oidc::{assert_refused, follow};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse_core::ports::Clock;
use gatehouse_oidc::{Alg, KeySet, SigningKey};
use gatehouse_testkit::{Browser, Dialect, TestApp, TestClock, TestOrg, dialect_tests};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

dialect_tests!(
    forged_id_tokens_from_a_hostile_provider_are_refused,
    a_discovery_document_naming_another_issuer_is_refused,
    an_unknown_key_fetches_the_keys_again_at_most_every_30_seconds,
);

const CLIENT_ID: &str = "gatehouse-at-hostile";
const CLIENT_SECRET: &str = "a secret: with odd+characters";
const EMAIL: &str = "ada@acme.test";

/// What the provider does wrong this time.
#[derive(Clone, Debug)]
enum Forgery {
    Nothing,
    /// These claims replace the honest ones (`null` removes one).
    Claims(Value),
    /// Signed by another key, under the published key's id.
    OtherKey,
    /// `alg: none`, no signature.
    Unsigned,
    /// The answer names another issuer (RFC 9207 `iss`).
    AnswerIssuer(String),
    /// The discovery document names another issuer.
    DiscoveryIssuer(String),
    /// Signed by a key it does not publish, under that key's own id.
    UnpublishedKey,
}

#[derive(Default)]
struct Seen {
    nonce: Option<String>,
    challenge: Option<String>,
    authorization: Option<String>,
    verifier: Option<String>,
}

#[derive(Clone)]
struct Hostile {
    base: String,
    keys: Arc<KeySet>,
    other: Arc<KeySet>,
    forgery: Arc<Mutex<Forgery>>,
    seen: Arc<Mutex<Seen>>,
    clock: Arc<TestClock>,
    /// How often the discovery document and the JWKS were fetched.
    fetches: Arc<Mutex<(usize, usize)>>,
}

impl Hostile {
    async fn start(clock: Arc<TestClock>) -> Hostile {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hostile = Hostile {
            base: format!("http://{}", listener.local_addr().unwrap()),
            keys: Arc::new(KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![])),
            other: Arc::new(KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![])),
            forgery: Arc::new(Mutex::new(Forgery::Nothing)),
            seen: Arc::default(),
            clock,
            fetches: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route(
                "/jwks",
                get(|State(h): State<Hostile>| async move {
                    h.fetches.lock().unwrap().1 += 1;
                    Json(h.keys.jwks())
                }),
            )
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(hostile.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        hostile
    }

    fn set(&self, f: Forgery) {
        *self.forgery.lock().unwrap() = f;
    }

    fn forgery(&self) -> Forgery {
        self.forgery.lock().unwrap().clone()
    }
}

async fn discovery(State(h): State<Hostile>) -> Json<Value> {
    h.fetches.lock().unwrap().0 += 1;
    let issuer = match h.forgery() {
        Forgery::DiscoveryIssuer(i) => i,
        _ => h.base.clone(),
    };
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/authorize", h.base),
        "token_endpoint": format!("{}/token", h.base),
        "jwks_uri": format!("{}/jwks", h.base),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn authorize(State(h): State<Hostile>, Query(q): Query<HashMap<String, String>>) -> Response {
    {
        let mut seen = h.seen.lock().unwrap();
        seen.nonce = q.get("nonce").cloned();
        seen.challenge = q.get("code_challenge").cloned();
    }
    let iss = match h.forgery() {
        Forgery::AnswerIssuer(i) => i,
        _ => h.base.clone(),
    };
    let mut to = reqwest::Url::parse(&q["redirect_uri"]).unwrap();
    to.query_pairs_mut()
        .append_pair("code", "code-1")
        .append_pair("state", &q["state"])
        .append_pair("iss", &iss);
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

async fn token(State(h): State<Hostile>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Json<Value> {
    let nonce = {
        let mut seen = h.seen.lock().unwrap();
        seen.authorization = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned());
        seen.verifier = f.get("code_verifier").cloned();
        seen.nonce.clone()
    };
    let now = h.clock.now().millis() / 1000;
    let mut claims = json!({
        "iss": h.base, "aud": CLIENT_ID, "sub": "hostile-1", "exp": now + 300, "iat": now,
        "nonce": nonce, "email": EMAIL, "email_verified": true, "name": "Ada Lovelace",
    });
    let id_token = match h.forgery() {
        Forgery::Claims(changes) => {
            for (k, v) in changes.as_object().unwrap() {
                claims[k] = v.clone();
            }
            h.keys.sign("JWT", &claims).unwrap()
        }
        Forgery::OtherKey => {
            let forged = h.other.sign("JWT", &claims).unwrap();
            let header = json!({"alg": "ES256", "typ": "JWT", "kid": h.keys.active_kid()});
            let rest = forged.split_once('.').unwrap().1;
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
        }
        Forgery::UnpublishedKey => h.other.sign("JWT", &claims).unwrap(),
        Forgery::Unsigned => {
            let header = json!({"alg": "none", "kid": h.keys.active_kid()});
            let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
            format!("{}.{}.", enc(&header), enc(&claims))
        }
        _ => h.keys.sign("JWT", &claims).unwrap(),
    };
    Json(json!({"token_type": "Bearer", "access_token": "at", "id_token": id_token, "expires_in": 300}))
}

/// Our Gatehouse with `acme.test` verified and the hostile provider connected.
async fn connected(dialect: Dialect) -> (TestApp, TestOrg, Hostile, String) {
    let ours = TestApp::spawn(dialect).await;
    let org = ours.create_org("Acme").await;
    ours.verify_domain(&org, "acme.test", "automatic").await;
    let hostile = Hostile::start(ours.clock.clone()).await;
    let body = json!({
        "name": "Hostile", "protocol": "oidc", "domains": ["acme.test"], "issuer": hostile.base,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scopes": ["openid", "email"],
    });
    let r = ours.post(&org, "/identity-providers", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    (ours, org, hostile, id)
}

/// A sign-in through the provider, from our login route to the answer of our callback.
async fn round(ours: &TestApp, idp: &str) -> (Browser, crate::sso_oidc::Hop) {
    let browser = Browser::new(&ours.base);
    let hop = follow(&browser, format!("{}/oidc/{idp}/login?next=/account", ours.base), "").await;
    (browser, hop)
}

async fn reasons(ours: &TestApp, org: &TestOrg) -> Vec<String> {
    let r = ours.get(org, "/events?action=sso.sign_in_failed").await;
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["changes"]["after"]["reason"].as_str().unwrap().to_owned())
        .collect()
}

async fn forged_id_tokens_from_a_hostile_provider_are_refused(dialect: Dialect) {
    let (ours, org, hostile, idp) = connected(dialect).await;
    // The honest round: signed in, with client_secret_basic (RFC 6749 §2.3.1: both parts
    // form-encoded) and the PKCE verifier of the challenge sent (RFC 7636 §4.6).
    let (browser, hop) = round(&ours, &idp).await;
    assert_eq!(hop.status, StatusCode::OK, "{}", hop.body);
    assert_eq!(browser.get("/account").await.status, StatusCode::OK, "signed in");
    {
        let seen = hostile.seen.lock().unwrap();
        let basic = STANDARD
            .decode(seen.authorization.as_deref().unwrap().strip_prefix("Basic ").unwrap())
            .unwrap();
        let want = format!("{CLIENT_ID}:a+secret%3A+with+odd%2Bcharacters");
        assert_eq!(String::from_utf8(basic).unwrap(), want);
        let verifier = seen.verifier.as_deref().unwrap();
        assert_eq!(
            seen.challenge.as_deref(),
            Some(gatehouse_oidc::pkce::challenge_s256(verifier).as_str())
        );
    }
    let cases = [
        (
            Forgery::Claims(json!({"aud": "another-client"})),
            "id_token_invalid:audience",
        ),
        (
            Forgery::Claims(json!({"aud": [CLIENT_ID, "another-client"]})),
            "id_token_invalid:azp",
        ),
        (
            Forgery::Claims(json!({"iss": "http://127.0.0.1:1"})),
            "id_token_invalid:issuer",
        ),
        (Forgery::Claims(json!({"exp": 1_000_000})), "id_token_invalid:expired"),
        (
            Forgery::Claims(json!({"nonce": "chosen-by-the-attacker"})),
            "nonce_mismatch",
        ),
        (Forgery::Claims(json!({"email_verified": false})), "email_unverified"),
        (
            Forgery::Claims(json!({"email": "ada@elsewhere.test"})),
            "email_outside_domains",
        ),
        (Forgery::OtherKey, "id_token_invalid:signature"),
        (Forgery::Unsigned, "id_token_invalid:algorithm"),
        (
            Forgery::AnswerIssuer("http://127.0.0.1:1".into()),
            "callback_issuer_mismatch",
        ),
    ];
    let mut want = Vec::new();
    for (forgery, reason) in cases {
        hostile.set(forgery.clone());
        let (browser, hop) = round(&ours, &idp).await;
        assert_refused(&hop, reason);
        assert_ne!(
            browser.get("/account").await.status,
            StatusCode::OK,
            "{forgery:?} signed someone in"
        );
        want.insert(0, reason.to_owned());
        assert_eq!(reasons(&ours, &org).await, want, "{forgery:?}");
    }
    let accounts = ours.get(&org, "/accounts?limit=100").await;
    assert_eq!(
        accounts.text.matches("@acme.test").count(),
        1,
        "only the honest round made an account"
    );
    assert!(!accounts.text.contains("elsewhere.test"));
}

async fn a_discovery_document_naming_another_issuer_is_refused(dialect: Dialect) {
    let (ours, org, hostile, idp) = connected(dialect).await;
    hostile.set(Forgery::DiscoveryIssuer(format!("{}/other-tenant", hostile.base)));
    let (_, hop) = round(&ours, &idp).await;
    assert_refused(&hop, "discovery_issuer_mismatch");
    assert!(hostile.seen.lock().unwrap().nonce.is_none(), "nobody was sent to it");
    assert_eq!(reasons(&ours, &org).await, ["discovery_issuer_mismatch"]);
    // A good document later is read (refusals are not cached).
    hostile.set(Forgery::Nothing);
    let (_, hop) = round(&ours, &idp).await;
    assert_eq!(hop.status, StatusCode::OK, "{}", hop.body);
}

async fn an_unknown_key_fetches_the_keys_again_at_most_every_30_seconds(dialect: Dialect) {
    let (ours, org, hostile, idp) = connected(dialect).await;
    let fetches = || *hostile.fetches.lock().unwrap();
    let (_, hop) = round(&ours, &idp).await;
    assert_eq!(hop.status, StatusCode::OK, "{}", hop.body);
    assert_eq!(fetches(), (1, 1), "one discovery, one JWKS");
    let (_, hop) = round(&ours, &idp).await;
    assert_eq!(hop.status, StatusCode::OK);
    assert_eq!(fetches(), (1, 1), "both kept while fresh");
    // A token under a key id nobody published: the JWKS is fetched again once (it might be
    // a rotation), then not again for 30 s however many such tokens come.
    hostile.set(Forgery::UnpublishedKey);
    for _ in 0..3 {
        assert_refused(&round(&ours, &idp).await.1, "id_token_invalid:unknown_key");
    }
    assert_eq!(fetches(), (1, 2));
    ours.clock.advance_secs(31);
    assert_refused(&round(&ours, &idp).await.1, "id_token_invalid:unknown_key");
    assert_eq!(fetches(), (1, 3), "30 s later, once more");
    // After ten minutes both documents are fetched again.
    hostile.set(Forgery::Nothing);
    ours.clock.advance_secs(600);
    let (_, hop) = round(&ours, &idp).await;
    assert_eq!(hop.status, StatusCode::OK, "{}", hop.body);
    assert_eq!(fetches(), (2, 4));
    assert_eq!(reasons(&ours, &org).await.len(), 4);
}
