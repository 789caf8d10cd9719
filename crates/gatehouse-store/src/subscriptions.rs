//! Each organization's subscription record (`subscriptions`, migration 0022): its trial, its
//! paid subscription and when enforcement was recorded as paused.

use crate::SqlTx;
use crate::db::{Db, opt_ms};
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::billing::cycle::Cycle;
use gatehouse_core::billing::subscription::{AnnualTier, Paid, Subscription, Trial};
use gatehouse_core::ids::OrgId;
use gatehouse_core::ports::{SubscriptionReads, SubscriptionTx};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::ops::DerefMut;

/// The record's columns, read through a join from `orgs o` so that an organization without a
/// row reads as an empty record (every column NULL but the org's id).
const COLS: &str = "o.id AS org_id, s.trial_started_at, s.trial_ends_at, s.cycle, s.started_at, \
                    s.annual_tier, s.cancel_at, s.enforcement_paused_at, \
                    COALESCE(s.updated_at, o.created_at) AS updated_at";
const FROM: &str = " FROM orgs o LEFT JOIN subscriptions s ON s.org_id = o.id";

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored subscription {what} is not valid"))
}

fn subscription(r: &AnyRow) -> Result<Subscription> {
    let trial = match (rows::ot(r, "trial_started_at")?, rows::ot(r, "trial_ends_at")?) {
        (Some(started_at), Some(ends_at)) => Some(Trial { started_at, ends_at }),
        (None, None) => None,
        _ => return Err(corrupt("trial")),
    };
    let paid = match (rows::os(r, "cycle")?, rows::ot(r, "started_at")?) {
        (Some(cycle), Some(started_at)) => Some(Paid {
            cycle: Cycle::parse(&cycle).map_err(|_| corrupt("cycle"))?,
            started_at,
            annual_tier: r
                .try_get::<Option<i64>, _>("annual_tier")
                .map_err(crate::error::db_err)?
                .map(|t| AnnualTier::parse(t).map_err(|_| corrupt("annual tier")))
                .transpose()?,
            cancel_at: rows::ot(r, "cancel_at")?,
        }),
        (None, None) => None,
        _ => return Err(corrupt("cycle")),
    };
    Ok(Subscription {
        org_id: rows::org_id(r)?,
        trial,
        paid,
        enforcement_paused_at: rows::ot(r, "enforcement_paused_at")?,
        updated_at: Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

impl<C: DerefMut<Target = AnyConnection> + Send> SubscriptionReads for Db<C> {
    async fn find_subscription(&mut self, org: OrgId) -> Result<Option<Subscription>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLS).push(FROM);
        q.push(" WHERE s.org_id = ").bind(org.to_string());
        self.one(&q, subscription).await
    }

    async fn list_lapsed_unpaused(&mut self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLS).push(FROM);
        // The dates of core's rule (`Subscription::status_at`): no trial running, and no
        // subscription taken or the one taken cancelled with effect by now.
        q.push(" WHERE s.enforcement_paused_at IS NULL AND COALESCE(s.trial_ends_at, 0) <= ")
            .bind(now.millis());
        q.push(" AND (s.started_at IS NULL OR s.cancel_at <= ")
            .bind(now.millis())
            .push(") ORDER BY o.id");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        self.all(&q, subscription).await
    }

    async fn list_paused(&mut self, limit: u32) -> Result<Vec<Subscription>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLS).push(FROM);
        q.push(" WHERE s.enforcement_paused_at IS NOT NULL ORDER BY o.id");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        self.all(&q, subscription).await
    }

    async fn list_paid_subscriptions(&mut self, after: Option<OrgId>, limit: u32) -> Result<Vec<Subscription>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLS).push(FROM).push(" WHERE s.started_at IS NOT NULL");
        if let Some(a) = after {
            q.push(" AND o.id > ").bind(a.to_string());
        }
        q.push(" ORDER BY o.id");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        self.all(&q, subscription).await
    }
}

impl SubscriptionTx for SqlTx {
    async fn put_subscription(&mut self, s: &Subscription) -> Result<()> {
        let paid = s.paid.as_ref();
        let q = Sql::new(
            "INSERT INTO subscriptions (org_id, trial_started_at, trial_ends_at, cycle, started_at, annual_tier, \
             cancel_at, enforcement_paused_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (org_id) DO UPDATE SET trial_started_at = excluded.trial_started_at, \
             trial_ends_at = excluded.trial_ends_at, cycle = excluded.cycle, started_at = excluded.started_at, \
             annual_tier = excluded.annual_tier, cancel_at = excluded.cancel_at, \
             enforcement_paused_at = excluded.enforcement_paused_at, updated_at = excluded.updated_at",
        )
        .with(s.org_id.to_string())
        .with(opt_ms(s.trial.map(|t| t.started_at)))
        .with(opt_ms(s.trial.map(|t| t.ends_at)))
        .with(paid.map(|p| p.cycle.as_str().to_owned()))
        .with(opt_ms(paid.map(|p| p.started_at)))
        .with(paid.and_then(|p| p.annual_tier).map(|t| i64::from(t.users())))
        .with(opt_ms(paid.and_then(|p| p.cancel_at)))
        .with(opt_ms(s.enforcement_paused_at))
        .with(s.updated_at.millis());
        self.exec(&q).await.map(|_| ())
    }
}
