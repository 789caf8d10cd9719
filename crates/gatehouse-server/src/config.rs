//! Configuration: defaults < TOML file < `GATEHOUSE_*` environment < command-line flags.
//! Secrets can also be read from a file named by the matching `*_FILE` option. Unknown keys in
//! the file are an error.

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Options shared by every command (`--help` lists them with their environment variables).
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file.
    #[arg(long, env = "GATEHOUSE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://path or postgres://user@host/db. Default: SQLite in the data directory.
    #[arg(long, env = "GATEHOUSE_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the database URL (for URLs with passwords).
    #[arg(long, env = "GATEHOUSE_DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<PathBuf>,
    /// Address to listen on. Default: 127.0.0.1:8080.
    #[arg(long, env = "GATEHOUSE_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database, mail outbox and other local state. Default: ./gatehouse-data.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The URL people and products reach Gatehouse at. Default: http://<listen>.
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Days to keep audit events before the retention job deletes them. Default: 180.
    #[arg(long, env = "GATEHOUSE_AUDIT_RETENTION_DAYS", global = true)]
    pub audit_retention_days: Option<u32>,
    /// Comma-separated proxy addresses whose X-Forwarded-For is believed. Default: none.
    #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", global = true, value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// Log format: text or json. Default: text.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Largest database connection pool. Default: 16.
    #[arg(long, env = "GATEHOUSE_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<u32>,
    /// SMTP server for mail (password reset links): smtps://user:pass@host:465 or
    /// smtp://user:pass@host:587?tls=required. Default: none, mail goes to <data-dir>/outbox.
    #[arg(long, env = "GATEHOUSE_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// File holding the SMTP URL (it carries a password).
    #[arg(long, env = "GATEHOUSE_SMTP_URL_FILE", global = true)]
    pub smtp_url_file: Option<PathBuf>,
    /// Sender of Gatehouse's mail. Default: Gatehouse <gatehouse@localhost>.
    #[arg(long, env = "GATEHOUSE_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// DNS servers for domain verification, comma-separated ip:port. Default: the system's.
    #[arg(long, env = "GATEHOUSE_DNS_SERVERS", global = true, value_delimiter = ',')]
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// Let domain checks reach private, loopback and link-local addresses (labs and tests only).
    #[arg(long, env = "GATEHOUSE_ALLOW_PRIVATE_ADDRESSES", global = true)]
    pub allow_private_addresses: Option<bool>,
    /// Port of the HTTPS domain check. Default: 443.
    #[arg(long, env = "GATEHOUSE_DOMAIN_HTTPS_PORT", global = true)]
    pub domain_https_port: Option<u16>,
    /// Extra CA certificate (PEM file) trusted by the HTTPS domain check.
    #[arg(long, env = "GATEHOUSE_EXTRA_CA_FILE", global = true)]
    pub extra_ca_file: Option<PathBuf>,
    /// Days a pending domain has to verify before it fails. Default: 30.
    #[arg(long, env = "GATEHOUSE_DOMAIN_VERIFY_DAYS", global = true)]
    pub domain_verify_days: Option<u32>,
    /// Days a verified domain may lack its proof before it is unverified. Default: 7.
    #[arg(long, env = "GATEHOUSE_DOMAIN_GRACE_DAYS", global = true)]
    pub domain_grace_days: Option<u32>,
    /// Minutes of inactivity after which a console session ends. Default: 30.
    #[arg(long, env = "GATEHOUSE_SESSION_IDLE_MINUTES", global = true)]
    pub session_idle_minutes: Option<u32>,
    /// Hours after sign-in at which a console session ends, however active. Default: 12.
    #[arg(long, env = "GATEHOUSE_SESSION_ABSOLUTE_HOURS", global = true)]
    pub session_absolute_hours: Option<u32>,
    /// Milliseconds a batch of SCIM creates waits for more before it is written (more users a
    /// transaction, more latency each). Default: 0, the batch takes what has queued.
    #[arg(long, env = "GATEHOUSE_SCIM_BATCH_LINGER_MS", global = true)]
    pub scim_batch_linger_ms: Option<u32>,
    /// Seconds a verified SCIM bearer token is trusted before it is read again. Changes made
    /// through Gatehouse reach every node at once (PostgreSQL nodes announce them to each other);
    /// this bounds how long a change written into the database by hand goes unseen. 0 reads the
    /// token on every request. Default: 5, at most 60.
    #[arg(long, env = "GATEHOUSE_SCIM_TOKEN_CACHE_SECONDS", global = true)]
    pub scim_token_cache_seconds: Option<u32>,
}

/// The TOML file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    database_url_file: Option<PathBuf>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    audit_retention_days: Option<u32>,
    trusted_proxies: Option<Vec<IpAddr>>,
    log_format: Option<String>,
    max_connections: Option<u32>,
    session_idle_minutes: Option<u32>,
    session_absolute_hours: Option<u32>,
    smtp_url: Option<String>,
    smtp_url_file: Option<PathBuf>,
    mail_from: Option<String>,
    dns_servers: Option<Vec<SocketAddr>>,
    allow_private_addresses: Option<bool>,
    domain_https_port: Option<u16>,
    extra_ca_file: Option<PathBuf>,
    domain_verify_days: Option<u32>,
    domain_grace_days: Option<u32>,
    scim_batch_linger_ms: Option<u32>,
    scim_token_cache_seconds: Option<u32>,
}

/// Settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub audit_retention_days: u32,
    pub trusted_proxies: Vec<IpAddr>,
    pub json_logs: bool,
    pub max_connections: u32,
    pub session_idle_minutes: u32,
    pub session_absolute_hours: u32,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub dns_servers: Vec<SocketAddr>,
    pub allow_private_addresses: bool,
    pub domain_https_port: u16,
    pub extra_ca_file: Option<PathBuf>,
    pub domain_verify_days: u32,
    pub domain_grace_days: u32,
    pub scim_batch_linger_ms: u32,
    pub scim_token_cache_seconds: u32,
}

fn load_file(path: Option<&std::path::Path>) -> anyhow::Result<FileConfig> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading config file {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("in config file {}", p.display()))
        }
        None => Ok(FileConfig::default()),
    }
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
    direct: Option<String>,
    from_file: Option<PathBuf>,
    in_file: Option<String>,
    what: &str,
) -> anyhow::Result<Option<String>> {
    Ok(match (direct, from_file, in_file) {
        (Some(v), _, _) | (None, None, Some(v)) => Some(v),
        (None, Some(f), _) => Some(
            std::fs::read_to_string(&f)
                .with_context(|| format!("reading {what} file {}", f.display()))?
                .trim()
                .to_owned(),
        ),
        (None, None, None) => None,
    })
}

impl Config {
    pub fn resolve(args: &ConfigArgs) -> anyhow::Result<Self> {
        let file = load_file(args.config.as_deref())?;
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("gatehouse-data"));
        let database_url = secret(
            args.database_url.clone(),
            args.database_url_file.clone().or(file.database_url_file),
            file.database_url,
            "database URL",
        )?
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("gatehouse.db").display()));
        let smtp_url = secret(
            args.smtp_url.clone(),
            args.smtp_url_file.clone().or(file.smtp_url_file),
            file.smtp_url,
            "SMTP URL",
        )?;
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("public_url must start with http:// or https://");
        }
        let audit_retention_days = args.audit_retention_days.or(file.audit_retention_days).unwrap_or(180);
        if audit_retention_days == 0 {
            bail!("audit_retention_days must be at least 1");
        }
        let json_logs = parse_log_format(args.log_format.clone().or(file.log_format).as_deref())?;
        Ok(Config {
            database_url,
            listen,
            data_dir,
            public_url,
            audit_retention_days,
            trusted_proxies: args
                .trusted_proxies
                .clone()
                .or(file.trusted_proxies)
                .unwrap_or_default(),
            json_logs,
            max_connections: args.max_connections.or(file.max_connections).unwrap_or(16).max(1),
            session_idle_minutes: args
                .session_idle_minutes
                .or(file.session_idle_minutes)
                .unwrap_or(30)
                .clamp(1, 24 * 60),
            session_absolute_hours: args
                .session_absolute_hours
                .or(file.session_absolute_hours)
                .unwrap_or(12)
                .clamp(1, 24 * 30),
            smtp_url,
            dns_servers: args.dns_servers.clone().or(file.dns_servers).unwrap_or_default(),
            allow_private_addresses: args
                .allow_private_addresses
                .or(file.allow_private_addresses)
                .unwrap_or(false),
            domain_https_port: args.domain_https_port.or(file.domain_https_port).unwrap_or(443),
            scim_batch_linger_ms: args
                .scim_batch_linger_ms
                .or(file.scim_batch_linger_ms)
                .unwrap_or(0)
                .min(1000),
            scim_token_cache_seconds: args
                .scim_token_cache_seconds
                .or(file.scim_token_cache_seconds)
                .unwrap_or(5)
                .min(60),
            extra_ca_file: args.extra_ca_file.clone().or(file.extra_ca_file),
            domain_verify_days: args
                .domain_verify_days
                .or(file.domain_verify_days)
                .unwrap_or(30)
                .clamp(1, 365),
            domain_grace_days: args
                .domain_grace_days
                .or(file.domain_grace_days)
                .unwrap_or(7)
                .clamp(1, 90),
            mail_from: args
                .mail_from
                .clone()
                .or(file.mail_from)
                .unwrap_or_else(|| "Gatehouse <gatehouse@localhost>".into()),
        })
    }

    /// Whether the database is a SQLite file inside the data directory (which must exist).
    pub fn needs_data_dir(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_sqlite_in_the_data_dir_on_loopback_8080() {
        let c = Config::resolve(&ConfigArgs::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://gatehouse-data/gatehouse.db");
        assert_eq!(c.audit_retention_days, 180);
    }

    #[test]
    fn flags_beat_the_file_and_unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.toml");
        std::fs::write(&p, "listen = \"127.0.0.1:9000\"\naudit_retention_days = 30\n").unwrap();
        let args = ConfigArgs {
            config: Some(p.clone()),
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(&args).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.audit_retention_days, 30);
        std::fs::write(&p, "listen_addr = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::resolve(&ConfigArgs {
            config: Some(p),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
    }

    #[test]
    fn the_database_url_can_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("url");
        std::fs::write(&p, "postgres://u:secret@db/gh\n").unwrap();
        let c = Config::resolve(&ConfigArgs {
            database_url_file: Some(p),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.database_url, "postgres://u:secret@db/gh");
    }
}
