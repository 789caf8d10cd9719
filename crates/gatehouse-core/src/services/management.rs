//! Who manages an account. An organization manages an account if and only if it verified the
//! account's email domain and claimed the account: automatically (`claim_mode: automatic`), by
//! a manual claim, or by creating it on that domain (API, console, SCIM; later just-in-time
//! SSO). Enforcement, policies and billing apply to managed accounts only; any other account
//! is the person's own, which an organization may add, grant access to, suspend in its own
//! directory and remove, but never change.
//!
//! Every path that creates an account for an organization links it with [`creator_link`]
//! (the batch path decides with [`creator_manages`] on the domains it read and the store
//! checks they still stand); claims go through verified domains only; unverifying a domain
//! releases every account on it.

use crate::domain::{Domain, DomainStatus};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::ports::{DomainReads, ManagedVia, OrgLink};
use crate::types::Email;

/// Whether an organization that creates an account on a domain manages it: only when it
/// verified that domain itself. `verified` is the verified domain of that name, whichever
/// organization verified it.
pub fn creator_manages(org: OrgId, verified: Option<&Domain>) -> bool {
    verified.is_some_and(|d| d.org_id == org && d.status == DomainStatus::Verified)
}

/// The verified domain of the email's domain, whichever organization verified it.
pub async fn verified_domain_of<T: DomainReads + Send>(tx: &mut T, email: &Email) -> Result<Option<Domain>> {
    tx.find_verified_domain(email.domain()).await
}

/// How an account `org` just created is linked to it: managed (recorded as `via`) when `org`
/// verified its email domain, otherwise as an account the organization sees but does not
/// manage.
pub fn creator_link(org: OrgId, account: AccountId, verified: Option<&Domain>, via: ManagedVia) -> OrgLink {
    OrgLink {
        org,
        account,
        managed_via: creator_manages(org, verified).then_some(via),
        suspended_at: None,
    }
}

/// Refuses to move a managed account to an address outside the domains `org` verified: the
/// account would be managed without a verified domain.
pub async fn refuse_unverified_email<T: DomainReads + Send>(tx: &mut T, org: OrgId, email: &Email) -> Result<()> {
    let verified = verified_domain_of(tx, email).await?;
    if creator_manages(org, verified.as_ref()) {
        Ok(())
    } else {
        Err(CoreError::Forbidden {
            code: "email_domain_not_verified",
            message: format!("{} is not a domain this organization has verified.", email.domain()),
        })
    }
}

/// The refusal to change an account the organization does not manage.
pub fn not_managed() -> CoreError {
    CoreError::Forbidden {
        code: "account_not_managed",
        message: "This account is not managed by this organization: only the organization that verified its \
                  email domain can change it. You may grant or revoke its access, or remove it from the \
                  organization."
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::domain::ClaimMode;
    use crate::ids::DomainId;

    fn domain(org: OrgId, status: DomainStatus) -> Domain {
        let at = Timestamp::from_millis(0);
        Domain {
            id: DomainId::new(),
            org_id: org,
            name: "acme.test".into(),
            token: String::new(),
            status,
            claim_mode: ClaimMode::Manual,
            created_at: at,
            verify_by: at,
            verified_at: Some(at),
            verified_method: None,
            last_checked_at: None,
            last_check_detail: None,
            failing_since: None,
        }
    }

    #[test]
    fn only_the_organization_that_verified_the_domain_manages_what_it_creates_there() {
        let (ours, theirs) = (OrgId::new(), OrgId::new());
        assert!(creator_manages(ours, Some(&domain(ours, DomainStatus::Verified))));
        assert!(!creator_manages(ours, None), "a domain nobody verified");
        assert!(!creator_manages(ours, Some(&domain(theirs, DomainStatus::Verified))));
        assert!(!creator_manages(ours, Some(&domain(ours, DomainStatus::Pending))));
        let link = creator_link(ours, AccountId::new(), None, ManagedVia::Created);
        assert_eq!(link.managed_via, None);
        let d = domain(ours, DomainStatus::Verified);
        let link = creator_link(ours, AccountId::new(), Some(&d), ManagedVia::Scim);
        assert_eq!(link.managed_via, Some(ManagedVia::Scim));
    }
}
