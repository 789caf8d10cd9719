//! Two-step verification at the browser edge: the person's enrolment pages
//! (`/account/two-step`), the sign-in's second step (`/login/two-step`), the passkey sign-in
//! (`/login/passkey`), and the WebAuthn relying party they share (`rp.rs`).
//!
//! The WebAuthn options endpoints answer JSON for the pages' script; every other answer is a
//! page, as for any form.

mod enrol;
mod handoff;
mod json;
mod login;
pub mod rp;
mod stages;

pub use handoff::{signed_in_to, to_second_step};

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/two-step", get(enrol::page))
        .route("/account/two-step/totp", post(enrol::start_totp))
        .route("/account/two-step/totp/confirm", post(enrol::confirm_totp))
        .route("/account/two-step/totp/remove", post(enrol::remove_totp))
        .route("/account/two-step/recovery-codes", post(enrol::new_codes))
        .route("/account/two-step/keys/options", post(enrol::key_options))
        .route("/account/two-step/keys", post(enrol::add_key))
        .route("/account/two-step/keys/{id}/remove", post(enrol::remove_key))
        .route("/login/two-step", get(login::page).post(login::submit_code))
        .route("/login/two-step/email", post(login::mail_code))
        .route("/login/two-step/key/options", post(login::key_options))
        .route("/login/two-step/key", post(login::submit_key))
        .route("/login/passkey/options", post(login::passkey_options))
        .route("/login/passkey", post(login::submit_passkey))
        .route("/login/enrol", get(stages::enrol_page).post(stages::enrol_submit))
        .route(
            "/login/new-password",
            get(stages::password_page).post(stages::password_submit),
        )
}
