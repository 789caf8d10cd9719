//! The admin console: server-rendered pages under `/admin`.
//!
//! Every page and form goes through the same core services as the API, with the signed-in
//! admin account as the actor. Sign-in, cookies, CSRF and page rendering are the browser
//! edge's ([`crate::web`]); the console adds its own check (every page of an organization
//! needs an admin of it; a person who administers none is told so) and its pages. Forms carry the session's CSRF
//! token; pages work without JavaScript, and htmx (embedded) only boosts navigation.

mod access;
mod accounts;
mod admins;
mod assets;
mod billing;
mod client;
mod client_form;
mod clients;
mod common;
mod directories;
mod domains;
mod events;
mod groups;
mod identity_provider;
mod identity_providers;
mod idp_form;
mod instances;
mod keys;
mod overview;
mod policies;
mod policy;
mod policy_form;
mod policy_members;
mod policy_moves;
mod product_sessions;

pub use crate::web::pages::{PageError, PageResult, render, render_status, urlencode};

pub use common::{Chrome, Console, ConsoleForm, done, error_lines, form_errors, given, notice_text};

use crate::limits::MAX_LIST_BYTES;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use identity_provider as idp;
use identity_providers as idps;

pub fn router() -> Router<AppState> {
    let o = |p: &str| format!("/admin/orgs/{{org_id}}{p}");
    Router::new()
        .route("/admin", get(overview::home))
        .route(&o(""), get(overview::page))
        .route(&o("/instances"), get(instances::page).post(instances::create))
        .route(&o("/instances/{id}/delete"), post(instances::delete))
        .route(&o("/directories"), get(directories::page).post(directories::create))
        .route(&o("/directories/{id}"), get(directories::detail))
        .route(&o("/directories/{id}/tokens"), post(directories::rotate))
        .route(&o("/directories/{id}/tokens/{token}/revoke"), post(directories::revoke))
        .route(&o("/directories/{id}/limit"), post(directories::limit))
        .route(&o("/directories/{id}/held/release"), post(directories::release))
        .route(&o("/directories/{id}/held/discard"), post(directories::discard))
        .route(&o("/directories/{id}/remove"), post(directories::remove))
        .route(&o("/identity-providers"), get(idps::page).post(idps::create))
        .route(&o("/identity-providers/{id}"), get(idp::detail).post(idp::update))
        .route(&o("/identity-providers/{id}/enforce"), post(idp::enforce))
        .route(&o("/identity-providers/{id}/delete"), post(idp::delete))
        .route(&o("/sso/break-glass"), post(idps::break_glass))
        .route(&o("/sso/default-groups"), post(idps::default_groups))
        .route(&o("/domains"), get(domains::page).post(domains::add))
        .route(&o("/domains/{id}"), get(domains::detail))
        .route(&o("/domains/{id}/verify"), post(domains::verify))
        .route(&o("/domains/{id}/claim-mode"), post(domains::claim_mode))
        .route(&o("/domains/{id}/claim"), post(domains::claim))
        .route(&o("/domains/{id}/remove"), post(domains::remove))
        .route(&o("/accounts"), get(accounts::page).post(accounts::create))
        .route(&o("/accounts/{id}"), get(accounts::detail))
        .route(&o("/accounts/{id}/status"), post(accounts::set_status))
        .route(&o("/accounts/{id}/delete"), post(accounts::delete))
        .route(&o("/accounts/{id}/cancel-deletion"), post(accounts::cancel_deletion))
        .route(
            &o("/accounts/{id}/api-tokens/{token}/revoke"),
            post(accounts::revoke_token),
        )
        .route(
            &o("/accounts/{id}/sessions/{session}/revoke"),
            post(accounts::revoke_session),
        )
        .route(
            &o("/accounts/{id}/sessions/revoke-all"),
            post(accounts::revoke_all_sessions),
        )
        .route(&o("/accounts/{id}/two-step/reset"), post(accounts::reset_two_step))
        .route(
            &o("/accounts/{id}/product-sessions/{grant}/revoke"),
            post(product_sessions::revoke),
        )
        .route(
            &o("/accounts/{id}/product-sessions/revoke-all"),
            post(product_sessions::revoke_all),
        )
        .route(&o("/groups"), get(groups::page).post(groups::create))
        .route(&o("/groups/{id}"), get(groups::detail))
        .route(&o("/groups/{id}/members"), post(groups::add_member))
        .route(
            &o("/groups/{id}/members/{account_id}/remove"),
            post(groups::remove_member),
        )
        .route(&o("/access"), get(access::page).post(access::grant))
        .route(&o("/access/{id}/revoke"), post(access::revoke))
        .route(&o("/admins"), get(admins::page).post(admins::grant))
        .route(&o("/admins/{account_id}/revoke"), post(admins::revoke))
        .route(&o("/admin-invitations/{id}/cancel"), post(admins::cancel_invitation))
        .route(&o("/api-keys"), get(keys::page).post(keys::create))
        .route(&o("/api-keys/{id}/revoke"), post(keys::revoke))
        .route(&o("/clients"), get(clients::page).post(clients::create))
        .route(&o("/clients/{id}"), get(client::detail).post(client::update))
        .route(&o("/clients/{id}/secrets"), post(client::rotate))
        .route(&o("/clients/{id}/delete"), post(client::delete))
        .route(&o("/events"), get(events::page))
        .route(&o("/events/export"), get(events::export))
        .route(&o("/events/{id}"), get(events::detail))
        .merge(policy_router())
        .merge(assets::router())
}

/// The authentication policies' pages, their members and the CSV upload's endpoints (the
/// file's form and the script's JSON posts take lists of up to 10,000 rows).
fn policy_router() -> Router<AppState> {
    let o = |p: &str| format!("/admin/orgs/{{org_id}}{p}");
    Router::new()
        .route(&o("/billing"), get(billing::page))
        .route(&o("/policies"), get(policies::page).post(policies::create))
        .route(&o("/policies/external"), post(policies::external))
        .route(&o("/policies/{id}"), get(policy::detail).post(policy::update))
        .route(&o("/policies/{id}/default"), post(policy::make_default))
        .route(&o("/policies/{id}/delete"), post(policy::delete))
        .route(
            &o("/policies/{id}/members"),
            get(policy_members::page).post(policy_members::move_form),
        )
        .route(
            &o("/policies/{id}/members/upload"),
            post(policy_members::upload).layer(DefaultBodyLimit::max(MAX_LIST_BYTES)),
        )
        .route(
            &o("/policies/{id}/members/simulate"),
            post(policy_members::simulate_json),
        )
        .route(&o("/policies/{id}/members/move"), post(policy_members::move_json))
}
