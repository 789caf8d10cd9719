//! HTTP tests: a real server on loopback, every test on SQLite and on PostgreSQL.

mod account_page;
mod admin_invitations;
mod audit;
mod auth;
mod console;
mod domains;
mod flows;
mod input;
mod limits;
mod management;
mod ops;
mod password_facts;
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
mod sessions;
mod ssrf;
