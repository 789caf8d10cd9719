//! Sign-in through an organization's own OpenID Connect provider (issue 14): a second
//! Gatehouse plays the provider. Our organization verifies `acme.test` and connects the
//! provider; a person of `acme.test` signs in at our `/login`, is sent to the provider, signs
//! in there, comes back to our callback and on to a product through our own provider. Each
//! attack the callback must refuse is its own test, audited with its reason. Both engines.
//!
//! The provider is served as `localhost` and we as `127.0.0.1`, so one cookie jar (the
//! person's browser) keeps the two sites' cookies apart, as a browser does for two hosts.

use crate::oidc_client::{front_channel, http, param, payload, register, relying_party, start};
use gatehouse_core::ids::{IdpId, SessionId};
use gatehouse_core::sso::{AttributeMap, IdentityProvider, Settings, SsoSession};
use gatehouse_oidc::Alg;
use gatehouse_testkit::{Browser, Dialect, PERSON_PASSWORD, TestApp, TestOrg, dialect_tests, hidden};
use openidconnect::core::CoreTokenResponse;
use openidconnect::{AuthorizationCode, OAuth2TokenResponse, TokenResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

dialect_tests!(
    a_person_signs_in_through_their_provider_and_on_to_a_product,
    a_tampered_state_is_refused_and_audited,
    a_replayed_callback_is_refused_and_audited,
    an_id_token_with_another_nonce_is_refused,
    a_code_issued_to_another_client_is_refused,
    an_error_from_the_provider_is_refused,
    an_email_outside_the_providers_domains_is_refused,
    the_providers_key_rotation_is_followed,
    a_test_sign_in_shows_what_came_back_and_signs_nobody_in,
    logout_goes_to_the_providers_end_session_endpoint,
);

const EMAIL: &str = "ada@acme.test";

/// Our Gatehouse, the provider's, and what connects them.
struct World {
    ours: TestApp,
    theirs: TestApp,
    /// Our organization, which verified `acme.test`.
    org: TestOrg,
    /// The provider's organization, where the person and our client are.
    their_org: TestOrg,
    /// Our client at the provider (with its secret).
    client: Value,
    idp: IdentityProvider,
}

impl World {
    async fn new(dialect: Dialect) -> World {
        let ours = TestApp::spawn(dialect).await;
        let theirs = TestApp::spawn_with(dialect, |c| {
            c.public_url = c.public_url.replace("127.0.0.1", "localhost");
        })
        .await;
        // Our outbound client resolves through the test DNS server.
        ours.dns.set_a("localhost", std::net::Ipv4Addr::LOCALHOST);
        let org = ours.create_org("Acme").await;
        ours.verify_domain(&org, "acme.test", "automatic").await;
        let their_org = theirs.create_org("Acme Directory").await;
        // The provider admits to our client the people its organization manages.
        for domain in ["acme.test", "elsewhere.test"] {
            theirs.verify_domain(&their_org, domain, "automatic").await;
        }
        // The admin registers our client at the provider first (its redirect URI is ours once
        // the provider is connected), then connects the provider here, then pastes our
        // redirect URI into the provider.
        let client = register(
            &theirs,
            &their_org,
            json!({"name": "Gatehouse", "redirect_uris": ["http://127.0.0.1:9/not-yet"]}),
        )
        .await;
        let idp = connect(&ours, &org, &theirs, &client).await;
        let callback = format!("{}/oidc/{}/callback", ours.base, idp.id);
        let patched = theirs
            .patch(
                &their_org,
                &format!("/clients/{}", client["id"].as_str().unwrap()),
                json!({"redirect_uris": [callback], "post_logout_redirect_uris": [format!("{}/login", ours.base)]}),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
        World {
            ours,
            theirs,
            org,
            their_org,
            client,
            idp,
        }
    }

    /// The provider's issuer.
    fn issuer(&self) -> String {
        self.theirs.state.config.public_url.clone()
    }

    /// A person of the provider's organization with [`PERSON_PASSWORD`].
    async fn their_person(&self, email: &str) {
        let made = self
            .theirs
            .post(
                &self.their_org,
                "/accounts",
                json!({"email": email, "display_name": "Ada Lovelace"}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        let id = gatehouse_core::ids::AccountId::parse(made.json["id"].as_str().unwrap()).unwrap();
        self.theirs.give_password(id).await;
    }

    /// Sign-in failures audited in our organization, newest first: their reasons.
    async fn refusals(&self) -> Vec<String> {
        let r = self.ours.get(&self.org, "/events?action=sso.sign_in_failed").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["changes"]["after"]["reason"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Our organization's accounts on `acme.test`.
    async fn accounts(&self) -> Vec<Value> {
        let r = self.ours.get(&self.org, "/accounts?limit=100").await;
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["email"].as_str().is_some_and(|e| e.ends_with("@acme.test")))
            .cloned()
            .collect()
    }
}

/// Connects the provider to our organization for `acme.test` through the admin API, as an
/// admin does; the answer names the redirect URI to register at the provider.
async fn connect(ours: &TestApp, org: &TestOrg, theirs: &TestApp, client: &Value) -> IdentityProvider {
    let body = json!({
        "name": "Acme Directory", "protocol": "oidc", "domains": ["acme.test"],
        "issuer": theirs.state.config.public_url, "client_id": client["client_id"],
        "client_secret": client["client_secret"], "scopes": ["openid", "email", "profile"],
        "claims": {"email": "email", "display_name": "name"}, "enforced": true,
    });
    let r = ours.post(org, "/identity-providers", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(
        r.json["redirect_uri"],
        json!(format!("{}/oidc/{id}/callback", ours.base))
    );
    assert!(
        !r.text.contains(client["client_secret"].as_str().unwrap()),
        "the secret is never served"
    );
    let id = IdpId::parse(id).unwrap();
    ours.state
        .services
        .sso
        .provider(id)
        .await
        .unwrap()
        .expect("the provider")
}

/// An answer and where it came from.
pub(crate) struct Hop {
    pub url: String,
    pub status: StatusCode,
    pub body: String,
}

/// GETs `url` with the person's browser, following redirects across both sites (relative
/// ones against the URL that gave them), until an answer that is not one, or until a URL
/// that starts with `stop` (not fetched: the test decides what to do with it).
pub(crate) async fn follow(browser: &Browser, mut url: String, stop: &str) -> Hop {
    for _ in 0..10 {
        if !stop.is_empty() && url.starts_with(stop) {
            return Hop {
                url,
                status: StatusCode::SEE_OTHER,
                body: String::new(),
            };
        }
        let res = browser.client.get(&url).send().await.expect("get");
        let status = res.status();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        match location {
            Some(l) if status.is_redirection() => {
                url = reqwest::Url::parse(&url).unwrap().join(&l).unwrap().to_string();
            }
            _ => return Hop { url, status, body },
        }
    }
    panic!("too many redirects from {url}");
}

/// The person starts at our `/login` with their email, is sent to the provider, signs in
/// there with their password, and is sent back: the URL of our callback (not fetched yet).
async fn to_callback(w: &World, browser: &Browser, email: &str, next: &str) -> String {
    let page = browser.get(&format!("/login?next={}", urlencode(next))).await;
    let step = browser
        .post("/login", &[("csrf", &page.csrf()), ("email", email), ("next", next)])
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "the email step: {}", step.body);
    let to_idp = step.location.unwrap();
    assert!(
        to_idp.starts_with(&format!("/oidc/{}/login?next=", w.idp.id)),
        "{to_idp}"
    );
    let theirs = w.issuer();
    // The provider is told the address typed here, so its page need not ask for it again.
    let typed = email.to_lowercase();
    assert!(
        to_idp.ends_with(&format!("&login_hint={}", urlencode(&typed))),
        "{to_idp}"
    );
    let authorize = follow(browser, format!("{}{to_idp}", w.ours.base), &theirs).await;
    assert!(
        authorize.url.contains(&format!("&login_hint={}", urlencode(&typed))),
        "{}",
        authorize.url
    );
    let login = follow(browser, authorize.url, "").await;
    assert!(login.url.starts_with(&format!("{theirs}/login")), "at {}", login.url);
    assert!(login.body.contains(&format!("value=\"{typed}\"")), "{}", login.body);
    password_at_provider(w, browser, &login, email).await
}

/// The provider's own sign-in page, answered; then on to where it sends the person back.
async fn password_at_provider(w: &World, browser: &Browser, login: &Hop, email: &str) -> String {
    let theirs = w.issuer();
    let csrf = hidden(&login.body, "csrf").expect("the provider's sign-in form");
    let next = unescape(&hidden(&login.body, "next").unwrap_or_default());
    let signed = browser
        .client
        .post(format!("{theirs}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PERSON_PASSWORD),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    let status = signed.status();
    let location = signed.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    let body = signed.text().await.unwrap();
    // A redirect, or the page that moves on by itself to where the sign-in was going.
    let back = location
        .or_else(|| meta_refresh(&body))
        .unwrap_or_else(|| panic!("signing in at the provider: {status}: {body}"));
    let back = reqwest::Url::parse(&theirs).unwrap().join(&back).unwrap().to_string();
    let callback = format!("{}/oidc/{}/callback", w.ours.base, w.idp.id);
    let hop = follow(browser, back, &callback).await;
    assert!(hop.url.starts_with(&callback), "sent back to {}: {}", hop.url, hop.body);
    hop.url
}

/// An HTML attribute's text as the browser reads it.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Where a page that moves on by itself (a meta refresh) goes.
pub(crate) fn meta_refresh(body: &str) -> Option<String> {
    let marker = "http-equiv=\"refresh\" content=\"0;url=";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(unescape(&body[start..start + end]))
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}

/// A query parameter of a URL.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Replaces a query parameter of a URL.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name { value.to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

/// The refusal page: 403, the reason shown for the administrator, nothing internal.
pub(crate) fn assert_refused(hop: &Hop, reason: &str) {
    assert_eq!(hop.status, StatusCode::FORBIDDEN, "{}", hop.body);
    assert!(hop.body.contains(&format!("<code>{reason}</code>")), "{}", hop.body);
    for leak in ["panicked", "error:", "reqwest", "Caused by"] {
        assert!(!hop.body.contains(leak), "{leak} in {}", hop.body);
    }
}

/// Whether the browser holds a session at our site (the account page answers).
async fn is_signed_in(browser: &Browser) -> bool {
    browser.get("/account").await.status == StatusCode::OK
}

async fn a_person_signs_in_through_their_provider_and_on_to_a_product(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    // The accounts the provider creates join a policy it names (another org's is refused).
    let joined = w
        .ours
        .post(&w.org, "/policies", json!({"name": "From the IdP"}))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let idp_path = format!("/identity-providers/{}", w.idp.id);
    let foreign = w.theirs.get(&w.their_org, "/policies").await.json["items"][0]["id"].clone();
    let refused = w
        .ours
        .patch(&w.org, &idp_path, json!({"default_policy_id": foreign}))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    let named = w
        .ours
        .patch(&w.org, &idp_path, json!({"default_policy_id": joined}))
        .await;
    assert_eq!(named.json["default_policy_id"], json!(joined), "{}", named.text);
    let browser = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &browser, EMAIL, "/account").await;
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(w.issuer().as_str()),
        "RFC 9207"
    );
    let done = follow(&browser, callback, "").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("url=/account"), "moves on to next: {}", done.body);
    assert!(is_signed_in(&browser).await);
    // The account was made just in time, managed by our organization, linked to the subject.
    let accounts = w.accounts().await;
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["email"], EMAIL);
    let members = w.ours.get(&w.org, &format!("/policies/{joined}/members")).await;
    assert_eq!(
        members.json["items"][0]["email"], EMAIL,
        "the provider's own default policy"
    );
    let signed = w.ours.get(&w.org, "/events?action=sso.signed_in").await;
    let event = &signed.json["items"][0];
    let their_sub = event["changes"]["after"]["subject"].as_str().unwrap().to_owned();
    assert_eq!(event["changes"]["after"]["idp_initiated"], json!(false));
    assert!(w.refusals().await.is_empty());

    // On to a product through our own provider: the person is signed in here already.
    let product = register(&w.ours, &w.org, json!({"name": "Wiki"})).await;
    let rp = relying_party(&w.ours, &product).await;
    let flow = start(&rp, &["email"]);
    let back = front_channel(&browser, &flow.url).await;
    let tokens: CoreTokenResponse = rp
        .exchange_code(AuthorizationCode::new(param(&back, "code").unwrap().to_owned()))
        .unwrap()
        .set_pkce_verifier(flow.verifier)
        .request_async(&http())
        .await
        .expect("the product exchanges its code");
    let claims = payload(&tokens.id_token().unwrap().to_string());
    assert_eq!(
        claims["sub"], accounts[0]["id"],
        "the product sees our account, not their subject"
    );
    assert_eq!(claims["email"], EMAIL);
    assert!(!tokens.access_token().secret().is_empty());

    // A second sign-in links by subject: the same account, no new one.
    let again = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &again, EMAIL, "/account").await;
    assert_eq!(follow(&again, callback, "").await.status, StatusCode::OK);
    assert_eq!(w.accounts().await.len(), 1);
    let signed = w.ours.get(&w.org, "/events?action=sso.signed_in").await;
    assert_eq!(signed.json["items"][0]["changes"]["after"]["subject"], json!(their_sub));
}

async fn a_tampered_state_is_refused_and_audited(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let browser = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &browser, EMAIL, "/account").await;
    let state = query_param(&callback, "state").unwrap();
    let mut forged = state.clone();
    forged.push('x');
    let hop = follow(&browser, with_param(&callback, "state", &forged), "").await;
    assert_refused(&hop, "state_unknown");
    let hop = follow(&browser, with_param(&callback, "state", ""), "").await;
    assert_refused(&hop, "state_unknown");
    assert_eq!(w.refusals().await, ["state_unknown", "state_unknown"]);
    assert!(!is_signed_in(&browser).await);
    assert!(w.accounts().await.is_empty(), "nothing was made");
    // Another provider's callback does not take this provider's sign-in either.
    let other = follow(
        &browser,
        callback.replace(&w.idp.id.to_string(), &IdpId::new().to_string()),
        "",
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // The untampered answer still works: a forged state consumed nothing.
    assert_eq!(follow(&browser, callback, "").await.status, StatusCode::OK);
    assert!(is_signed_in(&browser).await);
}

async fn a_replayed_callback_is_refused_and_audited(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let browser = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &browser, EMAIL, "/account").await;
    assert_eq!(follow(&browser, callback.clone(), "").await.status, StatusCode::OK);
    // The same answer again, from this browser or an attacker's.
    let attacker = Browser::new(&w.ours.base);
    let hop = follow(&attacker, callback.clone(), "").await;
    assert_refused(&hop, "state_unknown");
    assert!(!is_signed_in(&attacker).await);
    assert_refused(&follow(&browser, callback, "").await, "state_unknown");
    assert_eq!(w.refusals().await, ["state_unknown", "state_unknown"]);
    assert_eq!(w.accounts().await.len(), 1);
}

async fn an_id_token_with_another_nonce_is_refused(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let browser = Browser::new(&w.ours.base);
    // Sign-ins started in pairs; the provider is asked with the first one's nonce but
    // answers under the second one's state (an attacker splicing two requests).
    let start_url = format!("{}/oidc/{}/login?next=/account", w.ours.base, w.idp.id);
    let splice = |names: &'static [&'static str]| {
        let (browser, start_url) = (&browser, start_url.clone());
        let issuer = w.issuer();
        async move {
            let first = follow(browser, start_url.clone(), &issuer).await.url;
            let second = follow(browser, start_url, &issuer).await.url;
            assert_ne!(query_param(&first, "nonce"), query_param(&second, "nonce"));
            names.iter().fold(first, |url, name| {
                with_param(&url, name, &query_param(&second, name).unwrap())
            })
        }
    };
    // The state alone: the code is bound to the first request's PKCE challenge, so the
    // exchange with the second one's verifier fails before any ID token is issued.
    let login = follow(&browser, splice(&["state"]).await, "").await;
    let callback = password_at_provider(&w, &browser, &login, EMAIL).await;
    assert_refused(&follow(&browser, callback, "").await, "token_exchange_failed");
    // The state and the challenge: the code exchange works, and the ID token carries the
    // first request's nonce. (The person is signed in at the provider by now.)
    let ours = format!("{}/oidc/{}/callback", w.ours.base, w.idp.id);
    let callback = follow(&browser, splice(&["state", "code_challenge"]).await, &ours)
        .await
        .url;
    assert_refused(&follow(&browser, callback, "").await, "nonce_mismatch");
    assert_eq!(w.refusals().await, ["nonce_mismatch", "token_exchange_failed"]);
    assert!(!is_signed_in(&browser).await);
    assert!(w.accounts().await.is_empty());
}

async fn a_code_issued_to_another_client_is_refused(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    // Another client at the provider that also sends codes to our callback: its codes, and
    // the ID tokens they buy, are for another audience.
    let callback = format!("{}/oidc/{}/callback", w.ours.base, w.idp.id);
    let other = register(
        &w.theirs,
        &w.their_org,
        json!({"name": "Other", "redirect_uris": [callback]}),
    )
    .await;
    let browser = Browser::new(&w.ours.base);
    let start_url = format!("{}/oidc/{}/login?next=/account", w.ours.base, w.idp.id);
    let authorize = follow(&browser, start_url, &w.issuer()).await.url;
    let swapped = with_param(&authorize, "client_id", other["client_id"].as_str().unwrap());
    let login = follow(&browser, swapped, "").await;
    let back = password_at_provider(&w, &browser, &login, EMAIL).await;
    assert_refused(&follow(&browser, back, "").await, "token_exchange_failed");
    assert_eq!(w.refusals().await, ["token_exchange_failed"]);
    assert!(!is_signed_in(&browser).await);
    assert!(w.accounts().await.is_empty());
}

async fn an_error_from_the_provider_is_refused(dialect: Dialect) {
    let w = World::new(dialect).await;
    let browser = Browser::new(&w.ours.base);
    let start_url = format!("{}/oidc/{}/login?next=/account", w.ours.base, w.idp.id);
    let authorize = follow(&browser, start_url, &w.issuer()).await.url;
    let state = query_param(&authorize, "state").unwrap();
    let denied = format!(
        "{}/oidc/{}/callback?error=access_denied&error_description=%3Cscript%3E&state={state}",
        w.ours.base, w.idp.id
    );
    let hop = follow(&browser, denied.clone(), "").await;
    assert_refused(&hop, "idp_error");
    assert!(!hop.body.contains("<script>"), "the provider's words are not shown");
    // The state was spent by the error: answering it again with a code finds nothing.
    let retry = format!("{}/oidc/{}/callback?code=x&state={state}", w.ours.base, w.idp.id);
    assert_refused(&follow(&browser, retry, "").await, "state_unknown");
    assert_eq!(w.refusals().await, ["state_unknown", "idp_error"]);
}

async fn an_email_outside_the_providers_domains_is_refused(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person("ada@elsewhere.test").await;
    let browser = Browser::new(&w.ours.base);
    let start_url = format!("/oidc/{}/login?next=/account", w.idp.id);
    let login = follow(&browser, format!("{}{start_url}", w.ours.base), "").await;
    let callback = password_at_provider(&w, &browser, &login, "ada@elsewhere.test").await;
    assert_refused(&follow(&browser, callback, "").await, "email_outside_domains");
    assert_eq!(w.refusals().await, ["email_outside_domains"]);
    let r = w.ours.get(&w.org, "/events?action=sso.sign_in_failed").await;
    assert_eq!(r.json["items"][0]["changes"]["after"]["email"], "ada@elsewhere.test");
    assert!(!is_signed_in(&browser).await);
    let r = w.ours.get(&w.org, "/accounts?limit=100").await;
    assert!(!r.text.contains("elsewhere.test"), "no account was made");
}

async fn the_providers_key_rotation_is_followed(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let first = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &first, EMAIL, "/account").await;
    assert_eq!(follow(&first, callback, "").await.status, StatusCode::OK);
    // The provider rotates to a key of another algorithm; we hold its old key set.
    let st = &w.theirs.state;
    let publish = gatehouse_server::oidc::Oidc::publish_secs(600);
    let kid = gatehouse_server::oidc::keys::rotate(&st.services, &st.keys, Alg::EdDsa, publish)
        .await
        .unwrap();
    st.oidc
        .keys
        .reload(&st.services, &st.keys, st.services.now())
        .await
        .unwrap();
    let second = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &second, EMAIL, "/account").await;
    assert_eq!(
        follow(&second, callback, "").await.status,
        StatusCode::OK,
        "the new key was fetched"
    );
    assert!(is_signed_in(&second).await);
    assert!(w.refusals().await.is_empty());
    let headers: Vec<Value> = sso_sessions(&w)
        .await
        .iter()
        .map(|s| jws_header(s.id_token.as_deref().unwrap()))
        .collect();
    assert_eq!(headers.len(), 2, "both sign-ins kept their ID token for logout");
    assert!(
        headers.iter().any(|h| h["kid"] == json!(kid) && h["alg"] == "EdDSA"),
        "the second was signed with the rotated key: {headers:?}"
    );
}

/// What single logout needs of the sessions opened through the provider for the person
/// (taken: each can be had once).
async fn sso_sessions(w: &World) -> Vec<SsoSession> {
    let signed = w.ours.get(&w.org, "/events?action=sso.signed_in").await;
    let account = signed.json["items"][0]["targets"][0]["id"].as_str().unwrap().to_owned();
    let r = w.ours.get(&w.org, &format!("/accounts/{account}/sessions")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut out = Vec::new();
    for s in r.json["items"].as_array().unwrap() {
        let id = SessionId::parse(s["id"].as_str().unwrap()).unwrap();
        if let Some(sso) = w.ours.state.services.sso.take_session(id).await.unwrap() {
            out.push(sso);
        }
    }
    out
}

fn jws_header(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn a_test_sign_in_shows_what_came_back_and_signs_nobody_in(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let (admin, _) = w.ours.console(&w.org).await;
    let start_url = format!("{}/oidc/{}/login?test=1&next=/admin", w.ours.base, w.idp.id);
    let login = follow(&admin, start_url.clone(), "").await;
    let callback = password_at_provider(&w, &admin, &login, EMAIL).await;
    let page = follow(&admin, callback, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Nobody was signed in"), "{}", page.body);
    assert!(
        page.body.contains(&format!(r#"<td id="email">{EMAIL}</td>"#)),
        "{}",
        page.body
    );
    assert!(page.body.contains("email_verified"), "every claim is shown");
    assert!(w.accounts().await.is_empty(), "nobody was made");
    let tested = w.ours.get(&w.org, "/events?action=sso.test_sign_in").await;
    assert_eq!(tested.json["items"].as_array().unwrap().len(), 1, "{}", tested.text);
    // Somebody who administers nothing here may not test; nobody signed in is sent to sign in.
    let stranger = Browser::new(&w.ours.base);
    let hop = stranger.get(&format!("/oidc/{}/login?test=1", w.idp.id)).await;
    assert_eq!(hop.status, StatusCode::SEE_OTHER);
    assert!(hop.location.unwrap().starts_with("/login?next="));
    let (member, _) = w
        .ours
        .signed_in_member(&w.org, "someone@elsewhere.test", "correct horse battery staple")
        .await;
    let hop = member.get(&format!("/oidc/{}/login?test=1", w.idp.id)).await;
    assert_eq!(hop.status, StatusCode::NOT_FOUND);
}

async fn logout_goes_to_the_providers_end_session_endpoint(dialect: Dialect) {
    let w = World::new(dialect).await;
    w.their_person(EMAIL).await;
    let browser = Browser::new(&w.ours.base);
    let callback = to_callback(&w, &browser, EMAIL, "/account").await;
    assert_eq!(follow(&browser, callback, "").await.status, StatusCode::OK);
    let id_token = sso_sessions_peek(&w).await;
    // Signing out of Gatehouse sends the browser on to the provider's end-session endpoint.
    let csrf = browser.get("/account").await.csrf();
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    let url = meta_refresh(&out.body).expect("a page that moves on to the provider");
    assert!(url.starts_with(&format!("{}/oauth2/logout?", w.issuer())), "{url}");
    assert_eq!(query_param(&url, "id_token_hint"), Some(id_token));
    assert_eq!(
        query_param(&url, "client_id").as_deref(),
        w.client["client_id"].as_str()
    );
    let back = format!("{}/login", w.ours.base);
    assert_eq!(query_param(&url, "post_logout_redirect_uri"), Some(back.clone()));
    assert!(!is_signed_in(&browser).await);
    // The provider accepts it (its confirmation page, not an error page).
    let hop = follow(&browser, url, "").await;
    assert_eq!(hop.status, StatusCode::OK, "{}", hop.body);
    // A SAML provider has no OIDC logout.
    let mut saml = w.idp.clone();
    saml.settings = Settings::Saml(gatehouse_core::sso::SamlSettings {
        entity_id: "x".into(),
        sso_url: "https://x.example/sso".into(),
        slo_url: None,
        certificates: vec![],
        allow_sha1: false,
        allow_rsa1_5: false,
        sign_requests: false,
        sp_certificate: String::new(),
        attributes: AttributeMap::default(),
    });
    let session = SsoSession {
        session_id: SessionId::new(),
        idp_id: w.idp.id,
        subject: "s".into(),
        session_index: None,
        id_token: Some("h.p.s".into()),
        created_at: w.ours.state.services.now(),
    };
    assert_eq!(
        gatehouse_server::sso::oidc_logout_url(&w.ours.state, &saml, &session, &back).await,
        None
    );
    let direct = gatehouse_server::sso::oidc_logout_url(&w.ours.state, &w.idp, &session, &back).await;
    assert_eq!(query_param(&direct.unwrap(), "id_token_hint").as_deref(), Some("h.p.s"));
}

/// The ID token kept for logout with the person's one SSO session (read, not taken).
async fn sso_sessions_peek(w: &World) -> String {
    let sessions = sso_sessions(w).await;
    assert_eq!(sessions.len(), 1);
    let rec = &sessions[0];
    // Taking it was the only way to read it: put it back for the sign-out.
    w.ours.state.services.sso.record_session(rec).await.unwrap();
    rec.id_token.clone().expect("the ID token is kept")
}
