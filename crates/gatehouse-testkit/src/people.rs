//! People acting as themselves: a password of their own, a browser signed in to the console,
//! or a session opened through the core as the sign-in pages open one (for the person's own
//! methods, such as answering an admin invitation or ending their sessions).

use crate::app::TestApp;
use crate::browser::Browser;
use gatehouse_core::audit::{Actor, RequestMeta};
use gatehouse_core::auth::Progress;
use gatehouse_core::authz::SignedIn;
use gatehouse_core::ids::AccountId;
use gatehouse_core::ports::prelude::*;
use reqwest::StatusCode;

/// The password people made for tests are given.
pub const PERSON_PASSWORD: &str = "a person's own long passphrase";

/// A person signed in through the core: their capability and their session's cookie token.
pub struct Person {
    pub signed_in: SignedIn,
    pub token: String,
}

impl TestApp {
    /// Gives the account [`PERSON_PASSWORD`] through a set-password link, as the mailed link
    /// would; returns the account's email.
    pub async fn give_password(&self, account: AccountId) -> String {
        let found = self
            .store
            .reader()
            .await
            .expect("reader")
            .find_account(account)
            .await
            .expect("find")
            .expect("account");
        let link = self
            .state
            .signin
            .issue_reset_link(&found, 3600, &Actor::system("tests"), &RequestMeta::default())
            .await
            .expect("link");
        let set = Browser::new(&self.base).set_password(&link, PERSON_PASSWORD).await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "setting a password: {}", set.body);
        found.email
    }

    /// A browser signed in to the console at `base` (this app's or another node's) as an
    /// account that administers an organization and has [`PERSON_PASSWORD`].
    pub async fn browser_as(&self, base: &str, email: &str) -> Browser {
        let b = Browser::new(base);
        let signed = b.sign_in(email, PERSON_PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "signing in: {}", signed.body);
        b
    }

    /// Signs the account (with [`PERSON_PASSWORD`]) in through the core, whatever it
    /// administers, and opens a session as the sign-in pages would.
    pub async fn person(&self, email: &str, user_agent: &str) -> Person {
        let meta = RequestMeta {
            ip: Some("192.0.2.7".into()),
            user_agent: Some(user_agent.into()),
        };
        let auth = &self.state.signin;
        let Progress::Done(done) = auth.sign_in(email, PERSON_PASSWORD, &meta).await.expect("sign in") else {
            panic!("a sign-in with more steps");
        };
        let opened = auth.open_session(done, &meta).await.expect("session");
        let signed_in = auth.session(&opened.token).await.expect("read").expect("live");
        Person {
            signed_in,
            token: opened.token,
        }
    }
}
