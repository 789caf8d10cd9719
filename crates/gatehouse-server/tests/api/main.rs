//! HTTP tests: a real server on loopback, every test on SQLite and on PostgreSQL.

mod audit;
mod auth;
mod console;
mod domains;
mod email_change;
mod flows;
mod input;
mod limits;
mod management;
mod ops;
mod outbox;
mod races;
mod scim;
mod scim_batch;
mod scim_billing;
mod scim_compliance;
mod scim_filters;
mod scim_groups;
mod scim_held;
mod scim_interop;
mod scim_search;
mod scim_sequences;
mod signup;
mod ssrf;
