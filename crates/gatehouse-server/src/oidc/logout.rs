//! `GET|POST /oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0): a product signs its
//! person out of Gatehouse too. With an `id_token_hint` for the person signed in, that happens
//! at once; otherwise the person confirms with a form (a link alone must not sign anyone out).
//! Signing out ends the product sessions the Gatehouse session started, and their products
//! hear of it through back-channel logout. The redirect afterwards goes only to a
//! post-logout URI the client registered, byte for byte.

use crate::extract::ClientMeta;
use crate::state::AppState;
use crate::web::cookies::{SESSION_COOKIE, set_cookie};
use crate::web::pages::{PageError, render_status};
use crate::web::session::signed_in;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gatehouse_core::authz::SignedIn;
use gatehouse_core::secret::constant_time_eq;
use gatehouse_core::services::provider::unix_secs;
use gatehouse_oidc::{ErrorCode, Expect, IdTokenClaims, LogoutRequest, OAuthError};

#[derive(Template)]
#[template(path = "oauth_logout.html")]
struct ConfirmPage<'a> {
    client: &'a str,
    email: &'a str,
    csrf: &'a str,
    fields: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    description: &'a str,
}

fn error_page(e: &OAuthError) -> Response {
    let page = ErrorPage {
        code: e.code.as_str(),
        description: &e.description,
    };
    render_status(StatusCode::BAD_REQUEST, &page).unwrap_or_else(IntoResponse::into_response)
}

pub async fn logout(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    method: Method,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let raw = if method == Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        q.unwrap_or_default()
    };
    let Ok(mut pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&raw) else {
        return error_page(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The request is not a valid form.",
        ));
    };
    // The confirmation form's own field, checked below; the rest is the RP's request.
    let csrf = take(&mut pairs, "csrf");
    let req = match LogoutRequest::from_pairs(&pairs) {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let Checked { hint, client, target } = match check(&st, &req).await {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let who = match signed_in(&st, &headers).await {
        Ok(w) => w,
        Err(e) => return PageError::from(e).into_response(),
    };
    if let Some(person) = &who {
        let named = hint.as_ref().is_some_and(|h| h.sub == person.account().id.to_string());
        let confirmed = method == Method::POST && csrf.as_deref().is_some_and(|c| constant_time_eq(c, person.csrf()));
        if !named && !confirmed {
            let name = client.as_ref().map_or("A product", |c| c.name.as_str());
            return confirm(name, person, &pairs);
        }
        if let Err(e) = st.signin.sign_out(person, &meta).await {
            return PageError::from(e).into_response();
        }
        st.logouts.wake();
    }
    let to = target.clone().unwrap_or_else(|| "/login?signed_out=1".to_owned());
    if method == Method::POST && target.is_some() {
        // Our own confirmation form goes on to the product's site: see `continue_to`.
        let mut res = crate::web::pages::continue_to(&to);
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, "", Some(0)));
        return res;
    }
    let Ok(location) = HeaderValue::from_str(&to) else {
        return error_page(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The redirect address is not valid.",
        ));
    };
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, "", Some(0)));
    res
}

/// What the request names, checked: the hint (a token this provider issued), the client (the
/// hint's audience, or `client_id`, never two different ones), and where to go afterwards.
struct Checked {
    hint: Option<IdTokenClaims>,
    client: Option<gatehouse_core::oauth::Client>,
    target: Option<String>,
}

async fn check(st: &AppState, req: &LogoutRequest) -> Result<Checked, OAuthError> {
    let hint = req.id_token_hint.as_deref().and_then(|t| {
        let expect = Expect::id_token_hint(super::issuer::issuer(st), unix_secs(st.services.now()));
        st.oidc.keys.get().verify::<IdTokenClaims>(t, &expect).ok()
    });
    if req.id_token_hint.is_some() && hint.is_none() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The id_token_hint is not a token this provider issued.",
        ));
    }
    let client_id = match (hint.as_ref().map(|h| h.aud.as_str()), req.client_id.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "client_id does not match the id_token_hint.",
            ));
        }
        (Some(a), _) | (None, Some(a)) => Some(a.to_owned()),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => match st.services.provider.client(id).await {
            Ok(c) => Some(c),
            Err(_) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "No product is registered with this client_id.",
                ));
            }
        },
        None => None,
    };
    let target = match req.redirect_target(client.as_ref().map_or(&[][..], |c| &c.post_logout_redirect_uris)) {
        Ok(t) => t,
        Err(e) => return Err(e),
    };
    Ok(Checked { hint, client, target })
}

fn take(pairs: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let i = pairs.iter().position(|(k, _)| k == name)?;
    Some(pairs.remove(i).1)
}

fn confirm(client: &str, person: &SignedIn, pairs: &[(String, String)]) -> Response {
    let fields = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"]
        .into_iter()
        .filter_map(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| (k, v.clone())))
        .collect();
    let page = ConfirmPage {
        client,
        email: &person.account().email,
        csrf: person.csrf(),
        fields,
    };
    render_status(StatusCode::OK, &page).unwrap_or_else(IntoResponse::into_response)
}
