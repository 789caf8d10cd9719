//! Org notices: what needs an admin's attention across the organization, shown as banners on
//! every console page. One store query answers them all, so a page costs the same however
//! many directories or domains the organization has.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::OrgId;
use std::future::Future;

/// Something an admin should act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgNotice {
    /// A verified domain whose proof went missing: it will be unverified if it stays missing.
    DomainProofMissing {
        /// The domain name.
        domain: String,
        /// When the proof was first found missing.
        since: Timestamp,
    },
    /// Deactivations a directory sent that its safety valve holds for an admin's decision.
    ChangesHeld {
        /// The directory's name.
        directory: String,
        /// How many changes are held.
        count: i64,
    },
}

/// The query behind [`crate::services::Orgs::list_notices`] (part of [`crate::ports::Reads`]).
pub trait NoticeReads {
    /// The organization's notices: missing domain proofs by domain name, then held changes by
    /// directory (oldest directory first).
    fn list_org_notices(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<OrgNotice>>> + Send;
}
