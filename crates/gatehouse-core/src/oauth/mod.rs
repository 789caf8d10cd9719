//! Gatehouse as the OpenID Connect provider of products: their registered clients, the
//! product sessions a sign-in leaves behind, and the provider's signing keys. The protocol
//! itself (tokens, PKCE, discovery) is `gatehouse-oidc`'s; this is the domain under it.

mod client;
mod grant;

pub use client::{
    Client, ClientInput, ClientSecret, ClientSpec, GrantType, MAX_OVERLAP_SECS, MAX_URI_LEN, MAX_URIS, check_overlap,
    check_redirect_uri,
};
pub use grant::{CodeGrant, EndedGrant, Grant, LogoutNotice, ProductSession, StoredSigningKey, Subject, Taken};
