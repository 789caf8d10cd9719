//! WebAuthn on the core's side: the ceremonies' server state between their two requests
//! (kept in the database, so any node can finish what another started, and taken once), and
//! the passkey sign-in that needs no password. Verifying signatures is the WebAuthn library's
//! job at the server's edge; the core decides what a verified key may do.

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

/// How long a WebAuthn ceremony may take (the browser's own timeout is shorter).
pub const CEREMONY_SECS: i64 = 5 * 60;

fn refused() -> CoreError {
    CoreError::Unauthenticated {
        code: "passkey_refused",
        message: "That passkey was not accepted. Try again, or sign in with your email address.".into(),
    }
}

impl<S: Store> Auth<S> {
    /// Keeps a ceremony's state and answers the token that names it (the browser sends it back
    /// with its answer).
    pub async fn save_ceremony(
        &self,
        purpose: CeremonyPurpose,
        account: Option<AccountId>,
        state: String,
    ) -> Result<String> {
        let token = secret::mint("ghw")?;
        let ceremony = Ceremony {
            digest: token.digest,
            account_id: account,
            purpose,
            state,
            expires_at: self.clock.now().plus_secs(CEREMONY_SECS),
        };
        let mut tx = self.store.begin().await?;
        tx.insert_ceremony(&ceremony).await?;
        tx.commit().await?;
        Ok(token.value)
    }

    /// Takes the ceremony a token names, once, if it is unexpired and for this purpose and
    /// account: a challenge answers one ceremony only.
    pub async fn take_ceremony(
        &self,
        token: &str,
        purpose: CeremonyPurpose,
        account: Option<AccountId>,
    ) -> Result<Option<String>> {
        if !token.starts_with("ghw_") || token.len() > 100 {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        let ceremony = tx.take_ceremony(&secret::digest(token), self.clock.now()).await?;
        tx.commit().await?;
        Ok(ceremony
            .filter(|c| c.purpose == purpose && c.account_id == account)
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
