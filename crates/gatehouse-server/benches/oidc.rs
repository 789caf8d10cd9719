//! OpenID Connect provider benchmark (issue 13, "Measure"): the release `gatehouse` binary runs
//! as a child process on 127.0.0.1 with a fresh data directory (SQLite), and this process is
//! the load generator. "Per core" is operations per second of the server's own CPU time:
//! utime + stime of the child, from `/proc/<pid>/stat`, read before and after each run.
//!
//!   cargo bench -p gatehouse-server --bench oidc
//!   BENCH_OPS=50000 BENCH_CONCURRENCY=32 cargo bench -p gatehouse-server --bench oidc
//!   $CARGO_TARGET_DIR/release/deps/oidc-<hash>        (once built: no rebuild while iterating)
//!
//! Settings (environment):
//! - `BENCH_OPS` (20000): grants, and introspections, per run;
//! - `BENCH_CONCURRENCY` (16): requests in flight on kept-alive connections;
//! - `BENCH_SIGNINS` (300): password sign-ins measured;
//! - `BENCH_HASH_WORKERS` (the number of CPUs less one, at least one: the server's default): the server's hashing
//!   threads, and the threads of the raw argon2id baseline;
//! - `BENCH_HASH_QUEUE` (32, the server's default): hashes that may wait for a thread;
//! - `BENCH_OVERLOAD` (8 × the queue) sign-ins fired at once, `BENCH_OVERLOAD_ROUNDS` (3) times.
//!
//! What is measured, each against the goal:
//! 1. `client_credentials` grants (POST /oauth2/token, `client_secret_basic`) per server
//!    CPU-second (goal >= 5000);
//! 2. introspections (POST /oauth2/introspect) of one access token from (1) by the same client
//!    (goal >= 10000);
//! 3. password sign-ins (POST /login, CSRF cookie and form token) per server CPU-second, as a
//!    ratio of the raw argon2id verify rate (m=19456 t=2 p=1) per CPU-second of this process on
//!    as many threads as the server hashes on (goal >= 0.85);
//! 4. overload: many more sign-ins at once than the hashing queue holds; the p99 latency of the
//!    503 answers, each of which must carry `Retry-After` (goal <= 250 ms);
//! 5. idle memory: the server's VmRSS after start, bootstrap and a few requests, then 2 s idle
//!    (goal <= 64 MB).
//!
//! Every answer is checked (200 with the expected body; 303 with a session for a sign-in) and
//! failures are counted: a run with failures is a MISS whatever its rate. Rate limits are off
//! for the server under test; sign-in throttling ceilings are raised so that one client address
//! can sign in as often as the bench needs.

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use reqwest::{Client, StatusCode, header};
use serde_json::Value;
use std::fmt::Write as _;
use std::future::Future;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The admin's password, set through the bootstrap link and used for every sign-in.
const PASSWORD: &str = "a long enough bench passphrase";
/// The pre-session CSRF cookie of the sign-in forms (`web/cookies.rs`).
const CSRF_COOKIE: &str = "gh_login_csrf";
/// The session cookie a completed sign-in sets.
const SESSION_COOKIE: &str = "gh_session";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 nearly always).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of process `pid` in seconds (`proc(5)`: fields 14 and 15 of `stat`).
fn cpu_secs(pid: &str, ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis
    // start at field 3 (state), so utime and stime are at 11 and 12 here.
    let rest = &stat[stat.rfind(')').expect("stat has a command name") + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f[i].parse::<f64>().expect("numeric stat field");
    (n(11) + n(12)) / ticks
}

/// VmRSS of process `pid` in MB (10^6 bytes).
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib * 1024.0 / 1e6)
}

/// The `gatehouse` child process, its data directory and what bootstrap printed.
struct Server {
    child: Child,
    base: String,
    boot: Value,
    dir: tempfile::TempDir,
}

impl Server {
    /// Bootstraps and serves a fresh installation on a free loopback port (three tries: the
    /// port may be taken between finding it and the server binding it).
    async fn start(workers: usize, queue: usize) -> Self {
        for _ in 0..3 {
            if let Some(s) = Self::try_start(workers, queue).await {
                return s;
            }
        }
        panic!("gatehouse serve did not start");
    }

    async fn try_start(workers: usize, queue: usize) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let command = |sub: &str| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
            // Nothing of ours may point the server elsewhere (a config file, a database URL).
            for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("GATEHOUSE_")) {
                c.env_remove(k);
            }
            c.arg(sub)
                .current_dir(dir.path())
                .envs(server_env(dir.path(), port, workers, queue));
            c
        };
        let out = command("bootstrap")
            .args(["--org-name", "Bench", "--admin-email", "admin@bench.example"])
            .output()
            .expect("run gatehouse bootstrap");
        assert!(
            out.status.success(),
            "bootstrap: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let boot: Value = serde_json::from_slice(&out.stdout).expect("bootstrap prints JSON");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = command("serve")
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn gatehouse serve");
        let mut server = Self { child, base, boot, dir };
        server.healthy().await.then_some(server)
    }

    /// Waits up to 60 s for `GET /healthz` to answer 200; false if the server exited.
    async fn healthy(&mut self) -> bool {
        let http = Client::new();
        let deadline = Instant::now() + Duration::from_mins(1);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                eprintln!("gatehouse serve exited:\n{}", self.log_tail());
                return false;
            }
            let res = http.get(format!("{}/healthz", self.base)).send().await;
            if res.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no healthy server within 60 s:\n{}", self.log_tail());
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        log[log.len().saturating_sub(3000)..].to_owned()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's environment: its own data dir and address, rate limits off, sign-in ceilings
/// out of the way of one client address signing in thousands of times.
fn server_env(dir: &Path, port: u16, workers: usize, queue: usize) -> Vec<(String, String)> {
    [
        ("GATEHOUSE_DATA_DIR", dir.display().to_string()),
        ("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}")),
        ("GATEHOUSE_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("GATEHOUSE_RATE_LIMIT_OAUTH_PER_IP", "0".into()),
        ("GATEHOUSE_RATE_LIMIT_OAUTH_PER_CLIENT", "0".into()),
        ("GATEHOUSE_RATE_LIMIT_SIGNIN_PER_IP", "0".into()),
        ("GATEHOUSE_RATE_LIMIT_API_PER_KEY", "0".into()),
        ("GATEHOUSE_RATE_LIMIT_API_PER_IP", "0".into()),
        ("GATEHOUSE_SIGN_IN_ATTEMPTS", "1000".into()),
        ("GATEHOUSE_SIGN_IN_EMAIL_CEILING", "100000".into()),
        ("GATEHOUSE_SIGN_IN_IP_CEILING", "1000000".into()),
        ("GATEHOUSE_SIGN_IN_HASH_WORKERS", workers.to_string()),
        ("GATEHOUSE_SIGN_IN_HASH_QUEUE", queue.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A keep-alive client that follows no redirects (a sign-in's 303 is its answer).
fn client(pool: usize) -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_mins(1))
        .build()
        .expect("http client")
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all(header::SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let value = v.strip_prefix(name)?.strip_prefix('=')?;
        Some(value.split(';').next().unwrap_or_default().to_owned())
    })
}

/// The CSRF token of the sign-in forms: `GET path` sets it as a cookie; the form carries the
/// same value (double submit).
async fn csrf(http: &Client, url: &str) -> String {
    let res = http.get(url).send().await.expect("GET a sign-in page");
    assert_eq!(res.status(), StatusCode::OK, "GET {url}");
    set_cookie(&res, CSRF_COOKIE).expect("the sign-in page sets its CSRF cookie")
}

/// Sets the admin's password through the bootstrap's set-password link (the reset form).
async fn set_admin_password(http: &Client, server: &Server) {
    let link = server.boot["admin"]["set_password_url"]
        .as_str()
        .expect("set_password_url");
    let token = link.split("token=").nth(1).expect("a token in the link").to_owned();
    let action = link.split('?').next().unwrap_or(link);
    let csrf = csrf(http, link).await;
    let res = http
        .post(action)
        .header(header::COOKIE, format!("{CSRF_COOKIE}={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .expect("POST the reset form");
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "set password: {}",
        res.text().await.unwrap_or_default()
    );
}

/// Registers a confidential `client_credentials` client; its `client_id` and `client_secret`.
async fn register_client(http: &Client, server: &Server) -> (String, String) {
    let org = server.boot["org_id"].as_str().expect("org_id");
    let key = server.boot["api_key"].as_str().expect("api_key");
    let res = http
        .post(server.url(&format!("/api/v1/orgs/{org}/clients")))
        .bearer_auth(key)
        .json(&serde_json::json!({"name": "bench", "grant_types": ["client_credentials"]}))
        .send()
        .await
        .expect("POST a client");
    let status = res.status();
    let v: Value = res.json().await.expect("client JSON");
    assert!(status.is_success(), "register client: {status} {v}");
    let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned();
    (s("client_id"), s("client_secret"))
}

/// What one measured run did.
struct Run {
    ops: usize,
    failures: usize,
    first_failure: Option<String>,
    wall: Duration,
    server_cpu: f64,
}

impl Run {
    fn per_core(&self) -> f64 {
        self.ops as f64 / self.server_cpu.max(f64::EPSILON)
    }

    fn wall_rate(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }
}

/// Runs `op` `ops` times with `concurrency` in flight and the server's CPU time around it.
/// `op` answers `Err(what was wrong)` for a failed operation.
async fn drive<F, Fut>(server: &Server, ticks: f64, ops: usize, concurrency: usize, op: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(Mutex::new(None));
    let (pid, cpu0, start) = (server.pid(), cpu_secs(&server.pid(), ticks), Instant::now());
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, next, failures, first) = (op.clone(), next.clone(), failures.clone(), first.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < ops {
                    if let Err(e) = op().await {
                        failures.fetch_add(1, Ordering::Relaxed);
                        first.lock().expect("lock").get_or_insert(e);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("load task");
    }
    let (wall, server_cpu) = (start.elapsed(), cpu_secs(&pid, ticks) - cpu0);
    let first_failure = first.lock().expect("lock").take();
    Run {
        ops,
        failures: failures.load(Ordering::Relaxed),
        first_failure,
        wall,
        server_cpu,
    }
}

/// One `client_credentials` grant; the access token it issued.
async fn grant(http: &Client, url: &str, id: &str, secret: &str) -> Result<String, String> {
    let res = http
        .post(url)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    match body["access_token"].as_str() {
        Some(t) if status == StatusCode::OK => Ok(t.to_owned()),
        _ => Err(format!("token: {status} {body}")),
    }
}

/// One introspection of `token`, which must be active.
async fn introspect(http: &Client, url: &str, id: &str, secret: &str, token: &str) -> Result<(), String> {
    let res = http
        .post(url)
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if status == StatusCode::OK && body["active"] == Value::Bool(true) {
        Ok(())
    } else {
        Err(format!("introspect: {status} {body}"))
    }
}

/// One password sign-in: 303 with a session cookie.
async fn sign_in(http: &Client, url: &str, csrf: &str) -> Result<(), String> {
    let res = http
        .post(url)
        .header(header::COOKIE, format!("{CSRF_COOKIE}={csrf}"))
        .form(&[("csrf", csrf), ("email", "admin@bench.example"), ("password", PASSWORD)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    if status == StatusCode::SEE_OTHER && set_cookie(&res, SESSION_COOKIE).is_some() {
        Ok(())
    } else {
        Err(format!("sign-in: {status} {}", res.text().await.unwrap_or_default()))
    }
}

/// Raw argon2id verifications of one hash per CPU-second of this process, on `threads`
/// threads, `per_thread` each: the better of the stock `verify_password` (which allocates its
/// 19 MiB each time) and the same computation in memory reused across verifications (as the
/// server's workers do). The better one is the stricter baseline.
fn raw_verify_per_core(threads: usize, per_thread: usize, ticks: f64) -> (f64, f64) {
    let params = Params::new(19_456, 2, 1, Some(32)).expect("argon2 params");
    let ctx = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = ctx.hash_password(PASSWORD.as_bytes()).expect("hash").to_string();
    let me = std::process::id().to_string();
    // `f(n)` runs `n` verifications on one thread.
    let timed = |f: &(dyn Fn(usize) + Sync)| {
        let cpu0 = cpu_secs(&me, ticks);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| f(per_thread));
            }
        });
        (threads * per_thread) as f64 / (cpu_secs(&me, ticks) - cpu0)
    };
    let stock = timed(&|n| {
        for _ in 0..n {
            ctx.verify_password(PASSWORD.as_bytes(), hash.as_str())
                .expect("the password verifies");
        }
    });
    let phc = PasswordHash::new(&hash).expect("PHC string");
    let (salt, expected) = (phc.salt.expect("salt"), phc.hash.expect("output"));
    let reused = timed(&|n| {
        let mut memory = vec![Block::default(); params.block_count()];
        for _ in 0..n {
            let mut out = [0u8; 32];
            ctx.hash_password_into_with_memory(PASSWORD.as_bytes(), &salt, &mut out, &mut memory)
                .expect("argon2id");
            assert!(Output::new(&out).is_ok_and(|o| o == expected), "the password verifies");
        }
    });
    (stock, reused)
}

/// One line of the summary: a figure, its goal and whether it met it.
struct Figure {
    name: &'static str,
    measured: String,
    goal: &'static str,
    pass: bool,
}

impl Figure {
    fn new(name: &'static str, measured: String, goal: &'static str, pass: bool) -> Self {
        let f = Self {
            name,
            measured,
            goal,
            pass,
        };
        println!("{}: {} (goal {}) {}", f.name, f.measured, f.goal, f.verdict());
        f
    }

    fn verdict(&self) -> &'static str {
        if self.pass { "PASS" } else { "MISS" }
    }
}

/// How a run went, for its figure's line; a run with failures misses whatever its rate.
fn describe(run: &Run, unit: &str) -> String {
    let mut s = format!(
        "{:.0} {unit} per server CPU-second ({} ops in {:.2} s wall = {:.0}/s, server CPU {:.2} s, {} failed)",
        run.per_core(),
        run.ops,
        run.wall.as_secs_f64(),
        run.wall_rate(),
        run.server_cpu,
        run.failures
    );
    if let Some(e) = &run.first_failure {
        let _ = write!(s, "; first failure: {e}");
    }
    s
}

/// What the load generator needs of the server and its client.
#[derive(Clone)]
struct Target {
    http: Client,
    token_url: String,
    introspect_url: String,
    login_url: String,
    id: String,
    secret: String,
}

/// `client_credentials` grants (1) per server CPU-second (after an unmeasured warm-up).
async fn grants(server: &Server, t: &Target, ticks: f64, ops: usize, concurrency: usize) -> Figure {
    let op = |t: Target| async move { grant(&t.http, &t.token_url, &t.id, &t.secret).await.map(drop) };
    let t1 = t.clone();
    drive(server, ticks, (ops / 10).max(100), concurrency, move || op(t1.clone())).await;
    let t2 = t.clone();
    let run = drive(server, ticks, ops, concurrency, move || op(t2.clone())).await;
    let pass = run.failures == 0 && run.per_core() >= 5000.0;
    Figure::new(
        "client_credentials grants",
        describe(&run, "grants"),
        ">= 5000/core",
        pass,
    )
}

/// Introspections (2) of one active access token per server CPU-second.
async fn introspections(server: &Server, t: &Target, ticks: f64, ops: usize, concurrency: usize) -> Figure {
    let token: Arc<str> = grant(&t.http, &t.token_url, &t.id, &t.secret)
        .await
        .expect("an access token")
        .into();
    let op = |t: Target, token: Arc<str>| async move {
        introspect(&t.http, &t.introspect_url, &t.id, &t.secret, &token).await
    };
    let (t1, k1) = (t.clone(), token.clone());
    drive(server, ticks, (ops / 10).max(100), concurrency, move || {
        op(t1.clone(), k1.clone())
    })
    .await;
    let t2 = t.clone();
    let run = drive(server, ticks, ops, concurrency, move || op(t2.clone(), token.clone())).await;
    let pass = run.failures == 0 && run.per_core() >= 10_000.0;
    Figure::new(
        "introspections",
        describe(&run, "introspections"),
        ">= 10000/core",
        pass,
    )
}

/// Sign-ins (3) per server CPU-second as a ratio of raw argon2id verifications per CPU-second
/// on as many threads as the server hashes on.
async fn sign_ins(server: &Server, t: &Target, ticks: f64, count: usize, workers: usize) -> Figure {
    let per_thread = env_usize("BENCH_RAW_VERIFIES", 30);
    let (stock, reused) = tokio::task::spawn_blocking(move || raw_verify_per_core(workers, per_thread, ticks))
        .await
        .expect("raw argon2id");
    let raw = stock.max(reused);
    println!(
        "raw argon2id verify (m=19456 t=2 p=1, {workers} threads × {per_thread}): {stock:.1}/CPU-s stock, \
         {reused:.1}/CPU-s in reused memory"
    );
    let csrf: Arc<str> = csrf(&t.http, &t.login_url).await.into();
    let op = |t: Target, csrf: Arc<str>| async move { sign_in(&t.http, &t.login_url, &csrf).await };
    // Twice as many in flight as there are hashing threads: none idles, the queue never fills.
    let concurrency = workers * 2;
    let (t1, c1) = (t.clone(), csrf.clone());
    drive(server, ticks, concurrency * 2, concurrency, move || {
        op(t1.clone(), c1.clone())
    })
    .await;
    let t2 = t.clone();
    let run = drive(server, ticks, count, concurrency, move || op(t2.clone(), csrf.clone())).await;
    let ratio = run.per_core() / raw;
    let pass = run.failures == 0 && ratio >= 0.85;
    let measured = format!("ratio {ratio:.3} = {}, raw {raw:.1}/CPU-s", describe(&run, "sign-ins"));
    Figure::new("password sign-ins vs raw argon2id", measured, ">= 0.85", pass)
}

/// What one sign-in fired into an overloaded server got: status, latency, `Retry-After`.
type Answer = Result<(StatusCode, Duration, bool), String>;

/// One round of the overload: `burst` sign-ins released at once on already open connections.
async fn burst_once(t: &Target, csrf: &Arc<str>, burst: usize) -> Vec<Answer> {
    let gate = Arc::new(tokio::sync::Barrier::new(burst));
    let tasks: Vec<_> = (0..burst)
        .map(|_| {
            let (t, csrf, gate) = (t.clone(), csrf.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                let start = Instant::now();
                let res = t
                    .http
                    .post(&t.login_url)
                    .header(header::COOKIE, format!("{CSRF_COOKIE}={csrf}"))
                    .form(&[
                        ("csrf", &*csrf),
                        ("email", "admin@bench.example"),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let elapsed = start.elapsed();
                let (status, retry_after) = (res.status(), res.headers().contains_key(header::RETRY_AFTER));
                let _ = res.bytes().await;
                Ok((status, elapsed, retry_after))
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(burst);
    for task in tasks {
        answers.push(task.await.expect("sign-in task"));
    }
    answers
}

/// Overload (4): sign-ins far beyond the hashing queue; the p99 latency of the 503 answers,
/// every one of which must carry `Retry-After`. Anything but 303 (signed in) or 503 fails.
async fn overload(t: &Target, burst: usize, rounds: usize) -> Figure {
    let t = Target {
        http: client(burst),
        ..t.clone()
    };
    let csrf: Arc<str> = csrf(&t.http, &t.login_url).await.into();
    let health = t.login_url.replace("/login", "/healthz");
    let (mut refused, mut signed_in, mut failed, mut no_retry_after) = (Vec::new(), 0, 0, 0);
    let mut first_failure = None;
    for _ in 0..rounds {
        // Open the connections first, so that the latencies are the server's, not handshakes.
        futures::future::join_all((0..burst).map(|_| async {
            // Read to the end, so that each connection goes back to the pool.
            if let Ok(res) = t.http.get(&health).send().await {
                let _ = res.bytes().await;
            }
        }))
        .await;
        for answer in burst_once(&t, &csrf, burst).await {
            match answer {
                Ok((StatusCode::SERVICE_UNAVAILABLE, d, has)) => {
                    refused.push(d);
                    no_retry_after += usize::from(!has);
                }
                Ok((StatusCode::SEE_OTHER, _, _)) => signed_in += 1,
                other => {
                    failed += 1;
                    first_failure.get_or_insert(format!("{other:?}"));
                }
            }
        }
        // Let the queue drain before the next round.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    refused.sort();
    let pct = |p: f64| refused[((refused.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    let (p50, p99) = if refused.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        (pct(0.5), pct(0.99))
    };
    let mut measured = format!(
        "p99 {p99:.1} ms (p50 {p50:.1} ms) over {} × 503 ({no_retry_after} without Retry-After), \
         {signed_in} signed in, {failed} other; {rounds} rounds of {burst} at once",
        refused.len()
    );
    if let Some(e) = first_failure {
        let _ = write!(measured, "; first other: {e}");
    }
    let pass = !refused.is_empty() && p99 <= 250.0 && no_retry_after == 0 && failed == 0;
    Figure::new("503 under sign-in overload", measured, "p99 <= 250 ms", pass)
}

/// Idle memory (5): the server's VmRSS after 2 s idle, first after a grant, an introspection
/// and the sign-in page (no password hashed yet: printed for reference), then after the
/// admin's password is set and one sign-in (each hashing thread used holds its 19 MiB from
/// then on): the figure.
async fn idle_memory(server: &Server, t: &Target) -> Figure {
    let token = grant(&t.http, &t.token_url, &t.id, &t.secret).await.expect("a grant");
    introspect(&t.http, &t.introspect_url, &t.id, &t.secret, &token)
        .await
        .expect("an introspection");
    let csrf = csrf(&t.http, &t.login_url).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_mb(server.child.id());
    println!("idle memory before any password hash: {before:.1} MB (for reference)");
    set_admin_password(&t.http, server).await;
    sign_in(&t.http, &t.login_url, &csrf).await.expect("a sign-in");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = rss_mb(server.child.id());
    Figure::new(
        "idle memory (VmRSS)",
        format!("{rss:.1} MB (after a grant, an introspection, a set-password and a sign-in, 2 s idle)"),
        "<= 64 MB",
        rss <= 64.0,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ops = env_usize("BENCH_OPS", 20_000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    let count = env_usize("BENCH_SIGNINS", 300);
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let workers = env_usize("BENCH_HASH_WORKERS", cpus.saturating_sub(1).max(1));
    let queue = env_usize("BENCH_HASH_QUEUE", 32);
    let burst = env_usize("BENCH_OVERLOAD", queue * 8);
    let rounds = env_usize("BENCH_OVERLOAD_ROUNDS", 3);
    let ticks = clock_ticks();
    println!(
        "gatehouse OIDC bench: {cpus} CPUs, CLK_TCK {ticks}, {ops} ops × {concurrency} in flight, \
         {count} sign-ins, {workers} hash workers, queue {queue}, overload {rounds} × {burst}"
    );
    let server = Server::start(workers, queue).await;
    let http = client(concurrency);
    let (id, secret) = register_client(&http, &server).await;
    let t = Target {
        http,
        token_url: server.url("/oauth2/token"),
        introspect_url: server.url("/oauth2/introspect"),
        login_url: server.url("/login"),
        id,
        secret,
    };
    let figures = vec![
        idle_memory(&server, &t).await,
        grants(&server, &t, ticks, ops, concurrency).await,
        introspections(&server, &t, ticks, ops, concurrency).await,
        sign_ins(&server, &t, ticks, count, workers).await,
        overload(&t, burst, rounds).await,
    ];
    println!(
        "server VmRSS after the load: {:.1} MB; server log: kept only while running",
        rss_mb(server.child.id())
    );
    println!("\n| figure | measured | goal | result |\n|---|---|---|---|");
    for f in &figures {
        let headline = f.measured.split(" (").next().unwrap_or(&f.measured);
        println!("| {} | {headline} | {} | {} |", f.name, f.goal, f.verdict());
    }
}
