//! Searches across both resource types from the directory's root (RFC 7644 §3.4.3).

use super::common::{Scim, ScimBody, ScimFail};
use super::list::{Found, ListParams, list_json};
use super::{groups, users};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use gatehouse_scim::{ResourceKind, ScimError};

/// `POST /.search` from the directory's root: Users, then Groups, paged as one list. A filter
/// naming attributes one type lacks (say `userName`) simply matches none of that type; one that
/// fits neither is refused as it would be by the first.
pub async fn root(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let p = ListParams::from_body(&body)?;
    let fits = |kind| match &p.filter {
        None => Ok(()),
        Some(f) => gatehouse_scim::validate(&gatehouse_scim::parse_filter(f)?, kind).map(|_| ()),
    };
    let (user_fit, group_fit) = (fits(ResourceKind::User), fits(ResourceKind::Group));
    if let (Err(e), Err(_)) = (&user_fit, &group_fit) {
        return Err(ScimFail(e.clone()));
    }
    let sort_fits = |kind| {
        p.sort_by.as_deref().is_none_or(|s| {
            gatehouse_scim::AttrPath::parse(s).is_ok_and(|path| gatehouse_scim::resolve(kind, &path).is_ok())
        })
    };
    let users_on = user_fit.is_ok() && sort_fits(ResourceKind::User);
    let groups_on = group_fit.is_ok() && sort_fits(ResourceKind::Group);
    if !users_on && !groups_on {
        return Err(ScimFail(ScimError::invalid_value(
            "sortBy is not an attribute of Users or Groups.",
        )));
    }
    // Users come first: their page, then as many groups as the page has room for.
    let users = if users_on {
        users::find(&st, &caller, &p).await?
    } else {
        Found {
            total: 0,
            resources: Vec::new(),
        }
    };
    let room = p.count - users.resources.len() as i64;
    let groups = if groups_on {
        let q = ListParams {
            start: (p.start - users.total).max(1),
            count: room,
            filter: p.filter.clone(),
            sort_by: p.sort_by.clone(),
            attributes: p.attributes.clone(),
            excluded: p.excluded.clone(),
            ..p
        };
        groups::find(&st, &caller, &q).await?
    } else {
        Found {
            total: 0,
            resources: Vec::new(),
        }
    };
    let mut resources = users.resources;
    resources.extend(groups.resources);
    Ok(list_json(
        p.start,
        &Found {
            total: users.total + groups.total,
            resources,
        },
    ))
}
