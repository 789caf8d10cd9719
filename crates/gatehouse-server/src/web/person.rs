//! The signed-in person on their own pages (`/account`): the extractor that needs a live
//! session (else to sign-in and back), and the form extractor that checks its CSRF token.

use super::csrf::parse_session_form;
use super::pages::PageError;
use super::session::signed_in;
use crate::extract::request_meta;
use crate::limits::MAX_BODY_BYTES;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::authz::SignedIn;
use serde::de::DeserializeOwned;

/// A person with a live session, and where their request came from.
pub struct Person {
    pub me: SignedIn,
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for Person {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = parts.uri.path_and_query().map_or("/account", |p| p.as_str()).to_owned();
        let me = signed_in(state, &parts.headers)
            .await?
            .ok_or(PageError::SignIn { next })?;
        Ok(Person {
            me,
            meta: request_meta(parts, &state.config.trusted_proxies),
        })
    }
}

/// A form a signed-in person posts: the session's CSRF token checked before the form is read.
pub struct PersonForm<T> {
    pub person: Person,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PersonForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let person = Person::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| PageError::Csrf)?;
        let form = parse_session_form(&bytes, person.me.csrf())?;
        Ok(PersonForm { person, form })
    }
}
