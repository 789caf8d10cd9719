//! The operator's price list (`--pricing-file`, `GATEHOUSE_PRICING_FILE`, `[billing]
//! pricing_file`): a JSON file read once at start, checked by core's `PriceTable::new`, so a
//! mistake stops the server with the file and the tier named instead of quoting wrong prices.
//!
//! ```json
//! {"currency": "USD",
//!  "tiers": [{"up_to": 100, "unit_cents": 400}, {"up_to": null, "unit_cents": 65}],
//!  "annual_tiers": [25, 50, 100]}
//! ```
//! `annual_tiers` may be left out: the published tiers apply.

use super::BillingConfig;
use anyhow::{Context, bail};
use gatehouse_core::FieldError;
use gatehouse_core::billing::pricing::{DEFAULT_ANNUAL_TIERS, PriceTable, TierSpec};
use serde::Deserialize;
use std::path::Path;

/// Largest pricing file read: a price list is a few hundred bytes; this only keeps a wrong
/// path (a log, a disk image) from being read whole.
const MAX_FILE_BYTES: u64 = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricingFile {
    currency: String,
    tiers: Vec<TierEntry>,
    annual_tiers: Option<Vec<i64>>,
}

/// Signed numbers, so that a negative one reaches the table's checks and is refused with its
/// tier named, not as a JSON type error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierEntry {
    up_to: Option<i64>,
    unit_cents: i64,
}

impl BillingConfig {
    /// The price table in force: the operator's file if one is configured, else the
    /// published table.
    pub fn price_table(&self) -> anyhow::Result<PriceTable> {
        match &self.pricing_file {
            Some(path) => read_price_table(path),
            None => Ok(PriceTable::default()),
        }
    }
}

/// Reads and checks a pricing file.
pub(crate) fn read_price_table(path: &Path) -> anyhow::Result<PriceTable> {
    let what = || format!("the pricing file {}", path.display());
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", what()))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!("{} is {size} bytes; a price list is at most {MAX_FILE_BYTES}", what());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", what()))?;
    parse_price_table(&text).with_context(what)
}

/// Parses and checks a price list written as JSON.
pub(crate) fn parse_price_table(text: &str) -> anyhow::Result<PriceTable> {
    let file: PricingFile = serde_json::from_str(text).context("not a valid price list")?;
    let tiers: Vec<TierSpec> = file
        .tiers
        .iter()
        .map(|t| TierSpec {
            up_to: t.up_to,
            unit_cents: t.unit_cents,
        })
        .collect();
    let annual = file
        .annual_tiers
        .unwrap_or_else(|| DEFAULT_ANNUAL_TIERS.iter().map(|&t| t as i64).collect());
    PriceTable::new(&file.currency, &tiers, &annual).map_err(|e| match e {
        gatehouse_core::CoreError::Validation { fields } => {
            anyhow::anyhow!("{}", FieldError::describe_all(&fields))
        }
        other => anyhow::anyhow!("{other}"),
    })
}
