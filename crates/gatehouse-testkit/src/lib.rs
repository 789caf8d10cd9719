//! Test support: a real gatehouse server on 127.0.0.1:0 over a fresh database on either
//! engine, a clock tests control, and typed helpers to drive the API.

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
        let mut config = Config::resolve(&ConfigArgs::default()).expect("config");
        config.database_url = db.options.url.clone();
        config.listen = "127.0.0.1:0".parse().expect("addr");
        tweak(&mut config);
        let state = AppState::new(store.clone(), clock.clone(), config);
        let running = spawn(state, "127.0.0.1:0".parse().expect("addr")).await.expect("serve");
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
            running: Some(running),
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean stop");
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
