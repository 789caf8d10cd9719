//! The WebAuthn relying party: the public URL's host is its id, the public URL's origin the
//! only origin it accepts. A public URL whose host is an IP address has no relying party
//! (WebAuthn needs a domain name; tests and the demo use `localhost`), and the pages say so.
//!
//! Ceremonies are webauthn-rs's; this file turns their JSON both ways, keeps their state in
//! the database through the core, and reads what the core stores of a credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::CoreError;
use gatehouse_core::auth::VerifiedKey;
use gatehouse_core::ids::AccountId;
use gatehouse_core::two_step::SecurityKey;
use std::sync::Arc;
use webauthn_rs::prelude::{
    AuthenticationResult, Passkey, PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

/// The relying party of `public_url`, or `None` when its host is not a domain name.
pub fn relying_party(public_url: &str) -> Option<Arc<Webauthn>> {
    let url = Url::parse(public_url).ok()?;
    let host = url.domain()?.to_owned();
    let rp = WebauthnBuilder::new(&host, &url)
        .ok()?
        .rp_name("Gatehouse")
        .build()
        .ok()?;
    Some(Arc::new(rp))
}

/// Why a browser's answer was refused, for the log (the person sees one message).
pub fn refused(what: &str, e: &dyn std::fmt::Display) -> CoreError {
    tracing::info!(what, error = %e, "webauthn answer refused");
    CoreError::Unauthenticated {
        code: "security_key_refused",
        message: "That security key or passkey was not accepted. Try again.".into(),
    }
}

/// A ceremony's options and its state, as JSON (the options for the page, the state for the
/// core to keep).
pub fn started(
    options: &impl serde::Serialize,
    state: &impl serde::Serialize,
) -> Result<(serde_json::Value, String), CoreError> {
    Ok((
        serde_json::to_value(options).map_err(CoreError::internal)?,
        serde_json::to_string(state).map_err(CoreError::internal)?,
    ))
}

/// A ceremony's state back from its JSON.
pub fn state_from<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, CoreError> {
    serde_json::from_str(json).map_err(CoreError::internal)
}

/// The browser's answer to `navigator.credentials.create` (JSON, at most 64 KiB).
pub fn registration(json: &str) -> Result<RegisterPublicKeyCredential, CoreError> {
    if json.len() > 64 * 1024 {
        return Err(refused("registration", &"too large"));
    }
    serde_json::from_str(json).map_err(|e| refused("registration", &e))
}

/// The browser's answer to `navigator.credentials.get` (JSON, at most 64 KiB).
pub fn assertion(json: &str) -> Result<PublicKeyCredential, CoreError> {
    if json.len() > 64 * 1024 {
        return Err(refused("assertion", &"too large"));
    }
    serde_json::from_str(json).map_err(|e| refused("assertion", &e))
}

/// Registration options (JSON for the page) that ask for a discoverable credential where the
/// authenticator can keep one, so the key then signs in with no password too, and still work
/// with one that cannot. webauthn-rs sends "discouraged" and does not check it at finish.
pub fn prefer_discoverable(
    ccr: &webauthn_rs::prelude::CreationChallengeResponse,
) -> Result<serde_json::Value, CoreError> {
    let mut options = serde_json::to_value(ccr).map_err(CoreError::internal)?;
    if let Some(sel) = options["publicKey"]["authenticatorSelection"].as_object_mut() {
        sel.insert("residentKey".into(), "preferred".into());
        sel.insert("requireResidentKey".into(), false.into());
    }
    Ok(options)
}

/// The account's user handle: its id's bytes.
pub fn user_handle(account: AccountId) -> uuid::Uuid {
    account.as_uuid()
}

/// A credential id as the store keeps it.
pub fn credential_id(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The row for a credential just registered (the core dates it).
pub fn new_key(account: AccountId, name: &str, passkey: &Passkey) -> Result<SecurityKey, CoreError> {
    let json = serde_json::to_value(passkey).map_err(CoreError::internal)?;
    let backup_eligible = json["cred"]["backup_eligible"].as_bool().unwrap_or(false);
    Ok(SecurityKey {
        id: uuid::Uuid::now_v7(),
        account_id: account,
        credential_id: credential_id(passkey.cred_id().as_ref()),
        name: name.to_owned(),
        passkey: json.to_string(),
        counter: 0,
        backup_eligible,
        created_at: gatehouse_core::Timestamp::from_millis(0),
        last_used_at: None,
    })
}

/// The stored credential of a key.
pub fn passkey(key: &SecurityKey) -> Result<Passkey, CoreError> {
    serde_json::from_str(&key.passkey).map_err(CoreError::internal)
}

/// What the core needs of a verified assertion: the credential moved on to this use.
pub fn verified(key: &SecurityKey, result: &AuthenticationResult) -> Result<VerifiedKey, CoreError> {
    let mut pk = passkey(key)?;
    pk.update_credential(result);
    Ok(VerifiedKey {
        credential_id: key.credential_id.clone(),
        counter: result.counter(),
        passkey: serde_json::to_string(&pk).map_err(CoreError::internal)?,
    })
}
