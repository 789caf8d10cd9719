//! Billing runs: one per organization and cycle (migration 0022's `billing_runs`).

use crate::db::Db;
use crate::sql::Sql;
use crate::{SqlTx, rows};
use gatehouse_core::billing::cycle::{Cycle, Period};
use gatehouse_core::billing::run::BillingRun;
use gatehouse_core::ids::OrgId;
use gatehouse_core::ports::BillingTx;
use gatehouse_core::{CoreError, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

fn run(r: &AnyRow) -> Result<BillingRun> {
    let by_rule: Vec<(String, i64)> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&rows::s(r, "by_rule")?)
            .map_err(CoreError::internal)?
            .into_iter()
            .map(|(k, v)| (k, v.as_i64().unwrap_or(0)))
            .collect();
    Ok(BillingRun {
        id: rows::s(r, "id")?,
        org_id: rows::org_id(r)?,
        cycle: Cycle::parse(&rows::s(r, "cycle")?)?,
        period: Period {
            start: rows::t(r, "period_start")?,
            end: rows::t(r, "period_end")?,
        },
        billable_users: rows::i(r, "billable_users")?,
        by_rule,
        amount_cents: rows::i(r, "amount_cents")?,
        currency: rows::s(r, "currency")?,
        invoice_number: rows::s(r, "invoice_number")?,
        created_at: rows::t(r, "created_at")?,
    })
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn runs_of(&mut self, org: OrgId, limit: u32) -> Result<Vec<BillingRun>> {
        let mut q = Sql::new(
            "SELECT id, org_id, cycle, period_start, period_end, billable_users, by_rule, amount_cents, currency, \
             invoice_number, created_at FROM billing_runs WHERE org_id = ",
        );
        q.bind(org.to_string()).push(" ORDER BY period_start DESC");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        self.all(&q, run).await
    }
}

impl BillingTx for SqlTx {
    async fn insert_billing_run(&mut self, r: &BillingRun) -> Result<bool> {
        let by_rule: serde_json::Map<String, serde_json::Value> =
            r.by_rule.iter().map(|(k, n)| (k.clone(), (*n).into())).collect();
        let q = Sql::new(
            "INSERT INTO billing_runs (id, org_id, cycle, period_start, period_end, billable_users, by_rule, \
             amount_cents, currency, invoice_number, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (org_id, period_start) DO NOTHING",
        )
        .with(r.id.clone())
        .with(r.org_id.to_string())
        .with(r.cycle.as_str())
        .with(r.period.start.millis())
        .with(r.period.end.millis())
        .with(r.billable_users)
        .with(serde_json::Value::Object(by_rule).to_string())
        .with(r.amount_cents)
        .with(r.currency.clone())
        .with(r.invoice_number.clone())
        .with(r.created_at.millis());
        Ok(self.exec(&q).await? == 1)
    }
}
