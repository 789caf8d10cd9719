//! `GET /oidc/{idp_id}/callback`: the provider's answer (OIDC Core §3.1.2.5, §3.1.2.6).
//!
//! The started sign-in is taken by `state` before anything else, so a replayed or forged
//! answer finds nothing and a good one works once. Then the provider's `error`, the RFC 9207
//! `iss`, the code exchange (client_secret_basic and the PKCE verifier, through the guarded
//! outbound client), the ID token (signature against the provider's keys, fetched again once
//! for an unknown `kid`; issuer, audience, times, nonce), and the claims mapped to who the
//! person is. Any failure is audited with its reason and shows the plain refusal page.

use super::provider::{provider, redirect_uri};
use super::refusals;
use crate::extract::ClientMeta;
use crate::sso::pages::{complete, refusal_page};
use crate::state::AppState;
use crate::web::pages::PageResult;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::services::sso::{Answer, SsoRefusal};
use gatehouse_core::sso::{AttributeMap, ExternalIdentity, IdentityProvider, OidcSettings, SsoRequest, secret_context};
use gatehouse_oidc::rp::{
    ClaimNames, DEFAULT_SKEW_SECS, IdTokenCheck, ProviderMetadata, RpError, identity_from_claims, parse_token_response,
    token_request_form, validate_id_token,
};
use gatehouse_oidc::{RemoteKeys, VerifyError};
use serde::Deserialize;
use std::sync::Arc;

/// The callback's parameters. Unknown ones are ignored (OIDC Core §3.1.2.5 lets providers
/// add their own, such as `session_state`).
#[derive(Deserialize, Default)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// Longest parameter value read from the callback.
const MAX_PARAM: usize = 4096;

pub(super) async fn callback(
    State(st): State<AppState>,
    Path(idp_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    ClientMeta(meta): ClientMeta,
) -> PageResult {
    let (idp, settings) = provider(&st, &idp_id).await?;
    let query: Option<CallbackQuery> = serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).ok();
    let state = query
        .as_ref()
        .and_then(|q| q.state.as_deref())
        .filter(|s| s.len() <= MAX_PARAM);
    let request = match state {
        Some(s) => st.services.sso.take(&idp, s).await?,
        None => None,
    };
    let (Some(request), Some(query)) = (request, query) else {
        return refuse(&st, &idp, &refusals::STATE_UNKNOWN, &meta).await;
    };
    if let Some(error) = &query.error {
        // RFC 6749 §4.1.2.1: an error code is printable ASCII; anything else is not logged.
        let error: String = error.chars().filter(char::is_ascii_graphic).take(64).collect();
        tracing::info!(idp = %idp.id, %error, "the identity provider answered with an error");
        return refuse(&st, &idp, &refusals::IDP_ERROR, &meta).await;
    }
    let code = match query.code.as_deref() {
        Some(c) if !c.is_empty() && c.len() <= MAX_PARAM => c,
        _ => return refuse(&st, &idp, &refusals::CALLBACK_INVALID, &meta).await,
    };
    // RFC 9207 §2.4: when the provider names itself in the answer, it must be the provider
    // this sign-in went to (a mix-up attack answers with another provider's code).
    if query.iss.as_deref().is_some_and(|iss| iss != settings.issuer) {
        return refuse(&st, &idp, &refusals::ISSUER_MISMATCH, &meta).await;
    }
    let (identity, id_token) = match verify(&st, &idp, &settings, &request, code).await {
        Ok(v) => v,
        Err(refusal) => return refuse(&st, &idp, &refusal, &meta).await,
    };
    match st
        .services
        .sso
        .finish(&idp, Answer::Taken(request), identity, &meta)
        .await?
    {
        Ok(finished) => complete(&st, &idp, finished, Some(id_token), &headers, &meta).await,
        // `finish` audited it.
        Err(refusal) => refusal_page(&idp, &refusal),
    }
}

/// Audits a refusal and shows its page.
async fn refuse(st: &AppState, idp: &IdentityProvider, refusal: &SsoRefusal, meta: &RequestMeta) -> PageResult {
    st.services.sso.refused(idp, refusal, None, meta).await?;
    refusal_page(idp, refusal)
}

/// The code exchanged and the ID token checked: who the provider says the person is, and
/// the ID token (the hint of a later logout).
async fn verify(
    st: &AppState,
    idp: &IdentityProvider,
    settings: &OidcSettings,
    request: &SsoRequest,
    code: &str,
) -> Result<(ExternalIdentity, String), SsoRefusal> {
    let now = st.services.now();
    let meta = st.oidc_rp.metadata(&settings.issuer, now).await?;
    let id_token = exchange(st, idp, settings, &meta, request, code).await?;
    let nonce = request.nonce.as_deref().unwrap_or_default();
    let check = IdTokenCheck {
        issuer: &settings.issuer,
        client_id: &settings.client_id,
        nonce,
        now: now.millis() / 1000,
        skew: DEFAULT_SKEW_SECS,
    };
    let keys = st.oidc_rp.keys(&meta, now).await?;
    let claims = match validate_id_token(&keys, &id_token, &check) {
        Err(RpError::IdToken(VerifyError::UnknownKey)) => {
            // A key we do not know: the provider may have rotated; fetch its keys again (at
            // most once per issuer every 30 s) and check once more.
            let fresh: Option<Arc<RemoteKeys>> = st.oidc_rp.refetched_keys(&meta, now).await?;
            let keys = fresh.unwrap_or(keys);
            validate_id_token(&keys, &id_token, &check)
        }
        other => other,
    }
    .map_err(|e| refusals::of(&e))?;
    let who = identity_from_claims(&claims, &claim_names(&settings.claims)).map_err(|e| refusals::of(&e))?;
    let identity = ExternalIdentity {
        subject: who.subject,
        email: who.email,
        display_name: who.display_name,
        groups: who.groups,
        assertion: None,
        session_index: None,
        attributes: who.claims,
    };
    Ok((identity, id_token))
}

/// The code exchange (OIDC Core §3.1.3.1): client_secret_basic with the secret opened from
/// its sealed form, and the PKCE verifier. The answer's ID token, unchecked yet.
async fn exchange(
    st: &AppState,
    idp: &IdentityProvider,
    settings: &OidcSettings,
    meta: &ProviderMetadata,
    request: &SsoRequest,
    code: &str,
) -> Result<String, SsoRefusal> {
    let secret = idp
        .sealed_secret
        .as_deref()
        .and_then(|sealed| st.keys.open(&secret_context(idp.id), sealed).ok())
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .ok_or(refusals::SECRET_UNAVAILABLE)?;
    let callback = redirect_uri(st, idp.id);
    let verifier = request.pkce_verifier.as_deref().unwrap_or_default();
    let form = token_request_form(code, &callback, verifier);
    let body = st
        .sso_http
        .post_form_for_body(&meta.token_endpoint, &form, Some((&settings.client_id, &secret)))
        .await
        .map_err(|e| {
            tracing::info!(idp = %idp.id, reason = e.reason(), "the code exchange failed");
            refusals::TOKEN_EXCHANGE_FAILED
        })?;
    parse_token_response(&body)
        .map(|t| t.id_token)
        .map_err(|e| refusals::of(&e))
}

/// The configured claim names, the standard ones where none is set.
fn claim_names(map: &AttributeMap) -> ClaimNames {
    let d = ClaimNames::default();
    let pick = |set: &Option<String>, default: String| set.clone().unwrap_or(default);
    ClaimNames {
        email: pick(&map.email, d.email),
        display_name: pick(&map.display_name, d.display_name),
        given_name: pick(&map.given_name, d.given_name),
        family_name: pick(&map.family_name, d.family_name),
        groups: pick(&map.groups, d.groups),
    }
}
