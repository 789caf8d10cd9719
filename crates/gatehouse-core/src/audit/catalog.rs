//! The catalog of audit actions: every event the audit log records, typed, with its stable
//! name, category, severity and meaning. An event can only be started with an action from
//! here, so a misspelled or unregistered name does not compile.

/// What part of the product an action belongs to (for filtering and SIEM routing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Organization,
    Accounts,
    ApiTokens,
    Products,
    Groups,
    ProductAccess,
    Admins,
    ApiKeys,
    AuditLog,
    SignIn,
    Directories,
    Provisioning,
    Domains,
    ProductClients,
    ProductSignIn,
    IdentityProviders,
    SingleSignOn,
    TwoStepVerification,
    Policies,
    Billing,
}

impl Category {
    /// The stable name, as served by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Accounts => "accounts",
            Self::ApiTokens => "api_tokens",
            Self::Products => "products",
            Self::Groups => "groups",
            Self::ProductAccess => "product_access",
            Self::Admins => "admins",
            Self::ApiKeys => "api_keys",
            Self::AuditLog => "audit_log",
            Self::SignIn => "sign_in",
            Self::Directories => "directories",
            Self::Provisioning => "provisioning",
            Self::Domains => "domains",
            Self::ProductClients => "product_clients",
            Self::ProductSignIn => "product_sign_in",
            Self::IdentityProviders => "identity_providers",
            Self::SingleSignOn => "single_sign_on",
            Self::TwoStepVerification => "two_step_verification",
            Self::Policies => "policies",
            Self::Billing => "billing",
        }
    }
}

/// How much an action matters to someone watching for trouble: `high` is what a security team
/// alerts on (admin rights, keys and tokens, domain ownership, lockouts, deletions, the audit
/// log itself); `medium` changes someone's ability to work; `low` is routine administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    /// The stable name, as served by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// One row of the catalog.
struct Spec {
    name: &'static str,
    category: Category,
    severity: Severity,
    description: &'static str,
}

/// Declares the actions: the enum, the list of all of them and each one's row, from one table
/// (one line per action, so adding an action is one line).
macro_rules! catalog {
    ($($variant:ident => $name:literal, $category:ident, $severity:ident, $description:literal;)*) => {
        /// Every action the audit log records. Names are stable: integrations (SIEM rules,
        /// exports) depend on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $(#[doc = $description] $variant,)*
        }

        impl AuditAction {
            /// Every action, in the order the API lists them.
            pub const ALL: &'static [AuditAction] = &[$(Self::$variant,)*];

            const fn spec(self) -> Spec {
                match self {
                    $(Self::$variant => Spec {
                        name: $name,
                        category: Category::$category,
                        severity: Severity::$severity,
                        description: $description,
                    },)*
                }
            }
        }
    };
}

catalog! {
    OrgCreated => "org.created", Organization, Low, "An organization was created";
    OrgUpdated => "org.updated", Organization, Low, "The organization's name changed";
    AccountCreated => "account.created", Accounts, Low, "An account was created";
    AccountAdded => "account.added", Accounts, Low, "An existing account was added to the organization";
    AccountUpdated => "account.updated", Accounts, Low, "An account's profile changed";
    AccountDeactivated => "account.deactivated", Accounts, Medium, "An account was deactivated and can no longer sign in";
    AccountReactivated => "account.reactivated", Accounts, Low, "A deactivated account was reactivated";
    AccountApiTokensRevoked => "account.api_tokens_revoked", Accounts, High, "An account's API tokens were revoked because it was deactivated";
    UserApiTokenRevoked => "user_api_token.revoked", ApiTokens, Medium, "An admin revoked one of a managed account's API tokens";
    AccountRemoved => "account.removed", Accounts, Medium, "An account was removed from the organization";
    AccountDeleted => "account.deleted", Accounts, High, "A managed account was deleted";
    InstanceCreated => "instance.created", Products, Low, "A product instance was added";
    InstanceUpdated => "instance.updated", Products, Low, "A product instance's name or edition changed";
    InstanceDeleted => "instance.deleted", Products, Low, "A product instance was removed";
    GroupCreated => "group.created", Groups, Low, "A group was created";
    GroupUpdated => "group.updated", Groups, Low, "A group's name or description changed";
    GroupDeleted => "group.deleted", Groups, Low, "A group was deleted";
    GroupMemberAdded => "group.member_added", Groups, Low, "An account was added to a group";
    GroupMemberRemoved => "group.member_removed", Groups, Low, "An account was removed from a group";
    ProductAccessGranted => "product_access.granted", ProductAccess, Low, "Access to a product instance was granted";
    ProductAccessUpdated => "product_access.updated", ProductAccess, Low, "The role of a product access grant changed";
    ProductAccessRevoked => "product_access.revoked", ProductAccess, Medium, "Access to a product instance was revoked";
    OrgAdminGranted => "org_admin.granted", Admins, High, "An account was made an organization admin";
    OrgAdminRevoked => "org_admin.revoked", Admins, High, "An account's organization admin role was removed";
    ApiKeyCreated => "api_key.created", ApiKeys, High, "An organization API key was created";
    ApiKeyRevoked => "api_key.revoked", ApiKeys, High, "An organization API key was revoked";
    AuditPruned => "audit.pruned", AuditLog, High, "Audit events older than the retention period were deleted";
    AuthSignedIn => "auth.signed_in", SignIn, Low, "A person signed in through Gatehouse";
    DirectoryCreated => "directory.created", Directories, Low, "An identity-provider directory was connected";
    DirectoryRemoved => "directory.removed", Directories, High, "An identity-provider directory was removed";
    DirectoryTokenCreated => "directory.token_created", Directories, High, "A directory's SCIM token was created or rotated";
    DirectoryTokenRevoked => "directory.token_revoked", Directories, High, "A directory's SCIM token was revoked";
    ScimUserCreated => "scim.user_created", Provisioning, Low, "A directory provisioned a user";
    ScimUserUpdated => "scim.user_updated", Provisioning, Low, "A directory changed a user";
    ScimUserDeactivated => "scim.user_deactivated", Provisioning, Medium, "A directory deactivated a user";
    ScimUserReactivated => "scim.user_reactivated", Provisioning, Low, "A directory reactivated a user";
    ScimUserDeleted => "scim.user_deleted", Provisioning, Medium, "A directory deprovisioned a user";
    ScimGroupCreated => "scim.group_created", Provisioning, Low, "A directory provisioned a group";
    ScimChangeHeld => "scim.change_held", Provisioning, High, "A directory's deactivation was held by the safety valve";
    DirectoryHeldReleased => "directory.held_released", Directories, High, "An admin released a directory's held changes";
    DirectoryHeldDiscarded => "directory.held_discarded", Directories, High, "An admin discarded a directory's held changes";
    DirectoryUpdated => "directory.updated", Directories, Low, "A directory's settings changed";
    ScimGroupUpdated => "scim.group_updated", Provisioning, Low, "A directory changed a group or its members";
    ScimGroupDeleted => "scim.group_deleted", Provisioning, Low, "A directory deleted a group";
    DomainAdded => "domain.added", Domains, Low, "A domain was added for verification";
    DomainUpdated => "domain.updated", Domains, Low, "A domain's settings changed";
    DomainVerified => "domain.verified", Domains, High, "A domain's ownership was verified";
    DomainVerificationFailed => "domain.verification_failed", Domains, Medium, "A domain was not verified within its window";
    DomainProofMissing => "domain.proof_missing", Domains, High, "A verified domain's proof could not be found";
    DomainProofRestored => "domain.proof_restored", Domains, Low, "A verified domain's proof was found again";
    DomainUnverified => "domain.unverified", Domains, High, "A domain lost its verification and its accounts were released";
    DomainRemoved => "domain.removed", Domains, High, "A domain was removed";
    DomainAccountsClaimed => "domain.accounts_claimed", Domains, Medium, "Accounts on a verified domain became managed";
    AccountEmailChanged => "account.email_changed", Accounts, Medium, "An account's email address changed (by its organization, or by the person through a link mailed to the new address)";
    AccountDeletionScheduled => "account.deletion_scheduled", Accounts, Medium, "A managed account was scheduled for deletion";
    AccountDeletionCanceled => "account.deletion_canceled", Accounts, Low, "A scheduled account deletion was canceled";
    AuthSignInFailed => "auth.sign_in_failed", SignIn, Medium, "A sign-in failed (the event says why)";
    AuthLockedOut => "auth.locked_out", SignIn, High, "Sign-in was locked after repeated failures";
    AuthSignedOut => "auth.signed_out", SignIn, Low, "A person signed out";
    AuthPasswordResetRequested => "auth.password_reset_requested", SignIn, Medium, "A password reset link was sent";
    AuthPasswordSet => "auth.password_set", SignIn, Medium, "An account's password was set through a reset link";
    AuthPasswordChanged => "auth.password_changed", SignIn, Medium, "A person changed their own password on their account page";
    AccountLeftOrg => "account.left_org", Accounts, Medium, "A person left the organization from their account page";
    AccountDeletedByOwner => "account.deleted_by_owner", Accounts, High, "A person deleted their own account (one no organization manages)";
    AccountUnmanaged => "account.unmanaged", Accounts, High, "The organization stopped managing an account whose email domain it has not verified";
    ScimUserSuspended => "scim.user_suspended", Provisioning, Medium, "A directory suspended, in this organization only, an account the organization does not manage";
    ScimUserUnsuspended => "scim.user_unsuspended", Provisioning, Low, "A directory ended the suspension of an account the organization does not manage";
    SessionRevoked => "session.revoked", SignIn, Medium, "A session was ended by its person or by the organization that manages the account";
    SessionRevokedAll => "session.revoked_all", SignIn, Medium, "Every session of an account was ended by its person or by the organization that manages it";
    AdminInvited => "admin.invited", Admins, High, "A person whose account the organization does not manage was invited to be an organization admin";
    AdminInvitationCancelled => "admin.invitation_cancelled", Admins, Medium, "A pending admin invitation was cancelled";
    AdminInvitationAccepted => "admin.invitation_accepted", Admins, High, "A person accepted an invitation to be an organization admin";
    AdminInvitationDeclined => "admin.invitation_declined", Admins, Low, "A person declined an invitation to be an organization admin";
    AuthSignedUp => "auth.signed_up", SignIn, Low, "A person created an account through sign-up on a domain the organization verified and claims";
    AccountEmailChangeRequested => "account.email_change_requested", Accounts, Low, "A person asked to change their account's email address; the new address was mailed";
    AuthInvitationSent => "auth.invitation_sent", SignIn, Low, "A person an admin added was mailed a set-password link or a notice";
    ClientCreated => "client.created", ProductClients, High, "A product client (OpenID Connect) was registered";
    ClientUpdated => "client.updated", ProductClients, Medium, "A product client's settings changed";
    ClientDeleted => "client.deleted", ProductClients, High, "A product client was deleted, and every session and token it held with it";
    ClientSecretRotated => "client.secret_rotated", ProductClients, High, "A product client's secret was rotated (the event says how long the old one keeps working)";
    OAuthSignedIn => "oauth.signed_in", ProductSignIn, Low, "A person signed in to a product client";
    OAuthAccessDenied => "oauth.access_denied", ProductSignIn, Medium, "A person was refused sign-in to a product client they have no access to";
    OAuthCodeReplayed => "oauth.code_replayed", ProductSignIn, High, "An authorization code was presented again; every token issued from it was revoked";
    OAuthRefreshReused => "oauth.refresh_reused", ProductSignIn, High, "A spent refresh token was presented again; its whole family was revoked";
    OAuthTokensGranted => "oauth.tokens_granted", ProductSignIn, Low, "Token grants (client credentials, refresh) a client received in one minute, counted";
    OAuthSessionRevoked => "oauth.session_revoked", ProductSignIn, Medium, "A product session (a sign-in to a client and its refresh tokens) was ended by an admin or a revocation";
    IdpCreated => "identity_provider.created", IdentityProviders, High, "An identity provider (SAML or OpenID Connect) was added for single sign-on";
    IdpUpdated => "identity_provider.updated", IdentityProviders, High, "An identity provider's settings changed (certificates, domains, enforcement...)";
    IdpDeleted => "identity_provider.deleted", IdentityProviders, High, "An identity provider was removed; its people sign in with passwords again";
    SsoBreakGlassChanged => "sso.break_glass_changed", SingleSignOn, High, "The admins who may still sign in with a password while SSO is enforced changed";
    SsoDefaultGroupsChanged => "sso.default_groups_changed", SingleSignOn, Medium, "The groups that accounts created at their first SSO sign-in join changed";
    SsoSignedIn => "sso.signed_in", SingleSignOn, Low, "A person signed in through the organization's identity provider";
    SsoSignInFailed => "sso.sign_in_failed", SingleSignOn, Medium, "A sign-in through an identity provider was refused (the event says why)";
    SsoAccountCreated => "sso.account_created", SingleSignOn, Medium, "A managed account was created at its person's first SSO sign-in (just in time)";
    SsoAccountUpdated => "sso.account_updated", SingleSignOn, Low, "An SSO sign-in refreshed a managed account's email or name from the identity provider";
    SsoEmailConflict => "sso.email_conflict", SingleSignOn, High, "An identity provider asserted an email address another account has; the change was refused";
    SsoTestSignIn => "sso.test_sign_in", SingleSignOn, Low, "An admin tested an identity provider (nobody was signed in)";
    AuthBreakGlassSignedIn => "auth.break_glass_signed_in", SignIn, High, "A break-glass admin signed in with a password while SSO is enforced";
    AuthSecondStepFailed => "auth.second_step_failed", SignIn, Medium, "A second step of a sign-in failed after a right password (the event says which method)";
    TwoStepEnrolled => "two_step.enrolled", TwoStepVerification, Medium, "A person added an authenticator app, security key or passkey to their account";
    TwoStepRemoved => "two_step.removed", TwoStepVerification, High, "A person removed an authenticator app, security key or passkey from their account";
    TwoStepRecoveryCodesGenerated => "two_step.recovery_codes_generated", TwoStepVerification, Medium, "A person's recovery codes were made anew (the earlier ones stopped working)";
    TwoStepRecoveryCodeUsed => "two_step.recovery_code_used", TwoStepVerification, High, "A person signed in with one of their recovery codes";
    TwoStepReset => "two_step.reset", TwoStepVerification, High, "An admin of the managing organization removed every second step of an account";
    PolicyCreated => "policy.created", Policies, High, "An authentication policy was added";
    PolicyUpdated => "policy.updated", Policies, High, "An authentication policy's name or rules changed (the event has both)";
    PolicyDeleted => "policy.deleted", Policies, High, "An authentication policy was deleted; its members joined the default policy";
    PolicyDefaultChanged => "policy.default_changed", Policies, High, "Another policy became the default that new managed accounts join";
    PolicyMemberMoved => "policy.member_moved", Policies, Medium, "A managed account moved to another authentication policy";
    PolicySessionsEnded => "policy.sessions_ended", Policies, Medium, "An admin ended every session of a policy's members so its new session rules apply at once";
    PolicyExternalUpdated => "policy.external_updated", Policies, High, "The rules for people the organization gives access but does not manage changed";
    AuthEmailCodeVerified => "auth.email_code_verified", SignIn, Low, "A person proved their mailbox with a mailed code, as an organization's external-users policy asks";
    AuthPasswordChangeRequired => "auth.password_change_required", SignIn, Low, "A sign-in asked for a new password: the account's password expired or no longer meets its policy";
    // Billing (issue 17): the operator's plan and free status, the subscription, and policy
    // enforcement paused for want of one (operators who require a subscription).
    OrgPlanChanged => "org.plan_changed", Organization, Medium, "The operator changed the organization's plan (free, standard, enterprise)";
    OrgFreeChanged => "org.free_changed", Organization, Medium, "The operator made the organization free as a community or academic one, or ended that";
    BillingTrialStarted => "billing.trial_started", Billing, Medium, "An admin started the organization's 30-day trial";
    BillingSubscribed => "billing.subscribed", Billing, Medium, "The organization subscribed, monthly or annually (a running trial converted)";
    BillingCancelled => "billing.cancelled", Billing, High, "The subscription was cancelled; it runs until the end of its cycle";
    BillingRunCompleted => "billing.run_completed", Billing, Low, "A cycle of the subscription ended: its counts per rule, amount and invoice record were stored";
    BillingResumed => "billing.resumed", Billing, Medium, "A cancellation was withdrawn before it took effect: the subscription renews again";
    BillingEnforcementPaused => "billing.enforcement_paused", Billing, High, "Without an active trial or subscription, enforcement of SSO, required two-step verification and non-default policies paused (nothing was changed or deleted)";
    BillingEnforcementResumed => "billing.enforcement_resumed", Billing, High, "Enforcement of the organization's policies resumed (a trial or subscription started, or the operator stopped requiring one)";
}

impl AuditAction {
    /// The stable dotted name stored with each event (`account.created`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn category(self) -> Category {
        self.spec().category
    }

    pub fn severity(self) -> Severity {
        self.spec().severity
    }

    /// What the action means, in a sentence for people.
    pub fn description(self) -> &'static str {
        self.spec().description
    }

    /// The action of this name, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_dotted_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            let n = a.name();
            assert!(seen.insert(n), "duplicate {n}");
            assert!(n.contains('.') && n.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'));
            assert_eq!(AuditAction::from_name(n), Some(*a));
            assert!(!a.description().is_empty());
        }
        assert_eq!(AuditAction::from_name("account.exploded"), None);
    }

    #[test]
    fn a_name_starts_with_its_category() {
        for a in AuditAction::ALL {
            let prefix = a.name().split('.').next().unwrap_or_default();
            let expected = match prefix {
                "org" => Category::Organization,
                "account" => Category::Accounts,
                "user_api_token" => Category::ApiTokens,
                "instance" => Category::Products,
                "group" => Category::Groups,
                "product_access" => Category::ProductAccess,
                "org_admin" | "admin" => Category::Admins,
                "api_key" => Category::ApiKeys,
                "audit" => Category::AuditLog,
                "auth" | "session" => Category::SignIn,
                "directory" => Category::Directories,
                "scim" => Category::Provisioning,
                "domain" => Category::Domains,
                "client" => Category::ProductClients,
                "oauth" => Category::ProductSignIn,
                "identity_provider" => Category::IdentityProviders,
                "sso" => Category::SingleSignOn,
                "two_step" => Category::TwoStepVerification,
                "policy" => Category::Policies,
                "billing" => Category::Billing,
                other => panic!("no category for {other}"),
            };
            assert_eq!(a.category(), expected, "{}", a.name());
        }
    }

    #[test]
    fn what_a_security_team_alerts_on_is_high() {
        for a in [
            AuditAction::OrgAdminGranted,
            AuditAction::ApiKeyCreated,
            AuditAction::AuthLockedOut,
            AuditAction::AuditPruned,
        ] {
            assert_eq!(a.severity(), Severity::High, "{}", a.name());
        }
        assert_eq!(AuditAction::GroupCreated.severity(), Severity::Low);
    }
}
