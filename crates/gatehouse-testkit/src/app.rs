//! The test server: a real gatehouse on 127.0.0.1:0 over a fresh database, a clock tests
//! control, and the raw request helpers.

use crate::{dns, https};
use gatehouse_core::Timestamp;
use gatehouse_core::ports::Clock;
use gatehouse_server::app::{Running, spawn};
use gatehouse_server::config::{Config, ConfigArgs};
use gatehouse_server::state::AppState;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore, StoreOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock that stands still until a test moves it.
pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn advance_secs(&self, s: i64) {
        self.0.fetch_add(s * 1000, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// An organization made for a test, with its API key.
#[derive(Clone, Debug)]
pub struct TestOrg {
    pub id: String,
    pub key: String,
    pub admin_account_id: String,
}

/// A response: status, headers and the body parsed as JSON (Null when it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Resp {
    /// The problem code of an error response.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: SqlStore,
    pub clock: Arc<TestClock>,
    pub dialect: Dialect,
    pub db: TestDatabase,
    /// The server's state, for what tests arrange outside HTTP (reset links, direct checks).
    pub state: AppState,
    /// The data directory (mail outbox and the like).
    pub data_dir: tempfile::TempDir,
    /// The DNS server the app's domain checks ask.
    pub dns: dns::DnsServer,
    /// The HTTPS server (with a test CA the app trusts) domain checks fetch from.
    pub https: https::HttpsServer,
    running: Option<Running>,
}

impl TestApp {
    /// Waits until the work pages do after answering (lookups and mail of the forgot and
    /// sign-up forms) has run, so the outbox holds everything sent so far.
    pub async fn settle(&self) {
        self.state.deferred.settled().await;
    }

    /// The mails in the outbox so far (after [`TestApp::settle`]), oldest first.
    pub async fn mails(&self) -> Vec<String> {
        self.settle().await;
        let Ok(dir) = std::fs::read_dir(self.data_dir.path().join("outbox")) else {
            return Vec::new();
        };
        let mut paths: Vec<_> = dir.map(|e| e.expect("outbox entry").path()).collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("mail").replace("\r\n", "\n"))
            .collect()
    }

    pub async fn spawn(dialect: Dialect) -> Self {
        Self::spawn_with(dialect, |_| {}).await
    }

    /// Spawns with a config the test may adjust.
    pub async fn spawn_with(dialect: Dialect, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDatabase::create(dialect).await, tweak).await
    }

    /// Spawns over a given database (such as a benchmark's [`TestDatabase::kept`] one).
    pub async fn spawn_on(mut db: TestDatabase, tweak: impl FnOnce(&mut Config)) -> Self {
        let dialect = db.dialect;
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "error".into()))
            .with_test_writer()
            .try_init();
        let clock = Arc::new(TestClock(AtomicI64::new(Timestamp::now().millis())));
        let data_dir = tempfile::tempdir().expect("data dir");
        let mut config = Config::resolve(&ConfigArgs::default()).expect("config");
        config.database.url = db.options.url.clone().into();
        config.data_dir = data_dir.path().to_path_buf();
        let dns = dns::DnsServer::start().await;
        let https = https::HttpsServer::start(&["*.test", "*.acme.test", "*.example.test"]).await;
        config.outbound.dns_servers = vec![dns.addr];
        config.outbound.allow_private_addresses = true;
        // Tests drive many requests from one address with one key; those about limits turn
        // them on in `tweak`.
        config.limits = gatehouse_server::config::LimitsConfig::off();
        config.domains.https_port = https.addr.port();
        config.outbound.extra_ca_file = Some(https.ca_file.clone());
        listen_on_a_free_port(&mut config);
        tweak(&mut config);
        db.options.sqlite_synchronous = config.database.sqlite_synchronous;
        db.options.sqlite_memory = config.database.sqlite_memory;
        let store = SqlStore::connect(&db.options).await.expect("store");
        let (state, running) = serve_on_a_free_port(&store, &clock, config).await;
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .no_proxy()
            .user_agent("gatehouse-tests")
            .build()
            .expect("client");
        Self {
            base,
            client,
            store,
            clock,
            dialect,
            db,
            state,
            data_dir,
            dns,
            https,
            running: Some(running),
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean stop");
        }
    }

    /// Another node serving the same database, as in a cluster: its own pools, caches, jobs
    /// and port, this app's clock and configuration (adjusted by `tweak`).
    pub async fn another_node(&self, tweak: impl FnOnce(&mut Config)) -> Node {
        let store = SqlStore::connect(&self.db.options).await.expect("store");
        let mut config = (*self.state.config).clone();
        listen_on_a_free_port(&mut config);
        tweak(&mut config);
        let listen = config.http.listen;
        let state = AppState::new(store, self.clock.clone(), config).await.expect("state");
        let running = spawn(state.clone(), listen).await.expect("serve");
        Node {
            base: format!("http://{}", running.addr),
            state,
            _running: running,
        }
    }

    /// Bootstraps an organization through the same service the CLI uses.
    pub async fn create_org(&self, name: &str) -> TestOrg {
        let services = gatehouse_core::services::Services::new(self.store.clone(), self.clock.clone());
        let admin = format!(
            "admin-{}@{}.example.com",
            uuid::Uuid::now_v7().simple(),
            name.to_lowercase().replace(' ', "-")
        );
        let b = services.orgs.bootstrap(name, &admin).await.expect("bootstrap");
        TestOrg {
            id: b.org.id.to_string(),
            key: b.api_key_secret,
            admin_account_id: b.admin.id.to_string(),
        }
    }

    /// Sends a request as the org's API key to `/api/v1/orgs/{org}{path}`.
    pub async fn call(&self, method: Method, org: &TestOrg, path: &str, body: Option<Value>) -> Resp {
        let url = format!("{}/api/v1/orgs/{}{}", self.base, org.id, path);
        self.send(self.client.request(method, url).bearer_auth(&org.key), body)
            .await
    }

    /// The Prometheus text the server's `/metrics` serves.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// The value of the sample `name` (with its labels, if any) in `/metrics`; 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn get(&self, org: &TestOrg, path: &str) -> Resp {
        self.call(Method::GET, org, path, None).await
    }

    pub async fn post(&self, org: &TestOrg, path: &str, body: Value) -> Resp {
        self.call(Method::POST, org, path, Some(body)).await
    }

    pub async fn patch(&self, org: &TestOrg, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, org, path, Some(body)).await
    }

    pub async fn put(&self, org: &TestOrg, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, org, path, Some(body)).await
    }

    pub async fn delete(&self, org: &TestOrg, path: &str) -> Resp {
        self.call(Method::DELETE, org, path, None).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder, body: Option<Value>) -> Resp {
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            json,
            text,
        }
    }

    /// Row counts of every table, for asserting that a refused request changed nothing.
    pub async fn snapshot(&self) -> Vec<(String, i64)> {
        let pool = sqlx::AnyPool::connect(&self.db.options.url).await.expect("pool");
        let mut out = Vec::new();
        for t in [
            "orgs",
            "accounts",
            "org_accounts",
            "instances",
            "org_groups",
            "group_members",
            "product_access",
            "org_admins",
            "api_keys",
            "audit_events",
            "audit_targets",
        ] {
            let sql = format!("SELECT COUNT(*) AS n FROM {t}");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .expect("count");
            out.push((t.to_owned(), row.try_get::<i64, _>("n").expect("n")));
        }
        pool.close().await;
        out
    }

    /// The org's audit events with this action made through the API (not by bootstrap),
    /// newest first.
    pub async fn events(&self, org: &TestOrg, action: &str) -> Vec<Value> {
        let r = self
            .get(org, &format!("/events?action={action}&actor_type=api_key&limit=200"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["items"].as_array().cloned().unwrap_or_default()
    }

    /// The test clock's current time as RFC 3339.
    pub fn clock_now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// A store for direct checks.
    pub fn options(&self) -> &StoreOptions {
        &self.db.options
    }
}

/// Points the config at a free loopback port known before the server starts, so the public URL
/// (used in links and SCIM locations) is the real one.
fn listen_on_a_free_port(config: &mut Config) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("probe")
        .local_addr()
        .expect("addr")
        .port();
    config.http.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    config.public_url = format!("http://127.0.0.1:{port}");
}

/// Builds the state and serves it. The port was free when probed, but another test's
/// connection may take it before the server binds (an outgoing connection's local port comes
/// from the same range): then a new port is probed and the server built again.
async fn serve_on_a_free_port(store: &SqlStore, clock: &Arc<TestClock>, mut config: Config) -> (AppState, Running) {
    for attempt in 1..=5 {
        let listen = config.http.listen;
        let state = AppState::new(store.clone(), clock.clone(), config.clone())
            .await
            .expect("state");
        match spawn(state.clone(), listen).await {
            Ok(running) => return (state, running),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempt < 5 => listen_on_a_free_port(&mut config),
            Err(e) => panic!("serve: {e}"),
        }
    }
    unreachable!("the last attempt returns or panics")
}

/// A second server on a `TestApp`'s database (see `TestApp::another_node`); it stops when
/// the test's runtime ends.
pub struct Node {
    pub base: String,
    pub state: AppState,
    _running: Running,
}
