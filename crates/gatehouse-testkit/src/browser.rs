//! A browser-like client for the console and the sign-in pages.

use crate::app::{TestApp, TestOrg};
use reqwest::StatusCode;

/// A browser-like client for the console: keeps cookies, never follows redirects (tests look
/// at them), and remembers the last CSRF token a page carried.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
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

    /// Signs in with the password, bound for the console.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.sign_in_to(email, password, "/admin").await
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

    /// A person added to `org` through the admin API (an account the org does not manage
    /// unless it verified the domain), with `password` set through a reset link, signed in to
    /// Gatehouse in a browser of their own. Returns the browser and the account id.
    pub async fn signed_in_member(&self, org: &TestOrg, email: &str, password: &str) -> (Browser, String) {
        let made = self
            .post(
                org,
                "/accounts",
                serde_json::json!({"email": email, "display_name": email.split('@').next().unwrap_or(email)}),
            )
            .await;
        assert!(made.status.is_success(), "{}", made.json);
        let id = made.json["id"].as_str().expect("account id").to_owned();
        let as_person = TestOrg {
            admin_account_id: id.clone(),
            ..org.clone()
        };
        let (link, _) = self.reset_link(&as_person).await;
        let b = Browser::new(&self.base);
        let set = b.set_password(&link, password).await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
        let csrf = b.get("/login").await.csrf();
        let signed = b
            .post("/login", &[("csrf", &csrf), ("email", email), ("password", password)])
            .await;
        assert_eq!(signed.location.as_deref(), Some("/account"), "{}", signed.body);
        (b, id)
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
