//! Streaming audit exports. Pages are read by keyset in chunks and written as they come, so
//! memory stays flat whatever the size of the log.

use bytes::Bytes;
use futures::Stream;
use gatehouse_core::audit::{AuditEvent, AuditFilter};
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::Services;
use gatehouse_store::SqlStore;

const CHUNK: u32 = 2000;

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
        for c in &cells {
            w.write_field(neutralize(c).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
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

/// The export body: chunks of rows, newest first. Pages are fetched by a task that stays up to
/// two pages ahead of the encoder, so reading and encoding overlap. A failure mid-way ends the
/// stream with an error, so the client sees a broken transfer rather than a silently short file.
pub fn export_stream(
    services: Services<SqlStore>,
    admin: OrgAdmin,
    filter: AuditFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel::<gatehouse_core::Result<Vec<AuditEvent>>>(2);
    tokio::spawn(async move {
        let mut after = None;
        loop {
            let page = PageRequest {
                after: after.take(),
                limit: CHUNK,
            };
            let result = services.list_events(&admin, &filter, &page).await;
            let (items, more) = match result {
                Ok(p) => {
                    let more = p.next_cursor.is_some();
                    (p.items, more)
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            after = items.last().map(|e| e.id.to_string());
            // A closed channel means the client went away: stop reading.
            if tx.send(Ok(items)).await.is_err() || !more {
                return;
            }
        }
    });
    futures::stream::unfold((rx, true), move |(mut rx, first)| async move {
        let page = rx.recv().await?;
        let bytes = match page {
            Ok(events) => match format {
                ExportFormat::Csv => csv_rows(&events, first).map_err(std::io::Error::other),
                ExportFormat::JsonLines => jsonl_rows(&events).map_err(std::io::Error::other),
            },
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                Err(std::io::Error::other("export failed"))
            }
        };
        Some((bytes.map(Bytes::from), (rx, false)))
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
