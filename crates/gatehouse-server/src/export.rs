//! Streaming audit exports. Pages are read by keyset in chunks and written as they come, so
//! memory stays flat whatever the size of the log.

use bytes::Bytes;
use futures::Stream;
use gatehouse_core::audit::{AuditFilter, EventRecord};
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::Services;
use gatehouse_store::SqlStore;
use serde_json::value::RawValue;

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

#[derive(serde::Deserialize)]
struct TargetRef<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    label: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct ChangesRef<'a> {
    #[serde(borrow)]
    before: Option<&'a RawValue>,
    #[serde(borrow)]
    after: Option<&'a RawValue>,
}

fn csv_rows(events: &[EventRecord], header: bool) -> Result<Vec<u8>, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(events.len() * 300));
    if header {
        w.write_record(CSV_HEADER)?;
    }
    let mut targets = String::new();
    for e in events {
        let parsed: Vec<TargetRef<'_>> = serde_json::from_str(&e.targets_json)?;
        targets.clear();
        for (n, t) in parsed.iter().enumerate() {
            if n > 0 {
                targets.push_str("; ");
            }
            targets.push_str(&t.kind);
            targets.push(':');
            targets.push_str(&t.id);
            if let Some(l) = &t.label {
                targets.push_str(" (");
                targets.push_str(l);
                targets.push(')');
            }
        }
        let changes: ChangesRef<'_> = serde_json::from_str(&e.changes_json)?;
        let occurred = e.occurred_at.to_rfc3339();
        let cells = [
            e.id.as_str(),
            occurred.as_str(),
            e.action.as_str(),
            e.actor_type.as_str(),
            e.actor_id.as_deref().unwrap_or(""),
            e.actor_label.as_str(),
            targets.as_str(),
            e.ip.as_deref().unwrap_or(""),
            e.user_agent.as_deref().unwrap_or(""),
            changes.before.map_or("", RawValue::get),
            changes.after.map_or("", RawValue::get),
        ];
        for c in &cells {
            w.write_field(neutralize(c).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// One JSON object per line, in the API's event shape; stored JSON is copied through as is.
fn jsonl_rows(events: &[EventRecord]) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::with_capacity(events.len() * 400);
    let s = |out: &mut Vec<u8>, v: &str| serde_json::to_writer(out, v);
    let o = |out: &mut Vec<u8>, v: Option<&str>| serde_json::to_writer(out, &v);
    for e in events {
        out.extend_from_slice(b"{\"id\":");
        s(&mut out, &e.id)?;
        out.extend_from_slice(b",\"occurred_at\":");
        s(&mut out, &e.occurred_at.to_rfc3339())?;
        out.extend_from_slice(b",\"action\":");
        s(&mut out, &e.action)?;
        out.extend_from_slice(b",\"actor\":{\"type\":");
        s(&mut out, &e.actor_type)?;
        out.extend_from_slice(b",\"id\":");
        o(&mut out, e.actor_id.as_deref())?;
        out.extend_from_slice(b",\"label\":");
        s(&mut out, &e.actor_label)?;
        out.extend_from_slice(b"},\"targets\":");
        out.extend_from_slice(e.targets_json.as_bytes());
        out.extend_from_slice(b",\"ip\":");
        o(&mut out, e.ip.as_deref())?;
        out.extend_from_slice(b",\"user_agent\":");
        o(&mut out, e.user_agent.as_deref())?;
        out.extend_from_slice(b",\"changes\":");
        out.extend_from_slice(e.changes_json.as_bytes());
        out.extend_from_slice(b"}\n");
    }
    Ok(out)
}

/// The export body: chunks of rows, newest first. The first page is read before anything is
/// answered, so a request the store refuses (or a store that is down) gets an error status
/// instead of a 200 that breaks off. Later pages are fetched by a task that stays up to two
/// pages ahead of the encoder, so reading and encoding overlap; a failure there ends the stream
/// with an error, so the client sees a broken transfer rather than a silently short file.
pub async fn export_stream(
    services: std::sync::Arc<Services<SqlStore>>,
    admin: OrgAdmin,
    filter: AuditFilter,
    format: ExportFormat,
) -> gatehouse_core::Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send> {
    let first = services
        .audit
        .list_records(
            &admin,
            &filter,
            &PageRequest {
                after: None,
                limit: CHUNK,
            },
        )
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<gatehouse_core::Result<Vec<EventRecord>>>(2);
    // A page can be empty and still have more after it (the scan budget ran out first): the
    // export goes on from where each page says, until one says nothing older matches.
    let mut after = first.after;
    let _ = tx.try_send(Ok(first.items));
    tokio::spawn(async move {
        while let Some(last) = after.take() {
            let page = PageRequest {
                after: Some(last),
                limit: CHUNK,
            };
            let items = match services.audit.list_records(&admin, &filter, &page).await {
                Ok(p) => {
                    after = p.after;
                    p.items
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            // A closed channel means the client went away: stop reading.
            if tx.send(Ok(items)).await.is_err() {
                return;
            }
        }
    });
    Ok(futures::stream::unfold((rx, true), move |(mut rx, first)| async move {
        let page = rx.recv().await?;
        let bytes = match page {
            Ok(events) => match format {
                ExportFormat::Csv => csv_rows(&events, first),
                ExportFormat::JsonLines => jsonl_rows(&events),
            },
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                Err(std::io::Error::other("export failed"))
            }
        };
        Some((bytes.map(Bytes::from), (rx, false)))
    }))
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
