//! The public pricing page, `/pricing`: the price list in force (monthly tiers and annual
//! tiers) and a calculator. The calculator is a plain GET form, `/pricing?users=N&cycle=...`,
//! answered by the server, so it works without JavaScript and its answer has an address.
//! The figures come from the same `PriceTable::estimate` as the estimate API.

use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use gatehouse_core::billing::pricing::{Cycle, Estimate, MAX_ESTIMATE_USERS, PriceTable, parse_user_count};
use serde::Deserialize;

/// The calculator's query. Unknown parameters are ignored: a page address picks up tracking
/// parameters on the way, and they change nothing here.
#[derive(Deserialize)]
pub struct PricingQuery {
    users: Option<String>,
    cycle: Option<String>,
}

/// A row of a price list: who it is for, and what it costs.
struct Row {
    label: String,
    price: String,
}

/// A line of the calculator's breakdown: the users a tier priced (`101–150`), each one's
/// price and the line's month. Three columns, so that the table fits the narrow card of the
/// public pages even for a million users.
struct Line {
    users: String,
    unit: String,
    subtotal: String,
}

/// The calculator's answer, formatted.
struct Answer {
    total: String,
    /// "a month" or "a year".
    period: &'static str,
    /// "per month" or "per year".
    per: &'static str,
    /// "1 user", "150 users".
    users: String,
    average: String,
    /// Annually, what was bought: "the 250-user annual tier", or the note above the last.
    annual_note: Option<String>,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"{% extends "auth_base.html" %}
{% block title %}Pricing{% endblock %}
{% block content %}
<h1>Pricing</h1>
<p>Every user is priced at the rate of the tier it falls in: the first users at the first tier's price, the next ones at the next tier's, and so on. Amounts are in {{ currency }}.</p>
<h2 id="monthly">Per user per month</h2>
<div class="table-wrap"><table aria-labelledby="monthly">
<thead><tr><th scope="col">Users</th><th scope="col">Per user per month ({{ currency }})</th></tr></thead>
<tbody>{% for r in tiers %}<tr><td>{{ r.label }}</td><td>{{ r.price }}</td></tr>{% endfor %}</tbody>
</table></div>
<h2 id="annual">Annual plans</h2>
<p>An annual plan is bought for a tier of users and costs ten months of that many users.{% if let Some(last) = largest_annual %} Above {{ last }} users, a year is ten months of your own count.{% endif %}</p>
<div class="table-wrap"><table aria-labelledby="annual">
<thead><tr><th scope="col">Users up to</th><th scope="col">Per year ({{ currency }})</th></tr></thead>
<tbody>{% for r in annual %}<tr><td>{{ r.label }}</td><td>{{ r.price }}</td></tr>{% endfor %}</tbody>
</table></div>
<h2 id="estimate">Estimate your price</h2>
<form method="get" action="/pricing#estimate">
  <label for="users">Users</label>
  <input id="users" name="users" type="number" inputmode="numeric" min="0" max="{{ max_users }}" step="1" required value="{{ users_input }}"{% if error.is_some() %} aria-invalid="true" aria-describedby="estimate-error"{% endif %}>
  <label for="cycle">Billing</label>
  <select id="cycle" name="cycle">
    <option value="monthly"{% if !annual_cycle %} selected{% endif %}>Monthly</option>
    <option value="annual"{% if annual_cycle %} selected{% endif %}>Annual</option>
  </select>
  <button type="submit">Estimate</button>
</form>
{% if let Some(e) = error %}<p role="alert" class="error" id="estimate-error">{{ e }}</p>{% endif %}
{% if let Some(a) = answer %}
<section aria-labelledby="answer" id="estimate-answer">
<h2 id="answer">{{ a.users }}: {{ a.total }} {{ a.period }}</h2>
<p role="status" class="notice">{{ a.total }} {{ a.period }}, on average {{ a.average }} per user {{ a.per }}.</p>
{% if let Some(n) = a.annual_note %}<p>{{ n }}</p>{% endif %}
{% if !a.lines.is_empty() %}
<div class="table-wrap"><table aria-labelledby="answer">
<thead><tr><th scope="col">Users</th><th scope="col">Each ({{ currency }})</th><th scope="col">Month ({{ currency }})</th></tr></thead>
<tbody>{% for l in a.lines %}<tr><td>{{ l.users }}</td><td>{{ l.unit }}</td><td>{{ l.subtotal }}</td></tr>{% endfor %}</tbody>
</table></div>
{% endif %}
</section>
{% endif %}
<p><a href="/login">Sign in</a></p>
{% endblock %}"#
)]
struct PricingPage {
    currency: String,
    tiers: Vec<Row>,
    annual: Vec<Row>,
    largest_annual: Option<String>,
    max_users: u64,
    users_input: String,
    annual_cycle: bool,
    error: Option<String>,
    answer: Option<Answer>,
}

/// `GET /pricing`: the price list, and the estimate the query asks for, if any. A query that
/// does not parse shows the form again with what was wrong (400).
pub async fn page(State(st): State<AppState>, query: Result<Query<PricingQuery>, QueryRejection>) -> PageResult {
    let Query(q) = query.map_err(|_| PageError::BadRequest("The address's query could not be read.".into()))?;
    let table = &st.pricing;
    let (answer, error) = match estimate_for(table, &q) {
        Ok(estimate) => (estimate.map(|e| answer(table, &e)), None),
        Err(e) => (None, Some(say(&e))),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = PricingPage {
        currency: table.currency().to_string(),
        tiers: tier_rows(table),
        annual: annual_rows(table),
        largest_annual: table.annual_tiers().last().map(|&t| group(u128::from(t))),
        max_users: MAX_ESTIMATE_USERS,
        users_input: q.users.unwrap_or_default(),
        annual_cycle: q.cycle.as_deref() == Some("annual"),
        error,
        answer,
    };
    render_status(status, &page)
}

/// The estimate the query asks for: none until it names a number of users.
fn estimate_for(table: &PriceTable, q: &PricingQuery) -> Result<Option<Estimate>, CoreError> {
    let cycle = match q.cycle.as_deref() {
        Some(raw) => Cycle::parse(raw)?,
        None => Cycle::Monthly,
    };
    if q.users.is_none() {
        return Ok(None);
    }
    let users = parse_user_count(q.users.as_deref(), "users")?;
    Ok(Some(table.estimate(users, cycle)))
}

/// A refused query in a sentence.
fn say(e: &CoreError) -> String {
    match e {
        CoreError::Validation { fields } => fields
            .iter()
            .map(|f| match f.field.as_str() {
                "users" => format!("The number of users {}.", f.message),
                "cycle" => format!("The billing cycle {}.", f.message),
                other => format!("{other} {}.", f.message),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

fn tier_rows(table: &PriceTable) -> Vec<Row> {
    table
        .tiers()
        .iter()
        .map(|t| Row {
            label: range(t.from(), t.to()),
            price: amount(u128::from(t.unit_cents())),
        })
        .collect()
}

fn annual_rows(table: &PriceTable) -> Vec<Row> {
    table
        .annual_prices()
        .into_iter()
        .map(|(users, cents)| Row {
            label: group(u128::from(users)),
            price: amount(cents),
        })
        .collect()
}

fn answer(table: &PriceTable, e: &Estimate) -> Answer {
    let currency = table.currency().as_str();
    let annual_note = match (e.cycle, e.annual_tier) {
        (Cycle::Monthly, _) => None,
        (Cycle::Annual, Some(tier)) => Some(format!(
            "The {}-user annual tier: ten months of {} users. The breakdown is of one month.",
            group(u128::from(tier)),
            group(u128::from(tier))
        )),
        (Cycle::Annual, None) => Some(
            "More users than the largest annual tier: ten months of your own count. The breakdown is of one month."
                .to_owned(),
        ),
    };
    Answer {
        total: money(e.total_cents, currency),
        period: match e.cycle {
            Cycle::Monthly => "a month",
            Cycle::Annual => "a year",
        },
        per: match e.cycle {
            Cycle::Monthly => "per month",
            Cycle::Annual => "per year",
        },
        users: match e.users {
            1 => "1 user".to_owned(),
            n => format!("{} users", group(u128::from(n))),
        },
        average: money(e.average_cents_per_user, currency),
        annual_note,
        lines: e
            .tiers
            .iter()
            .map(|l| Line {
                users: match l.users {
                    1 => group(u128::from(l.from)),
                    n => range(l.from, Some(l.from + (n - 1))),
                },
                unit: amount(u128::from(l.unit_cents)),
                subtotal: amount(l.subtotal_cents),
            })
            .collect(),
    }
}

/// `1–100`, or `50,001+` for an unbounded tier.
fn range(from: u64, to: Option<u64>) -> String {
    match to {
        Some(to) => format!("{}–{}", group(u128::from(from)), group(u128::from(to))),
        None => format!("{}+", group(u128::from(from))),
    }
}

/// An amount in cents as `1,234.56 USD` (in sentences; tables name the currency once, in
/// their headings).
fn money(cents: u128, currency: &str) -> String {
    format!("{} {currency}", amount(cents))
}

/// An amount in cents as `1,234.56`. *Decided*: two decimals whatever the currency, as the
/// price list is written in hundredths.
fn amount(cents: u128) -> String {
    format!("{}.{:02}", group(cents / 100), cents % 100)
}

/// A whole number with thousands separators: `1,000,000`.
fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_grouped_by_thousands_with_two_decimals() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(10_000_000_000), "10,000,000,000");
        assert_eq!(money(57_500, "USD"), "575.00 USD");
        assert_eq!(money(5, "EUR"), "0.05 EUR");
        assert_eq!(money(92_050_650, "USD"), "920,506.50 USD");
        assert_eq!(range(50_001, None), "50,001+");
        assert_eq!(range(1, Some(100)), "1–100");
    }
}
