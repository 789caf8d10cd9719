//! JSON answers of the WebAuthn options endpoints, for the pages' script.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_core::ids::AccountId;
use gatehouse_core::two_step::CeremonyPurpose;

/// A JSON refusal: `{"detail": ...}` with the status.
pub(super) fn json_refusal(status: StatusCode, detail: &str) -> Response {
    (status, Json(serde_json::json!({ "detail": detail }))).into_response()
}

/// A core error as the pages' script reads it.
pub(super) fn json_error(e: CoreError) -> Response {
    let api = ApiError::from(e);
    json_refusal(api.status, &api.detail)
}

/// The answer of an options endpoint: the ceremony's state kept for `account`, and its token
/// with the options for the page's script; or why it could not start.
pub(super) async fn ceremony_answer(
    st: &AppState,
    purpose: CeremonyPurpose,
    account: AccountId,
    started: Result<(serde_json::Value, String), CoreError>,
) -> Response {
    let answer = async {
        let (options, state) = started?;
        let token = st.signin.save_ceremony(purpose, account, state).await?;
        Ok::<_, CoreError>(options_answer(&token, &options))
    };
    match answer.await {
        Ok(body) => Json(body).into_response(),
        Err(e) => json_error(e),
    }
}

/// What the page's script reads: the token to send back with the answer, and the options for
/// `navigator.credentials`.
pub(super) fn options_answer(token: &str, options: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "token": token, "options": options })
}
