//! Configuration: defaults < TOML file < `GATEHOUSE_*` environment < command-line flags.
//! Settings nest by capability (`config.database.url`, `[database] url` in the file); the
//! flags and environment names stay flat, as documented. Secrets can also be read from a file
//! named by the matching `*_FILE` option, are held as `SecretString` and never printed by
//! `Debug`. Unknown keys in the file are an error.

mod args;
mod file;
mod oidc;
mod pricing;

pub use args::ConfigArgs;
pub use oidc::OidcConfig;

use anyhow::{Context, bail};
use file::FileConfig;
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::limits::RateLimit;

/// Settled configuration, grouped by the capability that reads it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory for the SQLite database, the mail outbox and other local state.
    pub data_dir: PathBuf,
    /// The URL people and products reach Gatehouse at, without a trailing slash. Every edge
    /// (API, SCIM, console, sign-in) builds its links from it, so it sits at the top.
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` is believed; every edge reads the client address
    /// through them, so they sit at the top too.
    pub trusted_proxies: Vec<IpAddr>,
    /// JSON logs rather than text.
    pub json_logs: bool,
    /// The key file named by `--secret-key-file`; `None`: `secret.key` in the data directory
    /// (see [`Config::secret_key_path`]).
    pub secret_key_file: Option<PathBuf>,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub sessions: SessionsConfig,
    pub sign_in: SignInConfig,
    pub billing: BillingConfig,
    pub mail: MailConfig,
    pub outbound: OutboundConfig,
    pub domains: DomainsConfig,
    pub scim: ScimConfig,
    pub audit: AuditConfig,
    pub oidc: OidcConfig,
    pub limits: LimitsConfig,
    pub metrics: MetricsConfig,
}

/// `[http]`: the listener, and how long and how many connections it keeps.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Most connections open at once; more wait in the listen queue until one closes.
    pub max_connections: usize,
    /// How long a request's headers may take to arrive.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// How long a request's whole body may take to arrive.
    pub body_timeout: Duration,
}

/// `[limits]`: request rates, each counted on this node (not across a cluster). `None` is off.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Admin API, per API key.
    pub api_per_key: Option<RateLimit>,
    /// Admin API, per client IP.
    pub api_per_ip: Option<RateLimit>,
    /// SCIM, per directory token.
    pub scim_per_token: Option<RateLimit>,
    /// SCIM, per client IP.
    pub scim_per_ip: Option<RateLimit>,
    /// Sign-in pages, per client IP.
    pub signin_per_ip: Option<RateLimit>,
    /// The OpenID Connect provider (`/oauth2/`), per client IP.
    pub oauth_per_ip: Option<RateLimit>,
    /// The OpenID Connect provider, per client credential (Basic or bearer).
    pub oauth_per_client: Option<RateLimit>,
}

impl LimitsConfig {
    /// Every limit off (tests that are not about limits, benchmarks).
    pub fn off() -> Self {
        Self {
            api_per_key: None,
            api_per_ip: None,
            scim_per_token: None,
            scim_per_ip: None,
            signin_per_ip: None,
            oauth_per_ip: None,
            oauth_per_client: None,
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// The bearer token `/metrics` requires, if any.
    pub token: Option<SecretString>,
}

/// `[database]`.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://user:password@host/db`; may carry a password.
    pub url: SecretString,
    /// Largest connection pool.
    pub max_connections: u32,
    /// SQLite's `synchronous` level (full unless the operator trades durability for speed).
    pub sqlite_synchronous: gatehouse_store::SqliteSynchronous,
    /// SQLite's page cache and memory-mapping limits per connection.
    pub sqlite_memory: gatehouse_store::SqliteMemory,
}

/// `[sessions]`: console session lifetimes.
#[derive(Debug, Clone)]
pub struct SessionsConfig {
    /// Minutes of inactivity after which a session ends (1 to 1440).
    pub idle_minutes: u32,
    /// Hours after sign-in at which a session ends, however active (1 to 720).
    pub absolute_hours: u32,
}

/// `[sign_in]`: attempt limits of the sign-in pages and the password hashing pool.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// Attempts for one email address from one client address before that pair locks, with a
    /// lock that doubles at each attempt after (and reset mails per address).
    pub attempts: u32,
    /// Attempts for one email address from all client addresses before it locks everywhere.
    pub email_ceiling: u32,
    /// Attempts from one client address, whatever the email address, before it locks.
    pub ip_ceiling: u32,
    /// Threads hashing passwords, each holding 19 MiB of argon2 memory.
    pub hash_workers: u32,
    /// Hashes that may wait for a thread; past that, the sign-in pages answer 503.
    pub hash_queue: u32,
    /// Whether anyone may create an account at /signup.
    pub allow_signup: bool,
    /// Every password sign-in takes a second step (a mailed code for accounts with no method
    /// of their own).
    pub require_second_step: bool,
    /// The operator's own list of common passwords, beside the bundled one.
    pub common_passwords_file: Option<std::path::PathBuf>,
}

/// `[billing]`.
#[derive(Debug, Clone, Default)]
pub struct BillingConfig {
    /// The operator's price list (JSON); none: the published one. Read by
    /// [`BillingConfig::price_table`] when the state is built, so a bad file stops the start.
    pub pricing_file: Option<PathBuf>,
    /// Organizations' policies are enforced only while they have an active trial or
    /// subscription (`--require-subscription`); off: always.
    pub require_subscription: bool,
}

/// `[mail]`.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP server URL (with its password); none sends mail to the outbox folder.
    pub smtp_url: Option<SecretString>,
    /// Sender mailbox.
    pub from: String,
}

/// `[outbound]`: what Gatehouse's own requests may reach (domain checks today; webhooks,
/// SAML metadata and OIDC discovery share the policy).
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// DNS servers to ask; empty means the system's resolvers.
    pub dns_servers: Vec<SocketAddr>,
    /// Reach private, loopback and link-local addresses (labs and tests only).
    pub allow_private_addresses: bool,
    /// Extra CA certificate (PEM file) trusted for outbound HTTPS.
    pub extra_ca_file: Option<PathBuf>,
    /// Host names that may resolve to private addresses (self-hosted IdPs on the network).
    pub allow_hosts: Vec<String>,
}

/// `[domains]`: domain verification.
#[derive(Debug, Clone)]
pub struct DomainsConfig {
    /// Port of the HTTPS check (443 in production).
    pub https_port: u16,
    /// Days a pending domain has to verify before it fails.
    pub verify_days: u32,
    /// Days a verified domain may lack its proof before it is unverified.
    pub grace_days: u32,
}

/// `[scim]`.
#[derive(Debug, Clone)]
pub struct ScimConfig {
    /// Milliseconds a batch of creates waits for more (at most 1000).
    pub batch_linger_ms: u32,
    /// Seconds a verified bearer token is trusted before it is read again (at most 60).
    pub token_cache_seconds: u32,
}

/// `[audit]`.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Days to keep events (at least 1).
    pub retention_days: u32,
}

/// `true` for JSON logs.
fn parse_log_format(v: Option<&str>) -> anyhow::Result<bool> {
    match v.unwrap_or("text") {
        "text" => Ok(false),
        "json" => Ok(true),
        other => bail!("log_format must be text or json, not {other:?}"),
    }
}

/// A secret setting: the flag or env value, else the named file's contents, else the file's value.
fn secret(
    direct: Option<SecretString>,
    from_file: Option<PathBuf>,
    in_file: Option<SecretString>,
    what: &str,
) -> anyhow::Result<Option<SecretString>> {
    Ok(match (direct, from_file, in_file) {
        (Some(v), _, _) | (None, None, Some(v)) => Some(v),
        (None, Some(f), _) => Some(SecretString::from(
            std::fs::read_to_string(&f)
                .with_context(|| format!("reading {what} file {}", f.display()))?
                .trim(),
        )),
        (None, None, None) => None,
    })
}

impl Config {
    /// Settles the configuration from the flags (and environment) and the file they name.
    pub fn resolve(args: &ConfigArgs) -> anyhow::Result<Self> {
        let file = file::load(args.config.as_deref())?;
        let data_dir = args
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("gatehouse-data"));
        let http = HttpConfig::resolve(args, &file);
        let public_url = args
            .public_url
            .clone()
            .or_else(|| file.public_url.clone())
            .unwrap_or_else(|| format!("http://{}", http.listen))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("public_url must start with http:// or https://");
        }
        let json_logs = parse_log_format(args.log_format.as_deref().or(file.log_format.as_deref()))?;
        Ok(Config {
            trusted_proxies: args
                .trusted_proxies
                .clone()
                .or_else(|| file.trusted_proxies.clone())
                .unwrap_or_default(),
            database: DatabaseConfig::resolve(args, &file, &data_dir)?,
            mail: MailConfig::resolve(args, &file)?,
            audit: AuditConfig::resolve(args, &file)?,
            oidc: OidcConfig::resolve(args, &file)?,
            sessions: SessionsConfig::resolve(args, &file),
            sign_in: SignInConfig::resolve(args, &file),
            billing: BillingConfig {
                pricing_file: args.pricing_file.clone().or_else(|| file.billing.pricing_file.clone()),
                require_subscription: args
                    .require_subscription
                    .or(file.billing.require_subscription)
                    .unwrap_or(false),
            },
            outbound: OutboundConfig::resolve(args, &file),
            domains: DomainsConfig::resolve(args, &file),
            scim: ScimConfig::resolve(args, &file),
            limits: LimitsConfig::resolve(args, &file),
            metrics: MetricsConfig {
                token: secret(
                    None,
                    args.metrics_token_file
                        .clone()
                        .or_else(|| file.metrics.token_file.clone()),
                    None,
                    "metrics token",
                )?
                .filter(|t| !t.expose_secret().is_empty()),
            },
            secret_key_file: args.secret_key_file.clone().or_else(|| file.secret_key_file.clone()),
            data_dir,
            public_url,
            json_logs,
            http,
        })
    }

    /// The secret key file: the one configured, else `secret.key` in the data directory.
    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// Whether the database is a SQLite file inside the data directory (which must exist).
    pub fn needs_data_dir(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }
}

impl HttpConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        let secs = |flag: Option<u32>, key: Option<u32>, default: u32| {
            Duration::from_secs(u64::from(flag.or(key).unwrap_or(default).max(1)))
        };
        Self {
            listen: args
                .listen
                .or(file.http.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            max_connections: args
                .http_max_connections
                .or(file.http.max_connections)
                .unwrap_or(512)
                .max(1) as usize,
            header_timeout: secs(args.http_header_timeout_secs, file.http.header_timeout_secs, 15),
            idle_timeout: secs(args.http_idle_timeout_secs, file.http.idle_timeout_secs, 60),
            body_timeout: secs(args.http_body_timeout_secs, file.http.body_timeout_secs, 30),
        }
    }
}

impl LimitsConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        let per_minute =
            |flag: Option<u32>, key: Option<u32>, default: u32| RateLimit::per_minute(flag.or(key).unwrap_or(default));
        let l = &file.limits;
        Self {
            api_per_key: per_minute(args.rate_limit_api_per_key, l.api_per_key, 1200),
            api_per_ip: per_minute(args.rate_limit_api_per_ip, l.api_per_ip, 2400),
            scim_per_token: per_minute(args.rate_limit_scim_per_token, l.scim_per_token, 6000),
            scim_per_ip: per_minute(args.rate_limit_scim_per_ip, l.scim_per_ip, 12_000),
            signin_per_ip: per_minute(args.rate_limit_signin_per_ip, l.signin_per_ip, 300),
            oauth_per_ip: per_minute(args.rate_limit_oauth_per_ip, l.oauth_per_ip, 60_000),
            oauth_per_client: per_minute(args.rate_limit_oauth_per_client, l.oauth_per_client, 30_000),
        }
    }
}

impl DatabaseConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let url = secret(
            args.database_url.clone(),
            args.database_url_file
                .clone()
                .or_else(|| file.database.url_file.clone()),
            file.database.url.clone(),
            "database URL",
        )?
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("gatehouse.db").display()).into());
        Ok(Self {
            url,
            max_connections: args
                .max_connections
                .or(file.database.max_connections)
                .unwrap_or(16)
                .max(1),
            sqlite_synchronous: match args
                .sqlite_synchronous
                .as_deref()
                .or(file.database.sqlite_synchronous.as_deref())
            {
                Some(raw) => gatehouse_store::SqliteSynchronous::parse(raw)
                    .map_err(|_| anyhow::anyhow!("sqlite_synchronous must be full or normal, not {raw:?}"))?,
                None => gatehouse_store::SqliteSynchronous::default(),
            },
            sqlite_memory: sqlite_memory(args, file)?,
        })
    }
}

/// `sqlite_cache_size_kib` and `sqlite_mmap_size_mib`, each from a flag, the file or its default.
fn sqlite_memory(args: &ConfigArgs, file: &FileConfig) -> anyhow::Result<gatehouse_store::SqliteMemory> {
    use gatehouse_store::SqliteMemory;
    let cache = args
        .sqlite_cache_size_kib
        .or(file.database.sqlite_cache_size_kib)
        .unwrap_or(SqliteMemory::DEFAULT_CACHE_SIZE_KIB);
    let mmap = args
        .sqlite_mmap_size_mib
        .or(file.database.sqlite_mmap_size_mib)
        .unwrap_or(SqliteMemory::DEFAULT_MMAP_SIZE_MIB);
    SqliteMemory::new(cache, mmap).map_err(|e| match e {
        gatehouse_core::CoreError::Validation { fields } => {
            anyhow::anyhow!("{}", gatehouse_core::error::FieldError::describe_all(&fields))
        }
        other => anyhow::anyhow!("{other}"),
    })
}

impl MailConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> anyhow::Result<Self> {
        Ok(Self {
            smtp_url: secret(
                args.smtp_url.clone(),
                args.smtp_url_file.clone().or_else(|| file.mail.smtp_url_file.clone()),
                file.mail.smtp_url.clone(),
                "SMTP URL",
            )?,
            from: args
                .mail_from
                .clone()
                .or_else(|| file.mail.from.clone())
                .unwrap_or_else(|| "Gatehouse <gatehouse@localhost>".into()),
        })
    }
}

impl AuditConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let retention_days = args.audit_retention_days.or(file.audit.retention_days).unwrap_or(180);
        if retention_days == 0 {
            bail!("audit_retention_days must be at least 1");
        }
        Ok(Self { retention_days })
    }
}

impl SessionsConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        Self {
            idle_minutes: args
                .session_idle_minutes
                .or(file.sessions.idle_minutes)
                .unwrap_or(30)
                .clamp(1, 24 * 60),
            absolute_hours: args
                .session_absolute_hours
                .or(file.sessions.absolute_hours)
                .unwrap_or(12)
                .clamp(1, 24 * 30),
        }
    }
}

impl SignInConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        let s = &file.sign_in;
        let attempts = args.sign_in_attempts.or(s.attempts).unwrap_or(5).clamp(1, 1000);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        Self {
            attempts,
            // A ceiling below the per-pair limit would make the pair limit meaningless.
            email_ceiling: args
                .sign_in_email_ceiling
                .or(s.email_ceiling)
                .unwrap_or(50)
                .clamp(attempts, 100_000),
            ip_ceiling: args
                .sign_in_ip_ceiling
                .or(s.ip_ceiling)
                .unwrap_or(100)
                .clamp(attempts, 1_000_000),
            hash_workers: args
                .sign_in_hash_workers
                .or(s.hash_workers)
                // One core stays with the request handlers: under a flood of sign-ins, the
                // refusals (503) and every other page still answer at once.
                .unwrap_or(cores.saturating_sub(1))
                .clamp(1, 256),
            hash_queue: args.sign_in_hash_queue.or(s.hash_queue).unwrap_or(32).clamp(1, 100_000),
            allow_signup: args.allow_signup.or(s.allow_signup).unwrap_or(false),
            require_second_step: args.require_second_step.or(s.require_second_step).unwrap_or(false),
            common_passwords_file: args
                .common_passwords_file
                .clone()
                .or_else(|| s.common_passwords_file.clone()),
        }
    }
}

impl OutboundConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        Self {
            dns_servers: args
                .dns_servers
                .clone()
                .or_else(|| file.outbound.dns_servers.clone())
                .unwrap_or_default(),
            allow_private_addresses: args
                .allow_private_addresses
                .or(file.outbound.allow_private_addresses)
                .unwrap_or(false),
            extra_ca_file: args
                .extra_ca_file
                .clone()
                .or_else(|| file.outbound.extra_ca_file.clone()),
            allow_hosts: args
                .outbound_allow_hosts
                .clone()
                .or_else(|| file.outbound.allow_hosts.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }
}

impl DomainsConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        Self {
            https_port: args.domain_https_port.or(file.domains.https_port).unwrap_or(443),
            verify_days: args
                .domain_verify_days
                .or(file.domains.verify_days)
                .unwrap_or(30)
                .clamp(1, 365),
            grace_days: args
                .domain_grace_days
                .or(file.domains.grace_days)
                .unwrap_or(7)
                .clamp(1, 90),
        }
    }
}

impl ScimConfig {
    fn resolve(args: &ConfigArgs, file: &FileConfig) -> Self {
        Self {
            batch_linger_ms: args
                .scim_batch_linger_ms
                .or(file.scim.batch_linger_ms)
                .unwrap_or(0)
                .min(1000),
            token_cache_seconds: args
                .scim_token_cache_seconds
                .or(file.scim.token_cache_seconds)
                .unwrap_or(5)
                .min(60),
        }
    }
}

#[cfg(test)]
mod tests;
