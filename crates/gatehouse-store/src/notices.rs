//! Org notices for the console's banners, in one statement whatever the number of domains
//! and directories.

use crate::sql::Sql;
use crate::{Db, rows};
use gatehouse_core::ids::OrgId;
use gatehouse_core::notices::{NoticeReads, OrgNotice};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

/// Missing domain proofs (kind 0, by domain name) and held directory changes (kind 1, by
/// directory id, so oldest first), as one UNION ALL; every column is cast so both engines
/// agree on its type.
const ORG_NOTICES: [&str; 3] = [
    "SELECT * FROM (\
     SELECT CAST(0 AS BIGINT) AS kind, name AS sort_key, name, failing_since AS since, CAST(0 AS BIGINT) AS held \
     FROM domains WHERE org_id = ",
    " AND failing_since IS NOT NULL \
     UNION ALL \
     SELECT CAST(1 AS BIGINT) AS kind, d.id AS sort_key, d.name, CAST(NULL AS BIGINT) AS since, \
     CAST(COUNT(*) AS BIGINT) AS held \
     FROM directories d JOIN scim_held_operations h ON h.directory_id = d.id WHERE d.org_id = ",
    " GROUP BY d.id, d.name) n ORDER BY kind, sort_key",
];

fn notice(r: &AnyRow) -> Result<OrgNotice> {
    let name = rows::s(r, "name")?;
    match rows::i(r, "kind")? {
        0 => {
            let since = rows::i(r, "since")?;
            Ok(OrgNotice::DomainProofMissing {
                domain: name,
                since: Timestamp::from_millis(since),
            })
        }
        1 => Ok(OrgNotice::ChangesHeld {
            directory: name,
            count: rows::i(r, "held")?,
        }),
        other => Err(CoreError::Internal(format!("unknown notice kind {other}"))),
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> NoticeReads for Db<C> {
    async fn list_org_notices(&mut self, org: OrgId) -> Result<Vec<OrgNotice>> {
        let mut q = Sql::new(ORG_NOTICES[0]);
        let n = q.bind_only(org.to_string());
        q.push_ref(n).push(ORG_NOTICES[1]).push_ref(n).push(ORG_NOTICES[2]);
        q.fetch_all(self.c()).await?.iter().map(notice).collect()
    }
}
