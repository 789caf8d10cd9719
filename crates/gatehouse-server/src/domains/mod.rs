//! Domain verification: the real prover and the HTTP/console edges live under this module.

pub mod prover;
