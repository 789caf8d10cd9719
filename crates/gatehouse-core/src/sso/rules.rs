//! How an account may sign in: the one decision the sign-in page, the OIDC provider's
//! authorize and (later) per-policy enforcement and billing all ask.

use super::model::IdentityProvider;
use crate::error::Result;
use crate::ids::{IdpId, OrgId};
use crate::model::Account;
use crate::ports::{AccountReads, SsoReads};

/// Whether an account may sign in with its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRule {
    /// No enforced identity provider speaks for the account.
    Allowed,
    /// An identity provider is enforced for the account, but the organization named it a
    /// break-glass admin: the sign-in is allowed and recorded as high severity.
    BreakGlass { org: OrgId, idp: IdpId },
    /// The account signs in through this identity provider only.
    SsoRequired { org: OrgId, idp: IdpId },
}

/// The rule for `account`: an identity provider that is enforced and linked to the account's
/// email domain (verified by the provider's organization) requires SSO of the accounts that
/// organization manages, except its break-glass admins. An account the organization does not
/// manage is its person's own and keeps its password.
pub async fn password_rule<T: SsoReads + AccountReads + Send>(tx: &mut T, account: &Account) -> Result<PasswordRule> {
    let Some((_, domain)) = account.email.rsplit_once('@') else {
        return Ok(PasswordRule::Allowed);
    };
    let Some(idp) = tx.find_idp_for_domain(domain).await? else {
        return Ok(PasswordRule::Allowed);
    };
    password_rule_under(tx, account, &idp).await
}

/// [`password_rule`] when the caller already read the provider of the account's domain.
pub async fn password_rule_under<T: SsoReads + AccountReads + Send>(
    tx: &mut T,
    account: &Account,
    idp: &IdentityProvider,
) -> Result<PasswordRule> {
    if !idp.enforced || tx.find_account_manager(account.id).await? != Some(idp.org_id) {
        return Ok(PasswordRule::Allowed);
    }
    let (org, idp) = (idp.org_id, idp.id);
    if tx.list_break_glass(org).await?.contains(&account.id) {
        Ok(PasswordRule::BreakGlass { org, idp })
    } else {
        Ok(PasswordRule::SsoRequired { org, idp })
    }
}

/// Refuses a change that would leave the organization without a break-glass admin while one
/// of its providers is enforced: taking `account`'s admin role away, or removing it, when it is
/// the last one (someone must still get in when the provider is down).
pub async fn refuse_losing_last_break_glass<T: SsoReads + Send>(
    tx: &mut T,
    org: OrgId,
    account: crate::ids::AccountId,
) -> Result<()> {
    let glass = tx.list_break_glass(org).await?;
    if glass != [account] {
        return Ok(());
    }
    if tx.list_idps(org).await?.iter().any(|i| i.enforced) {
        return Err(crate::error::CoreError::conflict(
            "last_break_glass_admin",
            None,
            "This admin is the organization's last break-glass admin while single sign-on is enforced: name \
             another break-glass admin first, or stop enforcing.",
        ));
    }
    Ok(())
}
