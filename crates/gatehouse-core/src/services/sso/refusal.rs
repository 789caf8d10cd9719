//! Why an SSO sign-in is refused: each reason a stable name for the audit log and a plain
//! sentence for the person.

/// Why an SSO sign-in was refused: a stable reason for the audit log, and what the person is
/// told (never more than they need).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRefusal {
    pub reason: &'static str,
    pub message: &'static str,
}

impl SsoRefusal {
    pub const fn new(reason: &'static str, message: &'static str) -> Self {
        Self { reason, message }
    }
}

pub(super) const UNKNOWN_REQUEST: SsoRefusal = SsoRefusal::new(
    "wrong_in_response_to",
    "This sign-in answers no request of ours, or it took too long. Start again.",
);
pub(super) const UNSOLICITED: SsoRefusal = SsoRefusal::new(
    "unsolicited_response",
    "Sign-ins started at the identity provider are not accepted here. Start from the sign-in page.",
);
pub(super) const REPLAYED: SsoRefusal =
    SsoRefusal::new("assertion_replayed", "This sign-in was used already. Start again.");
pub(super) const NO_EMAIL: SsoRefusal = SsoRefusal::new(
    "no_email",
    "Your identity provider did not say your email address. Ask your administrator.",
);
pub(super) const OUTSIDE: SsoRefusal = SsoRefusal::new(
    "email_outside_domains",
    "Your identity provider asserted an email address on a domain it does not sign in.",
);
pub(super) const NOT_MANAGED: SsoRefusal = SsoRefusal::new(
    "account_not_managed",
    "An account with this email address exists and is not managed by this organization. Sign in with its \
     password.",
);
pub(super) const INACTIVE: SsoRefusal = SsoRefusal::new("account_deactivated", "This account is deactivated.");
