//! The few places SQLite and PostgreSQL differ: URLs, per-connection settings, row locking.

use gatehouse_core::ids::OrgId;
use gatehouse_core::{CoreError, Result};
use sqlx::AnyConnection;

/// How hard SQLite pushes a commit to disk before it is acknowledged (`PRAGMA synchronous`).
///
/// In WAL mode both levels keep the database consistent across a crash. `Full` (the default)
/// syncs the WAL at every commit, so a commit that was acknowledged survives a power loss.
/// `Normal` syncs only at checkpoints: faster writes, but the last commits before a power loss
/// (not a process crash) can be lost. PostgreSQL ignores this; its durability is its own
/// `synchronous_commit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSynchronous {
    #[default]
    Full,
    Normal,
}

impl SqliteSynchronous {
    /// `full` or `normal`, as the configuration spells them.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            _ => Err(CoreError::validation("sqlite_synchronous", "must be full or normal")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Normal => "normal",
        }
    }

    /// The value `PRAGMA synchronous` reads back (SQLite's numbering: NORMAL 1, FULL 2).
    pub fn pragma_value(self) -> i64 {
        match self {
            Self::Full => 2,
            Self::Normal => 1,
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Self::Full => "PRAGMA synchronous = FULL",
            Self::Normal => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// `text` as an FTS5 string (a phrase of its trigrams; one trigram is one token).
pub(crate) fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Which engine a store speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(CoreError::validation(
                "database_url",
                "must start with sqlite: or postgres://",
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// SQLite files are created when missing.
    pub(crate) fn normalize_url(self, url: &str) -> String {
        match self {
            Dialect::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        }
    }

    /// Per-connection settings. SQLite: WAL so readers never block the writer, the configured
    /// `synchronous` level (see [`SqliteSynchronous`]) and memory limits (see
    /// [`crate::SqliteMemory`]), foreign keys on, a busy timeout for other processes (backups),
    /// and a case-sensitive LIKE.
    ///
    /// LIKE is case-sensitive on PostgreSQL; SQLite's ignores ASCII case unless told otherwise.
    /// Case-exact SCIM attributes (externalId, references, `meta.version`) compare with LIKE as
    /// written, so both engines must agree; every case-insensitive search (accounts, groups,
    /// audit text, caseExact=false SCIM attributes) already compares a lower-cased column with
    /// a lower-cased needle. The pragma is one SQLite marks as legacy and a build could leave
    /// out, silently: so it is checked, and a connection where it took no effect is refused.
    /// (No index, view or CHECK in the schema uses LIKE, so nothing stored depends on the mode.)
    pub(crate) async fn on_connect(
        self,
        conn: &mut AnyConnection,
        synchronous: SqliteSynchronous,
        memory: crate::SqliteMemory,
    ) -> std::result::Result<(), sqlx::Error> {
        if self == Dialect::Sqlite {
            for pragma in [
                "PRAGMA journal_mode = WAL",
                synchronous.pragma(),
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 5000",
                "PRAGMA case_sensitive_like = ON",
            ] {
                sqlx::query(pragma).execute(&mut *conn).await?;
            }
            // Integers from a checked `SqliteMemory`, not input: a PRAGMA binds no parameters.
            for pragma in memory.pragmas() {
                sqlx::query(sqlx::AssertSqlSafe(pragma)).execute(&mut *conn).await?;
            }
            let folds: i64 = sqlx::query_scalar("SELECT 'a' LIKE 'A'").fetch_one(&mut *conn).await?;
            if folds != 0 {
                return Err(sqlx::Error::Configuration(
                    "this SQLite build ignores PRAGMA case_sensitive_like; case-exact SCIM filters would match any case"
                        .into(),
                ));
            }
        } else {
            // No JIT: every query here reads a bounded number of rows, and a plan whose cost
            // is merely estimated high (the billing classifier's, with statistics that say
            // every account is marked) was compiled on each run: 2.4 s to read no rows.
            sqlx::query("SET jit = off").execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Appended to a text expression whose column keeps the database's collation, so `<` and
    /// `>` order by code point: SQLite's BINARY collation already does; PostgreSQL's "C" does
    /// whatever the database's locale.
    pub(crate) fn code_point_collation(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " COLLATE \"C\"",
        }
    }

    /// Locks the organization row for the rest of the transaction. SQLite needs nothing: its
    /// single writer already serializes transactions.
    pub(crate) fn lock_org_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT id FROM orgs WHERE id = $1 FOR UPDATE"),
        }
    }

    /// The statement that begins the transaction a text-index lookup runs in, bounding how
    /// long it may take (PostgreSQL). The lookup reads only fragments its statistics judged
    /// rare, but they are an estimate an hour old: a fragment that became common since would
    /// cost a GIN index hundreds of milliseconds (`person9999@`, whose rarest trigram is in
    /// 20,000 events, took 550 ms at 10,000,000 events), and this ends it at 10 ms and the
    /// page goes on with its budget. SQLite counts its fragments exactly when it searches.
    pub(crate) fn text_index_bound(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SET LOCAL statement_timeout = 10"),
        }
    }

    /// Whether the budgeted audit window's statements are planned on each run with their
    /// values. PostgreSQL settles on a generic plan after five runs of a prepared statement
    /// when it costs no more than the custom ones; for a window of 500 of an actor's events it
    /// estimated 248 rows for any organization and actor, and chose to read all of the actor's
    /// events and sort them: 1.8 s at 10,000,000 events, against 4 ms in index order (a p95 of
    /// 1.7 s in the foundation bench). Pages read straight from one index kept their plans in
    /// every run, and planning each of them too cost about a millisecond a page.
    pub(crate) fn plans_audit_each_time(self) -> bool {
        self == Dialect::Postgres
    }

    /// Whether a budgeted audit window reads the events' rows itself rather than joining them
    /// by key. PostgreSQL: one backward scan of the index with its heap rows took 0.35 ms for
    /// 500 events at 10,000,000, against 2.1 ms probing the primary key for each. SQLite's
    /// windows read covering indexes and join by rowid, which costs it no second search.
    pub(crate) fn window_reads_rows(self) -> bool {
        self == Dialect::Postgres
    }

    /// Pushes the row source and condition (after `FROM `) of `org`'s events `e` whose search
    /// text contains `needle`, read through the text index by `fragments` (all of which a
    /// match holds), each candidate's whole text then checked. SQLite: the FTS5 trigram
    /// table, the events driven by it (left to choose, SQLite read every event of the
    /// organization and asked the index for each). PostgreSQL: the trigram GIN index (of
    /// migration 0024), one LIKE of three letters or digits per fragment, each read through
    /// that one trigram; the whole needle by `strpos`, which the index cannot serve (a LIKE of
    /// it would read every one of its trigrams). The organization is checked on the rows,
    /// not in the index (`org_id || ''` is not the indexed column): its entry there lists
    /// every event of the organization, and the index sought each rare candidate in it (546
    /// buffers, 1.9 ms for `lovelace` at 10,000,000 events, against 243 and 0.8 ms); the rare
    /// fragments' own candidates are few whichever organization they are of.
    pub(crate) fn push_text_index(self, q: &mut crate::sql::Sql, org: OrgId, needle: &str, fragments: &[String]) {
        match self {
            Dialect::Sqlite => {
                let terms: Vec<String> = fragments.iter().map(|f| fts_phrase(f)).collect();
                q.push("audit_search s CROSS JOIN audit_events e ON e.rowid = s.rowid WHERE audit_search MATCH ")
                    .bind(terms.join(" AND "))
                    .push(" AND e.org_id = ")
                    .bind(org.to_string());
            }
            Dialect::Postgres => {
                q.push("audit_events e WHERE e.org_id || '' = ").bind(org.to_string());
                for fragment in fragments {
                    q.push(" AND e.search_text LIKE ").bind_contains(fragment);
                }
            }
        }
        self.push_text_scan(q, needle);
    }

    /// Whether a statement may hold UPDATE and INSERT in its WITH clause (PostgreSQL).
    pub(crate) fn has_writing_ctes(self) -> bool {
        self == Dialect::Postgres
    }

    /// Renews the planner's statistics of `org_accounts` after a change of many of its rows
    /// (PostgreSQL; SQLite plans without them). Allowed inside a transaction.
    pub(crate) fn analyze_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("ANALYZE org_accounts"),
        }
    }

    /// An audit window's key columns: the event's id, and as `k` the column to join it by.
    pub(crate) fn window_keys(self) -> &'static str {
        match self {
            Dialect::Sqlite => "id, rowid AS k",
            Dialect::Postgres => "id, id AS k",
        }
    }

    /// The column an audit page's window joins events by: SQLite's rowid (every index entry
    /// holds it, so the join is one table lookup), PostgreSQL's primary key.
    pub(crate) fn event_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "id",
        }
    }

    /// Pushes a query of the texts of the bound JSON array `json`, as column `v`.
    pub(crate) fn push_text_list(self, q: &mut crate::sql::Sql, json: String) {
        match self {
            Dialect::Sqlite => q.push("SELECT value AS v FROM json_each(").bind(json).push(")"),
            Dialect::Postgres => q
                .push("SELECT jsonb_array_elements_text(CAST(")
                .bind(json)
                .push(" AS JSONB)) AS v"),
        };
    }

    /// Appends a substring test the text index cannot serve, for scanning a bounded range of
    /// recent events in id order (an index there would only get in the way).
    pub(crate) fn push_text_scan(self, q: &mut crate::sql::Sql, needle: &str) {
        let f = match self {
            Dialect::Sqlite => " AND instr(e.search_text, ",
            Dialect::Postgres => " AND strpos(e.search_text, ",
        };
        q.push(f).bind(needle).push(") > 0");
    }

    /// The start of a query answering a page of events as one row, a JSON array of events
    /// (columns in `rows::event_record`'s order), closed by `) p` after the page's own query.
    /// For SQLite, where sqlx hands every row across threads: exports read pages of thousands
    /// (measured at 300k events: CSV 99k/s a row per event, 314k/s packed). PostgreSQL sends
    /// rows faster than it aggregates them (267k/s against 202k/s), so it is not packed.
    pub(crate) fn packed_events_head(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => Some(
                "SELECT json_group_array(json_array(id, occurred_at, actor_type, actor_id, actor_label, action, \
                 targets, ip, user_agent, changes) ORDER BY id DESC) AS page FROM (SELECT ",
            ),
            Dialect::Postgres => None,
        }
    }

    /// Appends ` LIMIT <count> OFFSET <skip>`, both bound.
    ///
    /// SQLite (3.51 here) reads the value bound to a bare `LIMIT $n` while it plans
    /// (`computeLimitRegisters`), which marks the statement to be compiled again whenever
    /// that parameter is bound: a cached statement was re-prepared at every execution, and
    /// re-preparing the SCIM user page with its groups column was a quarter of a `userName eq`
    /// lookup's CPU (perf: `sqlite3Reprepare` under `sqlite3_step`). A cast is an expression,
    /// not a parameter, so the statement stays prepared (its plan is the same: only the row
    /// estimate no longer knows the limit). PostgreSQL keeps the plain parameter: its cached
    /// plan does not depend on the bound value.
    pub(crate) fn push_limit(self, q: &mut crate::sql::Sql, count: i64, skip: i64) {
        q.push(match self {
            Dialect::Sqlite => " LIMIT CAST(",
            Dialect::Postgres => " LIMIT ",
        })
        .bind(count);
        q.push(match self {
            Dialect::Sqlite => " AS INTEGER) OFFSET ",
            Dialect::Postgres => " OFFSET ",
        })
        .bind(skip);
    }

    /// Appends a correlated column: the directory's groups the account `account_col` names is
    /// a member of, as a JSON array of `[id, displayName]` ordered by folded name, then id
    /// (text, or NULL for none on PostgreSQL). One statement serves a SCIM user lookup with its
    /// `groups`: a second round trip put +28% on PostgreSQL's userName lookup (0.39 -> 0.50 ms).
    pub(crate) fn push_user_groups_column(self, q: &mut crate::sql::Sql, directory: &str, account_col: &'static str) {
        q.push(match self {
            Dialect::Sqlite => "(SELECT json_group_array(json_array(sg.id, sg.display_name) ORDER BY sg.display_name_folded, sg.id)",
            Dialect::Postgres => "(SELECT json_agg(json_build_array(sg.id, sg.display_name) ORDER BY sg.display_name_folded, sg.id)::text",
        });
        let d = q.bind_only(directory.to_owned());
        q.push(" FROM group_members gm JOIN scim_groups sg ON sg.group_id = gm.group_id AND sg.directory_id = ")
            .push_ref(d)
            .push(" WHERE gm.org_id = (SELECT d.org_id FROM directories d WHERE d.id = ")
            .push_ref(d)
            .push(") AND gm.account_id = ")
            .push(account_col)
            .push(")");
    }

    /// Whether several nodes may share the database (and so must tell each other about
    /// changes they cache). A SQLite file serves one node.
    pub(crate) fn is_shared(self) -> bool {
        match self {
            Dialect::Sqlite => false,
            Dialect::Postgres => true,
        }
    }

    /// The size of a pool of its own for writes, where the engine takes one writer at a time:
    /// SQLite's writes then queue in-process instead of failing with SQLITE_BUSY. PostgreSQL
    /// writes through the reading pool.
    pub(crate) fn writer_pool(self) -> Option<u32> {
        match self {
            Dialect::Sqlite => Some(1),
            Dialect::Postgres => None,
        }
    }

    /// How many batched writes are worth running at once: one where the engine has one writer,
    /// a few where transactions run side by side.
    pub(crate) fn batch_writers(self) -> usize {
        match self {
            Dialect::Sqlite => 1,
            Dialect::Postgres => 2,
        }
    }

    /// Announces on a channel, delivered to listeners when the transaction commits (`$1`: the
    /// channel). None where the database is not shared.
    pub(crate) fn notify_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_notify($1, '')"),
        }
    }

    /// Writes a consistent copy of the database to a file (`$1`) while it is in use, where the
    /// engine can: SQLite. PostgreSQL is backed up with its own tools (pg_dump).
    pub(crate) fn online_backup_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => Some("VACUUM INTO $1"),
            Dialect::Postgres => None,
        }
    }

    /// Serializes migration runs across nodes (PostgreSQL advisory lock, held to commit).
    pub(crate) fn migration_lock_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(7461636869)"),
        }
    }

    /// Pushes the row source of an insert: the bound JSON array as a table of rows `r`. On
    /// PostgreSQL as `jsonb`, parsed once: each `->>` on `json` would lex the row again.
    pub(crate) fn push_rows(self, q: &mut crate::sql::Sql, json: String) {
        match self {
            Dialect::Sqlite => {
                q.push("(SELECT value AS r FROM json_each(").bind(json).push("))");
            }
            Dialect::Postgres => {
                q.push("jsonb_array_elements(CAST(")
                    .bind(json)
                    .push(" AS JSONB)) AS j(r)");
            }
        }
    }

    /// Whether a batch of provisioned users is written as one statement of data-modifying
    /// `WITH` clauses (PostgreSQL: one round trip, atomic without a transaction around it,
    /// foreign keys checked at its end) rather than as inserts in a transaction (SQLite,
    /// in-process, where round trips cost nothing and such clauses do not exist).
    pub(crate) fn writes_batches_as_one_statement(self) -> bool {
        match self {
            Dialect::Sqlite => false,
            Dialect::Postgres => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Sql;

    #[test]
    fn a_sqlite_page_limit_is_an_expression_so_its_cached_statement_is_not_recompiled_per_binding() {
        let mut q = Sql::new("SELECT id FROM t ORDER BY id");
        Dialect::Sqlite.push_limit(&mut q, 100, 0);
        assert_eq!(
            q.text(),
            "SELECT id FROM t ORDER BY id LIMIT CAST($1 AS INTEGER) OFFSET $2"
        );
        let mut q = Sql::new("SELECT id FROM t ORDER BY id");
        Dialect::Postgres.push_limit(&mut q, 100, 0);
        assert_eq!(q.text(), "SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2");
    }
}
