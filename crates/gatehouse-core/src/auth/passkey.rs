//! WebAuthn on the core's side: the ceremonies' server state between their two requests, and
//! the passkey sign-in that needs no password. Verifying signatures is the WebAuthn library's
//! job at the server's edge; the core decides what a verified key may do.
//!
//! A ceremony of a known account (registering a key, the second step) is kept in the database,
//! so any node can finish what another started, and taken once; an account has at most one of
//! each purpose (a new one replaces the last). The passkey sign-in starts before anyone is
//! known, on a request anybody may send: its state travels in its token instead, under the
//! server's MAC, so asking for options stores nothing. Its one-time use is kept only once a
//! key's signature over its challenge verified: a row per passkey sign-in, as a session is.

use super::flow::Authenticated;
use super::second_step::VerifiedKey;
use super::service::Auth;
use super::throttle::ThrottleKeys;
use crate::audit::RequestMeta;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::ports::prelude::*;
use crate::product::AccountStatus;
use crate::secret;
use crate::sso::PasswordRule;
use crate::two_step::{Ceremony, CeremonyPurpose, amr};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

/// How long a WebAuthn ceremony may take (the browser's own timeout is shorter).
pub const CEREMONY_SECS: i64 = 5 * 60;

/// How long a passkey sign-in's spent ceremony is remembered past its expiry: the nodes'
/// clocks may differ by less, so a node behind another still finds it spent.
const SPENT_MARGIN_SECS: i64 = 10 * 60;

/// The longest passkey sign-in token read (webauthn-rs's state is a few hundred bytes).
const MAX_CEREMONY_TOKEN: usize = 4096;

/// A passkey sign-in's ceremony, opened from the token the browser sent back: this server
/// made it, and it has not expired. Whether it was used already is known only when it is spent
/// (see [`Auth::passkey_sign_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordlessCeremony {
    /// The library's state (the challenge and what it allows), as JSON.
    pub state: String,
    /// The digest of the token, the name it is spent under.
    digest: String,
    expires_at: crate::Timestamp,
}

fn refused() -> CoreError {
    CoreError::Unauthenticated {
        code: "passkey_refused",
        message: "That passkey was not accepted. Try again, or sign in with your email address.".into(),
    }
}

impl<S: Store> Auth<S> {
    /// Keeps the state of an account's ceremony, in place of any earlier one of the same
    /// purpose, and answers the token that names it (the browser sends it back with its answer).
    pub async fn save_ceremony(&self, purpose: CeremonyPurpose, account: AccountId, state: String) -> Result<String> {
        let token = secret::mint("ghw")?;
        let ceremony = Ceremony {
            digest: token.digest,
            account_id: Some(account),
            purpose,
            state,
            expires_at: self.clock.now().plus_secs(CEREMONY_SECS),
        };
        let mut tx = self.store.begin().await?;
        tx.replace_ceremony(&ceremony).await?;
        tx.commit().await?;
        Ok(token.value)
    }

    /// The token of a passkey sign-in's ceremony: `ghc_<expires ms>.<state>.<mac>` (state and
    /// MAC base64url). Nothing is stored.
    pub fn mint_passwordless_ceremony(&self, state: &str) -> String {
        let expires = self.clock.now().plus_secs(CEREMONY_SECS).millis();
        let state = URL_SAFE_NO_PAD.encode(state);
        let tag = URL_SAFE_NO_PAD.encode(self.form_key.ceremony_mac(&state, expires).finalize().into_bytes());
        format!("ghc_{expires}.{state}.{tag}")
    }

    /// The ceremony of a passkey sign-in's token, if this server (any node sharing its
    /// database) made it and it has not expired.
    pub fn open_passwordless_ceremony(&self, token: &str) -> Option<PasswordlessCeremony> {
        if token.len() > MAX_CEREMONY_TOKEN {
            return None;
        }
        let mut parts = token.strip_prefix("ghc_")?.split('.');
        let (Some(expires), Some(state), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        // One spelling of the time only (`+1…` and `01…` parse, and carry the same MAC).
        let millis: i64 = expires.parse().ok()?;
        if millis.to_string() != expires {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.form_key.ceremony_mac(state, millis).verify_slice(&tag).ok()?;
        if millis <= self.clock.now().millis() {
            return None;
        }
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(state).ok()?).ok()?;
        Some(PasswordlessCeremony {
            state: json,
            // Spent under what the MAC binds (time and state), not the token as sent: a second
            // spelling of any part of it cannot name another ceremony.
            digest: secret::digest(&format!("ghc_{millis}.{state}")),
            expires_at: crate::Timestamp::from_millis(millis),
        })
    }

    /// Takes the ceremony a token names, once, if it is unexpired and for this purpose and
    /// account: a challenge answers one ceremony only.
    pub async fn take_ceremony(
        &self,
        token: &str,
        purpose: CeremonyPurpose,
        account: AccountId,
    ) -> Result<Option<String>> {
        if !token.starts_with("ghw_") || token.len() > 100 {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        let ceremony = tx.take_ceremony(&secret::digest(token), self.clock.now()).await?;
        tx.commit().await?;
        Ok(ceremony
            .filter(|c| c.purpose == purpose && c.account_id == Some(account))
            .map(|c| c.state))
    }

    /// The stored credentials of the account's keys, for a ceremony to allow.
    pub async fn security_keys_of(&self, account: AccountId) -> Result<Vec<crate::two_step::SecurityKey>> {
        self.store.reader().await?.list_security_keys(account).await
    }

    /// The key of a credential id, whoever's it is (a passkey sign-in finds its account so).
    pub async fn security_key(&self, credential_id: &str) -> Result<Option<crate::two_step::SecurityKey>> {
        self.store.reader().await?.find_security_key(credential_id).await
    }

    /// Counts a passkey sign-in the library refused (a bad signature, another challenge)
    /// against this client, as a failed password is counted.
    pub async fn passkey_failed(&self, meta: &RequestMeta) -> Result<()> {
        let client = ThrottleKeys::client(meta);
        self.admit(vec![(client, self.policy.ip_ceiling)], self.clock.now())
            .await?;
        Ok(())
    }

    /// A passkey sign-in: the library verified the assertion (with user verification) for the
    /// key of `verified`, whose user handle named `account`. The key must be that account's,
    /// its counter must move on, and the account must be active and allowed to sign in
    /// without its identity provider (as a password would be). Counted like a sign-in from
    /// this client; every refusal reads the same.
    pub async fn passkey_sign_in(
        &self,
        account: AccountId,
        verified: &VerifiedKey,
        ceremony: &PasswordlessCeremony,
        meta: &RequestMeta,
    ) -> Result<Authenticated> {
        let now = self.clock.now();
        let client = ThrottleKeys::client(meta);
        let admission = self.admit(vec![(client, self.policy.ip_ceiling)], now).await?;
        let mut r = self.store.reader().await?;
        let key = r.find_security_key(&verified.credential_id).await?;
        let found = match key {
            Some(k) if k.account_id == account => r.find_account(account).await?.map(|a| (k, a)),
            _ => None,
        };
        let Some((key, acc)) = found.filter(|(_, a)| a.status == AccountStatus::Active) else {
            return Err(refused());
        };
        let break_glass = match crate::sso::password_rule(&mut r, &acc, self.policy.enforcement, now).await? {
            PasswordRule::Allowed => None,
            PasswordRule::BreakGlass { org, .. } => Some(org),
            PasswordRule::SsoRequired { .. } => return Err(super::flow::sso_required()),
        };
        drop(r);
        let mut tx = self.store.begin().await?;
        let remembered_until = ceremony.expires_at.plus_secs(SPENT_MARGIN_SECS);
        if !tx.spend_ceremony(&ceremony.digest, account, remembered_until).await? {
            return Err(refused());
        }
        if !tx
            .spend_security_key_counter(key.id, i64::from(verified.counter), &verified.passkey, now)
            .await?
        {
            return Err(refused());
        }
        tx.commit().await?;
        let pair = ThrottleKeys::new(&acc.email, meta).pair;
        Ok(Authenticated::new(
            acc,
            pair,
            admission,
            now,
            break_glass,
            amr::passkey(key.backup_eligible),
            false,
        ))
    }
}
