//! What a list or search asks for and the page it answers with (RFC 7644 §3.4.2, §3.4.3),
//! shared by Users, Groups and the root search.

use super::common::{ScimFail, scim_json};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_scim::ScimError;
use serde_json::{Value, json};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Most resources on one page.
pub const MAX_COUNT: i64 = 1000;

/// Query parameters of a list or a read (RFC 7644 §3.4.2).
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl TryFrom<ListQuery> for ListParams {
    type Error = ScimFail;

    fn try_from(q: ListQuery) -> Result<Self, ScimFail> {
        Self::new(
            q.filter,
            q.sort_by,
            q.sort_order.as_deref(),
            q.start_index,
            q.count,
            q.attributes,
            q.excluded_attributes,
        )
    }
}

/// What a list asks for.
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// 1-based.
    pub start: i64,
    pub count: i64,
    pub attributes: Option<String>,
    pub excluded: Option<String>,
}

impl ListParams {
    /// RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0. RFC 7644
    /// §3.4.2.3: sortOrder is `ascending` or `descending`; anything else is refused rather than
    /// read as one of them.
    pub fn new(
        filter: Option<String>,
        sort_by: Option<String>,
        sort_order: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        attributes: Option<String>,
        excluded: Option<String>,
    ) -> Result<Self, ScimFail> {
        let descending = match sort_order.map(str::trim) {
            None | Some("") => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(o) => {
                return Err(ScimFail(ScimError::invalid_value(format!(
                    "sortOrder must be ascending or descending, not {o:?}."
                ))));
            }
        };
        Ok(Self {
            filter: filter.filter(|f| !f.trim().is_empty()),
            sort_by: sort_by.filter(|s| !s.trim().is_empty()),
            descending,
            start: start.unwrap_or(1).max(1),
            count: count.unwrap_or(100).clamp(0, MAX_COUNT),
            attributes,
            excluded,
        })
    }

    /// From a SearchRequest body (§3.4.3): attribute lists are JSON arrays there.
    pub fn from_body(body: &Value) -> Result<Self, ScimFail> {
        if let Some(schemas) = body["schemas"].as_array()
            && !schemas.iter().any(|s| s.as_str() == Some(SEARCH_REQUEST))
        {
            return Err(ScimFail(ScimError::invalid_value(format!(
                "A search request's schemas must include {SEARCH_REQUEST}."
            ))));
        }
        let list = |k: &str| -> Option<String> {
            body[k]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
        };
        let text = |k: &str| body[k].as_str().map(str::to_owned);
        Self::new(
            text("filter"),
            text("sortBy"),
            body["sortOrder"].as_str(),
            body["startIndex"].as_i64(),
            body["count"].as_i64(),
            list("attributes"),
            list("excludedAttributes"),
        )
    }
}

/// One page of resources and how many match in all.
pub struct Found {
    pub total: i64,
    pub resources: Vec<Value>,
}

/// The ListResponse body.
pub fn list_json(start: i64, found: &Found) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": found.total,
            "startIndex": start,
            "itemsPerPage": found.resources.len(),
            "Resources": found.resources,
        }),
    )
}
