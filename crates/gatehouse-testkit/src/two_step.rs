//! Two-step verification as a person does it in a browser: enrolling an authenticator app
//! (reading the key the page shows, computing codes as an app would), and signing in with a
//! second step.

use crate::browser::{Browser, Page};
use crate::webauthn::SoftAuthenticator;
use gatehouse_core::Timestamp;
use gatehouse_core::two_step::totp;
use reqwest::StatusCode;

/// The text between `<tag id="id">` and the next `<`.
fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    Some(html[start..start + end].to_owned())
}

/// The key the authenticator-app setup page shows.
pub fn totp_key(page: &Page) -> Vec<u8> {
    let text = element_text(&page.body, "totp-key").expect("the setup page shows the key");
    totp::key_from_text(&text).expect("the key is base32")
}

/// The recovery codes a page shows (once).
pub fn recovery_codes(page: &Page) -> Vec<String> {
    let Some(start) = page.body.find("id=\"recovery-codes\"") else {
        return Vec::new();
    };
    let list = &page.body[start..page.body[start..].find("</ul>").map_or(page.body.len(), |e| start + e)];
    list.split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// The code of `key` at `now`, as an authenticator app shows it.
pub fn totp_code(key: &[u8], now: Timestamp) -> String {
    totp::code_at(key, now).expect("a code")
}

impl Browser {
    /// Enrols an authenticator app on the signed-in person's account with a code at `now`;
    /// answers the key and the recovery codes shown (none when it was not the first method).
    pub async fn enrol_totp(&self, now: Timestamp) -> (Vec<u8>, Vec<String>) {
        let csrf = self.get("/account/two-step").await.csrf();
        let setup = self.post("/account/two-step/totp", &[("csrf", &csrf)]).await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
        let key = totp_key(&setup);
        let code = totp_code(&key, now);
        let done = self
            .post("/account/two-step/totp/confirm", &[("csrf", &csrf), ("code", &code)])
            .await;
        assert!(
            done.status == StatusCode::OK || done.status == StatusCode::SEE_OTHER,
            "{}",
            done.body
        );
        (key, recovery_codes(&done))
    }

    /// Signs in with the password; the answer goes to the second step (`Page.location`).
    pub async fn sign_in_to(&self, email: &str, password: &str, next: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", next),
            ],
        )
        .await
    }

    /// Posts a second step's code (`method`: `totp`, `recovery_code`, `email_code`).
    pub async fn second_step(&self, method: &str, code: &str, next: &str) -> Page {
        let page = self.get(&format!("/login/two-step?method={method}")).await;
        assert_eq!(page.status, StatusCode::OK, "the second step's page: {}", page.body);
        let csrf = page.csrf();
        self.post(
            "/login/two-step",
            &[("csrf", &csrf), ("method", method), ("code", code), ("next", next)],
        )
        .await
    }

    /// Signs in with the password and then `method`'s `code`; answers the last page.
    pub async fn sign_in_with(&self, email: &str, password: &str, method: &str, code: &str) -> Page {
        let first = self.sign_in_to(email, password, "/account").await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let to = first.location.clone().unwrap_or_default();
        assert!(to.starts_with("/login/two-step"), "a second step is due: {to}");
        self.second_step(method, code, "/account").await
    }
}

impl Browser {
    /// Starts a WebAuthn ceremony at `path` (a form post with `csrf`): the token and options.
    pub async fn webauthn_options(&self, path: &str, csrf: &str) -> (StatusCode, serde_json::Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .expect("options");
        let status = res.status();
        (status, res.json().await.unwrap_or_default())
    }

    /// Adds `key` to the signed-in account under `name`, as the account page's script does.
    pub async fn add_security_key(&self, key: &mut SoftAuthenticator, origin: &str, name: &str) -> Page {
        let csrf = self.get("/account/two-step").await.csrf();
        let (status, started) = self.webauthn_options("/account/two-step/keys/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let answer = key.register(&started["options"], origin);
        let token = started["token"].as_str().expect("token").to_owned();
        self.post(
            "/account/two-step/keys",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("name", name),
                ("credential", &answer.to_string()),
            ],
        )
        .await
    }

    /// Answers the second step with `key`, as the second step's page does.
    pub async fn key_second_step(&self, key: &mut SoftAuthenticator, origin: &str, next: &str) -> Page {
        let csrf = self.get("/login/two-step?method=security_key").await.csrf();
        let (status, started) = self.webauthn_options("/login/two-step/key/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let answer = key.assert(&started["options"], origin);
        let token = started["token"].as_str().expect("token").to_owned();
        self.post(
            "/login/two-step/key",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("credential", &answer.to_string()),
                ("next", next),
            ],
        )
        .await
    }

    /// Signs in with `key` alone (a passkey), as the sign-in page's button does.
    pub async fn passkey_sign_in(&self, key: &mut SoftAuthenticator, origin: &str, next: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        let (status, started) = self.webauthn_options("/login/passkey/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let answer = key.assert(&started["options"], origin);
        let token = started["token"].as_str().expect("token").to_owned();
        self.post(
            "/login/passkey",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("credential", &answer.to_string()),
                ("next", next),
            ],
        )
        .await
    }
}
