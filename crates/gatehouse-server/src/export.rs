//! Streaming audit exports. Pages are read by keyset in chunks and written as they come, so
//! memory stays flat whatever the size of the log.

use bytes::Bytes;
use futures::Stream;
use gatehouse_core::audit::{AuditEvent, AuditFilter};
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::Services;
use gatehouse_store::SqlStore;

const CHUNK: u32 = 1000;

#[derive(Debug, Clone, Copy)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::JsonLines => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }
}

pub const CSV_HEADER: [&str; 11] = [
    "id",
    "occurred_at",
    "action",
    "actor_type",
    "actor_id",
    "actor_label",
    "targets",
    "ip",
    "user_agent",
    "before",
    "after",
];

/// A cell a spreadsheet would evaluate as a formula gets a leading apostrophe (OWASP's advice
/// for CSV injection), so opening an export never runs attacker-chosen text.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn csv_rows(events: &[AuditEvent], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(events.len() * 300));
    if header {
        w.write_record(CSV_HEADER)?;
    }
    for e in events {
        let targets = e
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{}:{}{}",
                    t.kind,
                    t.id,
                    t.label.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let json = |v: &Option<serde_json::Value>| v.as_ref().map(ToString::to_string).unwrap_or_default();
        let occurred = e.occurred_at.to_rfc3339();
        let id = e.id.to_string();
        let (before, after) = (json(&e.changes.before), json(&e.changes.after));
        let cells = [
            id.as_str(),
            occurred.as_str(),
            e.action.as_str(),
            e.actor.kind.as_str(),
            e.actor.id.as_deref().unwrap_or(""),
            e.actor.label.as_str(),
            targets.as_str(),
            e.ip.as_deref().unwrap_or(""),
            e.user_agent.as_deref().unwrap_or(""),
            before.as_str(),
            after.as_str(),
        ];
        w.write_record(cells.iter().map(|c| neutralize(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn jsonl_rows(events: &[AuditEvent]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(events.len() * 400);
    for e in events {
        serde_json::to_writer(&mut out, e)?;
        out.push(b'\n');
    }
    Ok(out)
}

struct Cursor {
    services: Services<SqlStore>,
    admin: OrgAdmin,
    filter: AuditFilter,
    format: ExportFormat,
    after: Option<String>,
    first: bool,
    done: bool,
}

/// The export body: chunks of rows, newest first. A failure mid-way ends the stream with an
/// error, so the client sees a broken transfer rather than a silently short file.
pub fn export_stream(
    services: Services<SqlStore>,
    admin: OrgAdmin,
    filter: AuditFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let start = Cursor {
        services,
        admin,
        filter,
        format,
        after: None,
        first: true,
        done: false,
    };
    futures::stream::unfold(start, |mut c| async move {
        if c.done {
            return None;
        }
        let page = PageRequest {
            after: c.after.take(),
            limit: CHUNK,
        };
        let result = c.services.list_events(&c.admin, &c.filter, &page).await;
        let page = match result {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                c.done = true;
                return Some((Err(std::io::Error::other("export failed")), c));
            }
        };
        c.after = page.items.last().map(|e| e.id.to_string());
        c.done = page.next_cursor.is_none();
        let bytes = match c.format {
            ExportFormat::Csv => csv_rows(&page.items, c.first).map_err(std::io::Error::other),
            ExportFormat::JsonLines => jsonl_rows(&page.items).map_err(std::io::Error::other),
        };
        c.first = false;
        Some((bytes.map(Bytes::from), c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized_and_plain_ones_kept() {
        assert_eq!(neutralize("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(neutralize("+1"), "'+1");
        assert_eq!(neutralize("-2+3"), "'-2+3");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("ada@example.com"), "ada@example.com");
    }
}
