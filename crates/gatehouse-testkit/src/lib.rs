//! Test support: a real gatehouse server on 127.0.0.1:0 over a fresh database on either
//! engine, a clock tests control, and typed helpers to drive the API.

pub mod dns;
pub mod https;
pub mod saml_idp;
pub mod webauthn;

mod app;
mod browser;
mod fixtures;
mod people;
mod two_step;

pub use app::{Node, Resp, TestApp, TestClock, TestOrg};
pub use browser::{ADMIN_PASSWORD, Browser, Page, hidden};
pub use fixtures::{Grantee, ScimClient, TestDirectory};
pub use gatehouse_store::Dialect;
pub use people::{PERSON_PASSWORD, Person};
pub use two_step::{recovery_codes, totp_code, totp_key};
pub use webauthn::SoftAuthenticator;

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

/// Generates one `#[tokio::test]` per engine for each listed async fn taking a `Dialect`: for
/// tests that spawn their own server (a configured one, several nodes, a binary).
#[macro_export]
macro_rules! dialect_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::Dialect::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::Dialect::Postgres).await } )*
        }
    };
}
