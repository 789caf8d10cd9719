//! The `gatehouse` binary itself: bootstrap, serve, backup, config errors, graceful shutdown,
//! and a SIGKILL in the middle of writes.

use gatehouse_store::Dialect;
use gatehouse_store::testing::TestDatabase;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

fn gatehouse(url: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env("GATEHOUSE_DATABASE_URL", url)
        .env("GATEHOUSE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("GATEHOUSE_CONFIG");
    c
}

fn bootstrap(url: &str, dir: &std::path::Path) -> Value {
    let out = gatehouse(url, dir)
        .args(["bootstrap", "--org-name", "Acme", "--admin-email", "root@acme.example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("bootstrap prints one JSON object")
}

/// Starts `serve` on a free port and returns the child and its base URL, read from its log.
fn serve(url: &str, dir: &std::path::Path) -> (Child, String) {
    let mut child = gatehouse(url, dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited before listening").unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if v["fields"]["message"] == "gatehouse listening" {
            break v["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, format!("http://{addr}"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

gatehouse_testkit::dialect_tests!(
    killing_the_server_mid_write_loses_no_committed_change_and_leaves_no_partial_one,
    sigterm_lets_an_in_flight_export_finish,
    a_key_file_that_does_not_belong_to_the_database_refuses_to_start,
);

#[tokio::test]
async fn serve_with_no_flags_creates_the_data_dir_and_bootstrap_gives_a_working_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(BIN);
    c.current_dir(dir.path())
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_DATA_DIR");
    let out = c
        .args(["bootstrap", "--org-name", "Acme", "--admin-email", "Root@Acme.example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        dir.path().join("gatehouse-data/gatehouse.db").exists(),
        "SQLite under ./gatehouse-data by default"
    );
    let boot: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(boot["admin"]["email"], "root@acme.example");
    let url = format!("sqlite://{}", dir.path().join("gatehouse-data/gatehouse.db").display());
    let (mut child, base) = serve(&url, dir.path());
    let org = boot["org_id"].as_str().unwrap();
    let r = client()
        .get(format!("{base}/api/v1/orgs/{org}"))
        .bearer_auth(boot["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn unknown_config_keys_and_bad_values_stop_the_binary_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.toml"), "listen = \"127.0.0.1:0\"\nretention = 5\n").unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["--config", "g.toml", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `retention`"), "{err}");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["bootstrap", "--org-name", "Acme", "--admin-email", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin_email"));
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for opt in [
        "--database-url",
        "--database-url-file",
        "--listen",
        "--data-dir",
        "--public-url",
        "--audit-retention-days",
        "--trusted-proxies",
        "--secret-key-file",
        "GATEHOUSE_SECRET_KEY_FILE",
        "--require-subscription",
        "GATEHOUSE_REQUIRE_SUBSCRIPTION",
    ] {
        assert!(help.contains(opt), "--help documents {opt}");
    }
}

/// Flags beat `GATEHOUSE_*` variables, which beat the file (here in its nested form).
#[test]
fn flags_beat_the_environment_which_beats_a_nested_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("g.toml"),
        "[database]\nurl = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let migrate = |env: Option<&str>, flag: Option<&str>| {
        let mut c = Command::new(BIN);
        c.current_dir(dir.path())
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env_remove("GATEHOUSE_CONFIG")
            .args(["--config", "g.toml"]);
        if let Some(url) = env {
            c.env("GATEHOUSE_DATABASE_URL", url);
        }
        if let Some(url) = flag {
            c.args(["--database-url", url]);
        }
        let out = c.arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    migrate(None, None);
    assert!(dir.path().join("from-file.db").exists(), "the file's URL");
    migrate(Some("sqlite://from-env.db"), None);
    assert!(dir.path().join("from-env.db").exists(), "the environment over the file");
    migrate(Some("sqlite://unused.db"), Some("sqlite://from-flag.db"));
    assert!(dir.path().join("from-flag.db").exists(), "the flag over both");
    assert!(!dir.path().join("unused.db").exists());
}

/// `gatehouse org set-plan | set-free`: the operator's settings of an organization, each
/// printed as one JSON object and recorded in its audit log; a bad value or an unknown
/// organization stops with a clear message and changes nothing.
#[tokio::test]
async fn the_operator_sets_an_orgs_plan_and_free_status_for_its_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ops.db").display());
    let boot = bootstrap(&url, dir.path());
    let org = boot["org_id"].as_str().unwrap();
    let run = |args: &[&str]| {
        let out = gatehouse(&url, dir.path()).arg("org").args(args).output().unwrap();
        let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.success(),
            stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, said, err) = run(&["set-plan", org, "enterprise"]);
    assert!(ok, "{err}");
    assert_eq!(
        said,
        json!({"org_id": org, "name": "Acme", "plan": "enterprise", "free": null})
    );
    let (ok, said, err) = run(&["set-free", org, "academic"]);
    assert!(ok, "{err}");
    assert_eq!(said["free"], "academic");
    assert_eq!(said["plan"], "enterprise");
    for (args, message) in [
        (
            vec!["set-plan", org, "platinum"],
            "the plan must be free, standard or enterprise",
        ),
        (
            vec!["set-free", org, "charity"],
            "free must be community, academic or none",
        ),
        (
            vec!["set-plan", "not-an-id", "free"],
            "not-an-id is not an organization id",
        ),
    ] {
        let (ok, said, err) = run(&args);
        assert!(!ok && said.is_null(), "{args:?} fails");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let unknown = gatehouse_core::ids::OrgId::new().to_string();
    let (ok, _, err) = run(&["set-plan", &unknown, "free"]);
    assert!(
        !ok && err.contains(&format!("no organization has the id {unknown}")),
        "{err}"
    );
    let (ok, said, err) = run(&["set-free", org, "none"]);
    assert!(ok, "{err}");
    assert_eq!(said["free"], Value::Null);

    let (mut child, base) = serve(&url, dir.path());
    let key = boot["api_key"].as_str().unwrap();
    let get = |path: String| {
        client()
            .get(format!("{base}/api/v1/orgs/{org}{path}"))
            .bearer_auth(key)
            .send()
    };
    let seen: Value = get(String::new()).await.unwrap().json().await.unwrap();
    assert_eq!((&seen["plan"], &seen["free"]), (&json!("enterprise"), &Value::Null));
    for (action, n) in [("org.plan_changed", 1), ("org.free_changed", 2)] {
        let events: Value = get(format!("/events?action={action}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = events["items"].as_array().unwrap();
        assert_eq!(items.len(), n, "{action}: {events}");
        assert!(
            items
                .iter()
                .all(|e| e["actor"]["type"] == "system" && e["actor"]["label"] == "operator")
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn backup_writes_a_consistent_copy_of_a_live_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    let boot = bootstrap(&url, dir.path());
    let (mut child, base) = serve(&url, dir.path());
    let org = boot["org_id"].as_str().unwrap();
    let key = boot["api_key"].as_str().unwrap();
    let r = client()
        .post(format!("{base}/api/v1/orgs/{org}/groups"))
        .bearer_auth(key)
        .json(&json!({"name":"Kept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let out = gatehouse(&url, dir.path())
        .args(["backup", "--output", "copy.db"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The copy does not hold the key: the operator is told which file to keep beside it.
    let said: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key_file = dir.path().join("gatehouse-data/secret.key");
    assert_eq!(said["holds_secret_key"], false);
    assert_eq!(said["secret_key_file"], key_file.display().to_string().as_str());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not hold the secret key file") && err.contains(&key_file.display().to_string()),
        "{err}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let copy = format!("sqlite://{}", dir.path().join("copy.db").display());
    let (mut from_copy, base) = serve(&copy, dir.path());
    let groups: Value = client()
        .get(format!("{base}/api/v1/orgs/{org}/groups"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups["items"][0]["name"], "Kept");
    from_copy.kill().unwrap();
    from_copy.wait().unwrap();
    let again = gatehouse(&url, dir.path())
        .args(["backup", "--output", "copy.db"])
        .output()
        .unwrap();
    assert!(!again.status.success(), "an existing file is never overwritten");
}

/// Runs the binary to its exit (at most 60 s: a server that does not refuse would run on).
fn run_to_exit(mut cmd: Command) -> std::process::Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running after 60 s: it did not refuse to start");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_secret_key_file_is_made_private_in_the_data_dir_and_kept_across_restarts_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let key_file = dir.path().join("gatehouse-data/secret.key");
    bootstrap(&url, dir.path());
    assert_eq!(mode_of(&key_file), 0o600, "made readable by its owner only");
    let made = std::fs::read(&key_file).unwrap();
    let (mut child, _) = serve(&url, dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read(&key_file).unwrap(), made, "a restart never rewrites it");

    let out = gatehouse(&url, dir.path())
        .args(["secret-key", "rotate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = rotated["key_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], rotated["current_key_id"]);
    assert!(
        String::from_utf8_lossy(&made).contains(&format!("\n{} ", ids[1].as_str().unwrap())),
        "the old key stays, behind the new one"
    );
    assert_eq!(mode_of(&key_file), 0o600);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(
            String::from_utf8_lossy(&made)
                .lines()
                .last()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
        )
    );
    // The database's canary was sealed with the old key, which still opens it.
    let (mut child, base) = serve(&url, dir.path());
    assert_eq!(
        client().get(format!("{base}/readyz")).send().await.unwrap().status(),
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn a_key_file_that_does_not_belong_to_the_database_refuses_to_start(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let dir = tempfile::tempdir().unwrap();
    bootstrap(&db.options.url, dir.path());
    let refused = |key_file: &str| {
        let mut cmd = gatehouse(&db.options.url, dir.path());
        cmd.env("GATEHOUSE_SECRET_KEY_FILE", key_file)
            .args(["serve", "--listen", "127.0.0.1:0"]);
        let out = run_to_exit(cmd);
        assert!(!out.status.success(), "refused to start with {key_file}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // A node started without the database's key file (none where it looks): one is made, and
    // refused, instead of sealing secrets the others cannot open.
    let err = refused("other.key");
    assert!(err.contains("does not belong to this database"), "{err}");
    assert!(err.contains("made just now"), "{err}");
    assert!(dir.path().join("other.key").exists());
    let err = refused("other.key");
    assert!(
        err.contains("does not belong to this database") && !err.contains("made just now"),
        "{err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let own = dir.path().join("gatehouse-data/secret.key");
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = refused("gatehouse-data/secret.key");
        assert!(
            err.contains("may be read by others") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::write(dir.path().join("garbled.key"), "k1 c2hvcnQ=\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path().join("garbled.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = refused("garbled.key");
    assert!(
        err.contains("is not a key file") && err.contains("not 32 bytes"),
        "{err}"
    );
    // With its own key file it starts.
    let (mut child, _) = serve(&db.options.url, dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn backup_of_postgres_points_to_pg_dump() {
    let db = TestDatabase::create(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let out = gatehouse(&db.options.url, dir.path())
        .args(["backup", "--output", "x.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

async fn killing_the_server_mid_write_loses_no_committed_change_and_leaves_no_partial_one(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let boot = bootstrap(&db.options.url, dir.path());
    let org = boot["org_id"].as_str().unwrap().to_owned();
    let key = boot["api_key"].as_str().unwrap().to_owned();
    let (mut child, base) = serve(&db.options.url, dir.path());
    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (acked, stop, base, org, key) = (acked.clone(), stop.clone(), base.clone(), org.clone(), key.clone());
        writers.push(tokio::spawn(async move {
            let c = client();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let email = format!("w{w}-{n}@example.com");
                n += 1;
                let body = json!({"email": email, "display_name": "Writer"});
                match c
                    .post(format!("{base}/api/v1/orgs/{org}/accounts"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(email),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Kill it once writes are well under way (a count, not a time: a loaded machine is slower).
    for _ in 0..600 {
        if acked.lock().unwrap().len() > 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    child.kill().unwrap(); // SIGKILL: no chance to flush or finish anything
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "writes were under way when the server died ({})",
        acked.len()
    );

    // Start again on the same database and read everything back through the API.
    let (mut child, base) = serve(&db.options.url, dir.path());
    let (emails, created_for) = read_back(&base, &org, &key).await;
    for e in &acked {
        assert!(emails.contains_key(e), "acknowledged account {e} was lost");
    }
    for (email, id) in &emails {
        assert_eq!(
            created_for.get(id),
            Some(&1),
            "account {email} has exactly one creation event"
        );
    }
    assert_eq!(created_for.len(), emails.len(), "no event without its account");
    child.kill().unwrap();
    child.wait().unwrap();
}

type Counts = std::collections::HashMap<String, usize>;

/// Every account of the org (email -> id) and how many `account.created` events each id has.
async fn read_back(base: &str, org: &str, key: &str) -> (std::collections::HashMap<String, String>, Counts) {
    let c = client();
    let mut emails = std::collections::HashMap::new();
    let mut cursor = String::new();
    loop {
        let page: Value = c
            .get(format!("{base}/api/v1/orgs/{org}/accounts?limit=200&cursor={cursor}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for a in page["items"].as_array().unwrap() {
            emails.insert(
                a["email"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(next) => next.clone_into(&mut cursor),
            None => break,
        }
    }
    let export = c
        .get(format!(
            "{base}/api/v1/orgs/{org}/events/export?format=jsonl&action=account.created"
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut created_for = std::collections::HashMap::<String, usize>::new();
    for line in export.lines() {
        let ev: Value = serde_json::from_str(line).unwrap();
        *created_for
            .entry(ev["targets"][0]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    (emails, created_for)
}

async fn sigterm_lets_an_in_flight_export_finish(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let boot = bootstrap(&db.options.url, dir.path());
    let org = boot["org_id"].as_str().unwrap().to_owned();
    let key = boot["api_key"].as_str().unwrap().to_owned();
    seed_events(&db, &org, 40_000).await;
    let (mut child, base) = serve(&db.options.url, dir.path());
    let res = client()
        .get(format!("{base}/api/v1/orgs/{org}/events/export?format=jsonl"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The body (~15 MB) is far larger than the socket buffers, so the server is mid-stream.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = res.text().await.expect("the export completes after SIGTERM");
    assert!(body.lines().count() >= 40_000, "got {} lines", body.lines().count());
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit after draining: {status:?}");
}

/// Writes `n` audit events straight through the store, as fast setup for big exports.
async fn seed_events(db: &TestDatabase, org: &str, n: usize) {
    use gatehouse_core::audit::{Actor, AuditEvent, RequestMeta};
    use gatehouse_core::ports::prelude::*;
    let store = gatehouse_store::SqlStore::connect(&db.options).await.unwrap();
    let org = gatehouse_core::ids::OrgId::parse(org).unwrap();
    let meta = RequestMeta {
        ip: Some("192.0.2.1".into()),
        user_agent: Some("seed".into()),
    };
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        let ev = AuditEvent::new(
            org,
            &Actor::system("seed"),
            &meta,
            gatehouse_core::audit::AuditAction::GroupCreated,
            gatehouse_core::Timestamp::now(),
        )
        .target(
            "group",
            i,
            Some("seeded group with a reasonably long label to pad the export"),
        );
        tx.insert_event(&ev).await.unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn signing_key_rotation_signs_with_the_new_key_and_keeps_the_old_one_published() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gatehouse.db").display());
    bootstrap(&url, dir.path());
    let (mut child, base) = serve(&url, dir.path());
    let jwks = |base: String| async move {
        let v: Value = client()
            .get(format!("{base}/oauth2/jwks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let first = jwks(base.clone()).await;
    assert_eq!(first.len(), 1, "the first start makes one key");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = gatehouse(&url, dir.path())
        .args(["signing-key", "rotate", "--alg", "EdDSA"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rotated["alg"], "EdDSA");
    let (mut child, base) = serve(&url, dir.path());
    let after = jwks(base.clone()).await;
    assert_eq!(after.len(), 2, "the retired key stays published: {after:?}");
    assert!(after.contains(&first[0]) && after.contains(&rotated["kid"].as_str().unwrap().to_owned()));
    let bad = gatehouse(&url, dir.path())
        .args(["signing-key", "rotate", "--alg", "HS256"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ES256, EdDSA or RS256"));
    child.kill().unwrap();
    child.wait().unwrap();
}
