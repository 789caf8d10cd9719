//! Application state, built in one place and handed to every handler.

use crate::config::Config;
use crate::domains::prover::RealProver;
use crate::hashing::{HashCounters, HashPool};
use crate::outbound::OutboundPolicy;
use crate::security::{OutboxMailer, SmtpMailer};
use gatehouse_core::auth::{Auth, SignInPolicy};
use gatehouse_core::domain::DomainPolicy;
use gatehouse_core::ports::{Clock, Mailer, PasswordHasher};
use gatehouse_core::sealing::KeyRing;
use gatehouse_core::services::Services;
use gatehouse_store::SqlStore;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use secrecy::ExposeSecret;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services<SqlStore>>,
    /// Authentication: sign-in, sessions, lockout and reset links.
    pub signin: Auth<SqlStore>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// SCIM creates waiting to be written together.
    pub creates: Arc<crate::scim::batch::CreateQueue>,
    /// Work the sign-in pages do after answering (lookups and mail that must not show in the
    /// answer's timing).
    pub deferred: crate::web::deferred::Deferred,
    /// The keys from the secret key file that seal secrets stored in the database (signing
    /// keys, IdP client secrets, TOTP keys): the services that store them take it from here.
    pub keys: Arc<KeyRing>,
    /// The OpenID Connect provider's keys and counters.
    pub oidc: Arc<crate::oidc::Oidc>,
    /// The back-channel logout worker's bell.
    pub logouts: crate::oidc::Logouts,
    /// The client single sign-on fetches through (IdP metadata, OIDC discovery, JWKS, tokens):
    /// the outbound policy's address rule, larger bodies (metadata), http only where the
    /// provider's settings allow it (loopback).
    pub sso_http: crate::outbound::Outbound,
    /// The OpenID Connect relying party's cache of providers' discovery documents and keys.
    pub oidc_rp: Arc<crate::sso::OidcRp>,
    /// The WebAuthn relying party (security keys, passkeys): `None` when the public URL's host
    /// is an IP address, which WebAuthn does not allow.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// The price list in force (`[billing] pricing_file`, else the published one), checked at start.
    pub pricing: Arc<gatehouse_core::billing::pricing::PriceTable>,
}

/// A Prometheus recorder owned by this app (not installed globally, so several apps can live
/// in one process, as they do in tests).
pub struct Metrics {
    pub recorder: PrometheusRecorder,
    pub handle: PrometheusHandle,
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        Self { recorder, handle }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl AppState {
    /// The state with the production ports: argon2id hashing on the configured pool (as wide
    /// as the machine by default), and mail to the outbox folder under the data directory.
    pub async fn new(store: SqlStore, clock: Arc<dyn Clock>, config: Config) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let pool = HashPool::new(
            config.sign_in.hash_workers as usize,
            config.sign_in.hash_queue as usize,
            HashCounters::register(&metrics.recorder),
        )?;
        let hasher: Arc<dyn PasswordHasher> = Arc::new(pool);
        let mailer: Arc<dyn Mailer> = match &config.mail.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(url.expose_secret(), &config.mail.from)?),
            None => Arc::new(OutboxMailer {
                dir: config.data_dir.join("outbox"),
            }),
        };
        Self::with_ports(store, clock, config, metrics, hasher, mailer).await
    }

    pub async fn with_ports(
        store: SqlStore,
        clock: Arc<dyn Clock>,
        config: Config,
        metrics: Metrics,
        hasher: Arc<dyn PasswordHasher>,
        mailer: Arc<dyn Mailer>,
    ) -> anyhow::Result<Self> {
        let keys = crate::secret_key::open_key_ring(&config.secret_key_path(), &store, clock.now()).await?;
        let policy = sign_in_policy(&config);
        let services_mail = Arc::clone(&mailer);
        let session_policy = policy.clone();
        let signin = Auth::new(
            store.clone(),
            clock.clone(),
            hasher,
            mailer,
            policy,
            config.public_url.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_common_passwords(common_passwords(&config)?);
        let prover = RealProver::new(
            OutboundPolicy::from_config(&config.outbound)?,
            config.domains.https_port,
        )?;
        let domain_policy = DomainPolicy {
            verify_window_secs: i64::from(config.domains.verify_days) * 86_400,
            grace_secs: i64::from(config.domains.grace_days) * 86_400,
            ..DomainPolicy::default()
        };
        let cluster = store.is_shared();
        let writers = store.batch_writers();
        let services = Services::new(store, clock)
            .with_mail(services_mail, config.public_url.clone())
            .with_sign_in_policy(&session_policy)
            .with_domain_checks(Arc::new(prover), domain_policy)
            .with_token_cache(std::time::Duration::from_secs(u64::from(
                config.scim.token_cache_seconds,
            )));
        // Other nodes may share a PostgreSQL database: tokens are kept only while this node
        // hears their changes (jobs::directory_changes_loop turns this on).
        services.directories.set_token_cache_live(!cluster);
        let services = services.with_provider_policy(config.oidc.policy());
        let alg = config.oidc.signing_alg;
        let publish = crate::oidc::Oidc::publish_secs(config.oidc.policy().access_ttl_secs);
        let oidc = crate::oidc::Oidc {
            keys: crate::oidc::keys::load_or_create(&services, &keys, alg, publish).await?,
            counter: crate::oidc::GrantCounter::default(),
            verified: crate::oidc::VerifiedTokens::default(),
        };
        let logouts = crate::oidc::Logouts::new(&OutboundPolicy::from_config(&config.outbound)?)?;
        let sso_http = crate::outbound::Outbound::new(&OutboundPolicy {
            https_only: false,
            max_body: 1024 * 1024,
            ..OutboundPolicy::from_config(&config.outbound)?
        })?;
        let webauthn = crate::web::two_step::rp::relying_party(&config.public_url);
        Ok(Self {
            webauthn,
            pricing: Arc::new(config.billing.price_table()?),
            services: Arc::new(services),
            signin,
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            creates: Arc::new(crate::scim::batch::CreateQueue::new(writers)),
            deferred: crate::web::deferred::Deferred::start(),
            keys: Arc::new(keys),
            oidc: Arc::new(oidc),
            oidc_rp: Arc::new(crate::sso::OidcRp::new(sso_http.clone())),
            sso_http,
            logouts,
        })
    }
}

impl AppState {
    /// The WebAuthn relying party, or `NotFound` when the public URL has none.
    pub fn relying_party(&self) -> Result<Arc<webauthn_rs::Webauthn>, gatehouse_core::CoreError> {
        self.webauthn
            .clone()
            .ok_or(gatehouse_core::CoreError::NotFound { entity: "security_key" })
    }
}

/// The operator's list of common passwords, one a line (blank lines and `#` comments skipped);
/// none when no file is configured.
fn common_passwords(config: &Config) -> anyhow::Result<Vec<String>> {
    let Some(path) = &config.sign_in.common_passwords_file else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the common passwords file {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// The sign-in rules the configuration sets.
fn sign_in_policy(config: &Config) -> SignInPolicy {
    SignInPolicy {
        idle_secs: i64::from(config.sessions.idle_minutes) * 60,
        absolute_secs: i64::from(config.sessions.absolute_hours) * 3600,
        attempts: i64::from(config.sign_in.attempts),
        email_ceiling: i64::from(config.sign_in.email_ceiling),
        ip_ceiling: i64::from(config.sign_in.ip_ceiling),
        require_second_step: config.sign_in.require_second_step,
        enforcement: gatehouse_core::policy::Enforcement::requiring_subscription(config.billing.require_subscription),
        ..SignInPolicy::default()
    }
}
