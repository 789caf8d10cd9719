//! `GET /oidc/{idp_id}/login`: a sign-in started (state, nonce and PKCE verifier kept in the
//! database, OIDC Core §3.1.2.1, RFC 7636 §4.1) and the browser sent to the provider.

use super::provider::{provider, redirect_uri};
use crate::extract::ClientMeta;
use crate::sso::pages::{refusal_page, tester};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, see_other};
use crate::web::safe_next;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use gatehouse_core::CoreError;
use gatehouse_core::secret::mint;
use gatehouse_oidc::rp::{AuthorizationRequest, authorization_url};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    test: Option<String>,
    /// The address typed at our sign-in page, passed on when it is one.
    login_hint: Option<String>,
}

pub(super) async fn login(
    State(st): State<AppState>,
    Path(idp_id): Path<String>,
    Query(q): Query<LoginQuery>,
    uri: Uri,
    headers: HeaderMap,
    ClientMeta(meta): ClientMeta,
) -> PageResult {
    let (idp, settings) = provider(&st, &idp_id).await?;
    let next = safe_next(q.next.as_deref())?;
    let tester = match q.test.as_deref() {
        Some("1") => {
            let again = uri.path_and_query().map_or("/admin", |p| p.as_str());
            Some(tester(&st, &headers, &idp, again).await?)
        }
        _ => None,
    };
    let provider_meta = match st.oidc_rp.metadata(&settings.issuer, st.services.now()).await {
        Ok(m) => m,
        Err(refusal) => {
            st.services.sso.refused(&idp, &refusal, None, &meta).await?;
            return refusal_page(&idp, &refusal);
        }
    };
    let (state, nonce, verifier) = (mint("st")?.value, mint("n")?.value, mint("pkce")?.value);
    let callback = redirect_uri(&st, idp.id);
    let hint = q
        .login_hint
        .as_deref()
        .and_then(|h| gatehouse_core::types::Email::parse(h).ok())
        .map(|e| e.to_string());
    let url = authorization_url(
        &provider_meta.authorization_endpoint,
        &AuthorizationRequest {
            client_id: &settings.client_id,
            redirect_uri: &callback,
            scopes: &settings.scopes,
            state: &state,
            nonce: &nonce,
            pkce_verifier: &verifier,
            login_hint: hint.as_deref(),
        },
    )
    .ok_or_else(|| PageError::Core(CoreError::internal("the authorization endpoint is not a URL")))?;
    st.services
        .sso
        .begin(&idp, state, next, Some(nonce), Some(verifier), tester)
        .await?;
    see_other(&url)
}
