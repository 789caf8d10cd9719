//! Test support: a real gatehouse server on 127.0.0.1:0 over a fresh database on either
//! engine, a clock tests control, and typed helpers to drive the API.

pub mod dns;
pub mod https;

use gatehouse_core::Timestamp;
use gatehouse_core::ports::Clock;
use gatehouse_server::app::{Running, spawn};
use gatehouse_server::config::{Config, ConfigArgs};
use gatehouse_server::state::AppState;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{SqlStore, StoreOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use gatehouse_store::Dialect;

/// Generates one `#[tokio::test]` per engine for each listed async fn taking a `TestApp`.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::TestApp::spawn($crate::Dialect::Sqlite).await).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::TestApp::spawn($crate::Dialect::Postgres).await).await } )*
        }
    };
}

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
    pub async fn spawn(dialect: Dialect) -> Self {
        Self::spawn_with(dialect, |_| {}).await
    }

    /// Spawns with a config the test may adjust.
    pub async fn spawn_with(dialect: Dialect, tweak: impl FnOnce(&mut Config)) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "error".into()))
            .with_test_writer()
            .try_init();
        let db = TestDatabase::create(dialect).await;
        let store = SqlStore::connect(&db.options).await.expect("store");
        let clock = Arc::new(TestClock(AtomicI64::new(Timestamp::now().millis())));
        let data_dir = tempfile::tempdir().expect("data dir");
        let mut config = Config::resolve(&ConfigArgs::default()).expect("config");
        config.database_url = db.options.url.clone();
        config.data_dir = data_dir.path().to_path_buf();
        let dns = dns::DnsServer::start().await;
        let https = https::HttpsServer::start(&["*.test", "*.acme.test", "*.example.test"]).await;
        config.dns_servers = vec![dns.addr];
        config.allow_private_addresses = true;
        config.domain_https_port = https.addr.port();
        config.extra_ca_file = Some(https.ca_file.clone());
        listen_on_a_free_port(&mut config);
        tweak(&mut config);
        let listen = config.listen;
        let state = AppState::new(store.clone(), clock.clone(), config)
            .await
            .expect("state");
        let running = spawn(state.clone(), listen).await.expect("serve");
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
        let listen = config.listen;
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
        let b = services.bootstrap(name, &admin).await.expect("bootstrap");
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

/// A browser-like client for the console: keeps cookies, never follows redirects (tests look
/// at them), and remembers the last CSRF token a page carried.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

/// Points the config at a free loopback port known before the server starts, so the public URL
/// (used in links and SCIM locations) is the real one.
fn listen_on_a_free_port(config: &mut Config) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("probe")
        .local_addr()
        .expect("addr")
        .port();
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    config.public_url = format!("http://127.0.0.1:{port}");
}

/// A second server on a `TestApp`'s database (see `TestApp::another_node`); it stops when
/// the test's runtime ends.
pub struct Node {
    pub base: String,
    pub state: AppState,
    _running: Running,
}

/// What a console request answered.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the first hidden `csrf` input on the page.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("page has a csrf field")
    }
}

/// The value of the hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("gatehouse-browser-tests")
            .build()
            .expect("client");
        Self {
            base: base.to_owned(),
            client,
        }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            body: res.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("get"),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page(
            self.client
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .expect("post"),
        )
        .await
    }

    /// Sets the password through a reset link, as the emailed link would.
    pub async fn set_password(&self, link: &str, password: &str) -> Page {
        let path = link
            .split_once("/login/reset")
            .map(|(_, rest)| format!("/login/reset{rest}"))
            .expect("reset link");
        let page = self.get(&path).await;
        let token = hidden(&page.body, "token").expect("token field");
        let csrf = page.csrf();
        self.post(
            "/login/reset",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", password),
                ("confirm", password),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", "/admin"),
            ],
        )
        .await
    }
}

impl TestApp {
    /// A browser signed in to the console as the org's first admin (whose email is returned).
    pub async fn console(&self, org: &TestOrg) -> (Browser, String) {
        let b = Browser::new(&self.base);
        let (link, email) = self.reset_link(org).await;
        let set = b.set_password(&link, ADMIN_PASSWORD).await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
        let signed = b.sign_in(&email, ADMIN_PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        (b, email)
    }

    /// A fresh set-password link for the org's first admin, and the admin's email.
    pub async fn reset_link(&self, org: &TestOrg) -> (String, String) {
        use gatehouse_core::ports::prelude::*;
        let id = gatehouse_core::ids::AccountId::parse(&org.admin_account_id).expect("id");
        let account = self
            .store
            .reader()
            .await
            .expect("reader")
            .find_account(id)
            .await
            .expect("find")
            .expect("admin");
        let actor = gatehouse_core::audit::Actor::system("tests");
        let link = self
            .state
            .signin
            .issue_reset_link(&account, 3600, &actor, &gatehouse_core::audit::RequestMeta::default())
            .await
            .expect("link");
        (link, account.email)
    }
}

/// The password test admins are given.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
