//! A product for the provider's tests: a client registered through the admin API, driven by
//! a real OpenID Connect client (the `openidconnect` crate) over the demo product's HTTP
//! adapter, with a person's browser (cookies, no redirects followed) for the front channel.

use base64::Engine as _;
use demo_product::http::HttpClient;
use gatehouse_testkit::{Browser, TestApp, TestOrg};
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope,
};
use serde_json::{Value, json};
use std::time::Duration;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub fn http() -> HttpClient {
    HttpClient::new(Duration::from_secs(10)).expect("http client")
}

/// Registers a client of `org` with these fields (name and redirect URI filled in).
pub async fn register(app: &TestApp, org: &TestOrg, mut body: Value) -> Value {
    body["name"] = body.get("name").cloned().unwrap_or(json!("Wiki"));
    if body.get("redirect_uris").is_none() {
        body["redirect_uris"] = json!([REDIRECT]);
    }
    let r = app.post(org, "/clients", body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json
}

/// The provider as a relying party discovers it.
pub async fn discover(app: &TestApp) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).expect("issuer"), &http())
        .await
        .expect("discovery")
}

pub type Rp = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The relying party of a registered client.
pub async fn relying_party(app: &TestApp, client: &Value) -> Rp {
    let secret = client["client_secret"]
        .as_str()
        .map(|s| ClientSecret::new(s.to_owned()));
    CoreClient::from_provider_metadata(
        discover(app).await,
        ClientId::new(client["client_id"].as_str().expect("client_id").to_owned()),
        secret,
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).expect("redirect"))
}

/// One authorization request: its URL and what the RP keeps to check the answer.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

pub fn start(rp: &Rp, scopes: &[&str]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp.authorize_url(
        AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    Started {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce,
        verifier,
    }
}

/// The browser follows the authorization URL; the provider's redirect back to the product,
/// read as its query parameters (`code`, `state`, `iss`, or `error`).
pub async fn front_channel(browser: &Browser, url: &str) -> Vec<(String, String)> {
    let res = browser.client.get(url).send().await.expect("authorize");
    assert!(res.status().is_redirection(), "authorize answered {}", res.status());
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.starts_with(REDIRECT), "redirected to {location}");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A JWT's payload, unverified (the tests verify signatures through the RP's verifier).
pub fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("json")
}

/// A raw call to the token endpoint with a form and HTTP Basic credentials.
pub async fn token_call(app: &TestApp, client: &Value, form: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.base))
        .basic_auth(
            client["client_id"].as_str().expect("id"),
            client["client_secret"].as_str(),
        )
        .form(form)
        .send()
        .await
        .expect("token");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// RFC 7662 introspection by a confidential client.
pub async fn introspect(app: &TestApp, client: &Value, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/oauth2/introspect", app.base))
        .basic_auth(
            client["client_id"].as_str().expect("id"),
            client["client_secret"].as_str(),
        )
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("json")
}

/// Userinfo with a bearer token: the status.
pub async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/oauth2/userinfo", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("userinfo")
        .status()
        .as_u16()
}

/// A back end's client of `org`: client credentials only.
pub async fn register_back_end(app: &TestApp, org: &TestOrg) -> Value {
    register(
        app,
        org,
        json!({"grant_types": ["client_credentials"], "redirect_uris": []}),
    )
    .await
}

/// The code exchange by hand (HTTP Basic): the status and the token endpoint's answer.
pub async fn exchange(app: &TestApp, client: &Value, code: &str, verifier: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token_call(app, client, &form).await
}
