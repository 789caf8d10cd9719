//! Domains: add, verify (on demand and by the job), claim accounts, re-check, unverify.

use crate::Timestamp;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::domain::{
    ClaimMode, Domain, DomainCheck, DomainName, DomainPolicy, DomainProver, DomainStatus, ProofMethod, ProofOutcome,
};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, DomainId, OrgId};
use crate::ports::{Clock, ManagedVia, prelude::*};
use std::sync::Arc;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "domain" };

/// A domain with its recent checks, newest first.
#[derive(Debug, Clone)]
pub struct DomainDetail {
    pub domain: Domain,
    pub checks: Vec<DomainCheck>,
}

/// What one verification attempt did.
#[derive(Debug, Clone)]
pub struct Verification {
    pub domain: Domain,
    /// The outcome per method tried, in order.
    pub outcomes: Vec<(ProofMethod, ProofOutcome)>,
    /// Accounts that became managed because of it.
    pub claimed: usize,
}

/// Domain verification and the account management that follows from it.
pub struct DomainService<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    prover: Arc<dyn DomainProver>,
    policy: DomainPolicy,
}

impl<S: Store> Clone for DomainService<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            prover: self.prover.clone(),
            policy: self.policy.clone(),
        }
    }
}

fn event(
    org: OrgId,
    actor: &Actor,
    meta: &RequestMeta,
    action: &'static str,
    d: &Domain,
    now: Timestamp,
) -> AuditEvent {
    AuditEvent::new(org, actor, meta, action, now).target("domain", d.id, Some(&d.name))
}

impl<S: Store> DomainService<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>, prover: Arc<dyn DomainProver>, policy: DomainPolicy) -> Self {
        Self {
            store,
            clock,
            prover,
            policy,
        }
    }

    /// Adds a domain to verify. Consumer mailbox domains and domains another organization has
    /// verified are refused.
    pub async fn add(&self, admin: &OrgAdmin, name: &str, claim_mode: Option<&str>) -> Result<Domain> {
        let name = DomainName::parse(name)?;
        let claim_mode = claim_mode
            .map(ClaimMode::parse)
            .transpose()?
            .unwrap_or(ClaimMode::Automatic);
        if name.is_consumer() {
            return Err(CoreError::Forbidden {
                code: "consumer_domain",
                message: format!(
                    "{name} is a public email provider's domain; only a domain your organization owns can be verified."
                ),
            });
        }
        let now = self.clock.now();
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).map_err(CoreError::internal)?;
        let domain = Domain {
            id: DomainId::new(),
            org_id: admin.org(),
            name: name.to_string(),
            token: hex::encode(token),
            status: DomainStatus::Pending,
            claim_mode,
            created_at: now,
            verify_by: now.plus_secs(self.policy.verify_window_secs),
            verified_at: None,
            verified_method: None,
            last_checked_at: None,
            last_check_detail: None,
            failing_since: None,
        };
        let mut tx = self.store.begin().await?;
        if let Some(owner) = tx.find_verified_domain(name.as_str()).await?
            && owner.org_id != admin.org()
        {
            return Err(verified_elsewhere(&name));
        }
        if !tx.insert_domain(&domain).await? {
            return Err(CoreError::conflict(
                "domain_exists",
                Some("name"),
                "This domain is already added to the organization.",
            ));
        }
        tx.insert_event(&event(admin.org(), admin.actor(), admin.meta(), "domain.added", &domain, now).after(&domain))
            .await?;
        tx.commit().await?;
        Ok(domain)
    }

    pub async fn list(&self, admin: &OrgAdmin) -> Result<Vec<Domain>> {
        self.store.reader().await?.list_domains(admin.org()).await
    }

    pub async fn get(&self, admin: &OrgAdmin, id: DomainId) -> Result<DomainDetail> {
        let mut r = self.store.reader().await?;
        let domain = r.find_domain(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let checks = r.list_domain_checks(id, 50).await?;
        Ok(DomainDetail { domain, checks })
    }

    /// Looks for the proof now (DNS first, then HTTPS) and verifies the domain if it is there.
    pub async fn verify_now(&self, admin: &OrgAdmin, id: DomainId) -> Result<Verification> {
        let domain = self
            .store
            .reader()
            .await?
            .find_domain(admin.org(), id)
            .await?
            .ok_or(NOT_FOUND)?;
        self.check_and_apply(domain, admin.actor(), admin.meta()).await
    }

    async fn prove(&self, d: &Domain) -> Vec<(ProofMethod, ProofOutcome)> {
        let mut out = Vec::new();
        for method in [ProofMethod::Dns, ProofMethod::Https] {
            let outcome = self.prover.check(method, &d.name, &d.token).await;
            let found = outcome == ProofOutcome::Found;
            out.push((method, outcome));
            if found {
                break;
            }
        }
        out
    }

    /// Checks a domain and applies what follows: verification (and claiming), failure past the
    /// window, a missing proof on a verified domain, or unverification after the grace period.
    async fn check_and_apply(&self, before: Domain, actor: &Actor, meta: &RequestMeta) -> Result<Verification> {
        let outcomes = self.prove(&before).await;
        let now = self.clock.now();
        let found = outcomes
            .iter()
            .find(|(_, o)| *o == ProofOutcome::Found)
            .map(|(m, _)| *m);
        let detail = outcomes
            .iter()
            .map(|(m, o)| format!("{}: {}", m.as_str(), o.detail()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut d = before.clone();
        d.last_checked_at = Some(now);
        d.last_check_detail = Some(detail);
        let org = d.org_id;
        let mut tx = self.store.begin().await?;
        let current = tx.find_domain(org, d.id).await?.ok_or(NOT_FOUND)?;
        if current.status != before.status {
            // Someone else changed it meanwhile; their change stands.
            return Ok(Verification {
                domain: current,
                outcomes,
                claimed: 0,
            });
        }
        for (method, outcome) in &outcomes {
            let check = DomainCheck {
                checked_at: now,
                method: *method,
                outcome: outcome.as_str().into(),
                detail: outcome.detail().into(),
            };
            tx.insert_domain_check(d.id, &check).await?;
        }
        let mut claimed = 0;
        match (before.status, found) {
            (DomainStatus::Pending | DomainStatus::Failed, Some(method)) => {
                d.status = DomainStatus::Verified;
                d.verified_at = Some(now);
                d.verified_method = Some(method);
                d.failing_since = None;
                tx.update_domain(&d).await.map_err(|e| match e {
                    CoreError::Conflict {
                        code: "unique_violation",
                        ..
                    } => verified_elsewhere_str(&d.name),
                    other => other,
                })?;
                tx.insert_event(
                    &event(org, actor, meta, "domain.verified", &d, now)
                        .before(&before)
                        .after(&d),
                )
                .await?;
                if d.claim_mode == ClaimMode::Automatic {
                    claimed = claim_in(&mut tx, org, &d, None, actor, meta, now).await?;
                }
            }
            (DomainStatus::Pending, None) if now >= d.verify_by => {
                d.status = DomainStatus::Failed;
                tx.update_domain(&d).await?;
                tx.insert_event(
                    &event(org, actor, meta, "domain.verification_failed", &d, now)
                        .before(&before)
                        .after(&d),
                )
                .await?;
            }
            (DomainStatus::Verified, Some(_)) if before.failing_since.is_some() => {
                d.failing_since = None;
                tx.update_domain(&d).await?;
                tx.insert_event(&event(org, actor, meta, "domain.proof_restored", &d, now))
                    .await?;
            }
            (DomainStatus::Verified, None) => match before.failing_since {
                None => {
                    d.failing_since = Some(now);
                    tx.update_domain(&d).await?;
                    tx.insert_event(&event(org, actor, meta, "domain.proof_missing", &d, now).after(&d))
                        .await?;
                }
                Some(since) if now >= since.plus_secs(self.policy.grace_secs) => {
                    unverify_in(&mut tx, &mut d, actor, meta, now).await?;
                }
                Some(_) => tx.update_domain(&d).await?,
            },
            _ => tx.update_domain(&d).await?,
        }
        tx.commit().await?;
        Ok(Verification {
            domain: d,
            outcomes,
            claimed,
        })
    }

    /// Sets whether accounts are claimed automatically; switching to automatic on a verified
    /// domain claims its accounts now.
    pub async fn set_claim_mode(&self, admin: &OrgAdmin, id: DomainId, mode: &str) -> Result<Domain> {
        let mode = ClaimMode::parse(mode)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_domain(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if before.claim_mode == mode {
            return Ok(before);
        }
        let d = Domain {
            claim_mode: mode,
            ..before.clone()
        };
        tx.update_domain(&d).await?;
        tx.insert_event(
            &event(admin.org(), admin.actor(), admin.meta(), "domain.updated", &d, now)
                .before(&before)
                .after(&d),
        )
        .await?;
        if mode == ClaimMode::Automatic && d.status == DomainStatus::Verified {
            claim_in(&mut tx, admin.org(), &d, None, admin.actor(), admin.meta(), now).await?;
        }
        tx.commit().await?;
        Ok(d)
    }

    /// Makes accounts on a verified domain managed: all of them, or the listed ones.
    pub async fn claim(&self, admin: &OrgAdmin, id: DomainId, only: Option<Vec<AccountId>>) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_domain(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if d.status != DomainStatus::Verified {
            return Err(CoreError::conflict(
                "domain_not_verified",
                None,
                "Verify the domain before claiming its accounts.",
            ));
        }
        let n = claim_in(
            &mut tx,
            admin.org(),
            &d,
            only.as_deref(),
            admin.actor(),
            admin.meta(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Removes a domain; if it was verified, its claimed accounts are released first.
    pub async fn remove(&self, admin: &OrgAdmin, id: DomainId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut d = tx.find_domain(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if d.status == DomainStatus::Verified {
            unverify_in(&mut tx, &mut d, admin.actor(), admin.meta(), now).await?;
        }
        tx.delete_domain(admin.org(), id).await?;
        tx.insert_event(&event(admin.org(), admin.actor(), admin.meta(), "domain.removed", &d, now).before(&d))
            .await?;
        tx.commit().await
    }

    /// One pass of the background job: checks pending domains now and then, re-checks verified
    /// ones daily, and applies what it finds. Returns how many domains it looked at and the
    /// failures (one domain's trouble does not stop the others; the next pass retries it).
    pub async fn run_checks(&self) -> Result<(usize, Vec<String>)> {
        let now = self.clock.now();
        let due = self
            .store
            .reader()
            .await?
            .list_due_domains(
                now.plus_secs(-self.policy.pending_every_secs),
                now.plus_secs(-self.policy.recheck_every_secs),
                100,
            )
            .await?;
        let actor = Actor::system("domain checks");
        let mut failures = Vec::new();
        for d in &due {
            if let Err(e) = self.check_and_apply(d.clone(), &actor, &RequestMeta::default()).await {
                failures.push(format!("{}: {e}", d.name));
            }
        }
        Ok((due.len(), failures))
    }
}

fn verified_elsewhere(name: &DomainName) -> CoreError {
    verified_elsewhere_str(name.as_str())
}

fn verified_elsewhere_str(name: &str) -> CoreError {
    CoreError::conflict(
        "domain_verified_elsewhere",
        Some("name"),
        format!("{name} is verified by another organization. Contact support if your organization owns it."),
    )
}

async fn claim_in<T: Reads + Writes>(
    tx: &mut T,
    org: OrgId,
    d: &Domain,
    only: Option<&[AccountId]>,
    actor: &Actor,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<usize> {
    let ids = tx.list_claimable_accounts(org, &d.name, only).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    tx.claim_accounts(org, &ids, now, ManagedVia::Domain).await?;
    let listed: Vec<String> = ids.iter().take(1000).map(ToString::to_string).collect();
    let ev = event(org, actor, meta, "domain.accounts_claimed", d, now)
        .after(&serde_json::json!({ "count": ids.len(), "account_ids": listed }));
    tx.insert_event(&ev).await?;
    Ok(ids.len())
}

async fn unverify_in<T: Reads + Writes>(
    tx: &mut T,
    d: &mut Domain,
    actor: &Actor,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<()> {
    let before = d.clone();
    d.status = DomainStatus::Pending;
    d.verified_at = None;
    d.verified_method = None;
    d.failing_since = None;
    d.verify_by = now.plus_secs(30 * 86_400);
    tx.update_domain(d).await?;
    let released = tx.release_domain_accounts(d.org_id, &d.name).await?;
    let ev = event(d.org_id, actor, meta, "domain.unverified", d, now)
        .before(&before)
        .after(&serde_json::json!({ "status": d.status, "released_accounts": released.len() }));
    tx.insert_event(&ev).await
}
