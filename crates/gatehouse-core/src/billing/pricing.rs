//! What Gatehouse costs: a graduated price per user per month, and annual plans bought in tiers
//! of users. Pure arithmetic over a validated [`PriceTable`]; no I/O, no clock.
//!
//! *Graduated* means each user is priced by the tier it falls in, not the whole organization by
//! the tier of its size: with the default table, 150 users cost 100 × 400 + 50 × 350 = 57,500
//! cents a month. So adding a user never lowers the bill, and the average per user never rises.
//!
//! An annual plan is bought for a tier of users (25, 50, 100, ...): its price is
//! [`ANNUAL_MONTHS`] times the monthly total of the tier's user count. Above the last tier the
//! organization pays [`ANNUAL_MONTHS`] times the monthly total of its own count.
//!
//! Money is in the currency's minor unit (cents). Totals are `u128`: a `u64` count of users
//! times a `u32` price, times [`ANNUAL_MONTHS`], cannot overflow, so no arithmetic here needs
//! a check.

use crate::error::{CoreError, FieldError, Result};

/// An annual plan costs this many months of the monthly total (two months free).
pub const ANNUAL_MONTHS: u128 = 10;

/// Most tiers a table may have (a price list, not a data set).
pub const MAX_TIERS: usize = 64;

/// Most annual tiers a table may have.
pub const MAX_ANNUAL_TIERS: usize = 256;

/// The default annual tiers, in users.
pub const DEFAULT_ANNUAL_TIERS: [u64; 12] = [
    25, 50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// The default monthly tiers: `(up to this many users, cents per user)`, the last unbounded.
const DEFAULT_TIERS: [(Option<i64>, i64); 7] = [
    (Some(100), 400),
    (Some(1_000), 350),
    (Some(5_000), 275),
    (Some(10_000), 160),
    (Some(25_000), 105),
    (Some(50_000), 85),
    (None, 65),
];

/// An ISO 4217 currency code: three upper-case ASCII letters (`USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    /// Parses a code; `field` names the input in errors. Lower case is refused rather than
    /// folded, so a price list says exactly what it will show.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CoreError::validation(
                field,
                format!("must be a three-letter ISO 4217 code in capitals, like USD (not {raw:?})"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One tier as an operator writes it: the tier holds the users up to `up_to` (inclusive;
/// `None`: every user beyond) that the tier before it does not. Signed, so that a negative
/// number is refused with the tier named instead of failing to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierSpec {
    pub up_to: Option<i64>,
    pub unit_cents: i64,
}

/// A tier of a valid table: users `from..=to` (`to` `None`: unbounded) each cost `unit_cents`
/// a month. A table's tiers start at 1 and follow each other without gap or overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    from: u64,
    to: Option<u64>,
    unit_cents: u32,
}

impl Tier {
    /// The first user (1-based) the tier prices.
    pub fn from(&self) -> u64 {
        self.from
    }

    /// The last user the tier prices; `None`: every user from `from` on.
    pub fn to(&self) -> Option<u64> {
        self.to
    }

    /// Cents per user per month.
    pub fn unit_cents(&self) -> u32 {
        self.unit_cents
    }
}

/// One tier's share of a monthly total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLine {
    pub from: u64,
    pub to: Option<u64>,
    /// How many of the users this tier prices.
    pub users: u64,
    pub unit_cents: u32,
    pub subtotal_cents: u128,
}

/// A monthly price for a number of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub users: u64,
    pub total_cents: u128,
    /// `total_cents / users` rounded half up (see [`average_cents`]); 0 for 0 users.
    pub average_cents_per_user: u128,
    /// The tiers that price at least one of the users, lowest first (empty for 0 users). The
    /// lines' users add up to `users` and their subtotals to `total_cents`.
    pub tiers: Vec<TierLine>,
}

/// An annual price for a number of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualQuote {
    /// The users asked about.
    pub users: u64,
    /// The annual tier bought: the smallest that holds `users`; `None` above the last tier.
    pub tier: Option<u64>,
    /// The price of the year.
    pub total_cents: u128,
    /// `total_cents / users` rounded half up: what each of the users costs for the year; 0 for
    /// 0 users.
    pub average_cents_per_user: u128,
    /// The monthly quote the price is made of: for the tier's user count, or for `users`
    /// above the last tier.
    pub monthly: Quote,
}

/// `total / users`, rounded half up (0 for 0 users).
///
/// *Decided*: half up rather than floor, so the figure shown is the nearest whole cent (150
/// users at 57,500 cents: 383.33 → 383; 1,000,000 users at 67,705,000: 67.705 → 68). Rounding
/// is monotone, so an average that never rises stays so once rounded.
pub fn average_cents(total: u128, users: u64) -> u128 {
    if users == 0 {
        return 0;
    }
    let users = u128::from(users);
    (2 * total + users) / (2 * users)
}

/// A validated price list: graduated monthly tiers and the annual tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    currency: Currency,
    tiers: Vec<Tier>,
    annual_tiers: Vec<u64>,
}

impl Default for PriceTable {
    /// The published price list (USD).
    fn default() -> Self {
        let tiers = DEFAULT_TIERS.map(|(up_to, unit_cents)| TierSpec { up_to, unit_cents });
        let annual = DEFAULT_ANNUAL_TIERS.map(|t| t as i64);
        Self::new("USD", &tiers, &annual).expect("the default price table is valid")
    }
}

impl PriceTable {
    /// Checks and builds a table. Every problem found is reported, each naming its input:
    /// `tiers[2].unit_cents`, `annual_tiers[0]` (indexes from 0, as the list is written).
    ///
    /// Rules: at least one tier (at most [`MAX_TIERS`]); the first holds at least user 1;
    /// each `up_to` is above the one before (tiers ascend; from `up_to`s there can be no gap
    /// or overlap); only the last tier, and always it, is unbounded; prices are whole cents
    /// from 0 to `u32::MAX` and never above the tier before (a larger customer never pays more
    /// per user). Annual tiers: at least one (at most [`MAX_ANNUAL_TIERS`]), each at least 1
    /// and above the one before.
    pub fn new(currency: &str, tiers: &[TierSpec], annual_tiers: &[i64]) -> Result<Self> {
        let mut errors = Vec::new();
        let currency = Currency::parse(currency, "currency").map_err(|e| push_all(&mut errors, e));
        let checked = check_tiers(tiers, &mut errors);
        let annual = check_annual_tiers(annual_tiers, &mut errors);
        match (currency, errors.is_empty()) {
            (Ok(currency), true) => Ok(Self {
                currency,
                tiers: checked,
                annual_tiers: annual,
            }),
            _ => Err(CoreError::Validation { fields: errors }),
        }
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The monthly tiers, lowest first.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The annual tiers in users, smallest first.
    pub fn annual_tiers(&self) -> &[u64] {
        &self.annual_tiers
    }

    /// The monthly price of `users` users, tier by tier.
    pub fn monthly_total(&self, users: u64) -> Quote {
        let mut lines = Vec::new();
        let mut total: u128 = 0;
        for tier in &self.tiers {
            if users < tier.from {
                break;
            }
            let last = tier.to.map_or(users, |to| to.min(users));
            let count = last - tier.from + 1;
            let subtotal = u128::from(count) * u128::from(tier.unit_cents);
            total += subtotal;
            lines.push(TierLine {
                from: tier.from,
                to: tier.to,
                users: count,
                unit_cents: tier.unit_cents,
                subtotal_cents: subtotal,
            });
        }
        Quote {
            users,
            total_cents: total,
            average_cents_per_user: average_cents(total, users),
            tiers: lines,
        }
    }

    /// The annual tier that holds `users`: the smallest at least as large; `None` above the
    /// last. *Decided*: 0 users buy the smallest tier, the least an annual plan sells.
    pub fn annual_tier_for(&self, users: u64) -> Option<u64> {
        self.annual_tiers.iter().copied().find(|&t| t >= users)
    }

    /// The price of a year for `users` users: the price of the tier that holds them, or above
    /// the last tier [`ANNUAL_MONTHS`] times their own monthly total.
    pub fn annual_for(&self, users: u64) -> AnnualQuote {
        let tier = self.annual_tier_for(users);
        let monthly = self.monthly_total(tier.unwrap_or(users));
        let total = ANNUAL_MONTHS * monthly.total_cents;
        AnnualQuote {
            users,
            tier,
            total_cents: total,
            average_cents_per_user: average_cents(total, users),
            monthly,
        }
    }

    /// Each annual tier with its price, smallest first (the price list's annual column).
    pub fn annual_prices(&self) -> Vec<(u64, u128)> {
        self.annual_tiers
            .iter()
            .map(|&t| (t, ANNUAL_MONTHS * self.monthly_total(t).total_cents))
            .collect()
    }

    /// The updated quote for an organization that bought the annual tier of `current_tier`
    /// users and now has `users`: the quote of the tier that holds them, or `None` while they
    /// still fit. `current_tier` is the tier's user count as bought, so a tier of an earlier
    /// price list works too.
    pub fn next_tier_quote(&self, current_tier: u64, users: u64) -> Option<AnnualQuote> {
        (users > current_tier).then(|| self.annual_for(users))
    }
}

pub use super::cycle::Cycle;

/// The most users an estimate prices. *Decided*: 10,000,000,000, more people than there are;
/// a larger number is a mistake or a probe, and refusing it keeps every figure an estimate
/// shows (at the published prices) below 2^53, exact in any JSON reader.
pub const MAX_ESTIMATE_USERS: u64 = 10_000_000_000;

/// A count of users as a person types it: decimal digits, 0 to [`MAX_ESTIMATE_USERS`].
/// `None` (nothing given) is refused like a wrong number; `field` names the input.
pub fn parse_user_count(raw: Option<&str>, field: &str) -> Result<u64> {
    let bad = |m: String| CoreError::validation(field, m);
    let Some(raw) = raw else {
        return Err(bad("is required: the number of users to price, like 150".into()));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if raw.strip_prefix('-').is_some_and(digits) {
        return Err(bad("must not be negative".into()));
    }
    if !digits(raw) {
        return Err(bad("must be a whole number of users, like 150".into()));
    }
    match raw.parse::<u64>() {
        Ok(n) if n <= MAX_ESTIMATE_USERS => Ok(n),
        _ => Err(bad("must be at most 10,000,000,000".into())),
    }
}

/// A price for a number of users on a cycle: what the estimate API and the pricing page show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub users: u64,
    pub cycle: Cycle,
    /// The month's total, or the year's price.
    pub total_cents: u128,
    /// `total_cents / users`, rounded half up; 0 for 0 users.
    pub average_cents_per_user: u128,
    /// The monthly breakdown: of `users`, or annually of the tier's user count.
    pub tiers: Vec<TierLine>,
    /// Annually, the tier bought (`None` above the last); monthly, always `None`.
    pub annual_tier: Option<u64>,
}

impl PriceTable {
    /// The estimate for `users` users paying on `cycle`.
    pub fn estimate(&self, users: u64, cycle: Cycle) -> Estimate {
        match cycle {
            Cycle::Monthly => {
                let q = self.monthly_total(users);
                Estimate {
                    users,
                    cycle,
                    total_cents: q.total_cents,
                    average_cents_per_user: q.average_cents_per_user,
                    tiers: q.tiers,
                    annual_tier: None,
                }
            }
            Cycle::Annual => {
                let a = self.annual_for(users);
                Estimate {
                    users,
                    cycle,
                    total_cents: a.total_cents,
                    average_cents_per_user: a.average_cents_per_user,
                    tiers: a.monthly.tiers,
                    annual_tier: a.tier,
                }
            }
        }
    }
}

/// Moves a validation error's fields into `errors`.
fn push_all(errors: &mut Vec<FieldError>, e: CoreError) {
    if let CoreError::Validation { fields } = e {
        errors.extend(fields);
    }
}

/// The monthly tiers, checked; problems go to `errors`.
fn check_tiers(specs: &[TierSpec], errors: &mut Vec<FieldError>) -> Vec<Tier> {
    if specs.is_empty() {
        errors.push(FieldError::new("tiers", "must list at least one tier"));
        return Vec::new();
    }
    if specs.len() > MAX_TIERS {
        errors.push(FieldError::new("tiers", format!("must list at most {MAX_TIERS} tiers")));
        return Vec::new();
    }
    let mut tiers = Vec::with_capacity(specs.len());
    // The first user the next tier prices, while the tiers so far are sound.
    let mut next_from = Some(1u64);
    let last = specs.len() - 1;
    for (i, spec) in specs.iter().enumerate() {
        let field = |name: &str| format!("tiers[{i}].{name}");
        let n = i + 1;
        let to = match spec.up_to {
            None if i != last => {
                errors.push(FieldError::new(
                    field("up_to"),
                    format!("tier {n} is unbounded (up_to null), but only the last tier may be"),
                ));
                None
            }
            Some(_) if i == last => {
                errors.push(FieldError::new(
                    field("up_to"),
                    format!("the last tier (tier {n}) must be unbounded (up_to null), so that every count has a price"),
                ));
                None
            }
            Some(up_to) => bounded_to(up_to, i, next_from, errors),
            None => None,
        };
        let unit_cents = check_price(spec.unit_cents, i, specs, errors);
        if let (Some(from), Some(unit_cents)) = (next_from, unit_cents) {
            tiers.push(Tier { from, to, unit_cents });
        }
        next_from = match (next_from, to) {
            (Some(_), Some(to)) => to.checked_add(1),
            _ => None,
        };
    }
    tiers
}

/// The last user of tier `i` from its `up_to`, checked against the tier before.
fn bounded_to(up_to: i64, i: usize, from: Option<u64>, errors: &mut Vec<FieldError>) -> Option<u64> {
    let field = format!("tiers[{i}].up_to");
    let n = i + 1;
    if up_to < 1 {
        errors.push(FieldError::new(
            field,
            format!("tier {n} must hold at least user 1: up_to must be 1 or more, not {up_to}"),
        ));
        return None;
    }
    let up_to = up_to as u64;
    match from {
        Some(from) if up_to < from => {
            errors.push(FieldError::new(
                field,
                format!(
                    "tier {n} ends at {up_to} users, but tier {i} already prices up to {}: each up_to must be above the one before",
                    from - 1
                ),
            ));
            None
        }
        _ => Some(up_to),
    }
}

/// Tier `i`'s price, checked: whole cents from 0 to `u32::MAX`, never above the tier before.
fn check_price(cents: i64, i: usize, specs: &[TierSpec], errors: &mut Vec<FieldError>) -> Option<u32> {
    let field = format!("tiers[{i}].unit_cents");
    let n = i + 1;
    let Ok(unit) = u32::try_from(cents) else {
        let why = if cents < 0 {
            "must not be negative"
        } else {
            "is too large"
        };
        errors.push(FieldError::new(
            field,
            format!(
                "tier {n}'s price {why}: unit_cents must be 0 to {}, not {cents}",
                u32::MAX
            ),
        ));
        return None;
    };
    if let Some(before) = i.checked_sub(1).map(|j| specs[j].unit_cents)
        && cents > before
    {
        errors.push(FieldError::new(
            field,
            format!(
                "tier {n} costs {cents} cents, more than tier {i}'s {before}: a tier's price per user must not be above the one before"
            ),
        ));
        return None;
    }
    Some(unit)
}

/// The annual tiers, checked; problems go to `errors`.
fn check_annual_tiers(raw: &[i64], errors: &mut Vec<FieldError>) -> Vec<u64> {
    if raw.is_empty() {
        errors.push(FieldError::new("annual_tiers", "must list at least one tier"));
        return Vec::new();
    }
    if raw.len() > MAX_ANNUAL_TIERS {
        errors.push(FieldError::new(
            "annual_tiers",
            format!("must list at most {MAX_ANNUAL_TIERS} tiers"),
        ));
        return Vec::new();
    }
    let mut tiers: Vec<u64> = Vec::with_capacity(raw.len());
    for (i, &users) in raw.iter().enumerate() {
        let field = format!("annual_tiers[{i}]");
        if users < 1 {
            errors.push(FieldError::new(
                field,
                format!("an annual tier must hold at least 1 user, not {users}"),
            ));
        } else if let Some(&before) = tiers.last()
            && users as u64 <= before
        {
            errors.push(FieldError::new(
                field,
                format!("{users} users is not above the tier before ({before}): annual tiers must ascend"),
            ));
        } else {
            tiers.push(users as u64);
        }
    }
    tiers
}

#[cfg(test)]
mod tests;
