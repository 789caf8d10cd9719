//! Connections and limits over real TCP: slow headers, idle connections and slow bodies are cut
//! off, connections beyond the cap wait until one closes, and rate limits answer 429 with
//! `Retry-After` in each protocol's format. Assertions are on outcomes; the only durations
//! are the server's configured timeouts and a guard against a test hanging forever.

use futures::future::join_all;
use gatehouse_server::config::RateLimit;
use gatehouse_testkit::{Dialect, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

gatehouse_testkit::dialect_tests!(
    a_client_that_never_finishes_its_headers_is_disconnected,
    an_idle_kept_alive_connection_is_closed,
    a_body_that_stops_arriving_is_answered_408_and_changes_nothing,
    connections_beyond_the_cap_wait_until_one_closes,
    an_api_key_gets_no_more_than_its_limit_with_many_requests_in_flight,
    the_per_ip_limit_counts_every_key_from_one_address,
    a_scim_token_over_its_limit_gets_a_scim_429,
    sign_in_pages_over_the_per_ip_limit_get_an_html_429,
    single_sign_on_endpoints_share_the_sign_in_limit_per_address,
);

/// Only against a broken server hanging a test: no assertion is about how long anything took.
const HANG_GUARD: Duration = Duration::from_mins(2);

/// A limit that cannot refill while a test runs.
fn per_hour(requests: u32) -> RateLimit {
    RateLimit {
        requests,
        period: Duration::from_hours(1),
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// A raw HTTP/1.1 response: status, head (lower-cased) and body.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

/// Reads one response (with a Content-Length body) from a kept-alive connection.
async fn read_response(s: &mut TcpStream) -> Raw {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = s.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed before a response: {}", String::from_utf8_lossy(&buf));
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().expect("length"));
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk).await.expect("read body");
            assert!(n > 0, "closed inside a body");
            buf.extend_from_slice(&chunk[..n]);
        }
        Raw {
            status: head[9..12].parse().expect("status"),
            body: String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned(),
            head,
        }
    };
    tokio::time::timeout(HANG_GUARD, read).await.expect("no response")
}

async fn get(s: &mut TcpStream, path: &str) -> Raw {
    let req = format!("GET {path} HTTP/1.1\r\nHost: gatehouse\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    read_response(s).await
}

/// Reads until the server closes the connection; what it sent meanwhile.
async fn until_closed(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let read = async {
        loop {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(HANG_GUARD, read)
        .await
        .expect("the server kept the connection open");
    String::from_utf8_lossy(&buf).into_owned()
}

async fn a_client_that_never_finishes_its_headers_is_disconnected(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.http.header_timeout = Duration::from_secs(1)).await;
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\nX-Slow: ")
        .await
        .unwrap();
    let sent = until_closed(&mut slow).await;
    assert!(!sent.contains("200 OK"), "{sent}");
    // Connecting and sending nothing at all is no better.
    let mut silent = connect(&app).await;
    assert!(!until_closed(&mut silent).await.contains("200 OK"));
    // A client that sends its request is served as before.
    let mut ok = connect(&app).await;
    assert_eq!(get(&mut ok, "/healthz").await.status, 200);
}

async fn an_idle_kept_alive_connection_is_closed(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| {
        c.http.idle_timeout = Duration::from_secs(1);
        c.http.header_timeout = Duration::from_secs(30);
    })
    .await;
    let mut s = connect(&app).await;
    let first = get(&mut s, "/healthz").await;
    assert_eq!(first.status, 200);
    assert!(!first.head.contains("connection: close"), "kept alive: {}", first.head);
    assert_eq!(get(&mut s, "/healthz").await.status, 200, "a second request on it");
    assert_eq!(until_closed(&mut s).await, "", "closed once idle, without a word");
}

async fn a_body_that_stops_arriving_is_answered_408_and_changes_nothing(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.http.body_timeout = Duration::from_secs(1)).await;
    let org = app.create_org("Acme").await;
    let before = app.snapshot().await;
    let mut s = connect(&app).await;
    let head = format!(
        "POST /api/v1/orgs/{}/accounts HTTP/1.1\r\nHost: gatehouse\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"email\":",
        org.id, org.key
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let r = read_response(&mut s).await;
    assert_eq!(r.status, 408, "{}{}", r.head, r.body);
    assert!(r.head.contains("content-type: application/problem+json"), "{}", r.head);
    let problem: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["code"], "request_timeout");
    assert_eq!(until_closed(&mut s).await, "", "and the connection is closed");
    assert_eq!(app.snapshot().await, before);
}

/// The open-connections gauge, read over a connection the server already serves.
async fn open_connections(s: &mut TcpStream) -> u64 {
    let m = get(s, "/metrics").await;
    m.body
        .lines()
        .find_map(|l| l.strip_prefix("gatehouse_http_connections_open "))
        .expect("the gauge is there")
        .trim()
        .parse::<f64>()
        .unwrap() as u64
}

async fn connections_beyond_the_cap_wait_until_one_closes(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.http.max_connections = 2).await;
    let mut a = connect(&app).await;
    let mut b = connect(&app).await;
    assert_eq!(get(&mut a, "/healthz").await.status, 200);
    assert_eq!(get(&mut b, "/healthz").await.status, 200);
    // The third connects (the kernel queues it) and asks, but is not served...
    let mut c = connect(&app).await;
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(open_connections(&mut a).await, 2, "the server holds two");
        let mut probe = [0u8; 64];
        assert!(
            matches!(c.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the third connection got an answer while two were open"
        );
    }
    // ...until one of the two closes.
    drop(b);
    assert_eq!(read_response(&mut c).await.status, 200);
    assert_eq!(open_connections(&mut c).await, 2);
}

async fn an_api_key_gets_no_more_than_its_limit_with_many_requests_in_flight(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.limits.api_per_key = Some(per_hour(10))).await;
    let org = app.create_org("Acme").await;
    let other = app.create_org("Globex").await;
    let before = app.snapshot().await;
    let requests = (0..40).map(|i| {
        app.post(
            &org,
            "/accounts",
            json!({"email": format!("p{i}@acme.test"), "display_name": format!("P {i}")}),
        )
    });
    let answers = join_all(requests).await;
    let admitted = answers.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let limited: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(admitted, 10, "40 in flight, 10 admitted");
    assert_eq!(limited.len(), 30);
    for r in limited {
        assert_eq!(r.code(), "rate_limited", "{}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(wait >= 1, "{wait}");
    }
    let after = app.snapshot().await;
    let accounts = |s: &[(String, i64)]| s.iter().find(|(t, _)| t == "accounts").unwrap().1;
    assert_eq!(
        accounts(&after) - accounts(&before),
        10,
        "refused requests wrote nothing"
    );
    assert_eq!(
        app.get(&other, "/accounts").await.status,
        StatusCode::OK,
        "another key has its own limit"
    );
}

async fn the_per_ip_limit_counts_every_key_from_one_address(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.limits.api_per_ip = Some(per_hour(5))).await;
    let org = app.create_org("Acme").await;
    for i in 0..5 {
        let r = app
            .send(
                app.client
                    .get(format!("{}/api/v1/orgs/{}/accounts", app.base, org.id))
                    .bearer_auth(format!("ghk_made_up_{i}")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let r = app.get(&org, "/accounts").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a valid key from the same address: {}",
        r.text
    );
    assert!(r.headers.contains_key("retry-after"));
}

async fn a_scim_token_over_its_limit_gets_a_scim_429(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.limits.scim_per_token = Some(per_hour(5))).await;
    let org = app.create_org("Acme").await;
    let dir = app.directory(&org, "Okta").await;
    let scim = app.scim(&dir);
    let answers = join_all((0..20).map(|_| scim.call(reqwest::Method::GET, "/Users", None))).await;
    assert_eq!(answers.iter().filter(|r| r.status == StatusCode::OK).count(), 5);
    let limited: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(limited.len(), 15);
    for r in limited {
        assert_eq!(r.headers["content-type"], "application/scim+json", "{}", r.text);
        assert_eq!(r.json["status"], "429", "{}", r.text);
        assert_eq!(r.json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert!(r.headers.contains_key("retry-after"));
    }
}

async fn sign_in_pages_over_the_per_ip_limit_get_an_html_429(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.limits.signin_per_ip = Some(per_hour(3))).await;
    let pages = ["/login", "/login/forgot", "/login", "/login", "/login/forgot", "/login"];
    let answers = join_all(pages.iter().map(|p| app.client.get(format!("{}{p}", app.base)).send())).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.as_ref().unwrap().status()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        3,
        "{statuses:?}"
    );
    for r in answers.into_iter().map(Result::unwrap) {
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("text/html"), "{ct}");
            assert!(r.text().await.unwrap().contains("<html"));
        }
    }
    // The console and the API are not the sign-in pages' limit.
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// The SSO endpoints take anonymous posts that each write an audit row when refused: they count
/// against the sign-in pages' per-address limit, many requests in flight at once.
async fn single_sign_on_endpoints_share_the_sign_in_limit_per_address(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.limits.signin_per_ip = Some(per_hour(3))).await;
    let id = uuid::Uuid::now_v7();
    let posts = (0..8).map(|n| {
        let url = if n % 2 == 0 {
            format!("{}/saml/{id}/acs", app.base)
        } else {
            format!("{}/oidc/{id}/callback?state=x&code=y", app.base)
        };
        let req = if n % 2 == 0 {
            app.client.post(url).form(&[("SAMLResponse", "PHg+")])
        } else {
            app.client.get(url)
        };
        req.send()
    });
    let answers = join_all(posts).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.as_ref().unwrap().status()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(),
        5,
        "three pass the limit (to a 404: no such provider), five are refused: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS || *s == StatusCode::NOT_FOUND),
        "{statuses:?}"
    );
}
