//! The one error type of the domain. Each variant is a meaning the HTTP edge maps exhaustively.

/// A problem with one input field: which field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The errors as one line for a person: `field: message` joined with `; ` (a bare message
    /// where no field is named).
    pub fn describe_all(fields: &[FieldError]) -> String {
        fields
            .iter()
            .map(|f| {
                if f.field.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.field, f.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What went wrong, in the domain's terms.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The thing does not exist, or exists in another organization (never told apart).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The change collides with existing state (a uniqueness rule, a state that forbids it).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    /// The caller changed something from a stale copy: the version it expected is not the
    /// current one (an `If-Match` that no longer matches, a write that lost a race).
    #[error("{message}")]
    PreconditionFailed { message: String },
    /// Input failed validation; every offending field is listed.
    #[error("invalid input")]
    Validation { fields: Vec<FieldError> },
    /// The caller is known but may not do this.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The caller could not be identified (missing, unknown, expired or revoked credential).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// Too many attempts; retry after the given seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The server is at capacity for this work (its password hashing queue is full); nothing
    /// was done and nothing counts against the caller. Retry after the given seconds.
    #[error("overloaded")]
    Overloaded { retry_after_secs: u64 },
    /// Something failed that the caller cannot fix; details go to the log, never to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl CoreError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Validation {
            fields: vec![FieldError::new(field, message)],
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        CoreError::Internal(e.to_string())
    }

    pub fn conflict(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        CoreError::Conflict {
            code,
            message: message.into(),
            field,
        }
    }
}

/// Collects field errors so a request reports every bad field at once.
#[derive(Default)]
pub struct Validator {
    fields: Vec<FieldError>,
}

impl Validator {
    /// Keeps the parsed value, or records the field's error.
    pub fn check<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(CoreError::Validation { fields }) => {
                self.fields.extend(fields);
                None
            }
            Err(other) => {
                self.fields.push(FieldError::new("", other.to_string()));
                None
            }
        }
    }

    /// Finishes: `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<()> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation { fields: self.fields })
        }
    }
}
