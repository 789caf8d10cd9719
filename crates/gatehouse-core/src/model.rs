//! Entities of the organization model, as the domain sees them.

use crate::Timestamp;
use crate::ids::{AccessId, AccountId, AdminInvitationId, ApiKeyId, GroupId, InstanceId, OrgId, SessionId};
use crate::product::{AccountStatus, Edition, Plan, Product, Role};

/// An organization: the tenant that owns products, groups, keys and its audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub plan: Plan,
    /// Community or academic: the operator made the organization free for everyone.
    pub free: Option<crate::product::FreeKind>,
    pub created_at: Timestamp,
}

impl Org {
    /// What billing reads of the organization itself.
    pub fn terms(&self) -> crate::billing::OrgTerms {
        crate::billing::OrgTerms {
            plan: self.plan,
            free: self.free,
        }
    }
}

/// A global account: one person's identity across every product and organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Account {
    pub id: AccountId,
    /// Normalized (lower-case); unique across Gatehouse.
    pub email: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub created_at: Timestamp,
    pub last_active_at: Option<Timestamp>,
    /// When a scheduled deletion happens; until then it can be cancelled.
    pub delete_after: Option<Timestamp>,
}

/// An account as one organization sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgAccount {
    #[serde(flatten)]
    pub account: Account,
    /// Whether this organization manages the account (may change its profile, status, or delete
    /// it): only the organization that verified the account's email domain and claimed it.
    pub is_managed: bool,
    /// Since when the account is suspended in this organization only (its directory made an
    /// account the organization does not manage inactive): its access to the organization's
    /// instances has ended; the account itself is unchanged.
    pub suspended_at: Option<Timestamp>,
    /// When the account became visible to this organization.
    pub added_at: Timestamp,
    /// What billing knows of the account in this organization (its access included).
    #[serde(skip)]
    pub billing: crate::billing::BillingFacts,
    /// The organization's plan and free status, which billing reads with the facts.
    #[serde(skip)]
    pub terms: crate::billing::OrgTerms,
    /// Whether the account has a password and what was measured of it. Only the managing
    /// organization may see it: read it through [`OrgAccount::password_seen`]. Never in
    /// audit events.
    #[serde(skip)]
    pub password: crate::auth::PasswordState,
}

impl OrgAccount {
    /// Whether the account has access to a product of this organization, directly or through
    /// one of its groups (and is not suspended there).
    pub fn has_product_access(&self) -> bool {
        self.billing.has_product_access
    }

    /// The one billing rule that applies to the account (see [`crate::billing::classify`]).
    pub fn billing_rule(&self) -> crate::billing::BillingRule {
        crate::billing::classify(self.terms, self.billing)
    }

    /// Whether the organization pays for the account.
    pub fn billable(&self) -> bool {
        self.billing_rule().is_billable()
    }

    /// The account's password state as this organization may see it: only the organization
    /// that manages the account does (`None` for any other, which learns nothing of it).
    pub fn password_seen(&self) -> Option<&crate::auth::PasswordState> {
        self.is_managed.then_some(&self.password)
    }
}

/// A product instance ("site") owned by an organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Instance {
    pub id: InstanceId,
    pub org_id: OrgId,
    pub product: Product,
    pub name: String,
    pub url: String,
    pub edition: Edition,
    pub created_at: Timestamp,
}

/// A group of accounts within one organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    pub id: GroupId,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
    /// Filled on reads; not stored.
    pub member_count: i64,
    /// Set when a directory (SCIM) owns the group: then only the directory changes it.
    pub directory_id: Option<crate::ids::DirectoryId>,
}

/// One member of a group, with enough of the account to show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupMember {
    pub account_id: AccountId,
    pub email: String,
    pub display_name: String,
    pub added_at: Timestamp,
}

/// Who a grant of product access is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Principal {
    Account(AccountId),
    Group(GroupId),
}

/// A grant of a role on a product instance to an account or a group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Access {
    pub id: AccessId,
    pub org_id: OrgId,
    pub instance_id: InstanceId,
    pub principal: Principal,
    pub role: Role,
    pub created_at: Timestamp,
}

/// An account's effective access to one instance, directly or through a group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EffectiveAccess {
    pub access: Access,
    pub product: Product,
    pub instance_name: String,
    /// The group the access comes through, if not direct.
    pub via_group: Option<GroupId>,
}

/// An account that holds the organization admin role.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgAdminRole {
    pub account_id: AccountId,
    pub email: String,
    pub display_name: String,
    pub granted_at: Timestamp,
}

/// A person's own API token for the products' APIs. The secret is never stored: only its
/// SHA-256 digest. Deactivating the account revokes every token it has.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserApiToken {
    pub id: crate::ids::UserApiTokenId,
    pub account_id: AccountId,
    pub name: String,
    /// The first characters of the secret, so people can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl UserApiToken {
    /// active, expired or revoked.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| now >= e) {
            "expired"
        } else {
            "active"
        }
    }
}

/// An organization API key. The secret itself is never stored: only its SHA-256 digest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    /// The first characters of the secret, so people can tell keys apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl ApiKey {
    /// Whether the key may authenticate at `now`.
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// active, expired or revoked.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if now >= self.expires_at {
            "expired"
        } else {
            "active"
        }
    }
}

/// Counts shown on the organization's overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OrgCounts {
    pub accounts: i64,
    /// Distinct billable accounts (see [`OrgAccount::billable`]).
    pub billable_accounts: i64,
    pub instances: i64,
    pub groups: i64,
}

/// Filters for listing an organization's accounts. Text filters match case-insensitively
/// anywhere in the value.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub email: Option<String>,
    pub name: Option<String>,
    pub status: Option<AccountStatus>,
    /// Accounts with access (direct or through a group) to any instance of this product.
    pub product: Option<Product>,
    /// Accounts with access (direct or through a group) to this instance.
    pub instance: Option<InstanceId>,
    /// Only managed accounts (`Some(true)`) or only external ones (`Some(false)`).
    pub managed: Option<bool>,
    /// Accounts whose email is on this domain.
    pub email_domain: Option<String>,
    /// Accounts not active since this time (or never).
    pub inactive_since: Option<Timestamp>,
}

/// Filters for listing grants of product access.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    pub instance: Option<InstanceId>,
    pub principal: Option<Principal>,
}

/// A Gatehouse session: one per browser that signed in. The cookie holds a random token; the
/// store keeps only its digest, which is never served. People and admins name a session by
/// its [`SessionId`].
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub account_id: AccountId,
    /// The synchronizer token every form of this session must carry.
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end of the session, whatever its activity.
    pub expires_at: Timestamp,
    /// The client address that signed in.
    pub ip: Option<String>,
    /// The browser that signed in, as it named itself.
    pub user_agent: Option<String>,
    /// How the person proved who they are (RFC 8176 values: `pwd`, `otp`, `hwk`, `swk`,
    /// `mfa`); empty when an identity provider vouched for them.
    pub amr: Vec<String>,
    /// The session's own idle timeout in seconds, from its account's policy; `None`: the
    /// server's.
    pub idle_secs: Option<i64>,
    /// When the session proved its mailbox with a mailed code (an external-users policy asks).
    pub email_verified_at: Option<Timestamp>,
}

/// One of a person's own live sessions, as their account page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnSession {
    pub session: Session,
    /// Whether this is the session the person is using to look.
    pub is_current: bool,
}

/// An invitation to become an admin of an organization that does not manage the account: the
/// person accepts or declines it; until they accept they have no role.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminInvitation {
    pub id: AdminInvitationId,
    pub org_id: OrgId,
    pub account_id: AccountId,
    /// The invited account's email address.
    pub email: String,
    /// Who invited, as the audit log names them (an admin's email, an API key's name).
    pub invited_by: String,
    pub created_at: Timestamp,
    /// After this the invitation can no longer be accepted.
    pub expires_at: Timestamp,
}

/// A pending invitation as the invited person sees it: with the inviting organization's name.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingInvitation {
    pub invitation: AdminInvitation,
    pub org_name: String,
}
