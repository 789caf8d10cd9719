//! The browser edge shared by every server-rendered page: cookies, CSRF tokens, the session
//! behind a request, page rendering and errors, and the hosted sign-in pages under `/login`.
//!
//! The console (`/admin`) builds on it, and so will the OIDC authorize endpoint: both need a
//! signed-in person and send the others to the same sign-in.

pub(crate) mod account;
pub mod cookies;
pub mod csrf;
pub mod deferred;
mod email_change;
pub mod form;
pub mod invitation;
mod next;
pub mod pages;
pub mod person;
mod pricing;
pub mod session;
mod signin;
pub use next::{HOME, safe_next};
mod signup;
pub mod two_step;
mod verify_email;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The sign-in pages (`/login`, `/login/forgot`, `/login/reset`, `/logout`), sign-up (`/signup`,
/// `/signup/confirm`: 404 unless turned on) and the person's own account page (`/account`,
/// with its email change at `/account/email`, `/account/email/confirm`).
pub fn router() -> Router<AppState> {
    two_step::router()
        .route("/login", get(signin::page).post(signin::submit))
        .route("/login/forgot", get(signin::forgot_page).post(signin::forgot_submit))
        .route("/login/reset", get(signin::reset_page).post(signin::reset_submit))
        .route("/logout", post(signin::logout))
        .route("/account", get(account::page))
        .route(
            "/account/verify-email",
            get(verify_email::page).post(verify_email::verify),
        )
        .route("/account/verify-email/send", post(verify_email::send))
        .route("/account/name", post(account::rename))
        .route("/account/password", post(account::change_password))
        .route("/account/orgs/{org_id}/leave", post(account::leave))
        .route("/account/delete", post(account::delete))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route("/account/sessions/end-all", post(account::end_all_sessions))
        .route("/account/invitations/{id}/{answer}", post(account::answer_invitation))
        .route("/signup", get(signup::page).post(signup::submit))
        .route("/pricing", get(pricing::page))
        .route(
            "/signup/confirm",
            get(signup::confirm_page).post(signup::confirm_submit),
        )
        .route(
            "/account/email",
            get(email_change::form_page).post(email_change::submit),
        )
        .route(
            "/account/email/confirm",
            get(email_change::confirm_page).post(email_change::confirm_submit),
        )
}
