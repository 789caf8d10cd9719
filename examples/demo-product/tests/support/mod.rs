//! A small OpenID provider for the demo's tests, served over real HTTP on 127.0.0.1:0 and
//! signing with real ES256 keys: discovery, JWKS, authorize (which answers at once, as if the
//! person had signed in), token (code with PKCE S256 and client_secret_basic; refresh) and
//! userinfo. Also the demo itself on 127.0.0.1:0, and a "browser" that keeps cookies and
//! follows no redirect on its own.

#![allow(dead_code)] // each test file uses its own part of this module

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use demo_product::config::{Args, Config};
use demo_product::http::HttpClient;
use demo_product::provider::Provider;
use demo_product::{App, AppState, router};

pub const CLIENT_ID: &str = "demo-client";
pub const CLIENT_SECRET: &str = "demo-secret with spaces&symbols";
pub const SUB: &str = "acct-0001";
pub const SID: &str = "sid-0001";
pub const EMAIL: &str = "ada@acme.example";
pub const ORG_ID: &str = "org-4242";
pub const KID: &str = "key-1";

/// An ES256 key: its private half for signing, its public half as a JWK.
pub struct TestKey {
    encoding: EncodingKey,
    pub jwk: Value,
}

impl TestKey {
    pub fn generate(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate().expect("P-256 key");
        let point = pair.public_key_raw(); // 0x04 || x || y (SEC 1 uncompressed)
        assert_eq!((point.len(), point[0]), (65, 4));
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        });
        Self {
            encoding: EncodingKey::from_ec_der(&pair.serialize_der()),
            jwk,
        }
    }

    /// A compact JWS of `claims` with header `typ` and `kid`.
    pub fn sign(&self, typ: &str, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_owned());
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing")
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// What the provider does differently, set by a test before it acts.
#[derive(Default)]
pub struct Tweaks {
    /// `Some`: the authorize endpoint answers with this error instead of a code.
    pub authorize_error: Option<String>,
    /// `Some`: access tokens carry this `typ` instead of `at+jwt`.
    pub access_token_typ: Option<String>,
    /// `Some`: ID tokens carry this nonce instead of the requested one.
    pub id_token_nonce: Option<String>,
    /// The client is public: no secret, its id in the form (RFC 6749 §2.3, §4.1.3).
    pub public_client: bool,
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

/// The test provider.
pub struct TestOp {
    pub issuer: String,
    pub key: TestKey,
    pub tweaks: Mutex<Tweaks>,
    grants: Mutex<HashMap<String, Grant>>,
    refresh_tokens: Mutex<Vec<String>>,
    access_tokens: Mutex<Vec<String>>,
    counter: AtomicU64,
    /// `Authorization` headers the token endpoint received.
    pub token_auth: Mutex<Vec<String>>,
}

impl TestOp {
    /// Starts the provider on 127.0.0.1:0.
    pub async fn start() -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let op = Arc::new(Self {
            issuer,
            key: TestKey::generate(KID),
            tweaks: Mutex::default(),
            grants: Mutex::default(),
            refresh_tokens: Mutex::default(),
            access_tokens: Mutex::default(),
            counter: AtomicU64::new(0),
            token_auth: Mutex::default(),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/oauth2/jwks", get(jwks))
            .route("/oauth2/authorize", get(authorize))
            .route("/oauth2/token", post(token))
            .route("/oauth2/userinfo", get(userinfo))
            .with_state(Arc::clone(&op));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        op
    }

    /// A logout token's usual claims (Back-Channel Logout §2.4), for tests to alter.
    pub fn logout_claims(&self) -> Value {
        json!({
            "iss": self.issuer, "aud": CLIENT_ID, "iat": now(), "exp": now() + 120,
            "jti": format!("jti-{}", self.counter.fetch_add(1, Ordering::Relaxed)),
            "sub": SUB, "sid": SID,
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        })
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// An access token (RFC 9068) and an ID token for it.
    fn issue(&self, nonce: Option<&str>) -> Value {
        let n = self.next();
        let at_typ = self.tweaks.lock().unwrap().access_token_typ.clone();
        let access = self.key.sign(
            at_typ.as_deref().unwrap_or("at+jwt"),
            KID,
            &json!({
                "iss": self.issuer, "aud": CLIENT_ID, "sub": SUB, "client_id": CLIENT_ID,
                "scope": "openid email profile offline_access", "org_id": ORG_ID,
                "iat": now(), "exp": now() + 600, "jti": format!("at-{n}"),
            }),
        );
        // OIDC Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token.
        let digest = Sha256::digest(access.as_bytes());
        let mut id_claims = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": SUB, "iat": now(), "exp": now() + 600,
            "auth_time": now() - 5, "sid": SID, "email": EMAIL, "email_verified": true,
            "name": "Ada <Lovelace>", "amr": ["pwd"], "org_id": ORG_ID,
            "at_hash": URL_SAFE_NO_PAD.encode(&digest[..16]),
        });
        if let Some(nonce) = nonce {
            id_claims["nonce"] = json!(nonce);
        }
        let refresh = format!("rt-{n}");
        self.refresh_tokens.lock().unwrap().push(refresh.clone());
        self.access_tokens.lock().unwrap().push(access.clone());
        json!({
            "access_token": access, "token_type": "Bearer", "expires_in": 600,
            "refresh_token": refresh, "scope": "openid email profile offline_access",
            "id_token": self.key.sign("JWT", KID, &id_claims),
        })
    }
}

type Op = State<Arc<TestOp>>;

async fn discovery(State(op): Op) -> Json<Value> {
    let i = &op.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/oauth2/authorize"),
        "token_endpoint": format!("{i}/oauth2/token"),
        "userinfo_endpoint": format!("{i}/oauth2/userinfo"),
        "jwks_uri": format!("{i}/oauth2/jwks"),
        "end_session_endpoint": format!("{i}/oauth2/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
        "scopes_supported": ["openid", "email", "profile", "offline_access"],
    }))
}

async fn jwks(State(op): Op) -> Json<Value> {
    Json(json!({ "keys": [op.key.jwk] }))
}

async fn authorize(State(op): Op, Query(q): Query<HashMap<String, String>>) -> Response {
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("code_challenge_method"), "S256");
    let scopes: Vec<String> = param("scope").split(' ').map(str::to_owned).collect();
    for s in ["openid", "email", "profile", "offline_access"] {
        assert!(scopes.iter().any(|x| x == s), "scope {s} asked for: {scopes:?}");
    }
    let redirect_uri = param("redirect_uri");
    let mut back = reqwest::Url::parse(&redirect_uri).unwrap();
    let error = op.tweaks.lock().unwrap().authorize_error.clone();
    if let Some(error) = error {
        back.query_pairs_mut()
            .append_pair("error", &error)
            .append_pair("error_description", "<b>not for you</b>");
    } else {
        let code = format!("code-{}", op.next());
        let grant = Grant {
            nonce: param("nonce"),
            challenge: param("code_challenge"),
            redirect_uri: redirect_uri.clone(),
        };
        op.grants.lock().unwrap().insert(code.clone(), grant);
        back.query_pairs_mut().append_pair("code", &code);
    }
    // RFC 9207: the issuer rides along with every authorization response.
    back.query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("iss", &op.issuer);
    Redirect::to(back.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded, then joined and base64'd.
fn basic_auth_ok(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(b64) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(raw) = STANDARD.decode(b64) else { return false };
    let raw = String::from_utf8(raw).unwrap();
    let Some((id, secret)) = raw.split_once(':') else {
        return false;
    };
    let decode = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}")).unwrap()[0]
            .1
            .clone()
    };
    decode(id) == CLIENT_ID && decode(secret) == CLIENT_SECRET
}

async fn token(State(op): Op, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        op.token_auth.lock().unwrap().push(auth.to_owned());
    }
    let public = op.tweaks.lock().unwrap().public_client;
    let authenticated = if public {
        headers.get(header::AUTHORIZATION).is_none() && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
    } else {
        basic_auth_ok(&headers)
    };
    if !authenticated {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = f.get("code").cloned().unwrap_or_default();
            let Some(grant) = op.grants.lock().unwrap().remove(&code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if challenge != grant.challenge || f.get("redirect_uri") != Some(&grant.redirect_uri) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            let nonce = op.tweaks.lock().unwrap().id_token_nonce.clone();
            Json(op.issue(Some(nonce.as_deref().unwrap_or(&grant.nonce)))).into_response()
        }
        Some("refresh_token") => {
            let rt = f.get("refresh_token").cloned().unwrap_or_default();
            let mut known = op.refresh_tokens.lock().unwrap();
            let Some(at) = known.iter().position(|t| *t == rt) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            known.remove(at); // rotated on every use
            drop(known);
            Json(op.issue(None)).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

async fn userinfo(State(op): Op, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !op.access_tokens.lock().unwrap().iter().any(|t| t == bearer) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    Json(json!({ "sub": SUB, "email": EMAIL, "email_verified": true, "name": "Ada", "org_id": ORG_ID })).into_response()
}

/// The demo, discovered against `op` and served on 127.0.0.1:0.
pub struct Demo {
    pub url: String,
    pub app: AppState,
}

pub async fn start_demo(op: &TestOp) -> Demo {
    start_demo_with_secret(op, Some(CLIENT_SECRET)).await
}

/// The demo as a confidential client (`Some` secret) or a public one.
pub async fn start_demo_with_secret(op: &TestOp, secret: Option<&str>) -> Demo {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let config = Config::from_args(Args {
        issuer: op.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: secret.map(str::to_owned),
        listen: addr,
        public_url: None,
    })
    .unwrap();
    let http = HttpClient::new(Duration::from_secs(5)).unwrap();
    let provider = Provider::discover(&config, http).await.expect("discovery");
    let app = App::new(config, provider);
    let served = router(Arc::clone(&app));
    tokio::spawn(async move { axum::serve(listener, served).await.unwrap() });
    Demo {
        url: format!("http://{addr}"),
        app,
    }
}

/// A client that keeps cookies (by name; the tests use one host) and follows no redirect.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            http,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let res = self
            .http
            .get(url)
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&res);
        res
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = self
            .http
            .post(url)
            .header(header::COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&res);
        res
    }
}

/// The `Location` of a redirect.
pub fn location(res: &reqwest::Response) -> String {
    assert!(
        res.status().is_redirection(),
        "expected a redirect, got {}",
        res.status()
    );
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

/// `/login`, the provider's authorize, and back to `/callback`; returns the callback's answer.
pub async fn sign_in(browser: &mut Browser, demo: &Demo) -> reqwest::Response {
    let login = browser.get(&format!("{}/login", demo.url)).await;
    let authorize = location(&login);
    let back = browser.get(&authorize).await;
    let callback = location(&back);
    browser.get(&callback).await
}

/// The value of the hidden `csrf` input on a page.
pub fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}
