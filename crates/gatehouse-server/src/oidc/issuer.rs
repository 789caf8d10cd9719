//! The provider's issuer identifier.

use crate::state::AppState;

/// The issuer: the public URL exactly as configured, without a trailing slash.
pub fn issuer(st: &AppState) -> &str {
    st.config.public_url.trim_end_matches('/')
}
