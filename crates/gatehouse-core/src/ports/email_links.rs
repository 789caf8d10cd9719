//! Emailed links: single-use tokens that prove a person reads an address (confirming a
//! sign-up, confirming an email change), and the record that an account's address was proven.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::AccountId;
use std::future::Future;

/// What an emailed link is for. A link of one purpose is never taken for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Creates an account for the address it was mailed to.
    Signup,
    /// Moves an existing account to the address it was mailed to.
    EmailChange,
}

impl LinkPurpose {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Signup => "signup",
            LinkPurpose::EmailChange => "email_change",
        }
    }
}

/// What a usable emailed link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLink {
    pub purpose: LinkPurpose,
    /// The normalized address the link was mailed to.
    pub email: String,
    /// The account whose address changes; `None` for a sign-up.
    pub account: Option<AccountId>,
    pub expires_at: Timestamp,
}

/// Emailed link queries.
pub trait EmailLinkReads {
    /// The link of this digest and purpose, if it is unused and unexpired at `now`. Nothing is
    /// changed (a page shows what the link is for before the person confirms).
    fn find_email_link(
        &mut self,
        digest: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<EmailLink>>> + Send;
}

/// Emailed link changes, only inside a transaction.
pub trait EmailLinkTx {
    /// Stores a link under the digest of its token.
    fn insert_email_link(
        &mut self,
        digest: &str,
        link: &EmailLink,
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes the link if [`EmailLinkReads::find_email_link`] would find it, and returns what
    /// it named; `None` otherwise. One conditional statement, so a link works once even when
    /// followed twice at the same moment.
    fn take_email_link(
        &mut self,
        digest: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<EmailLink>>> + Send;
    /// Removes every link of `purpose` naming the account (a newer request replaces them; a
    /// confirmed change ends them). Answers how many were removed.
    fn delete_email_links_of(
        &mut self,
        account: AccountId,
        purpose: LinkPurpose,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Records that a mailed link proved, at `at`, that the account reads its current address.
    fn mark_email_verified(&mut self, account: AccountId, at: Timestamp) -> impl Future<Output = Result<()>> + Send;
    /// Removes the links expired at `now` (housekeeping). Answers how many.
    fn prune_email_links(&mut self, now: Timestamp) -> impl Future<Output = Result<u64>> + Send;
}
