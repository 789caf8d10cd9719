//! Reading the mail the server wrote to its outbox folder (no SMTP configured in tests). Mail
//! sent after a page answered arrives a moment later: the helpers wait for it.

use gatehouse_testkit::TestApp;
use std::time::Duration;

/// One message from the outbox.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The link in the body to `path` (the path and its query, as a browser would request it).
    pub fn link(&self, path: &str) -> Option<String> {
        let line = self.body.lines().find(|l| l.contains(path))?;
        let start = line.find(path)?;
        Some(line[start..].trim().to_owned())
    }
}

/// Every message in the outbox, oldest first, once the mail pages send after answering has
/// been written (`TestApp::mails` waits for it): a test that no mail went somewhere sees
/// everything sent so far.
pub async fn mails(app: &TestApp) -> Vec<Mail> {
    app.mails()
        .await
        .iter()
        .map(|text| {
            let (head, body) = text.split_once("\n\n").unwrap();
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            Mail {
                to: header("To:"),
                subject: header("Subject:"),
                body: body.to_owned(),
            }
        })
        .collect()
}

/// The messages to `to`, once there are at least `n` of them (waiting up to ten seconds).
pub async fn wait_for(app: &TestApp, to: &str, n: usize) -> Vec<Mail> {
    for _ in 0..200 {
        let got: Vec<_> = mails(app).await.into_iter().filter(|m| m.to == to).collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} mail(s) to {to}: {:#?}", mails(app).await);
}

/// The one message to `to` (waiting for it), after which no other message is due to it.
pub async fn the_mail_to(app: &TestApp, to: &str) -> Mail {
    let got = wait_for(app, to, 1).await;
    assert_eq!(got.len(), 1, "one mail to {to}: {got:#?}");
    got[0].clone()
}

/// One integer from the database.
pub async fn count(app: &TestApp, sql: String) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}
