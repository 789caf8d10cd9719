//! Directories: connect an identity provider, give it a SCIM token, rotate and revoke tokens.

use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{Actor, ActorKind, AuditEvent};
use crate::authz::OrgAdmin;
use crate::directory::{Directory, DirectoryToken};
use crate::error::{CoreError, Result};
use crate::ids::DirectoryId;
use crate::ports::{DirectoryTokenMatch, prelude::*};
use crate::secret;
use crate::types::Name;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "directory" };

/// SCIM bearer tokens look like `ghd_...`.
pub const DIRECTORY_TOKEN_KIND: &str = "ghd";

/// Deactivations per hour a directory may make before the safety valve holds the rest.
pub const DEFAULT_DEACTIVATION_LIMIT: i64 = 50;

/// How long a rotated-out token keeps working, so the identity provider can be updated.
pub const DEFAULT_OVERLAP_SECS: i64 = 24 * 3600;
/// The longest overlap a rotation may give the tokens in use (30 days).
pub const MAX_OVERLAP_SECS: i64 = 30 * 86_400;

/// A token just made: shown once.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: DirectoryToken,
    pub secret: String,
}

/// Proof that a request comes from a directory, with its valid token. Only
/// [`Services::authenticate_directory`] makes one.
#[derive(Debug, Clone)]
pub struct DirectoryCaller {
    directory: Directory,
}

impl DirectoryCaller {
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The directory's capability for an admin releasing its held changes: they apply as the
    /// directory's own, as if it had just sent them.
    pub(super) fn releasing(directory: Directory) -> Self {
        Self { directory }
    }

    /// The audit actor: the directory itself.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Directory,
            id: Some(self.directory.id.to_string()),
            label: self.directory.name.clone(),
        }
    }
}

fn event(admin: &OrgAdmin, action: AuditAction, d: &Directory, now: Timestamp) -> AuditEvent {
    admin
        .acting()
        .event(action, now)
        .target("directory", d.id, Some(&d.name))
}

/// Directories (SCIM connections): their tokens, settings and held changes, and the check of
/// a presented SCIM token.
pub struct Directories<S: Store> {
    store: S,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
    /// Directory tokens found recently (SCIM authentication), shared by every clone.
    verified_tokens: std::sync::Arc<VerifiedTokens>,
}

impl<S: Store> Clone for Directories<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: std::sync::Arc::clone(&self.clock),
            verified_tokens: std::sync::Arc::clone(&self.verified_tokens),
        }
    }
}

impl<S: Store> Directories<S> {
    /// Keeps verified tokens for `keep` (zero: reads every token from the database).
    pub(crate) fn new(store: S, clock: std::sync::Arc<dyn crate::ports::Clock>, keep: std::time::Duration) -> Self {
        Self {
            store,
            clock,
            verified_tokens: std::sync::Arc::new(VerifiedTokens::new(keep)),
        }
    }

    /// Forgets every verified directory token: a directory or token changed, on this node or
    /// (as announced through the database) on another.
    pub fn forget_verified_tokens(&self) {
        self.verified_tokens.clear();
    }

    /// Whether this node hears of directory changes made on other nodes. Where it cannot (a
    /// cluster's notification channel is down), verified tokens are not kept at all, so a
    /// revocation elsewhere takes effect at once whatever happens to the channel.
    pub fn set_token_cache_live(&self, live: bool) {
        self.verified_tokens.set_live(live);
    }

    /// Whether verified directory tokens may be kept now (see `set_token_cache_live`).
    pub fn token_cache_is_live(&self) -> bool {
        self.verified_tokens.is_live()
    }

    /// Connects a directory and issues its first token.
    pub async fn create(&self, admin: &OrgAdmin, name: &str) -> Result<(Directory, IssuedToken)> {
        let name = Name::parse(name, "name", 100)?;
        let now = self.clock.now();
        let d = Directory {
            id: DirectoryId::new(),
            org_id: admin.org(),
            name: name.to_string(),
            created_at: now,
            deactivation_limit_per_hour: DEFAULT_DEACTIVATION_LIMIT,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_directory(&d).await?;
        tx.insert_event(&event(admin, AuditAction::DirectoryCreated, &d, now).after(&d))
            .await?;
        let issued = issue(&mut tx, admin, &d, now).await?;
        tx.commit().await?;
        Ok((d, issued))
    }

    pub async fn list(&self, admin: &OrgAdmin) -> Result<Vec<Directory>> {
        self.store.reader().await?.list_directories(admin.org()).await
    }

    pub async fn get(&self, admin: &OrgAdmin, id: DirectoryId) -> Result<(Directory, Vec<DirectoryToken>)> {
        let mut r = self.store.reader().await?;
        let d = r.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let tokens = r.list_directory_tokens(id).await?;
        Ok((d, tokens))
    }

    /// Issues a new token; the tokens in use keep working for `overlap_secs` more.
    pub async fn rotate_token(&self, admin: &OrgAdmin, id: DirectoryId, overlap_secs: i64) -> Result<IssuedToken> {
        if !(0..=MAX_OVERLAP_SECS).contains(&overlap_secs) {
            return Err(CoreError::validation(
                "overlap_seconds",
                format!("must be between 0 and {MAX_OVERLAP_SECS} (30 days)"),
            ));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        for t in tx.list_directory_tokens(id).await? {
            if t.is_usable_at(now) {
                let end = now.plus_secs(overlap_secs);
                let shortened = DirectoryToken {
                    expires_at: Some(t.expires_at.map_or(end, |e| e.min(end))),
                    ..t
                };
                tx.update_directory_token(&shortened).await?;
            }
        }
        let issued = issue(&mut tx, admin, &d, now).await?;
        self.commit_directory_change(tx).await?;
        Ok(issued)
    }

    pub async fn revoke_token(&self, admin: &OrgAdmin, id: DirectoryId, token_id: &str) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let t = tx
            .list_directory_tokens(id)
            .await?
            .into_iter()
            .find(|t| t.id == token_id)
            .ok_or(CoreError::NotFound {
                entity: "directory token",
            })?;
        if t.revoked_at.is_none() {
            tx.update_directory_token(&DirectoryToken {
                revoked_at: Some(now),
                ..t.clone()
            })
            .await?;
            tx.insert_event(&event(admin, AuditAction::DirectoryTokenRevoked, &d, now).target(
                "directory_token",
                &t.id,
                Some(&t.prefix),
            ))
            .await?;
        }
        self.commit_directory_change(tx).await
    }

    /// Removes the directory. Its accounts stay (managed by the organization); its tokens end.
    pub async fn delete(&self, admin: &OrgAdmin, id: DirectoryId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        tx.delete_directory(admin.org(), id).await?;
        tx.insert_event(&event(admin, AuditAction::DirectoryRemoved, &d, now).before(&d))
            .await?;
        self.commit_directory_change(tx).await
    }

    /// Sets how many deactivations per hour the directory may make before changes are held.
    pub async fn update(&self, admin: &OrgAdmin, id: DirectoryId, limit: i64) -> Result<Directory> {
        if !(1..=100_000).contains(&limit) {
            return Err(CoreError::validation(
                "deactivation_limit_per_hour",
                "must be between 1 and 100000",
            ));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let after = Directory {
            deactivation_limit_per_hour: limit,
            ..before.clone()
        };
        tx.update_directory(&after).await?;
        tx.insert_event(
            &event(admin, AuditAction::DirectoryUpdated, &after, now)
                .before(&before)
                .after(&after),
        )
        .await?;
        self.commit_directory_change(tx).await?;
        Ok(after)
    }

    pub async fn list_held(&self, admin: &OrgAdmin, id: DirectoryId) -> Result<Vec<crate::directory::HeldOperation>> {
        let mut r = self.store.reader().await?;
        r.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        r.list_held_operations(id).await
    }

    /// Drops the held changes without applying them.
    pub async fn discard_held(&self, admin: &OrgAdmin, id: DirectoryId) -> Result<u64> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let n = tx.delete_held_operations(id).await?;
        tx.insert_event(
            &event(admin, AuditAction::DirectoryHeldDiscarded, &d, now).after(&serde_json::json!({ "discarded": n })),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Commits a change to a directory or its tokens, announced to the other nodes, and
    /// forgets the tokens this node verified.
    async fn commit_directory_change(&self, mut tx: S::Tx) -> Result<()> {
        tx.announce_directory_change().await?;
        tx.commit().await?;
        self.verified_tokens.clear();
        Ok(())
    }

    /// Checks a SCIM bearer token against the directory in the path. Unknown, revoked and
    /// expired tokens, and tokens of another directory, all fail the same way.
    pub async fn authenticate(&self, presented: &str, directory: DirectoryId) -> Result<DirectoryCaller> {
        let invalid = || CoreError::Unauthenticated {
            code: "invalid_token",
            message: "The bearer token is not valid for this directory.".into(),
        };
        if !presented.starts_with("ghd_") || presented.len() > 100 {
            return Err(invalid());
        }
        let digest = secret::digest(presented);
        let (d, t) = if let Some(found) = self.verified_tokens.get(&digest) {
            found
        } else {
            let generation = self.verified_tokens.generation();
            let found = self.store.reader().await?.find_directory_token(&digest).await?;
            let DirectoryTokenMatch { directory: d, token: t } = found.ok_or_else(invalid)?;
            self.verified_tokens.put(generation, digest, &d, &t);
            (d, t)
        };
        if d.id != directory || !t.is_usable_at(self.clock.now()) {
            return Err(invalid());
        }
        Ok(DirectoryCaller { directory: d })
    }
}

/// Directory tokens found recently, so an identity provider's requests do not each read
/// their token from the database. Only tokens that exist are kept, each with its directory,
/// for a short time; expiry is checked at every use. Any change to a directory or its tokens
/// empties it: at once on the node that made it, and on the others when they hear its
/// announcement (`Writes::announce_directory_change`). A node that cannot hear them keeps
/// nothing (`set_live(false)`).
pub struct VerifiedTokens {
    keep: std::time::Duration,
    /// Whether changes made on other nodes reach this one (see `Services::set_token_cache_live`);
    /// while not, nothing is kept.
    live: std::sync::atomic::AtomicBool,
    inner: std::sync::Mutex<TokenEntries>,
}

#[derive(Default)]
struct TokenEntries {
    /// Bumped by every change: a lookup that began before one is not kept.
    generation: u64,
    by_digest: std::collections::HashMap<String, (Directory, DirectoryToken, std::time::Instant)>,
}

/// Entries at most; a full cache starts over (only valid tokens get in, so this is many
/// directories, not an attack).
const VERIFIED_TOKENS_MAX: usize = 4096;

impl VerifiedTokens {
    /// Keeps entries for `keep`; zero keeps none.
    pub fn new(keep: std::time::Duration) -> Self {
        Self {
            keep,
            live: std::sync::atomic::AtomicBool::new(true),
            inner: std::sync::Mutex::default(),
        }
    }

    pub(crate) fn is_live(&self) -> bool {
        self.live.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sets whether entries may be kept; either way, what is kept now is forgotten.
    pub(crate) fn set_live(&self, live: bool) {
        self.live.store(live, std::sync::atomic::Ordering::SeqCst);
        self.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenEntries> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, digest: &str) -> Option<(Directory, DirectoryToken)> {
        let e = self.lock();
        let (d, t, at) = e.by_digest.get(digest)?;
        (at.elapsed() < self.keep).then(|| (d.clone(), t.clone()))
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn put(&self, generation: u64, digest: String, d: &Directory, t: &DirectoryToken) {
        if self.keep.is_zero() || !self.live.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut e = self.lock();
        if e.generation != generation {
            return;
        }
        if e.by_digest.len() >= VERIFIED_TOKENS_MAX {
            e.by_digest.clear();
        }
        e.by_digest
            .insert(digest, (d.clone(), t.clone(), std::time::Instant::now()));
    }

    /// Forgets every entry (a directory or token changed).
    pub(crate) fn clear(&self) {
        let mut e = self.lock();
        e.generation += 1;
        e.by_digest.clear();
    }
}

async fn issue<T: Writes>(tx: &mut T, admin: &OrgAdmin, d: &Directory, now: Timestamp) -> Result<IssuedToken> {
    let minted = secret::mint(DIRECTORY_TOKEN_KIND)?;
    let token = DirectoryToken {
        id: crate::ids::EventId::new().to_string(),
        directory_id: d.id,
        prefix: minted.prefix.clone(),
        created_at: now,
        expires_at: None,
        revoked_at: None,
    };
    tx.insert_directory_token(&token, &minted.digest).await?;
    tx.insert_event(&event(admin, AuditAction::DirectoryTokenCreated, d, now).target(
        "directory_token",
        &token.id,
        Some(&token.prefix),
    ))
    .await?;
    Ok(IssuedToken {
        token,
        secret: minted.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn found() -> (Directory, DirectoryToken) {
        let d = Directory {
            id: DirectoryId::new(),
            org_id: crate::ids::OrgId::new(),
            name: "Okta".into(),
            created_at: Timestamp::from_millis(0),
            deactivation_limit_per_hour: DEFAULT_DEACTIVATION_LIMIT,
        };
        let t = DirectoryToken {
            id: "t1".into(),
            directory_id: d.id,
            prefix: "ghd_abc".into(),
            created_at: Timestamp::from_millis(0),
            expires_at: None,
            revoked_at: None,
        };
        (d, t)
    }

    #[test]
    fn a_found_token_is_kept_until_a_change_empties_the_cache() {
        let cache = VerifiedTokens::new(Duration::from_hours(1));
        let (d, t) = found();
        cache.put(cache.generation(), "digest".into(), &d, &t);
        assert_eq!(cache.get("digest").map(|(d, _)| d.id), Some(d.id));
        assert!(cache.get("other").is_none());
        cache.clear();
        assert!(cache.get("digest").is_none(), "a change forgets every token");
    }

    #[test]
    fn a_lookup_that_began_before_a_change_is_not_kept() {
        let cache = VerifiedTokens::new(Duration::from_hours(1));
        let (d, t) = found();
        // The database answered before the revocation committed; the answer is stale.
        let before = cache.generation();
        cache.clear();
        cache.put(before, "digest".into(), &d, &t);
        assert!(cache.get("digest").is_none());
    }

    #[test]
    fn nothing_is_kept_while_changes_elsewhere_cannot_be_heard() {
        let cache = VerifiedTokens::new(Duration::from_hours(1));
        let (d, t) = found();
        cache.put(cache.generation(), "digest".into(), &d, &t);
        cache.set_live(false);
        assert!(cache.get("digest").is_none(), "going deaf forgets what was kept");
        cache.put(cache.generation(), "digest".into(), &d, &t);
        assert!(cache.get("digest").is_none());
        cache.set_live(true);
        cache.put(cache.generation(), "digest".into(), &d, &t);
        assert!(cache.get("digest").is_some());
    }

    #[test]
    fn zero_keeps_nothing() {
        let cache = VerifiedTokens::new(Duration::ZERO);
        let (d, t) = found();
        cache.put(cache.generation(), "digest".into(), &d, &t);
        assert!(cache.get("digest").is_none());
    }
}
