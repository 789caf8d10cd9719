//! What the demo remembers about a browser: a pending sign-in (between `/login` and
//! `/callback`) and a signed-in session, each found by a random cookie; and the cookies
//! themselves.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::{AccessToken, CsrfToken, Nonce, PkceCodeVerifier, RefreshToken};
use serde_json::Value;

use crate::store::BoundedStore;

/// The cookie naming a pending sign-in.
pub const LOGIN_COOKIE: &str = "demo_product_login";
/// The cookie naming a signed-in session.
pub const SESSION_COOKIE: &str = "demo_product_session";

/// At most this many sign-ins wait for their callback at once.
pub const PENDING_CAP: usize = 10_000;
/// A sign-in must come back within this time.
pub const PENDING_TTL: Duration = Duration::from_mins(10);
/// At most this many sessions are held.
pub const SESSION_CAP: usize = 10_000;
/// A session lasts this long, however it is used.
pub const SESSION_TTL: Duration = Duration::from_hours(8);
/// Logout-token ids (`jti`) are remembered this long, to refuse a replay.
pub const SEEN_LOGOUT_TTL: Duration = Duration::from_mins(15);

/// A sign-in started by `/login`: the values the callback must see again.
pub struct PendingLogin {
    /// The `state` sent to the authorization endpoint (RFC 6749 §10.12).
    pub state: CsrfToken,
    /// The `nonce` the ID token must carry (OIDC Core §3.1.2.1).
    pub nonce: Nonce,
    /// The PKCE verifier whose S256 challenge was sent (RFC 7636 §4.1).
    pub pkce_verifier: PkceCodeVerifier,
}

/// Who signed in, read from the verified ID token.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// The account id at the provider.
    pub sub: String,
    /// The provider's session id (`sid`), used by back-channel logout.
    pub sid: Option<String>,
    /// The display name.
    pub name: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// Whether the provider has verified the email address.
    pub email_verified: Option<bool>,
    /// Gatehouse's organization of this client (`org_id`).
    pub org_id: Option<String>,
    /// How the person authenticated (RFC 8176 values).
    pub amr: Vec<String>,
    /// When the person authenticated, RFC 3339.
    pub auth_time: Option<String>,
}

/// The tokens of a session and what their verification showed.
pub struct Tokens {
    /// The raw ID token, sent back as `id_token_hint` at logout.
    pub id_token: String,
    /// The ID token's verified claims.
    pub id_claims: Value,
    /// The access token, for userinfo.
    pub access_token: AccessToken,
    /// The access token's verified claims (RFC 9068).
    pub access_claims: Value,
    /// The refresh token, when `offline_access` was granted.
    pub refresh_token: Option<RefreshToken>,
    /// The userinfo answer, or why there is none.
    pub userinfo: Result<Value, String>,
}

/// A signed-in browser.
pub struct Session {
    /// Who it is.
    pub profile: Profile,
    /// The nonce of the original sign-in: a refreshed ID token may only repeat it.
    pub nonce: Nonce,
    /// The current tokens.
    pub tokens: Tokens,
    /// The token the session's forms carry (the cookie alone does not make a POST).
    pub csrf: String,
}

/// The demo's in-memory state: pending sign-ins, sessions, and seen logout tokens.
pub struct Stores {
    /// Sign-ins between `/login` and `/callback`.
    pub pending: Mutex<BoundedStore<PendingLogin>>,
    /// Signed-in sessions.
    pub sessions: Mutex<BoundedStore<Session>>,
    /// `jti` values of accepted logout tokens.
    pub seen_logout_tokens: Mutex<BoundedStore<()>>,
}

impl Default for Stores {
    fn default() -> Self {
        Self {
            pending: Mutex::new(BoundedStore::new(PENDING_CAP, PENDING_TTL)),
            sessions: Mutex::new(BoundedStore::new(SESSION_CAP, SESSION_TTL)),
            seen_logout_tokens: Mutex::new(BoundedStore::new(PENDING_CAP, SEEN_LOGOUT_TTL)),
        }
    }
}

impl Stores {
    /// Remembers a session under a new random key and returns the key.
    pub fn open_session(&self, session: Session) -> String {
        let key = random_token();
        lock(&self.sessions).insert(key.clone(), session, Instant::now());
        key
    }

    /// Ends the sessions of a back-channel logout: those with this `sid` (when given, and the
    /// same `sub` when that is given too), else every session of `sub` (OIDC Back-Channel
    /// Logout §2.7). Returns how many ended.
    pub fn end_sessions(&self, sub: Option<&str>, sid: Option<&str>) -> usize {
        let mut sessions = lock(&self.sessions);
        match (sid, sub) {
            (Some(sid), sub) => sessions
                .remove_where(|s| s.profile.sid.as_deref() == Some(sid) && sub.is_none_or(|sub| s.profile.sub == sub)),
            (None, Some(sub)) => sessions.remove_where(|s| s.profile.sub == sub),
            (None, None) => 0,
        }
    }
}

/// Locks a store; a panic elsewhere while it was held leaves plain data, still usable.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// 256 random bits, base64url: a cookie key or a form token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax (the provider's redirect back is a top-level
/// GET, which Lax lets through), Path=/; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age.as_secs()
    );
    HeaderValue::from_str(&text).expect("cookie names and base64url values are valid header text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("gh_session=x; demo_product_login=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("demo_product_session=s1"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("s1"));
        assert_eq!(cookie(&h, "demo_product"), None);
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
