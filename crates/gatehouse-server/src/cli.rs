//! The command line: `gatehouse serve | migrate | bootstrap | backup | secret-key | signing-key | org | version`.

use crate::config::{Config, ConfigArgs};
use crate::state::AppState;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gatehouse_core::Timestamp;
use gatehouse_core::ports::SystemClock;
use gatehouse_store::{SqlStore, StoreOptions};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "gatehouse",
    version,
    about = "Gatehouse: the identity and security layer for an organization's products."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an organization, its first admin and an org API key; prints one JSON object.
    Bootstrap {
        /// The organization's name.
        #[arg(long)]
        org_name: String,
        /// Email of the first org admin.
        #[arg(long)]
        admin_email: String,
    },
    /// Write a consistent copy of a SQLite database while it is in use. The copy does not hold
    /// the secret key file: keep that too, stored apart.
    Backup {
        /// Where to write the copy (must not exist).
        #[arg(long)]
        output: PathBuf,
    },
    /// Manage the secret key file (--secret-key-file) that seals secrets in the database.
    #[command(subcommand)]
    SecretKey(SecretKeyCommand),
    /// Manage the OpenID Connect provider's signing keys.
    #[command(subcommand)]
    SigningKey(SigningKeyCommand),
    /// The operator's settings of an organization (its plan, its free status); prints one
    /// JSON object. Each change is recorded in the organization's audit log.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Print the version.
    Version,
}

/// `gatehouse secret-key ...`
#[derive(Subcommand, Debug)]
pub enum SecretKeyCommand {
    /// Add a new current key to the key file; the old keys stay, so every secret sealed with
    /// them still opens. Copy the new file to every node, then restart them.
    Rotate,
}

/// `gatehouse signing-key ...`
#[derive(Subcommand, Debug)]
pub enum SigningKeyCommand {
    /// Make a new key the one that signs tokens. The old key stays published in the JWKS until
    /// every token it signed has expired; running servers pick the new key up within a minute.
    Rotate {
        /// ES256 (default: the configured `oidc_signing_alg`), EdDSA or RS256.
        #[arg(long)]
        alg: Option<String>,
    },
}

/// `gatehouse org ...`
#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Set the organization's plan (`org.plan_changed`).
    SetPlan {
        /// The organization's id.
        org_id: String,
        /// free, standard or enterprise.
        plan: String,
    },
    /// Make the organization free for everyone as a community or academic one, or end that
    /// with `none` (`org.free_changed`).
    SetFree {
        /// The organization's id.
        org_id: String,
        /// community, academic or none.
        free: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Version = cli.command {
        println!("gatehouse {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    let config = Config::resolve(&cli.config)?;
    init_logging(config.json_logs);
    if let Command::SecretKey(SecretKeyCommand::Rotate) = cli.command {
        return rotate_secret_key(&config);
    }
    let store = open_store(&config, !matches!(cli.command, Command::Backup { .. })).await?;
    match cli.command {
        Command::Serve => {
            let state = AppState::new(store.clone(), Arc::new(SystemClock), config.clone()).await?;
            let r = crate::app::serve_until_signal(state, config.http.listen).await;
            store.close().await;
            r
        }
        Command::Migrate => {
            println!(
                "{}",
                serde_json::json!({ "status": "up to date", "engine": store.dialect().name() })
            );
            Ok(())
        }
        Command::Bootstrap { org_name, admin_email } => {
            bootstrap(store.clone(), &config, &org_name, &admin_email).await?;
            store.close().await;
            Ok(())
        }
        Command::Backup { output } => backup(&store, &config, &output).await,
        Command::SigningKey(SigningKeyCommand::Rotate { alg }) => {
            let r = rotate_signing_key(store.clone(), &config, alg.as_deref()).await;
            store.close().await;
            r
        }
        Command::Org(command) => {
            let r = org_command(store.clone(), command).await;
            store.close().await;
            r
        }
        Command::Version | Command::SecretKey(_) => unreachable!("handled above"),
    }
}

/// `gatehouse org set-plan | set-free`: the change as the operator, then the organization's
/// plan and free status as one JSON object.
async fn org_command(store: SqlStore, command: OrgCommand) -> anyhow::Result<()> {
    use gatehouse_core::ids::OrgId;
    use gatehouse_core::product::{FreeKind, Plan};
    let services = gatehouse_core::services::Services::new(store, Arc::new(SystemClock));
    let operator = gatehouse_core::authz::operator("operator");
    let org_id = |id: &str| OrgId::parse(id).map_err(|_| anyhow::anyhow!("{id} is not an organization id"));
    let (id, changed) = match command {
        OrgCommand::SetPlan { org_id: id, plan } => {
            let org = org_id(&id)?;
            let plan =
                Plan::parse(&plan).map_err(|_| anyhow::anyhow!("the plan must be free, standard or enterprise"))?;
            (id, services.subscriptions.set_plan(&operator, org, plan).await)
        }
        OrgCommand::SetFree { org_id: id, free } => {
            let org = org_id(&id)?;
            let free = match free.as_str() {
                "none" => None,
                other => Some(
                    FreeKind::parse(other).map_err(|_| anyhow::anyhow!("free must be community, academic or none"))?,
                ),
            };
            (id, services.subscriptions.set_free(&operator, org, free).await)
        }
    };
    let org = changed.map_err(|e| match e {
        gatehouse_core::CoreError::NotFound { .. } => anyhow::anyhow!("no organization has the id {id}"),
        other => anyhow::anyhow!(other),
    })?;
    println!(
        "{}",
        serde_json::json!({
            "org_id": org.id.to_string(),
            "name": org.name,
            "plan": org.plan.as_str(),
            "free": org.free.map(FreeKind::as_str),
        })
    );
    Ok(())
}

/// Copies a live SQLite database to `output`, and says that the copy does not hold the secret
/// key file (a JSON field, and a line on stderr for whoever runs it by hand).
async fn backup(store: &SqlStore, config: &Config, output: &std::path::Path) -> anyhow::Result<()> {
    let key_file = std::path::absolute(config.secret_key_path())?;
    let key_note = format!(
        "the backup does not hold the secret key file; keep a copy of {} as well, stored apart from the \
         backup: without it the secrets sealed in the database cannot be opened",
        key_file.display()
    );
    if !store.has_online_backup() {
        bail!(
            "backup copies SQLite databases; for PostgreSQL use pg_dump (e.g. pg_dump -Fc \"$GATEHOUSE_DATABASE_URL\" > gatehouse.dump); {key_note}"
        );
    }
    if output.exists() {
        bail!("{} already exists; choose a new file", output.display());
    }
    let dest = output.to_str().context("backup path must be UTF-8")?;
    store.backup_sqlite(dest).await.map_err(|e| anyhow::anyhow!(e))?;
    eprintln!("gatehouse: {key_note}");
    println!(
        "{}",
        serde_json::json!({
            "backup": dest,
            "holds_secret_key": false,
            "secret_key_file": key_file.display().to_string(),
        })
    );
    Ok(())
}

/// `gatehouse signing-key rotate`: prints the new key's id and algorithm.
async fn rotate_signing_key(store: SqlStore, config: &Config, alg: Option<&str>) -> anyhow::Result<()> {
    let alg = match alg {
        Some(a) => a
            .parse::<gatehouse_oidc::Alg>()
            .map_err(|_| anyhow::anyhow!("--alg must be ES256, EdDSA or RS256"))?,
        None => config.oidc.signing_alg,
    };
    let ring = crate::secret_key::open_key_ring(&config.secret_key_path(), &store, Timestamp::now()).await?;
    let services = gatehouse_core::services::Services::new(store, Arc::new(SystemClock))
        .with_provider_policy(config.oidc.policy());
    let publish = crate::oidc::Oidc::publish_secs(config.oidc.policy().access_ttl_secs);
    let kid = crate::oidc::keys::rotate(&services, &ring, alg, publish).await?;
    println!(
        "{}",
        serde_json::json!({ "kid": kid, "alg": alg.as_str(), "previous_published_for_seconds": publish })
    );
    Ok(())
}

/// `gatehouse secret-key rotate`: prints the file and its key ids (never a key).
fn rotate_secret_key(config: &Config) -> anyhow::Result<()> {
    let path = config.secret_key_path();
    let ring = crate::secret_key::rotate(&path)?;
    eprintln!(
        "gatehouse: {} now seals with key {}; copy it to every node and restart them, and back it up again",
        path.display(),
        ring.current()
    );
    println!(
        "{}",
        serde_json::json!({
            "secret_key_file": std::path::absolute(&path)?.display().to_string(),
            "current_key_id": ring.current().as_str(),
            "key_ids": ring.ids(),
        })
    );
    Ok(())
}

async fn open_store(config: &Config, migrate: bool) -> anyhow::Result<SqlStore> {
    if config.needs_data_dir() {
        let path = config
            .database
            .url
            .expose_secret()
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let opts = StoreOptions {
        url: config.database.url.expose_secret().to_owned(),
        max_connections: config.database.max_connections,
        sqlite_synchronous: config.database.sqlite_synchronous,
        sqlite_memory: config.database.sqlite_memory,
    };
    let store = if migrate {
        SqlStore::connect(&opts).await
    } else {
        SqlStore::connect_without_migrating(&opts).await
    };
    store.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Creates the organization, its first admin and an org API key, and prints one JSON object
/// with the admin's set-password link.
async fn bootstrap(store: SqlStore, config: &Config, org_name: &str, admin_email: &str) -> anyhow::Result<()> {
    let state = AppState::new(store, Arc::new(SystemClock), config.clone()).await?;
    let services = state.services.clone();
    let b = services
        .orgs
        .bootstrap(org_name, admin_email)
        .await
        .map_err(|e| match e {
            gatehouse_core::CoreError::Validation { fields } => anyhow::anyhow!(
                "invalid input: {}",
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::anyhow!(other),
        })?;
    // The first admin's way in: a single-use link to set a password, valid for a day.
    let link = state
        .signin
        .issue_reset_link(
            &b.admin,
            86_400,
            &gatehouse_core::audit::Actor::system("bootstrap"),
            &gatehouse_core::audit::RequestMeta::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let out = serde_json::json!({
        "org_id": b.org.id.to_string(),
        "org_name": b.org.name,
        "api_key": b.api_key_secret,
        "api_key_id": b.api_key.id.to_string(),
        "api_key_expires_at": b.api_key.expires_at.to_rfc3339(),
        "admin": {
            "account_id": b.admin.id.to_string(),
            "email": b.admin.email,
            "set_password_url": link,
            "set_password_expires_in_hours": 24,
            "sign_in_url": format!("{}/login", config.public_url),
        },
        "api_base": format!("{}/api/v1/orgs/{}", config.public_url, b.org.id),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
