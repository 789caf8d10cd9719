//! The admin REST API under `/api/v1/orgs/{org_id}/...`. Handlers are thin: extract,
//! authorize (the `Admin` extractor), parse into core inputs, one service call, map to a DTO.

mod access;
mod accounts;
mod billing;
mod clients;
mod common;
mod directories;
mod domains;
mod estimate;
mod events;
mod groups;
mod identity_providers;
mod instances;
mod keys;
mod orgs;
mod policies;
mod sessions;
mod subscription;
mod two_step;

use crate::error::Problem;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub fn router() -> Router<AppState> {
    let org = "/api/v1/orgs/{org_id}";
    let r = |p: &str| format!("{org}{p}");
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(org, get(orgs::get_org).patch(orgs::update_org))
        .route(&r("/products"), get(orgs::list_products))
        .route(&r("/accounts"), get(accounts::list).post(accounts::create))
        .route(
            &r("/accounts/{id}"),
            get(accounts::get).patch(accounts::update).delete(accounts::remove),
        )
        .route(&r("/accounts/{id}/cancel-deletion"), post(accounts::cancel_deletion))
        .route(&r("/accounts/{id}/api-tokens"), get(accounts::list_api_tokens))
        .route(
            &r("/accounts/{id}/sessions"),
            get(sessions::list).delete(sessions::revoke_all),
        )
        .route(&r("/accounts/{id}/sessions/{session_id}"), delete(sessions::revoke))
        .route(
            &r("/accounts/{id}/two-step"),
            get(two_step::get).delete(two_step::reset),
        )
        .merge(client_routes())
        .route(
            &r("/accounts/{id}/api-tokens/{token_id}/revoke"),
            post(accounts::revoke_api_token),
        )
        .route(&r("/directories"), get(directories::list).post(directories::create))
        .route(
            &r("/directories/{id}"),
            get(directories::get)
                .patch(directories::update)
                .delete(directories::remove),
        )
        .route(&r("/directories/{id}/held"), get(directories::held))
        .route(&r("/directories/{id}/held/release"), post(directories::release))
        .route(&r("/directories/{id}/held/discard"), post(directories::discard))
        .route(&r("/directories/{id}/tokens"), post(directories::rotate))
        .route(&r("/directories/{id}/tokens/{token_id}"), delete(directories::revoke))
        .route(&r("/domains"), get(domains::list).post(domains::add))
        .route(
            &r("/domains/{id}"),
            get(domains::get).patch(domains::update).delete(domains::remove),
        )
        .route(&r("/domains/{id}/verify"), post(domains::verify))
        .route(&r("/domains/{id}/claim"), post(domains::claim))
        .route(&r("/instances"), get(instances::list).post(instances::create))
        .route(
            &r("/instances/{id}"),
            get(instances::get).patch(instances::update).delete(instances::remove),
        )
        .route(&r("/groups"), get(groups::list).post(groups::create))
        .route(
            &r("/groups/{id}"),
            get(groups::get).patch(groups::update).delete(groups::remove),
        )
        .route(
            &r("/groups/{id}/members"),
            get(groups::list_members).post(groups::add_member),
        )
        .route(&r("/groups/{id}/members/{account_id}"), delete(groups::remove_member))
        .route(&r("/access"), get(access::list).post(access::grant))
        .route(
            &r("/access/{id}"),
            get(access::get).patch(access::update).delete(access::revoke),
        )
        .route(&r("/admins"), get(access::list_admins).post(access::grant_admin))
        .route(&r("/admins/{account_id}"), delete(access::revoke_admin))
        .route(&r("/admin-invitations"), get(access::list_invitations))
        .route(&r("/admin-invitations/{id}"), delete(access::cancel_invitation))
        .route(&r("/api-keys"), get(keys::list).post(keys::create))
        .route(&r("/api-keys/{id}"), get(keys::get))
        .route(&r("/api-keys/{id}/revoke"), post(keys::revoke))
        .route(&r("/events"), get(events::list))
        .route(&r("/events/export"), get(events::export))
        .route(&r("/events/{id}"), get(events::get))
        .route(&r("/event-actions"), get(events::actions))
        .merge(subscription_routes())
}

/// Billing: the public estimate, who the organization pays for, and its subscription.
fn subscription_routes() -> Router<AppState> {
    let r = |p: &str| format!("/api/v1/orgs/{{org_id}}{p}");
    Router::new()
        .route("/api/v1/billing/estimate", get(estimate::estimate))
        .route(&r("/billing"), get(billing::summary))
        .route(&r("/billing/accounts"), get(billing::accounts))
        .route(&r("/billing/accounts/export"), get(billing::export))
        .route(&r("/billing/runs"), get(billing::runs))
        .route(
            &r("/billing/subscription"),
            get(subscription::get)
                .post(subscription::subscribe)
                .delete(subscription::cancel),
        )
        .route(&r("/billing/subscription/resume"), post(subscription::resume))
        .route(&r("/billing/trial"), post(subscription::start_trial))
}

/// Product clients (OpenID Connect) and the product sessions an account holds with them.
fn client_routes() -> Router<AppState> {
    let r = |p: &str| format!("/api/v1/orgs/{{org_id}}{p}");
    Router::new()
        .route(
            &r("/accounts/{id}/product-sessions"),
            get(clients::list_product_sessions).delete(clients::revoke_product_sessions),
        )
        .route(
            &r("/accounts/{id}/product-sessions/{session_id}"),
            delete(clients::revoke_product_session),
        )
        .route(&r("/clients"), get(clients::list).post(clients::create))
        .route(
            &r("/clients/{id}"),
            get(clients::get).patch(clients::update).delete(clients::remove),
        )
        .route(&r("/clients/{id}/secrets"), post(clients::rotate))
        .route(
            &r("/identity-providers"),
            get(identity_providers::list).post(identity_providers::create),
        )
        .route(
            &r("/identity-providers/{id}"),
            get(identity_providers::get)
                .patch(identity_providers::update)
                .delete(identity_providers::remove),
        )
        .route(
            &r("/sso/break-glass"),
            get(identity_providers::get_break_glass).put(identity_providers::put_break_glass),
        )
        .route(
            &r("/sso/default-groups"),
            get(identity_providers::get_default_groups).put(identity_providers::put_default_groups),
        )
        .route(&r("/policies"), get(policies::list).post(policies::create))
        .route(
            &r("/policies/{id}"),
            get(policies::get).patch(policies::update).delete(policies::remove),
        )
        .route(&r("/policies/{id}/default"), post(policies::make_default))
        .route(
            &r("/policies/{id}/members"),
            get(policies::list_members)
                .post(policies::move_members)
                .layer(DefaultBodyLimit::max(crate::limits::MAX_BULK_BODY)),
        )
        .route(
            &r("/policies/{id}/simulate"),
            post(policies::simulate).layer(DefaultBodyLimit::max(crate::limits::MAX_BULK_BODY)),
        )
        .route(
            &r("/external-users-policy"),
            get(policies::get_external).patch(policies::update_external),
        )
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse admin API", version = "1", description = "Administer an organization: products, accounts, groups, access, admins, API keys and the audit log. Errors are application/problem+json."),
    paths(
        orgs::get_org, orgs::update_org, orgs::list_products,
        accounts::list, accounts::create, accounts::get, accounts::update, accounts::remove, accounts::cancel_deletion,
        accounts::list_api_tokens, accounts::revoke_api_token,
        sessions::list, sessions::revoke_all, sessions::revoke,
        two_step::get, two_step::reset,
        clients::list, clients::create, clients::get, clients::update, clients::remove, clients::rotate,
        clients::list_product_sessions, clients::revoke_product_sessions, clients::revoke_product_session,
        identity_providers::list, identity_providers::create, identity_providers::get, identity_providers::update,
        identity_providers::remove, identity_providers::get_break_glass, identity_providers::put_break_glass,
        identity_providers::get_default_groups, identity_providers::put_default_groups,
        policies::list, policies::create, policies::get, policies::update, policies::remove, policies::make_default,
        policies::list_members, policies::move_members, policies::simulate, policies::get_external, policies::update_external,
        directories::list, directories::create, directories::get, directories::rotate, directories::revoke, directories::remove,
        directories::update, directories::held, directories::release, directories::discard,
        domains::list, domains::add, domains::get, domains::update, domains::verify, domains::claim, domains::remove,
        instances::list, instances::create, instances::get, instances::update, instances::remove,
        groups::list, groups::create, groups::get, groups::update, groups::remove,
        groups::list_members, groups::add_member, groups::remove_member,
        access::list, access::grant, access::get, access::update, access::revoke,
        access::list_admins, access::grant_admin, access::revoke_admin,
        access::list_invitations, access::cancel_invitation,
        keys::list, keys::create, keys::get, keys::revoke,
        events::list, events::get, events::actions, events::export,
        billing::summary, billing::accounts, billing::export, billing::runs,
        estimate::estimate,
        subscription::get, subscription::start_trial, subscription::subscribe, subscription::cancel, subscription::resume,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An org API key (ghk_...)"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3.1 document, generated from the handlers' annotations.
pub fn openapi_document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

async fn openapi_json() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
}
