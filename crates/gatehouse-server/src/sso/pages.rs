//! How an SSO sign-in ends in the browser.

use crate::state::AppState;
use crate::web::cookies::{SESSION_COOKIE, set_cookie};
use crate::web::pages::{PageResult, continue_to, render_status};
use crate::web::session::signed_in;
use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::services::sso::{Finished, SsoRefusal};
use gatehouse_core::sso::{ExternalIdentity, IdentityProvider, SsoSession};

#[derive(Template)]
#[template(path = "sso_refused.html")]
struct RefusedPage<'a> {
    idp: &'a str,
    message: &'a str,
    reason: &'a str,
}

#[derive(Template)]
#[template(path = "sso_test.html")]
struct TestPage<'a> {
    idp: &'a str,
    identity: &'a ExternalIdentity,
    back: &'a str,
}

/// The plain page a refused sign-in shows: what to do, and the reason's stable name for the
/// person to give their administrator (who finds it in the audit log). Never a stack trace.
pub fn refusal_page(idp: &IdentityProvider, refusal: &SsoRefusal) -> PageResult {
    let page = RefusedPage {
        idp: &idp.name,
        message: refusal.message,
        reason: refusal.reason,
    };
    render_status(StatusCode::FORBIDDEN, &page)
}

/// Finishes a sign-in the provider vouched for: a new session (any earlier one of this browser
/// ends), then on to where the person was going. The answer to the provider's cross-site POST
/// is a page that moves on by itself, so the next request is a same-site navigation that
/// carries the new SameSite=Lax cookie. `id_token` is the OIDC provider's, kept as the hint of
/// its logout.
pub async fn complete(
    st: &AppState,
    idp: &IdentityProvider,
    finished: Finished,
    id_token: Option<String>,
    headers: &HeaderMap,
    meta: &RequestMeta,
) -> PageResult {
    match finished {
        Finished::SignedIn {
            authenticated,
            return_to,
            subject,
            session_index,
        } => {
            let opened = st.signin.open_session(authenticated, meta).await?;
            let record = SsoSession {
                session_id: opened.session_id,
                idp_id: idp.id,
                subject,
                session_index,
                id_token,
                created_at: st.services.now(),
            };
            st.services.sso.record_session(&record).await?;
            if let Ok(Some(earlier)) = signed_in(st, headers).await {
                let _ = st.signin.sign_out(&earlier, meta).await;
            }
            let mut res = continue_to(&return_to);
            let age = st.signin.policy().absolute_secs;
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(st, SESSION_COOKIE, &opened.token, Some(age)),
            );
            Ok(res)
        }
        Finished::Tested { identity, return_to } => {
            let page = TestPage {
                idp: &idp.name,
                identity: &identity,
                back: &return_to,
            };
            render_status(StatusCode::OK, &page)
        }
    }
}

/// The admin starting a test sign-in of `idp`: the signed-in person must administer the
/// provider's organization (anyone else is "not found"); nobody signed in goes to sign in
/// first and comes back to `again`.
pub async fn tester(
    st: &AppState,
    headers: &HeaderMap,
    idp: &IdentityProvider,
    again: &str,
) -> Result<gatehouse_core::ids::AccountId, crate::web::pages::PageError> {
    use crate::web::pages::PageError;
    let Some(person) = signed_in(st, headers).await? else {
        return Err(PageError::SignIn { next: again.to_owned() });
    };
    let meta = RequestMeta::default();
    st.services.admins.authorize(&person, idp.org_id, meta).await?;
    Ok(person.account().id)
}
