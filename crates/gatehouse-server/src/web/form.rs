//! Reading the forms of the sign-in pages: a form that does not parse is answered with a page
//! saying what was wrong (400), not with the framework's plain-text rejection.

use super::csrf::unreadable;
use super::pages::PageError;
use axum::Form;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A urlencoded form of a page that has no session yet (sign-in, reset).
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(form)) => Ok(PageForm(form)),
            Err(e) => {
                let text = e.body_text();
                let why = text.strip_prefix("Failed to deserialize form body: ").unwrap_or(&text);
                Err(unreadable(&why))
            }
        }
    }
}
