//! The SAML 2.0 service provider over `gatehouse-saml`: our metadata (also our entity id),
//! SP-initiated sign-in (HTTP-Redirect AuthnRequest), the assertion consumer service
//! (HTTP-POST) and single logout (HTTP-Redirect). The request state lives in the database,
//! keyed by the AuthnRequest id: the ACS is a cross-site POST that carries no Lax cookie.

use super::pages::{complete, refusal_page, tester};
use crate::extract::ClientMeta;
use crate::state::AppState;
use crate::web::form::PageForm;
use crate::web::pages::{PageError, PageResult, see_other};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::IdpId;
use gatehouse_core::services::sso::{Answer, SsoRefusal};
use gatehouse_core::sso::{ExternalIdentity, IdentityProvider, SamlSettings, Settings, SsoSession, secret_context};
use gatehouse_core::{CoreError, Timestamp};
use gatehouse_saml::{Assertion, Certificate, Expect, IdpConfig, Sp, SpCredentials};
use serde::Deserialize;

/// The largest ACS post: a base64 response of the crate's limit (512 KiB), form-encoded.
const MAX_ACS_BODY: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/saml/{idp_id}/metadata", get(metadata))
        .route("/saml/{idp_id}/login", get(login))
        .route(
            "/saml/{idp_id}/acs",
            post(acs).layer(DefaultBodyLimit::max(MAX_ACS_BODY)),
        )
        .route("/saml/{idp_id}/slo", get(slo))
}

/// A SAML provider and its settings, or "not found" (an unknown id, or an OIDC provider).
async fn saml_idp(st: &AppState, raw: &str) -> Result<(IdentityProvider, SamlSettings), PageError> {
    let id = IdpId::parse(raw).map_err(|_| PageError::NotFound)?;
    let idp = st.services.sso.provider(id).await?.ok_or(PageError::NotFound)?;
    match &idp.settings {
        Settings::Saml(s) => {
            let s = s.clone();
            Ok((idp, s))
        }
        Settings::Oidc(_) => Err(PageError::NotFound),
    }
}

/// Our side of the connection: entity id (= metadata URL), ACS and SLO, with our key opened.
fn sp(st: &AppState, idp: &IdentityProvider, s: &SamlSettings) -> Result<Sp, CoreError> {
    let base = st.config.public_url.trim_end_matches('/');
    let sealed = idp
        .sealed_secret
        .as_deref()
        .ok_or_else(|| CoreError::internal("a SAML provider without its SP key"))?;
    let key = st.keys.open(&secret_context(idp.id), sealed)?;
    let key_pem = String::from_utf8(key.to_vec()).map_err(CoreError::internal)?;
    Ok(Sp {
        entity_id: format!("{base}/saml/{}/metadata", idp.id),
        acs_url: format!("{base}/saml/{}/acs", idp.id),
        slo_url: format!("{base}/saml/{}/slo", idp.id),
        credentials: SpCredentials {
            cert_pem: s.sp_certificate.clone(),
            key_pem,
        },
    })
}

/// The IdP as configured.
fn idp_config(s: &SamlSettings) -> Result<IdpConfig, CoreError> {
    let url = |u: &str| url::Url::parse(u).map_err(|_| CoreError::internal("a stored SAML URL does not parse"));
    let certificates = s
        .certificates
        .iter()
        .map(|c| Certificate::parse(c).map_err(CoreError::internal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(IdpConfig {
        entity_id: s.entity_id.clone(),
        sso_url: url(&s.sso_url)?,
        slo_url: s.slo_url.as_deref().map(url).transpose()?,
        certificates,
        allow_sha1: s.allow_sha1,
    })
}

async fn metadata(State(st): State<AppState>, Path(id): Path<String>) -> PageResult {
    let (idp, s) = saml_idp(&st, &id).await?;
    let xml = gatehouse_saml::sp_metadata(&sp(&st, &idp, &s)?);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/samlmetadata+xml"),
        )],
        xml,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// `test=1`: an admin's test sign-in; what comes back is shown, nobody signs in.
    test: Option<String>,
}

/// Starts an SP-initiated sign-in: the request kept under its id, then a redirect to the IdP.
async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    let (idp, s) = saml_idp(&st, &id).await?;
    let next = crate::web::safe_next(q.next.as_deref())?;
    let tester = match q.test {
        Some(_) => Some(tester(&st, &headers, &idp, &format!("/saml/{}/login?test=1", idp.id)).await?),
        None => None,
    };
    let request_id = format!("_{}", uuid::Uuid::new_v4().simple());
    st.services
        .sso
        .begin(&idp, request_id.clone(), next, None, None, tester)
        .await?;
    let (sp, cfg) = (sp(&st, &idp, &s)?, idp_config(&s)?);
    let now = st.services.now().millis();
    let url = gatehouse_saml::authn_request_redirect(&sp, &cfg, &request_id, now, None, s.sign_requests)
        .map_err(CoreError::internal)?;
    see_other(url.as_str())
}

/// The ACS post. Its RelayState is not read: the request state is ours, in the database.
#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
}

/// The assertion consumer service: the response validated (signature, wrapping, algorithms,
/// destination, recipient, audience, issuer, times, replay), then the sign-in finished. Every
/// refusal is audited with its reason and shows a plain page.
async fn acs(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<AcsForm>,
) -> PageResult {
    let (idp, s) = saml_idp(&st, &id).await?;
    let (sp, cfg) = (sp(&st, &idp, &s)?, idp_config(&s)?);
    let allow_rsa1_5 = s.allow_rsa1_5;
    let now = st.services.now().millis();
    let checked = tokio::task::spawn_blocking(move || {
        let expect = Expect {
            sp_entity_id: &sp.entity_id,
            acs_url: &sp.acs_url,
            idp_entity_id: &cfg.entity_id,
            certificates: &cfg.certificates,
            allow_sha1: cfg.allow_sha1,
            now_ms: now,
            skew_secs: gatehouse_saml::DEFAULT_SKEW_SECS,
            sp_key_pem: Some(&sp.credentials.key_pem),
            allow_rsa1_5,
        };
        gatehouse_saml::validate_response(&f.saml_response, &expect)
    })
    .await
    .map_err(CoreError::internal)?;
    let assertion = match checked {
        Ok(a) => a,
        Err(refusal) => {
            // The person and the audit log get the reason; the detail is for the operator.
            tracing::info!(idp = %idp.id, reason = refusal.as_str(), detail = %refusal, "SAML response refused");
            let r = SsoRefusal::new(
                refusal.as_str(),
                "Your identity provider's answer could not be accepted. Try again, or ask your administrator.",
            );
            st.services.sso.refused(&idp, &r, None, &meta).await?;
            return refusal_page(&idp, &r);
        }
    };
    let answer = assertion
        .in_response_to
        .clone()
        .map_or(Answer::Unsolicited, Answer::InResponseTo);
    let identity = identity_of(&s, assertion);
    match st.services.sso.finish(&idp, answer, identity, &meta).await? {
        Ok(done) => complete(&st, &idp, done, None, &headers, &meta).await,
        Err(refusal) => refusal_page(&idp, &refusal),
    }
}

/// What the assertion says, through the provider's attribute map (or the usual names).
fn identity_of(s: &SamlSettings, a: Assertion) -> ExternalIdentity {
    let email_format = a
        .name_id_format
        .as_deref()
        .is_some_and(|f| f.ends_with(":emailAddress"));
    let mut identity = ExternalIdentity::from_attributes(a.name_id.clone(), a.attributes, &s.attributes);
    if identity.email.is_none() && (email_format || a.name_id.contains('@')) {
        identity.email = Some(a.name_id.clone());
    }
    identity.assertion = Some((a.id, Timestamp::from_millis(a.not_on_or_after)));
    identity.session_index = a.session_index;
    identity
}

#[derive(Deserialize)]
pub struct SloQuery {
    #[serde(rename = "SAMLRequest")]
    request: Option<String>,
    #[serde(rename = "SAMLResponse")]
    response: Option<String>,
}

/// Single logout, HTTP-Redirect: a LogoutRequest from the IdP ends this browser's session
/// when the IdP signed it in, then answers the IdP; a LogoutResponse ends our own
/// SP-initiated logout. Both must be signed by the IdP.
async fn slo(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Query(q): Query<SloQuery>,
) -> PageResult {
    let (idp, s) = saml_idp(&st, &id).await?;
    if q.request.is_none() && q.response.is_none() {
        return Err(PageError::BadRequest("A logout message is missing.".into()));
    }
    let (sp, cfg) = (sp(&st, &idp, &s)?, idp_config(&s)?);
    let now = st.services.now().millis();
    let message = match gatehouse_saml::parse_logout_message(raw.as_deref().unwrap_or_default(), &sp, &cfg, now) {
        Ok(m) => m,
        Err(e) => {
            let r = SsoRefusal::new(e.as_str(), "This logout message could not be accepted.");
            st.services.sso.refused(&idp, &r, None, &meta).await?;
            return refusal_page(&idp, &r);
        }
    };
    match message {
        gatehouse_saml::LogoutMessage::Response { .. } => see_other("/login?signed_out=1"),
        gatehouse_saml::LogoutMessage::Request {
            id,
            name_id,
            relay_state,
            ..
        } => {
            end_matching_session(&st, &headers, &idp, &name_id, &meta).await?;
            let Some(slo) = cfg.slo_url.as_ref() else {
                return see_other("/login?signed_out=1");
            };
            let response_id = format!("_{}", uuid::Uuid::new_v4().simple());
            let spec = gatehouse_saml::LogoutResponseSpec {
                in_response_to: &id,
                status: gatehouse_saml::STATUS_SUCCESS,
                response_id: &response_id,
                now_ms: st.services.now().millis(),
                relay_state: relay_state.as_deref(),
                sign: true,
            };
            let url = gatehouse_saml::logout_response_redirect(&sp, slo, &spec).map_err(CoreError::internal)?;
            see_other(url.as_str())
        }
    }
}

/// Ends this browser's session if this provider opened it for `subject`.
async fn end_matching_session(
    st: &AppState,
    headers: &HeaderMap,
    idp: &IdentityProvider,
    subject: &str,
    meta: &RequestMeta,
) -> Result<(), CoreError> {
    let Some(person) = crate::web::session::signed_in(st, headers).await? else {
        return Ok(());
    };
    let session = person.session().id;
    match st.services.sso.take_session(session).await? {
        Some(rec) if rec.idp_id == idp.id && rec.subject == subject => st.signin.sign_out(&person, meta).await,
        Some(rec) => st.services.sso.record_session(&rec).await,
        None => Ok(()),
    }
}

/// Where the browser goes after our sign-out to end the IdP's session too (SP-initiated
/// single logout), if the provider does single logout.
pub fn logout_url(st: &AppState, idp: &IdentityProvider, rec: &SsoSession) -> Option<String> {
    let Settings::Saml(s) = &idp.settings else {
        return None;
    };
    let slo = s.slo_url.as_deref().and_then(|u| url::Url::parse(u).ok())?;
    let sp = sp(st, idp, s).ok()?;
    let request_id = format!("_{}", uuid::Uuid::new_v4().simple());
    let spec = gatehouse_saml::LogoutRequestSpec {
        name_id: &rec.subject,
        name_id_format: None,
        session_index: rec.session_index.as_deref(),
        request_id: &request_id,
        now_ms: st.services.now().millis(),
        relay_state: None,
        sign: true,
    };
    gatehouse_saml::logout_request_redirect(&sp, &slo, &spec)
        .ok()
        .map(|u| u.to_string())
}
