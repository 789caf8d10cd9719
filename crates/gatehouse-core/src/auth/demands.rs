//! What the account's policy demands of a sign-in and of a new password: two-step
//! verification, a new password when the one used expired or its facts fail the rules, and
//! the rules a new password must meet (length, strength, the common lists, no reuse).

use super::password_facts::{PasswordFacts, PasswordState};
use super::service::Auth;
use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::policy::{PasswordVerdict, TwoStepRule, judge_new_password, judge_password};
use crate::ports::prelude::*;

/// What the policy asks of this sign-in.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Demands {
    /// Two-step verification is required: the account enrols now if it has no method.
    pub two_step: bool,
    /// The password just used must be replaced before the session opens.
    pub password_due: bool,
}

impl<S: Store> Auth<S> {
    /// The demands of the account's policy on a password sign-in with `password` (right). A
    /// password set before facts were recorded is measured now and its facts recorded (set
    /// "now": its real age is unknown), so the rules can judge it from this sign-in on.
    pub(super) async fn policy_demands(&self, account: &Account, password: &str, now: Timestamp) -> Result<Demands> {
        let mut r = self.store.reader().await?;
        let Some(policy) = self.policy.enforcement.policy_of(&mut r, account.id, now).await? else {
            return Ok(Demands::default());
        };
        let state = r
            .find_managed_members(policy.org_id, &[account.id])
            .await?
            .into_iter()
            .next()
            .map_or(PasswordState::None, |(m, _)| m.password);
        drop(r);
        let state = match state {
            PasswordState::Unknown => {
                let facts = self.measure(account, password, now);
                let mut tx = self.store.begin().await?;
                tx.record_password_facts(account.id, &facts).await?;
                tx.commit().await?;
                PasswordState::Set(facts)
            }
            known => known,
        };
        let s = &policy.settings;
        Ok(Demands {
            two_step: s.two_step_verification == TwoStepRule::Required && !s.non_billable,
            password_due: matches!(judge_password(&s.password, &state, now), PasswordVerdict::Refused(_)),
        })
    }

    /// Measures a password of the account (its email address and name are what an attacker
    /// knows of it), marking it common when the operator's list has it too.
    pub(super) fn measure(&self, account: &Account, password: &str, now: Timestamp) -> PasswordFacts {
        let mut facts = PasswordFacts::measure(password, &[&account.email, &account.display_name], now);
        facts.common |= self.common_extra.contains(&password.trim().to_lowercase());
        facts
    }

    /// Checks a new password of the account against its policy: length, strength, the common
    /// lists and, with a history rule of N, the current password and the N-1 before it.
    /// `current` is the hash being replaced.
    pub(super) async fn check_policy_password(
        &self,
        account: &Account,
        password: &str,
        facts: &PasswordFacts,
        current: Option<String>,
    ) -> Result<()> {
        let mut r = self.store.reader().await?;
        let now = self.clock.now();
        let Some(policy) = self.policy.enforcement.policy_of(&mut r, account.id, now).await? else {
            return Ok(());
        };
        let rules = &policy.settings.password;
        judge_new_password(rules, facts)?;
        if rules.history == 0 {
            return Ok(());
        }
        let mut hashes: Vec<String> = current.into_iter().collect();
        hashes.extend(r.list_password_history(account.id, rules.history - 1).await?);
        drop(r);
        for h in hashes {
            if self.hasher.verify(password.to_owned(), h).await? {
                return Err(CoreError::validation(
                    "password",
                    format!(
                        "was used recently: your organization's policy refuses your last {} passwords",
                        rules.history
                    ),
                ));
            }
        }
        Ok(())
    }
}
