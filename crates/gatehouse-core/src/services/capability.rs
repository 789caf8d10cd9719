//! The shape every capability of the [`super::Services`] façade shares: the store and the
//! clock, cheap to clone.

/// Declares a capability: a struct holding the store and the clock, with `Clone` and `new`.
macro_rules! capability {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name<S: Store> {
            store: S,
            clock: std::sync::Arc<dyn crate::ports::Clock>,
        }

        impl<S: Store> Clone for $name<S> {
            fn clone(&self) -> Self {
                Self {
                    store: self.store.clone(),
                    clock: std::sync::Arc::clone(&self.clock),
                }
            }
        }

        impl<S: Store> $name<S> {
            pub(crate) fn new(store: S, clock: std::sync::Arc<dyn crate::ports::Clock>) -> Self {
                Self { store, clock }
            }
        }
    };
}
pub(crate) use capability;

/// Turns the store's generic uniqueness conflict into the service's specific one.
pub(crate) fn name_conflict(
    code: &'static str,
    field: &'static str,
    message: &str,
) -> impl Fn(crate::CoreError) -> crate::CoreError {
    let message = message.to_owned();
    move |e| match e {
        crate::CoreError::Conflict {
            code: "unique_violation",
            ..
        } => crate::CoreError::conflict(code, Some(field), message.clone()),
        other => other,
    }
}
