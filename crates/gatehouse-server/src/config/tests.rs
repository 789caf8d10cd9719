use super::*;
use gatehouse_core::billing::pricing::PriceTable;

fn resolve_file(toml: &str) -> anyhow::Result<Config> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.toml");
    std::fs::write(&p, toml).unwrap();
    Config::resolve(&ConfigArgs {
        config: Some(p),
        ..Default::default()
    })
}

#[test]
fn defaults_give_sqlite_in_the_data_dir_on_loopback_8080() {
    let c = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(c.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database.url.expose_secret(), "sqlite://gatehouse-data/gatehouse.db");
    assert_eq!(c.audit.retention_days, 180);
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
    assert_eq!(c.http.listen.port(), 9100);
    assert_eq!(c.audit.retention_days, 30);
    std::fs::write(&p, "listen_addr = \"127.0.0.1:9000\"\n").unwrap();
    let err = Config::resolve(&ConfigArgs {
        config: Some(p),
        ..Default::default()
    })
    .unwrap_err();
    assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
}

#[test]
fn the_secret_key_file_is_in_the_data_dir_unless_the_flag_or_the_file_names_one() {
    let c = Config::resolve(&ConfigArgs {
        data_dir: Some("/var/lib/gh".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.secret_key_path(), PathBuf::from("/var/lib/gh/secret.key"));
    let c = resolve_file("data_dir = \"/var/lib/gh\"\nsecret_key_file = \"/etc/gh/secret.key\"\n").unwrap();
    assert_eq!(c.secret_key_path(), PathBuf::from("/etc/gh/secret.key"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.toml");
    std::fs::write(&p, "secret_key_file = \"/etc/gh/secret.key\"\n").unwrap();
    let c = Config::resolve(&ConfigArgs {
        config: Some(p),
        secret_key_file: Some("/run/keys/gh.key".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.secret_key_path(), PathBuf::from("/run/keys/gh.key"));
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
    assert_eq!(c.database.url.expose_secret(), "postgres://u:secret@db/gh");
}

const FLAT: &str = r#"
data_dir = "/var/lib/gh"
public_url = "https://id.acme.test/"
trusted_proxies = ["10.0.0.1"]
log_format = "json"
listen = "0.0.0.0:9000"
database_url = "postgres://gh:hunter2-db@db/gh"
max_connections = 40
session_idle_minutes = 15
session_absolute_hours = 8
smtp_url = "smtps://mail:hunter2-smtp@smtp.acme.test:465"
mail_from = "Gatehouse <id@acme.test>"
dns_servers = ["10.0.0.53:53"]
allow_private_addresses = true
extra_ca_file = "/etc/gh/ca.pem"
domain_https_port = 8443
domain_verify_days = 10
domain_grace_days = 3
scim_batch_linger_ms = 20
scim_token_cache_seconds = 30
audit_retention_days = 90
"#;

const NESTED: &str = r#"
data_dir = "/var/lib/gh"
public_url = "https://id.acme.test/"
trusted_proxies = ["10.0.0.1"]
log_format = "json"

[http]
listen = "0.0.0.0:9000"

[database]
url = "postgres://gh:hunter2-db@db/gh"
max_connections = 40

[sessions]
idle_minutes = 15
absolute_hours = 8

[mail]
smtp_url = "smtps://mail:hunter2-smtp@smtp.acme.test:465"
from = "Gatehouse <id@acme.test>"

[outbound]
dns_servers = ["10.0.0.53:53"]
allow_private_addresses = true
extra_ca_file = "/etc/gh/ca.pem"

[domains]
https_port = 8443
verify_days = 10
grace_days = 3

[scim]
batch_linger_ms = 20
token_cache_seconds = 30

[audit]
retention_days = 90
"#;

/// Everything a config holds, secrets included, for comparing two of them.
fn everything(c: &Config) -> String {
    format!(
        "{c:?} {} {:?}",
        c.database.url.expose_secret(),
        c.mail.smtp_url.as_ref().map(ExposeSecret::expose_secret)
    )
}

#[test]
fn an_old_flat_file_and_a_nested_one_give_the_same_config() {
    let flat = resolve_file(FLAT).unwrap();
    let nested = resolve_file(NESTED).unwrap();
    assert_eq!(everything(&flat), everything(&nested));
    assert_eq!(nested.http.listen.port(), 9000);
    assert_eq!(nested.public_url, "https://id.acme.test");
    assert_eq!(nested.database.max_connections, 40);
    assert_eq!(nested.domains.https_port, 8443);
    assert_eq!(nested.scim.token_cache_seconds, 30);
    assert!(nested.outbound.allow_private_addresses);
    assert!(nested.json_logs);
}

#[test]
fn unknown_keys_in_a_section_are_refused() {
    let err = resolve_file("[database]\nurl = \"sqlite://x.db\"\npool = 3\n").unwrap_err();
    assert!(format!("{err:#}").contains("unknown field `pool`"), "{err:#}");
    let err = resolve_file("[webhooks]\nurl = \"https://x\"\n").unwrap_err();
    assert!(format!("{err:#}").contains("unknown field `webhooks`"), "{err:#}");
}

#[test]
fn one_setting_named_flat_and_nested_is_refused() {
    let err = resolve_file("listen = \"127.0.0.1:1\"\n[http]\nlisten = \"127.0.0.1:2\"\n").unwrap_err();
    assert!(format!("{err:#}").contains("`listen` and `[http] listen`"), "{err:#}");
}

#[test]
fn flags_beat_nested_file_settings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.toml");
    std::fs::write(&p, NESTED).unwrap();
    let c = Config::resolve(&ConfigArgs {
        config: Some(p),
        database_url: Some("sqlite://flag.db".into()),
        scim_token_cache_seconds: Some(0),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.database.url.expose_secret(), "sqlite://flag.db");
    assert_eq!(c.scim.token_cache_seconds, 0);
    assert_eq!(
        c.scim.batch_linger_ms, 20,
        "what no flag names still comes from the file"
    );
}

#[test]
fn debug_never_prints_a_secret() {
    let c = resolve_file(NESTED).unwrap();
    let printed = format!("{c:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        printed.contains("max_connections: 40"),
        "the rest is still there: {printed}"
    );
    let args = ConfigArgs {
        database_url: Some("postgres://gh:hunter2-flag@db/gh".into()),
        ..Default::default()
    };
    assert!(!format!("{args:?}").contains("hunter2"));
}

#[test]
fn sign_in_limits_come_from_the_file_and_a_ceiling_never_falls_below_the_pair_limit() {
    let c = resolve_file("[sign_in]\nattempts = 7\nemail_ceiling = 3\nip_ceiling = 500\nhash_queue = 9\n").unwrap();
    assert_eq!(c.sign_in.attempts, 7);
    assert_eq!(c.sign_in.email_ceiling, 7, "raised to the pair limit");
    assert_eq!(c.sign_in.ip_ceiling, 500);
    assert_eq!(c.sign_in.hash_queue, 9);
    assert!(c.sign_in.hash_workers >= 1);
    let d = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(
        (d.sign_in.attempts, d.sign_in.email_ceiling, d.sign_in.ip_ceiling),
        (5, 50, 100)
    );
    let err = resolve_file("[sign_in]\nlockout = 3\n").unwrap_err();
    assert!(format!("{err:#}").contains("unknown field `lockout`"), "{err:#}");
}

#[test]
fn sqlite_syncs_full_by_default_and_normal_only_when_asked() {
    use gatehouse_store::SqliteSynchronous;
    let c = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(c.database.sqlite_synchronous, SqliteSynchronous::Full);
    let c = resolve_file("[database]\nsqlite_synchronous = \"normal\"\n").unwrap();
    assert_eq!(c.database.sqlite_synchronous, SqliteSynchronous::Normal);
    let c = Config::resolve(&ConfigArgs {
        sqlite_synchronous: Some("FULL".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.database.sqlite_synchronous, SqliteSynchronous::Full);
    let err = resolve_file("[database]\nsqlite_synchronous = \"off\"\n").unwrap_err();
    assert!(format!("{err:#}").contains("full or normal"), "{err:#}");
}

#[test]
fn sqlite_memory_limits_default_small_and_come_from_the_file_or_flags_within_range() {
    use gatehouse_store::SqliteMemory;
    let c = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(c.database.sqlite_memory, SqliteMemory::default());
    assert_eq!(
        (
            c.database.sqlite_memory.cache_size_kib(),
            c.database.sqlite_memory.mmap_size_mib()
        ),
        (1024, 0)
    );
    let c = resolve_file("[database]\nsqlite_cache_size_kib = 4096\nsqlite_mmap_size_mib = 64\n").unwrap();
    assert_eq!(c.database.sqlite_memory, SqliteMemory::new(4096, 64).unwrap());
    let c = Config::resolve(&ConfigArgs {
        sqlite_cache_size_kib: Some(512),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.database.sqlite_memory, SqliteMemory::new(512, 0).unwrap());
    let err = resolve_file("[database]\nsqlite_cache_size_kib = 10\nsqlite_mmap_size_mib = 4096\n").unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("sqlite_cache_size_kib: must be between 64 and 1048576") && err.contains("sqlite_mmap_size_mib"),
        "{err}"
    );
    let err = resolve_file("[database]\nsqlite_cache_size = 4096\n").unwrap_err();
    assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
}

#[test]
fn outbound_allow_hosts_come_lower_case_from_flags_or_the_file() {
    let c = resolve_file("[outbound]\nallow_hosts = [\"IdP.Corp.Internal.\", \"metadata.lan\"]\n").unwrap();
    assert_eq!(c.outbound.allow_hosts, ["idp.corp.internal", "metadata.lan"]);
    let c = Config::resolve(&ConfigArgs {
        outbound_allow_hosts: Some(vec!["sso.lan".into()]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.outbound.allow_hosts, ["sso.lan"]);
    assert!(
        Config::resolve(&ConfigArgs::default())
            .unwrap()
            .outbound
            .allow_hosts
            .is_empty()
    );
}

#[test]
fn connection_limits_and_timeouts_default_sanely_and_come_from_flags_or_the_file() {
    let c = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(c.http.max_connections, 512);
    assert_eq!(c.http.header_timeout, Duration::from_secs(15));
    assert_eq!(c.http.idle_timeout, Duration::from_mins(1));
    assert_eq!(c.http.body_timeout, Duration::from_secs(30));
    assert_eq!(c.database.max_connections, 16, "the database pool is another setting");
    let c = resolve_file(
        "[http]\nmax_connections = 64\nheader_timeout_secs = 5\nidle_timeout_secs = 0\n[database]\nmax_connections = 4\n",
    )
    .unwrap();
    assert_eq!(c.http.max_connections, 64);
    assert_eq!(c.http.header_timeout, Duration::from_secs(5));
    assert_eq!(c.http.idle_timeout, Duration::from_secs(1), "at least a second");
    assert_eq!(c.database.max_connections, 4);
    let c = Config::resolve(&ConfigArgs {
        http_max_connections: Some(8),
        max_connections: Some(2),
        ..Default::default()
    })
    .unwrap();
    assert_eq!((c.http.max_connections, c.database.max_connections), (8, 2));
}

#[test]
fn rate_limits_are_per_minute_and_zero_turns_one_off() {
    let c = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(c.limits.api_per_key, RateLimit::per_minute(1200));
    assert!(c.limits.signin_per_ip.is_some());
    let c = resolve_file("[limits]\napi_per_key = 0\nscim_per_token = 90\n").unwrap();
    assert_eq!(c.limits.api_per_key, None);
    assert_eq!(c.limits.scim_per_token, RateLimit::per_minute(90));
    assert!(
        resolve_file("[limits]\nper_org = 5\n").is_err(),
        "unknown keys are refused"
    );
}

#[test]
fn the_metrics_token_comes_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("metrics-token");
    std::fs::write(&p, "scrape-me\n").unwrap();
    let c = Config::resolve(&ConfigArgs {
        metrics_token_file: Some(p.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.metrics.token.as_ref().map(ExposeSecret::expose_secret),
        Some("scrape-me")
    );
    assert!(!format!("{c:?}").contains("scrape-me"));
    let toml = format!("[metrics]\ntoken_file = {:?}\n", p.display().to_string());
    assert!(resolve_file(&toml).unwrap().metrics.token.is_some());
    assert!(Config::resolve(&ConfigArgs::default()).unwrap().metrics.token.is_none());
}

#[test]
fn the_pricing_file_is_named_in_billing_or_by_the_flag_and_read_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pricing.json");
    std::fs::write(
        &p,
        r#"{"currency":"EUR","tiers":[{"up_to":10,"unit_cents":900},{"up_to":null,"unit_cents":800}]}"#,
    )
    .unwrap();
    let none = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(none.billing.pricing_file, None);
    assert_eq!(none.billing.price_table().unwrap(), PriceTable::default());
    let toml = format!("[billing]\npricing_file = {:?}\n", p.display().to_string());
    let c = resolve_file(&toml).unwrap();
    assert_eq!(c.billing.pricing_file.as_deref(), Some(p.as_path()));
    let table = c.billing.price_table().unwrap();
    assert_eq!(table.currency().as_str(), "EUR");
    // `annual_tiers` left out: the published ones.
    assert_eq!(table.annual_tiers(), PriceTable::default().annual_tiers());
    let flag = Config::resolve(&ConfigArgs {
        pricing_file: Some("/etc/gh/other.json".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(flag.billing.pricing_file, Some(PathBuf::from("/etc/gh/other.json")));
    assert!(
        resolve_file("[billing]\nprice_file = \"x\"\n").is_err(),
        "unknown keys are refused"
    );
}

#[test]
fn a_wrong_price_list_is_refused_with_what_is_wrong() {
    let err = |text: &str| format!("{:#}", pricing::parse_price_table(text).unwrap_err());
    let e = err(r#"{"currency":"USD","tiers":[{"up_to":-5,"unit_cents":400},{"up_to":null,"unit_cents":300}]}"#);
    assert!(e.contains("tiers[0].up_to: tier 1 must hold at least user 1"), "{e}");
    let e = err(r#"{"currency":"USD","tiers":[{"up_to":null,"unit_cents":-1}],"annual_tiers":[50,25]}"#);
    assert!(
        e.contains("tiers[0].unit_cents: tier 1's price must not be negative"),
        "{e}"
    );
    assert!(
        e.contains("annual_tiers[1]: 25 users is not above the tier before (50)"),
        "{e}"
    );
    let e = err(r#"{"tiers":[{"up_to":null,"unit_cents":1}]}"#);
    assert!(e.contains("missing field `currency`"), "{e}");
    let e = err("tiers: []");
    assert!(e.contains("not a valid price list"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 300 * 1024]).unwrap();
    let e = format!("{:#}", pricing::read_price_table(&big).unwrap_err());
    assert!(e.contains("big.json") && e.contains("a price list is at most"), "{e}");
}

#[test]
fn a_subscription_is_required_only_when_the_operator_says_so() {
    assert!(
        !Config::resolve(&ConfigArgs::default())
            .unwrap()
            .billing
            .require_subscription
    );
    assert!(
        resolve_file("[billing]\nrequire_subscription = true\n")
            .unwrap()
            .billing
            .require_subscription
    );
    let flag = Config::resolve(&ConfigArgs {
        require_subscription: Some(true),
        ..Default::default()
    })
    .unwrap();
    assert!(flag.billing.require_subscription);
    assert!(
        resolve_file("[billing]\nrequire_subscriptions = true\n").is_err(),
        "a typo is refused"
    );
}
