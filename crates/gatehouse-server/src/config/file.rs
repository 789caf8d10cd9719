//! The TOML file. Settings nest by capability (`[database]`, `[http]`, ...); the flat keys of
//! earlier versions still work. Naming one setting both ways is an error, as is any unknown key.

use anyhow::{Context, bail};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// `[http]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpSection {
    pub listen: Option<SocketAddr>,
    pub max_connections: Option<u32>,
    pub header_timeout_secs: Option<u32>,
    pub idle_timeout_secs: Option<u32>,
    pub body_timeout_secs: Option<u32>,
}

/// `[limits]`: requests per minute.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsSection {
    pub api_per_key: Option<u32>,
    pub api_per_ip: Option<u32>,
    pub scim_per_token: Option<u32>,
    pub scim_per_ip: Option<u32>,
    pub signin_per_ip: Option<u32>,
    pub oauth_per_ip: Option<u32>,
    pub oauth_per_client: Option<u32>,
}

/// `[metrics]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricsSection {
    pub token_file: Option<PathBuf>,
}

/// `[database]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatabaseSection {
    pub url: Option<SecretString>,
    pub url_file: Option<PathBuf>,
    pub max_connections: Option<u32>,
    pub sqlite_synchronous: Option<String>,
    pub sqlite_cache_size_kib: Option<u32>,
    pub sqlite_mmap_size_mib: Option<u32>,
}

/// `[sessions]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SessionsSection {
    pub idle_minutes: Option<u32>,
    pub absolute_hours: Option<u32>,
}

/// `[sign_in]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignInSection {
    pub attempts: Option<u32>,
    pub email_ceiling: Option<u32>,
    pub ip_ceiling: Option<u32>,
    pub hash_workers: Option<u32>,
    pub hash_queue: Option<u32>,
    pub allow_signup: Option<bool>,
    pub require_second_step: Option<bool>,
    pub common_passwords_file: Option<std::path::PathBuf>,
}

/// `[billing]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BillingSection {
    pub pricing_file: Option<PathBuf>,
    pub require_subscription: Option<bool>,
}

/// `[mail]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MailSection {
    pub smtp_url: Option<SecretString>,
    pub smtp_url_file: Option<PathBuf>,
    pub from: Option<String>,
}

/// `[outbound]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutboundSection {
    pub dns_servers: Option<Vec<SocketAddr>>,
    pub allow_private_addresses: Option<bool>,
    pub extra_ca_file: Option<PathBuf>,
    pub allow_hosts: Option<Vec<String>>,
}

/// `[domains]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DomainsSection {
    pub https_port: Option<u16>,
    pub verify_days: Option<u32>,
    pub grace_days: Option<u32>,
}

/// `[scim]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScimSection {
    pub batch_linger_ms: Option<u32>,
    pub token_cache_seconds: Option<u32>,
}

/// `[audit]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditSection {
    pub retention_days: Option<u32>,
}

/// `[oidc]` as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OidcSection {
    pub signing_alg: Option<String>,
    pub code_ttl_seconds: Option<u32>,
    pub access_token_ttl_seconds: Option<u32>,
    pub refresh_token_ttl_days: Option<u32>,
}

/// The file once flat keys are folded into their sections: what `Config::resolve` reads.
#[derive(Debug, Default)]
pub(super) struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub log_format: Option<String>,
    pub secret_key_file: Option<PathBuf>,
    pub http: HttpSection,
    pub database: DatabaseSection,
    pub sessions: SessionsSection,
    pub sign_in: SignInSection,
    pub billing: BillingSection,
    pub mail: MailSection,
    pub outbound: OutboundSection,
    pub domains: DomainsSection,
    pub scim: ScimSection,
    pub audit: AuditSection,
    pub oidc: OidcSection,
    pub limits: LimitsSection,
    pub metrics: MetricsSection,
}

/// The file as written: the top-level settings, the sections, and the flat keys of earlier
/// versions (each named after its flag).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    trusted_proxies: Option<Vec<IpAddr>>,
    log_format: Option<String>,
    secret_key_file: Option<PathBuf>,
    #[serde(default)]
    http: HttpSection,
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    sessions: SessionsSection,
    #[serde(default)]
    sign_in: SignInSection,
    #[serde(default)]
    billing: BillingSection,
    #[serde(default)]
    mail: MailSection,
    #[serde(default)]
    outbound: OutboundSection,
    #[serde(default)]
    domains: DomainsSection,
    #[serde(default)]
    scim: ScimSection,
    #[serde(default)]
    audit: AuditSection,
    #[serde(default)]
    oidc: OidcSection,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    metrics: MetricsSection,
    // Flat keys of earlier versions.
    listen: Option<SocketAddr>,
    database_url: Option<SecretString>,
    database_url_file: Option<PathBuf>,
    max_connections: Option<u32>,
    session_idle_minutes: Option<u32>,
    session_absolute_hours: Option<u32>,
    smtp_url: Option<SecretString>,
    smtp_url_file: Option<PathBuf>,
    mail_from: Option<String>,
    dns_servers: Option<Vec<SocketAddr>>,
    allow_private_addresses: Option<bool>,
    extra_ca_file: Option<PathBuf>,
    domain_https_port: Option<u16>,
    domain_verify_days: Option<u32>,
    domain_grace_days: Option<u32>,
    scim_batch_linger_ms: Option<u32>,
    scim_token_cache_seconds: Option<u32>,
    audit_retention_days: Option<u32>,
}

/// Reads the file if there is one; no file is an empty one.
pub(super) fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(p) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(p).with_context(|| format!("reading config file {}", p.display()))?;
    let raw: RawFile = toml::from_str(&text).with_context(|| format!("in config file {}", p.display()))?;
    raw.fold().with_context(|| format!("in config file {}", p.display()))
}

/// A setting named both by its old flat key and in its section: the operator meant one of
/// them, and guessing which would hide a mistake.
fn either<T>(flat: Option<T>, nested: Option<T>, old: &str, new: &str) -> anyhow::Result<Option<T>> {
    match (flat, nested) {
        (Some(_), Some(_)) => bail!("`{old}` and `{new}` name the same setting; keep `{new}`"),
        (a, b) => Ok(a.or(b)),
    }
}

impl RawFile {
    /// Folds the flat keys into their sections.
    fn fold(mut self) -> anyhow::Result<FileConfig> {
        let http = std::mem::take(&mut self.http);
        Ok(FileConfig {
            http: HttpSection {
                listen: either(self.listen.take(), http.listen, "listen", "[http] listen")?,
                ..http
            },
            limits: std::mem::take(&mut self.limits),
            oidc: std::mem::take(&mut self.oidc),
            metrics: std::mem::take(&mut self.metrics),
            database: self.database()?,
            sessions: self.sessions()?,
            // New in this version: no flat keys to fold.
            sign_in: std::mem::take(&mut self.sign_in),
            billing: std::mem::take(&mut self.billing),
            mail: self.mail()?,
            outbound: self.outbound()?,
            domains: self.domains()?,
            scim: self.scim()?,
            audit: AuditSection {
                retention_days: either(
                    self.audit_retention_days.take(),
                    self.audit.retention_days.take(),
                    "audit_retention_days",
                    "[audit] retention_days",
                )?,
            },
            data_dir: self.data_dir,
            public_url: self.public_url,
            trusted_proxies: self.trusted_proxies,
            log_format: self.log_format,
            secret_key_file: self.secret_key_file,
        })
    }

    fn database(&mut self) -> anyhow::Result<DatabaseSection> {
        let s = std::mem::take(&mut self.database);
        Ok(DatabaseSection {
            url: either(self.database_url.take(), s.url, "database_url", "[database] url")?,
            url_file: either(
                self.database_url_file.take(),
                s.url_file,
                "database_url_file",
                "[database] url_file",
            )?,
            max_connections: either(
                self.max_connections.take(),
                s.max_connections,
                "max_connections",
                "[database] max_connections",
            )?,
            sqlite_synchronous: s.sqlite_synchronous,
            sqlite_cache_size_kib: s.sqlite_cache_size_kib,
            sqlite_mmap_size_mib: s.sqlite_mmap_size_mib,
        })
    }

    fn sessions(&mut self) -> anyhow::Result<SessionsSection> {
        let s = std::mem::take(&mut self.sessions);
        Ok(SessionsSection {
            idle_minutes: either(
                self.session_idle_minutes.take(),
                s.idle_minutes,
                "session_idle_minutes",
                "[sessions] idle_minutes",
            )?,
            absolute_hours: either(
                self.session_absolute_hours.take(),
                s.absolute_hours,
                "session_absolute_hours",
                "[sessions] absolute_hours",
            )?,
        })
    }

    fn mail(&mut self) -> anyhow::Result<MailSection> {
        let s = std::mem::take(&mut self.mail);
        Ok(MailSection {
            smtp_url: either(self.smtp_url.take(), s.smtp_url, "smtp_url", "[mail] smtp_url")?,
            smtp_url_file: either(
                self.smtp_url_file.take(),
                s.smtp_url_file,
                "smtp_url_file",
                "[mail] smtp_url_file",
            )?,
            from: either(self.mail_from.take(), s.from, "mail_from", "[mail] from")?,
        })
    }

    fn outbound(&mut self) -> anyhow::Result<OutboundSection> {
        let s = std::mem::take(&mut self.outbound);
        Ok(OutboundSection {
            dns_servers: either(
                self.dns_servers.take(),
                s.dns_servers,
                "dns_servers",
                "[outbound] dns_servers",
            )?,
            allow_private_addresses: either(
                self.allow_private_addresses.take(),
                s.allow_private_addresses,
                "allow_private_addresses",
                "[outbound] allow_private_addresses",
            )?,
            extra_ca_file: either(
                self.extra_ca_file.take(),
                s.extra_ca_file,
                "extra_ca_file",
                "[outbound] extra_ca_file",
            )?,
            allow_hosts: s.allow_hosts,
        })
    }

    fn domains(&mut self) -> anyhow::Result<DomainsSection> {
        let s = std::mem::take(&mut self.domains);
        Ok(DomainsSection {
            https_port: either(
                self.domain_https_port.take(),
                s.https_port,
                "domain_https_port",
                "[domains] https_port",
            )?,
            verify_days: either(
                self.domain_verify_days.take(),
                s.verify_days,
                "domain_verify_days",
                "[domains] verify_days",
            )?,
            grace_days: either(
                self.domain_grace_days.take(),
                s.grace_days,
                "domain_grace_days",
                "[domains] grace_days",
            )?,
        })
    }

    fn scim(&mut self) -> anyhow::Result<ScimSection> {
        let s = std::mem::take(&mut self.scim);
        Ok(ScimSection {
            batch_linger_ms: either(
                self.scim_batch_linger_ms.take(),
                s.batch_linger_ms,
                "scim_batch_linger_ms",
                "[scim] batch_linger_ms",
            )?,
            token_cache_seconds: either(
                self.scim_token_cache_seconds.take(),
                s.token_cache_seconds,
                "scim_token_cache_seconds",
                "[scim] token_cache_seconds",
            )?,
        })
    }
}
