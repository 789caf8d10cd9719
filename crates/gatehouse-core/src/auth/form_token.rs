//! Pre-session form tokens: what the sign-in forms carry against cross-site posts before anyone
//! is signed in. The browser keeps one in a cookie and sends it again in the form (double
//! submit); that alone would accept any pair an attacker managed to plant (`csrf_x` in both).
//! So a token is only good if this server made it: it carries an HMAC-SHA256 of its random
//! nonce and issue time under a key that never leaves the server, and it expires.

use super::service::Auth;
use crate::error::{CoreError, Result};
use crate::ports::Store;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

/// How long a form token is good for: longer than anyone keeps a sign-in page open.
pub const FORM_TOKEN_SECS: i64 = 24 * 3600;

impl<S: Store> Auth<S> {
    /// A new form token: `csrf_<nonce>.<issued ms>.<mac>`.
    pub fn mint_form_token(&self) -> Result<String> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(CoreError::internal)?;
        let nonce = URL_SAFE_NO_PAD.encode(nonce);
        let issued = self.clock.now().millis();
        let tag = URL_SAFE_NO_PAD.encode(self.form_key.mac(&nonce, issued).finalize().into_bytes());
        Ok(format!("csrf_{nonce}.{issued}.{tag}"))
    }

    /// Whether this server (any node sharing its database) made `token`, less than
    /// [`FORM_TOKEN_SECS`] ago.
    pub fn is_form_token(&self, token: &str) -> bool {
        if token.len() > 120 {
            return false;
        }
        let Some(rest) = token.strip_prefix("csrf_") else {
            return false;
        };
        let mut parts = rest.split('.');
        let (Some(nonce), Some(issued), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(issued), Ok(tag)) = (issued.parse::<i64>(), URL_SAFE_NO_PAD.decode(tag)) else {
            return false;
        };
        let age = self.clock.now().millis() - issued;
        // A token from the future is tolerated by a minute (clocks of nodes differ a little).
        if !(-60_000..FORM_TOKEN_SECS * 1000).contains(&age) {
            return false;
        }
        self.form_key.mac(nonce, issued).verify_slice(&tag).is_ok()
    }
}
