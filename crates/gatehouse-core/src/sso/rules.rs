//! How an account may sign in: the one decision the sign-in page, the OIDC provider's
//! authorize and (later) per-policy enforcement and billing all ask.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{IdpId, OrgId};
use crate::model::Account;
use crate::policy::Enforcement;
use crate::ports::{PolicyReads, SsoReads, SubscriptionReads};

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

/// The rule for `account`, from the policy of the organization that manages it: a policy that
/// enforces single sign-on sends its members to the provider it names, or to the provider of
/// each member's email domain (a member whose domain has none keeps its password). The
/// organization's break-glass admins keep their passwords. An account no organization manages
/// is its person's own and keeps its password. While the organization's enforcement is paused
/// (`enforcement`: no subscription where the operator requires one) nothing is enforced.
pub async fn password_rule<T: SsoReads + PolicyReads + SubscriptionReads + Send>(
    tx: &mut T,
    account: &Account,
    enforcement: Enforcement,
    now: Timestamp,
) -> Result<PasswordRule> {
    let Some(policy) = enforcement.policy_of(tx, account.id, now).await? else {
        return Ok(PasswordRule::Allowed);
    };
    if !policy.settings.sso_enforced() {
        return Ok(PasswordRule::Allowed);
    }
    let org = policy.org_id;
    let idp = if let Some(named) = policy.settings.sso.identity_provider_id {
        named
    } else {
        let domain = account.email.rsplit_once('@').map_or("", |(_, d)| d);
        match tx.find_idp_for_domain(&domain.to_ascii_lowercase()).await? {
            Some(i) if i.org_id == org => i.id,
            _ => return Ok(PasswordRule::Allowed),
        }
    };
    if tx.list_break_glass(org).await?.contains(&account.id) {
        Ok(PasswordRule::BreakGlass { org, idp })
    } else {
        Ok(PasswordRule::SsoRequired { org, idp })
    }
}

/// Refuses a change that would leave the organization without a break-glass admin while one
/// of its providers is enforced: taking `account`'s admin role away, or removing it, when it is
/// the last one (someone must still get in when the provider is down).
pub async fn refuse_losing_last_break_glass<T: SsoReads + PolicyReads + Send>(
    tx: &mut T,
    org: OrgId,
    account: crate::ids::AccountId,
) -> Result<()> {
    let glass = tx.list_break_glass(org).await?;
    if glass != [account] {
        return Ok(());
    }
    if tx.list_policies(org).await?.iter().any(|p| p.settings.sso_enforced()) {
        return Err(crate::error::CoreError::conflict(
            "last_break_glass_admin",
            None,
            "This admin is the organization's last break-glass admin while single sign-on is enforced: name \
             another break-glass admin first, or stop enforcing.",
        ));
    }
    Ok(())
}
