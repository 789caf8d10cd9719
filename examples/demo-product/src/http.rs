//! The HTTP client the demo talks to the provider with: the workspace's reqwest, adapted to
//! openidconnect's [`AsyncHttpClient`] trait (openidconnect's own adapter targets an older
//! reqwest).
//!
//! It never follows redirects (the provider's endpoints answer directly; a redirect from a
//! token endpoint could forward a client secret elsewhere), every call has a timeout, and an
//! answer's body is read up to [`MAX_BODY`] bytes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// The largest answer body read from the provider (discovery, JWKS, tokens, userinfo).
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a call to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting, sending or reading failed, or the timeout passed.
    #[error("request to the provider failed")]
    Transport(#[from] reqwest::Error),
    /// The answer's body was larger than [`MAX_BODY`].
    #[error("the provider's answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// The answer could not be turned back into an HTTP response value.
    #[error("malformed request or answer")]
    Malformed(#[from] openidconnect::http::Error),
}

/// A reqwest client with the demo's settings, usable by openidconnect.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// A client whose every request ends within `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, HttpError> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("demo-product/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { inner })
    }

    /// Sends one request and reads its whole (bounded) answer.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.inner.execute(request).await?;
        let mut builder = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(builder.body(body)?)
    }

    /// A GET whose JSON answer is returned as bytes when the status is 200.
    pub async fn get_bytes(&self, url: &str) -> Result<(u16, Vec<u8>), HttpError> {
        let request = openidconnect::http::Request::builder()
            .method("GET")
            .uri(url)
            .header("accept", "application/json")
            .body(Vec::new())?;
        let response = self.send(request).await?;
        Ok((response.status().as_u16(), response.into_body()))
    }
}

impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
