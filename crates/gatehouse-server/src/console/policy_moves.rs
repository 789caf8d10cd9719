//! Moving accounts into a policy from the console: a list of rows (one account id or email
//! each, as typed or as a CSV file has them) read and resolved to the organization's managed
//! accounts, the simulator's report of the move as the pages show it, and the report of what
//! happened to each row. The members page (`policy_members.rs`) and its script
//! (`static/policies.js`, which reads a file the same way) use it.

use crate::state::AppState;
use gatehouse_core::CoreError;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::ids::{AccountId, PolicyId};
use gatehouse_core::policy::judge::Lockout;
use gatehouse_core::services::policies::{MAX_MOVE, MoveOutcome, Proposal, SimulationReport};
use gatehouse_core::types::Email;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Each outcome of a row and its words.
pub const OUTCOMES: [(&str, &str); 7] = [
    ("will_move", "Will move"),
    ("moved", "Moved"),
    ("already_member", "Already a member"),
    ("not_managed", "Not managed by the organization"),
    ("not_found", "No managed account has this email"),
    ("malformed", "Not an account id or an email"),
    ("duplicate", "Named twice"),
];

fn outcome_label(code: &str) -> &'static str {
    OUTCOMES.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

/// What a row names.
enum Entry {
    Id(AccountId),
    Email(Email),
    Malformed,
}

/// One row of the list and what became of it.
#[derive(Serialize, Clone)]
pub struct Row {
    /// The row as given.
    pub value: String,
    /// `moved`, `already_member`, `not_managed`, `not_found`, `malformed`, `duplicate`; before
    /// the move, `will_move` for the rows that name a managed account.
    pub outcome: &'static str,
    /// The outcome in words.
    pub label: &'static str,
    #[serde(skip)]
    account: Option<AccountId>,
}

/// The rows of `text`: one per line, the first comma-separated field of each, trimmed and
/// unquoted; blank lines are skipped, and a first row `account_id` or `email` is a header.
/// Checked as [`checked`].
pub fn rows_of(text: &str) -> Result<Vec<String>, CoreError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<String> = text
        .lines()
        .map(|l| {
            let first = l.split(',').next().unwrap_or("").trim();
            let unquoted = first
                .strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(first);
            unquoted.trim().to_owned()
        })
        .filter(|r| !r.is_empty())
        .collect();
    if rows
        .first()
        .is_some_and(|h| h.eq_ignore_ascii_case("account_id") || h.eq_ignore_ascii_case("email"))
    {
        rows.remove(0);
    }
    checked(rows)
}

/// Rows as the page's script sends them (already read from the file), each trimmed: at least
/// one, at most [`MAX_MOVE`] (more are refused, naming the limit), none with a NUL.
pub fn checked(rows: Vec<String>) -> Result<Vec<String>, CoreError> {
    let rows: Vec<String> = rows.into_iter().map(|r| r.trim().to_owned()).collect();
    // A list this long is past the edge's NUL check (which reads bodies up to 64 KiB): the
    // same refusal here, as no field accepts the character.
    if rows.iter().any(|r| r.contains('\0')) {
        return Err(CoreError::validation(
            "accounts",
            "must not contain the NUL character (U+0000)",
        ));
    }
    if rows.is_empty() {
        return Err(CoreError::validation(
            "accounts",
            "name at least one account id or email",
        ));
    }
    if rows.len() > MAX_MOVE {
        return Err(CoreError::validation(
            "accounts",
            format!(
                "name at most {MAX_MOVE} accounts in one move (this list has {})",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

fn entry(raw: &str) -> Entry {
    if raw.contains('@') {
        Email::parse(raw).map_or(Entry::Malformed, Entry::Email)
    } else {
        AccountId::parse(raw).map_or(Entry::Malformed, Entry::Id)
    }
}

/// The rows resolved: emails to the managed accounts they belong to; `accounts` holds each
/// account once, in the order first named.
pub struct Resolved {
    pub rows: Vec<Row>,
    pub accounts: Vec<AccountId>,
}

impl Resolved {
    /// Counts of rows by outcome, for the report's summary.
    pub fn count(&self, outcome: &str) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }
}

/// Reads and resolves the rows (one query per 500 emails); nothing changes.
pub async fn resolve(st: &AppState, admin: &OrgAdmin, rows: Vec<String>) -> Result<Resolved, CoreError> {
    let entries: Vec<Entry> = rows.iter().map(|r| entry(r)).collect();
    let emails: Vec<Email> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Email(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    let found: HashMap<String, AccountId> = st
        .services
        .policies
        .find_managed_by_email(admin, &emails)
        .await?
        .into_iter()
        .map(|(e, id)| (e.as_str().to_owned(), id))
        .collect();
    let mut seen = HashSet::new();
    let mut accounts = Vec::new();
    let rows = rows
        .into_iter()
        .zip(entries)
        .map(|(value, e)| {
            let (outcome, account) = match e {
                Entry::Malformed => ("malformed", None),
                Entry::Email(m) => match found.get(m.as_str()) {
                    Some(id) => ("will_move", Some(*id)),
                    None => ("not_found", None),
                },
                Entry::Id(id) => ("will_move", Some(id)),
            };
            let outcome = match account {
                Some(id) if !seen.insert(id) => "duplicate",
                Some(id) => {
                    accounts.push(id);
                    outcome
                }
                None => outcome,
            };
            Row {
                value,
                outcome,
                label: outcome_label(outcome),
                account,
            }
        })
        .collect();
    Ok(Resolved { rows, accounts })
}

/// Moves the resolved accounts (one core call: all or nothing) and fills in each row's outcome.
pub async fn apply(st: &AppState, admin: &OrgAdmin, id: PolicyId, r: &mut Resolved) -> Result<(), CoreError> {
    if r.accounts.is_empty() {
        return Ok(());
    }
    let report = st.services.policies.move_members(admin, id, &r.accounts).await?;
    let outcomes: HashMap<AccountId, MoveOutcome> = report.rows.into_iter().collect();
    for row in &mut r.rows {
        if row.outcome == "will_move"
            && let Some(o) = row.account.and_then(|a| outcomes.get(&a))
        {
            row.outcome = o.as_str();
            row.label = outcome_label(row.outcome);
        }
    }
    Ok(())
}

/// The simulation of moving the resolved accounts in (`None` when no row names one).
pub async fn simulate_move(
    st: &AppState,
    admin: &OrgAdmin,
    id: PolicyId,
    r: &Resolved,
) -> Result<Option<SimView>, CoreError> {
    if r.accounts.is_empty() {
        return Ok(None);
    }
    let proposal = Proposal {
        settings: None,
        account_ids: Some(r.accounts.clone()),
    };
    let report = st.services.policies.simulate(admin, id, &proposal).await?;
    Ok(Some(SimView::from(report)))
}

/// What a simulator reason means, for people.
pub fn reason_label(code: &str) -> &'static str {
    match code {
        "sso_without_identity_provider" => "SSO is enforced but no provider signs in their email domain",
        "two_step_without_method" => "No second factor yet: must enrol at the next sign-in",
        "password_refused" => "Password fails the rules: must choose a new one at the next sign-in",
        "password_unknown" => "Password set before its strength was recorded: checked at the next sign-in",
        _ => "Other",
    }
}

/// One account of the simulation.
#[derive(Serialize)]
pub struct SimAccount {
    pub account_id: String,
    pub email: String,
    pub reasons: Vec<&'static str>,
}

/// The simulator's report as the review pages (and the script) show it.
#[derive(Serialize)]
pub struct SimView {
    pub checked: usize,
    pub affected: usize,
    pub not_managed: usize,
    /// (reason label, count), every reason.
    pub counts: Vec<(&'static str, usize)>,
    pub accounts: Vec<SimAccount>,
    pub truncated: bool,
}

fn reason_text(l: Lockout) -> &'static str {
    match l {
        Lockout::PasswordRefused("too_short") => "Password too short: must choose a new one",
        Lockout::PasswordRefused("too_weak") => "Password too weak: must choose a new one",
        Lockout::PasswordRefused("common") => "Password too common: must choose a new one",
        Lockout::PasswordRefused("expired") => "Password expired: must choose a new one",
        other => reason_label(other.code()),
    }
}

impl From<SimulationReport> for SimView {
    fn from(r: SimulationReport) -> Self {
        Self {
            checked: r.accounts_checked,
            affected: r.affected,
            not_managed: r.not_managed,
            counts: r.counts.iter().map(|(k, v)| (reason_label(k), *v)).collect(),
            accounts: r
                .accounts
                .into_iter()
                .map(|a| SimAccount {
                    account_id: a.account_id.to_string(),
                    email: a.email,
                    reasons: a.reasons.into_iter().map(reason_text).collect(),
                })
                .collect(),
            truncated: r.truncated,
        }
    }
}
