//! Driver errors in the core's terms.

use gatehouse_core::CoreError;

/// Maps a driver error into the core's meanings: a uniqueness violation is a conflict the
/// service names; everything else is internal (and logged by the edge, never shown).
#[allow(clippy::needless_pass_by_value)] // shaped for `.map_err(db_err)`
pub(crate) fn db_err(e: sqlx::Error) -> CoreError {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        return CoreError::Conflict {
            code: "unique_violation",
            message: "a uniqueness rule was violated".into(),
            field: None,
        };
    }
    CoreError::Internal(format!("database: {e}"))
}
