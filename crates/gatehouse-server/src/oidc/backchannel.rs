//! Back-channel logout (OIDC Back-Channel Logout 1.0): when a product session ends (sign-out,
//! revocation, deactivation), a notice was queued in the same transaction; this worker signs a
//! logout token for it and POSTs it to the client's `backchannel_logout_uri` through the
//! guarded outbound client (the URI is the client's to choose, so it is an SSRF surface).
//! A failed delivery is tried again with growing waits, five times at most.

use super::logouts::Logouts;
use crate::state::AppState;
use gatehouse_core::oauth::LogoutNotice;
use gatehouse_core::services::provider::unix_secs;
use gatehouse_oidc::{LogoutEvents, LogoutTokenClaims, TYP_LOGOUT_TOKEN};
use std::time::Duration;

/// Deliveries tried per notice before it is given up (and logged).
const MAX_ATTEMPTS: i64 = 5;
/// Notices taken per round.
const BATCH: i64 = 50;
/// How often the outbox is looked at without a bell (other nodes' notices, retries).
const POLL: Duration = Duration::from_secs(5);
/// A logout token's life: it is delivered at once or not at all.
const TOKEN_TTL_SECS: i64 = 120;

/// Delivers queued notices until the process ends.
pub async fn run(st: AppState) {
    let me = st.logouts.clone();
    loop {
        let _ = tokio::time::timeout(POLL, me.rung()).await;
        loop {
            match st.services.provider.due_logout_notices(BATCH).await {
                Ok(due) if !due.is_empty() => {
                    for notice in due {
                        deliver(&me, &st, notice).await;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the back-channel logout outbox failed");
                    break;
                }
            }
        }
    }
}

async fn deliver(me: &Logouts, st: &AppState, notice: LogoutNotice) {
    let outcome = match token(st, &notice) {
        Ok(token) => me
            .http()
            .post_form(&notice.uri, &[("logout_token", &token)])
            .await
            .map_err(crate::outbound::OutboundError::reason),
        Err(e) => {
            tracing::error!(error = %e, "signing a logout token failed");
            Err("signing failed")
        }
    };
    let done = match outcome {
        Ok(()) => {
            tracing::debug!(client = %notice.client_id, "back-channel logout delivered");
            st.services.provider.finish_logout_notice(notice.id).await
        }
        Err(reason) if notice.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(client = %notice.client_id, reason, "back-channel logout given up");
            st.services.provider.finish_logout_notice(notice.id).await
        }
        Err(reason) => {
            tracing::info!(client = %notice.client_id, reason, attempt = notice.attempts + 1, "back-channel logout failed; trying again");
            let wait = 10 * (1_i64 << notice.attempts.clamp(0, 10));
            st.services.provider.retry_logout_notice(notice.id, wait).await
        }
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, "recording a back-channel logout failed");
    }
}

fn token(st: &AppState, notice: &LogoutNotice) -> anyhow::Result<String> {
    let now = unix_secs(st.services.now());
    let claims = LogoutTokenClaims {
        iss: super::issuer::issuer(st).to_owned(),
        aud: notice.client_id.to_string(),
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        jti: uuid::Uuid::now_v7().to_string(),
        sub: notice.account_id.to_string(),
        sid: Some(notice.grant_id.to_string()),
        events: LogoutEvents::default(),
    };
    Ok(st.oidc.keys.get().sign(TYP_LOGOUT_TOKEN, &claims)?)
}
