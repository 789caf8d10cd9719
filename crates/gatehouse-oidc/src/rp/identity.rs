//! Who a validated ID token says the person is: its claims mapped to an email, a name and
//! groups by the names an administrator configured.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::RpError;

/// Most claims kept as text; more are dropped (they are shown to an admin and audited).
pub const MAX_CLAIMS: usize = 100;
/// Longest text kept of one claim value.
pub const MAX_CLAIM_TEXT: usize = 1024;
/// Most group names read from the groups claim.
pub const MAX_GROUPS: usize = 200;

/// Which claims carry what; [`ClaimNames::default`] has the standard names (OIDC Core
/// §5.1), and `groups`, which Okta, Keycloak and Entra ID use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// The email address (`email`).
    pub email: String,
    /// The full name (`name`).
    pub display_name: String,
    /// The given name (`given_name`), used with the family name when there is no full name.
    pub given_name: String,
    /// The family name (`family_name`).
    pub family_name: String,
    /// The group names (`groups`), an array of strings or one string.
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            email: "email".into(),
            display_name: "name".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
            groups: "groups".into(),
        }
    }
}

/// What the ID token says of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: the stable subject at this provider.
    pub subject: String,
    /// The email address, if the mapped claim is there.
    pub email: Option<String>,
    /// The full name, or given and family name joined.
    pub display_name: Option<String>,
    /// The group names.
    pub groups: Vec<String>,
    /// Every claim as text (arrays as one entry per element), for a test sign-in to show
    /// and the audit log to keep; at most [`MAX_CLAIMS`] claims of [`MAX_CLAIM_TEXT`] bytes.
    pub claims: BTreeMap<String, Vec<String>>,
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    let t = claims.get(name)?.as_str()?.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A claim value as text, cut at [`MAX_CLAIM_TEXT`] bytes on a character boundary.
fn as_text(v: &Value) -> String {
    let mut s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.len() > MAX_CLAIM_TEXT {
        let mut end = MAX_CLAIM_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Maps validated ID token claims (from [`super::validate_id_token`]) to an [`Identity`].
///
/// An email the provider marks `email_verified: false` (OIDC Core §5.1; also the string
/// `"false"`, which some providers send) is refused: anyone can type an unverified address
/// into an IdP's profile, and the address decides which account signs in. An absent
/// `email_verified` is accepted (Entra ID sends none; the provider is trusted for its
/// domains).
///
/// # Errors
/// [`RpError::Subject`] without a `sub`; [`RpError::EmailUnverified`] as above.
pub fn identity_from_claims(claims: &Map<String, Value>, names: &ClaimNames) -> Result<Identity, RpError> {
    let subject = match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() => sub.to_owned(),
        _ => return Err(RpError::Subject),
    };
    let email = text(claims, &names.email);
    let unverified = matches!(claims.get("email_verified"), Some(Value::Bool(false)))
        || claims
            .get("email_verified")
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case("false"));
    if email.is_some() && unverified {
        return Err(RpError::EmailUnverified);
    }
    let display_name = text(claims, &names.display_name).or_else(|| {
        let parts: Vec<String> = [&names.given_name, &names.family_name]
            .into_iter()
            .filter_map(|n| text(claims, n))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let groups = match claims.get(&names.groups) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .take(MAX_GROUPS)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) if !one.trim().is_empty() => vec![one.trim().to_owned()],
        _ => Vec::new(),
    };
    let claims = claims
        .iter()
        .take(MAX_CLAIMS)
        .map(|(k, v)| {
            let values = match v {
                Value::Array(list) => list.iter().take(MAX_GROUPS).map(as_text).collect(),
                other => vec![as_text(other)],
            };
            (k.clone(), values)
        })
        .collect();
    Ok(Identity {
        subject,
        email,
        display_name,
        groups,
        claims,
    })
}
