//! The secret key file (`--secret-key-file`, by default `secret.key` in the data directory):
//! the keys that seal secrets stored in the database (see `gatehouse_core::sealing`).
//!
//! - Made at the first start when absent: a fresh random key with a fresh key id, written to a
//!   private temporary file and linked into place, so it is never overwritten and never seen
//!   half written.
//! - Refused when group or others may read it, or when it is not a key file.
//! - Checked against the database's canary at every start: a file that does not belong to the
//!   database stops the server instead of sealing new secrets the old ones cannot join.
//! - Rotated by `gatehouse secret-key rotate`: a new current key in front, the old ones kept for
//!   opening, the file replaced atomically.

use anyhow::{Context, bail};
use gatehouse_core::sealing::KeyRing;
use gatehouse_core::sealing::canary::check_canary;
use gatehouse_core::{CoreError, Timestamp};
use gatehouse_store::SqlStore;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The key ring of `path`, made there first if there is no file, checked against the
/// database. What it did is logged with key ids only.
pub async fn open_key_ring(path: &Path, store: &SqlStore, now: Timestamp) -> anyhow::Result<KeyRing> {
    let (ring, made) = load_or_create(path)?;
    if made {
        tracing::warn!(
            path = %path.display(),
            key_id = %ring.current(),
            "made a new secret key file; back it up apart from the database, and give every node the same file"
        );
    }
    check_canary(store, &ring, now).await.map_err(|e| match e {
        CoreError::Conflict { message, .. } => {
            let hint = if made {
                "it was made just now because none was there: start with the key file the database was first \
                 started with (on another node, or in your key backup)"
            } else {
                "start with the key file the database was first started with"
            };
            anyhow::anyhow!("{}: {message}; {hint} (see README, Keys and backups)", path.display())
        }
        other => anyhow::anyhow!("checking the secret key file {}: {other}", path.display()),
    })?;
    tracing::info!(path = %path.display(), key_id = %ring.current(), keys = ring.ids().len(), "secret key file opened");
    Ok(ring)
}

/// The ring in the file, or a new one written there if there is no file (`true`: made now).
pub fn load_or_create(path: &Path) -> anyhow::Result<(KeyRing, bool)> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => return Ok((read(path)?, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading secret key file {}", path.display())),
    }
    let ring = KeyRing::generate()?;
    match place(path, &ring, false) {
        Ok(()) => Ok((ring, true)),
        // Another process made it between our look and our link: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((read(path)?, false)),
        Err(e) => Err(e).with_context(|| format!("making secret key file {}", path.display())),
    }
}

/// Reads a key file, refusing one that group or others may read.
pub fn read(path: &Path) -> anyhow::Result<KeyRing> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading secret key file {}", path.display()))?;
    if !meta.is_file() {
        bail!("secret key file {} is not a file", path.display());
    }
    check_private(path, &meta)?;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading secret key file {}", path.display()))?,
    );
    KeyRing::from_key_file(&text).with_context(|| format!("secret key file {} is not a key file", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "secret key file {} may be read by others (mode {mode:o}); make it private with `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}

/// Adds a new current key to the file's ring and replaces the file with it (atomically: the
/// file is either the old ring or the new one). Answers the new ring.
pub fn rotate(path: &Path) -> anyhow::Result<KeyRing> {
    let ring = read(path)?.rotated()?;
    place(path, &ring, true).with_context(|| format!("replacing secret key file {}", path.display()))?;
    Ok(ring)
}

/// Writes `ring` to a private temporary file beside `path`, synced, then links it into place
/// (`replace`: renames over the old file; otherwise fails with `AlreadyExists` if there is one).
fn place(path: &Path, ring: &KeyRing, replace: bool) -> std::io::Result<()> {
    let tmp = temporary_beside(path)?;
    let result = write_private(&tmp, ring).and_then(|()| {
        if replace {
            std::fs::rename(&tmp, path)
        } else {
            std::fs::hard_link(&tmp, path)
        }
    });
    let _ = std::fs::remove_file(&tmp);
    result?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The new name is durable too, not only the file's bytes.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn temporary_beside(path: &Path) -> std::io::Result<PathBuf> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(std::io::Error::other)?;
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the secret key file path has no file name"))?;
    let mut tmp = name.to_os_string();
    tmp.push(format!(".tmp-{:016x}", u64::from_le_bytes(suffix)));
    Ok(path.with_file_name(tmp))
}

/// Creates `path` exclusively (never an existing file), mode 0600 from the start, and writes
/// the ring's file text, synced.
fn write_private(path: &Path, ring: &KeyRing) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(ring.to_key_file().as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_made_private_once_and_read_back_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let (made, was_made) = load_or_create(&path).unwrap();
        assert!(was_made);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let before = std::fs::read(&path).unwrap();
        let (again, was_made) = load_or_create(&path).unwrap();
        assert!(!was_made);
        assert_eq!(again.ids(), made.ids());
        assert_eq!(std::fs::read(&path).unwrap(), before, "never rewritten");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn rotation_keeps_the_old_keys_behind_a_new_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let (ring, _) = load_or_create(&path).unwrap();
        let sealed = ring.seal("t.c:1", b"kept").unwrap();
        let rotated = rotate(&path).unwrap();
        let reread = read(&path).unwrap();
        assert_eq!(reread.ids(), rotated.ids());
        assert_eq!(reread.ids()[1], ring.current().as_str());
        assert_eq!(reread.open("t.c:1", &sealed).unwrap().as_slice(), b"kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_read_or_that_is_not_a_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::write(&path, "not a key\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(err.contains("is not a key file") && err.contains("line 1"), "{err}");
        assert!(rotate(&path).is_err(), "a bad file is not rotated");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key\n");
    }
}
