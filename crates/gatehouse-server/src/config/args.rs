//! The command-line flags (each with its `GATEHOUSE_*` environment variable). They stay flat,
//! one name per setting, as the README documents them; `--help` groups them by capability.

use clap::Args;
use secrecy::SecretString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Options shared by every command (`--help` lists them with their environment variables).
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file.
    #[arg(long, env = "GATEHOUSE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database, mail outbox and other local state. Default: ./gatehouse-data.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The URL people and products reach Gatehouse at. Default: http://<listen>.
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Comma-separated proxy addresses whose X-Forwarded-For is believed. Default: none.
    #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", global = true, value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// Log format: text or json. Default: text.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// File of the keys that seal secrets stored in the database (made, mode 0600, when absent;
    /// every node needs the same file; back it up apart from the database; rotate with
    /// `gatehouse secret-key rotate`). Default: <data dir>/secret.key.
    #[arg(long, env = "GATEHOUSE_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,

    /// Address to listen on. Default: 127.0.0.1:8080.
    #[arg(long, env = "GATEHOUSE_LISTEN", global = true, help_heading = "HTTP")]
    pub listen: Option<SocketAddr>,
    /// Most HTTP connections open at once; more wait, unaccepted, until one closes (not the
    /// database pool: that is --max-connections). Default: 512.
    #[arg(long, env = "GATEHOUSE_HTTP_MAX_CONNECTIONS", global = true, help_heading = "HTTP")]
    pub http_max_connections: Option<u32>,
    /// Seconds a client has to send a request's headers (from its first byte, or from
    /// connecting). Default: 15.
    #[arg(
        long,
        env = "GATEHOUSE_HTTP_HEADER_TIMEOUT_SECS",
        global = true,
        help_heading = "HTTP"
    )]
    pub http_header_timeout_secs: Option<u32>,
    /// Seconds a kept-alive connection may wait for its next request. Default: 60.
    #[arg(long, env = "GATEHOUSE_HTTP_IDLE_TIMEOUT_SECS", global = true, help_heading = "HTTP")]
    pub http_idle_timeout_secs: Option<u32>,
    /// Seconds a client has to send a request's whole body. Default: 30.
    #[arg(long, env = "GATEHOUSE_HTTP_BODY_TIMEOUT_SECS", global = true, help_heading = "HTTP")]
    pub http_body_timeout_secs: Option<u32>,
    /// File holding a bearer token /metrics requires. Default: none, /metrics is open.
    #[arg(long, env = "GATEHOUSE_METRICS_TOKEN_FILE", global = true, help_heading = "HTTP")]
    pub metrics_token_file: Option<PathBuf>,

    /// Database URL: sqlite://path or postgres://user@host/db. Default: SQLite in the data directory.
    #[arg(
        long,
        env = "GATEHOUSE_DATABASE_URL",
        global = true,
        hide_env_values = true,
        help_heading = "Database"
    )]
    pub database_url: Option<SecretString>,
    /// File holding the database URL (for URLs with passwords).
    #[arg(long, env = "GATEHOUSE_DATABASE_URL_FILE", global = true, help_heading = "Database")]
    pub database_url_file: Option<PathBuf>,
    /// Largest database connection pool. Default: 16.
    #[arg(long, env = "GATEHOUSE_MAX_CONNECTIONS", global = true, help_heading = "Database")]
    pub max_connections: Option<u32>,
    /// SQLite durability: full (each commit is synced to disk before it is acknowledged) or
    /// normal (faster; the last commits can be lost on power loss). Default: full.
    #[arg(long, env = "GATEHOUSE_SQLITE_SYNCHRONOUS", global = true, help_heading = "Database")]
    pub sqlite_synchronous: Option<String>,
    /// SQLite page cache per connection, in KiB (64 to 1048576). The pool holds
    /// --max-connections readers and one writer, each with its own cache. Default: 1024.
    #[arg(
        long,
        env = "GATEHOUSE_SQLITE_CACHE_SIZE_KIB",
        global = true,
        help_heading = "Database"
    )]
    pub sqlite_cache_size_kib: Option<u32>,
    /// SQLite memory-mapped I/O per connection, in MiB (0 to 2047; 0 turns it off). Mapped
    /// pages count in the process's resident memory. Default: 0.
    #[arg(
        long,
        env = "GATEHOUSE_SQLITE_MMAP_SIZE_MIB",
        global = true,
        help_heading = "Database"
    )]
    pub sqlite_mmap_size_mib: Option<u32>,

    /// Minutes of inactivity after which a console session ends. Default: 30.
    #[arg(
        long,
        env = "GATEHOUSE_SESSION_IDLE_MINUTES",
        global = true,
        help_heading = "Sessions"
    )]
    pub session_idle_minutes: Option<u32>,
    /// Hours after sign-in at which a console session ends, however active. Default: 12.
    #[arg(
        long,
        env = "GATEHOUSE_SESSION_ABSOLUTE_HOURS",
        global = true,
        help_heading = "Sessions"
    )]
    pub session_absolute_hours: Option<u32>,

    /// Sign-in attempts for one email address from one client address before that pair locks
    /// (30 s, doubling with each attempt after); also reset mails per address. Default: 5.
    #[arg(long, env = "GATEHOUSE_SIGN_IN_ATTEMPTS", global = true, help_heading = "Sign-in")]
    pub sign_in_attempts: Option<u32>,
    /// Sign-in attempts for one email address from all client addresses together before it
    /// locks everywhere. Default: 50.
    #[arg(
        long,
        env = "GATEHOUSE_SIGN_IN_EMAIL_CEILING",
        global = true,
        help_heading = "Sign-in"
    )]
    pub sign_in_email_ceiling: Option<u32>,
    /// Sign-in page attempts from one client address, whatever the email address, before it
    /// locks (one office behind a NAT shares it). Default: 100.
    #[arg(long, env = "GATEHOUSE_SIGN_IN_IP_CEILING", global = true, help_heading = "Sign-in")]
    pub sign_in_ip_ceiling: Option<u32>,
    /// Threads hashing passwords (each holds 19 MiB). Default: the number of CPUs less one (at
    /// least one), so a core always answers requests while passwords are hashed.
    #[arg(
        long,
        env = "GATEHOUSE_SIGN_IN_HASH_WORKERS",
        global = true,
        help_heading = "Sign-in"
    )]
    pub sign_in_hash_workers: Option<u32>,
    /// Password hashes that may wait for a thread; past that the sign-in pages answer 503 with
    /// Retry-After. Default: 32.
    #[arg(long, env = "GATEHOUSE_SIGN_IN_HASH_QUEUE", global = true, help_heading = "Sign-in")]
    pub sign_in_hash_queue: Option<u32>,

    /// Let anyone create an account at /signup (confirmed by an emailed link). Off by
    /// default: a private installation rarely wants strangers.
    #[arg(
        long,
        env = "GATEHOUSE_ALLOW_SIGNUP",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        help_heading = "Sign-in"
    )]
    pub allow_signup: Option<bool>,

    /// Every password sign-in takes a second step: accounts with no authenticator app or
    /// security key get a code by mail. Default: off (only enrolled accounts are asked).
    #[arg(
        long,
        env = "GATEHOUSE_REQUIRE_SECOND_STEP",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        help_heading = "Sign-in"
    )]
    pub require_second_step: Option<bool>,

    /// A file of common passwords, one a line, that policies refusing common passwords refuse
    /// too (beside the bundled list). Read at start; a missing file is an error.
    #[arg(
        long,
        env = "GATEHOUSE_COMMON_PASSWORDS_FILE",
        global = true,
        help_heading = "Sign-in"
    )]
    pub common_passwords_file: Option<std::path::PathBuf>,

    /// A JSON price list replacing the published one: `{"currency":"USD","tiers":[{"up_to":100,
    /// "unit_cents":400},...,{"up_to":null,"unit_cents":65}],"annual_tiers":[25,50,...]}`
    /// (`annual_tiers` may be left out for the published ones). Read and checked at start; a
    /// list that breaks a rule stops the server. Default: the published list (README, Pricing).
    #[arg(long, env = "GATEHOUSE_PRICING_FILE", global = true, help_heading = "Billing")]
    pub pricing_file: Option<PathBuf>,
    /// For an operator who sells Gatehouse as a service: an organization without an active
    /// trial or subscription has its enforcement of single sign-on, required two-step
    /// verification and non-default policies paused (nothing is deleted; it resumes on
    /// subscribing). Default: off, a self-hosted installation gates nothing.
    #[arg(
        long,
        env = "GATEHOUSE_REQUIRE_SUBSCRIPTION",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        help_heading = "Billing"
    )]
    pub require_subscription: Option<bool>,

    /// SMTP server for mail (password reset links): smtps://user:pass@host:465 or
    /// smtp://user:pass@host:587?tls=required. Default: none, mail goes to <data-dir>/outbox.
    #[arg(
        long,
        env = "GATEHOUSE_SMTP_URL",
        global = true,
        hide_env_values = true,
        help_heading = "Mail"
    )]
    pub smtp_url: Option<SecretString>,
    /// File holding the SMTP URL (it carries a password).
    #[arg(long, env = "GATEHOUSE_SMTP_URL_FILE", global = true, help_heading = "Mail")]
    pub smtp_url_file: Option<PathBuf>,
    /// Sender of Gatehouse's mail. Default: Gatehouse <gatehouse@localhost>.
    #[arg(long, env = "GATEHOUSE_MAIL_FROM", global = true, help_heading = "Mail")]
    pub mail_from: Option<String>,

    /// DNS servers for domain verification and outbound requests, comma-separated ip:port.
    /// Default: the system's.
    #[arg(
        long,
        env = "GATEHOUSE_DNS_SERVERS",
        global = true,
        value_delimiter = ',',
        help_heading = "Outbound"
    )]
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// Let outbound requests (domain checks) reach private, loopback and link-local addresses
    /// (labs and tests only).
    #[arg(
        long,
        env = "GATEHOUSE_ALLOW_PRIVATE_ADDRESSES",
        global = true,
        help_heading = "Outbound"
    )]
    pub allow_private_addresses: Option<bool>,
    /// Host names outbound requests may reach even when they resolve to private addresses
    /// (a self-hosted IdP's metadata or logout endpoint), comma-separated. Default: none.
    #[arg(
        long,
        env = "GATEHOUSE_OUTBOUND_ALLOW_HOSTS",
        global = true,
        value_delimiter = ',',
        help_heading = "Outbound"
    )]
    pub outbound_allow_hosts: Option<Vec<String>>,
    /// Extra CA certificate (PEM file) trusted by outbound HTTPS (the HTTPS domain check).
    #[arg(long, env = "GATEHOUSE_EXTRA_CA_FILE", global = true, help_heading = "Outbound")]
    pub extra_ca_file: Option<PathBuf>,

    /// Port of the HTTPS domain check. Default: 443.
    #[arg(long, env = "GATEHOUSE_DOMAIN_HTTPS_PORT", global = true, help_heading = "Domains")]
    pub domain_https_port: Option<u16>,
    /// Days a pending domain has to verify before it fails. Default: 30.
    #[arg(long, env = "GATEHOUSE_DOMAIN_VERIFY_DAYS", global = true, help_heading = "Domains")]
    pub domain_verify_days: Option<u32>,
    /// Days a verified domain may lack its proof before it is unverified. Default: 7.
    #[arg(long, env = "GATEHOUSE_DOMAIN_GRACE_DAYS", global = true, help_heading = "Domains")]
    pub domain_grace_days: Option<u32>,

    /// Milliseconds a batch of SCIM creates waits for more before it is written (more users a
    /// transaction, more latency each). Default: 0, the batch takes what has queued.
    #[arg(long, env = "GATEHOUSE_SCIM_BATCH_LINGER_MS", global = true, help_heading = "SCIM")]
    pub scim_batch_linger_ms: Option<u32>,
    /// Seconds a verified SCIM bearer token is trusted before it is read again. Changes made
    /// through Gatehouse reach every node at once (PostgreSQL nodes announce them to each other);
    /// this bounds how long a change written into the database by hand goes unseen. 0 reads the
    /// token on every request. Default: 5, at most 60.
    #[arg(
        long,
        env = "GATEHOUSE_SCIM_TOKEN_CACHE_SECONDS",
        global = true,
        help_heading = "SCIM"
    )]
    pub scim_token_cache_seconds: Option<u32>,

    /// Admin API requests per minute per API key; 0 turns the limit off. Default: 1200.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_API_PER_KEY",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_api_per_key: Option<u32>,
    /// Admin API requests per minute per client IP (IPv6: per /64); 0: off. Default: 2400.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_API_PER_IP",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_api_per_ip: Option<u32>,
    /// SCIM requests per minute per directory token; 0: off. Default: 6000.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_SCIM_PER_TOKEN",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_scim_per_token: Option<u32>,
    /// SCIM requests per minute per client IP (IdPs share addresses, so keep it high); 0: off.
    /// Default: 12000.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_SCIM_PER_IP",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_scim_per_ip: Option<u32>,
    /// Sign-in page requests (/login, /login/forgot, /login/reset, /logout) per minute per
    /// client IP; 0: off. Default: 300.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_SIGNIN_PER_IP",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_signin_per_ip: Option<u32>,
    /// OpenID Connect provider requests (/oauth2/...) per minute per client IP; 0: off.
    /// Default: 60000 (a product's back end calls from few addresses).
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_OAUTH_PER_IP",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_oauth_per_ip: Option<u32>,
    /// OpenID Connect provider requests per minute per client (its Basic credentials or the
    /// bearer token it presents); 0: off. Default: 30000.
    #[arg(
        long,
        env = "GATEHOUSE_RATE_LIMIT_OAUTH_PER_CLIENT",
        global = true,
        help_heading = "Rate limits (per node)"
    )]
    pub rate_limit_oauth_per_client: Option<u32>,

    /// The algorithm of the OpenID Connect provider's new signing keys: ES256 (default),
    /// EdDSA or RS256. Existing keys keep theirs; `gatehouse signing-key rotate` makes a new one.
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_SIGNING_ALG",
        global = true,
        help_heading = "OpenID Connect provider"
    )]
    pub oidc_signing_alg: Option<String>,
    /// Seconds an authorization code lives (1–600). Default: 60.
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_CODE_TTL_SECONDS",
        global = true,
        help_heading = "OpenID Connect provider"
    )]
    pub oidc_code_ttl_seconds: Option<u32>,
    /// Seconds an access token lives (1–86400). Default: 600.
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_ACCESS_TOKEN_TTL_SECONDS",
        global = true,
        help_heading = "OpenID Connect provider"
    )]
    pub oidc_access_token_ttl_seconds: Option<u32>,
    /// Days a refresh token lives unused (1–365). Default: 30.
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_REFRESH_TOKEN_TTL_DAYS",
        global = true,
        help_heading = "OpenID Connect provider"
    )]
    pub oidc_refresh_token_ttl_days: Option<u32>,

    /// Days to keep audit events before the retention job deletes them. Default: 180.
    #[arg(long, env = "GATEHOUSE_AUDIT_RETENTION_DAYS", global = true, help_heading = "Audit")]
    pub audit_retention_days: Option<u32>,
}
