//! Attribute projection: the `attributes` and `excludedAttributes` parameters (RFC 7644 §3.4.2.5, §3.9) applied
//! to a resource, honouring each attribute's `returned` characteristic (RFC 7643 §2.2).

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceKind, Returned, common_attributes, resolve_path};

/// One entry of an attribute list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selector {
    /// A whole schema extension, named by its URN.
    Extension(&'static str),
    /// An attribute (extension URN, name) or one of its sub-attributes.
    Attr {
        ext: Option<&'static str>,
        name: &'static str,
        sub: Option<&'static str>,
    },
}

/// A parsed `attributes` / `excludedAttributes` pair for one resource type.
///
/// Rules (RFC 7644 §3.9, RFC 7643 §2.2): `returned: never` attributes (`password`) are never returned and
/// `always` ones (`id`, `schemas`) always are. Without `attributes`, `default` attributes are returned and
/// `request` ones are not. With `attributes`, only the named attributes (plus `always` ones) are returned; naming
/// a sub-attribute (`name.familyName`, `emails.value`) returns just that part of the attribute. Then
/// `excludedAttributes` removes what it names, except `always` attributes. Names match case-insensitively; names
/// that match no attribute of the resource type select nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    kind: ResourceKind,
    /// `None` when no `attributes` parameter was given (an empty one counts as none).
    attributes: Option<Vec<Selector>>,
    excluded: Vec<Selector>,
}

impl Projection {
    /// Parses the comma-separated `attributes` and `excludedAttributes` query parameters.
    ///
    /// # Errors
    ///
    /// `invalidValue` when an entry is not an attribute path.
    pub fn new(
        kind: ResourceKind,
        attributes: Option<&str>,
        excluded_attributes: Option<&str>,
    ) -> Result<Self, ScimError> {
        Ok(Self {
            kind,
            attributes: match attributes.map(str::trim) {
                None | Some("") => None,
                Some(list) => Some(parse_list(kind, list)?),
            },
            excluded: parse_list(kind, excluded_attributes.unwrap_or_default())?,
        })
    }

    /// Whether this projection can return the core attribute `name` (whole or a part of it):
    /// lets a server skip reading what no answer will hold (a User's `groups`).
    #[must_use]
    pub fn may_return(&self, name: &str) -> bool {
        let mut core = common_attributes().iter().chain(self.kind.core_schema().attributes);
        let Some(def) = core.find(|d| d.name.eq_ignore_ascii_case(name)) else {
            return false;
        };
        let names = |s: &Selector| matches!(*s, Selector::Attr { ext: None, name: n, .. } if n == def.name);
        let whole = |s: &Selector| matches!(*s, Selector::Attr { ext: None, name: n, sub: None } if n == def.name);
        let selected = match (def.returned, &self.attributes) {
            (Returned::Never, _) => false,
            (Returned::Always, _) => return true,
            (r, None) => r == Returned::Default,
            (_, Some(list)) => list.iter().any(names),
        };
        selected && !self.excluded.iter().any(whole)
    }

    /// The resource with only the attributes this projection returns.
    #[must_use]
    pub fn apply(&self, resource: &Value) -> Value {
        let Value::Object(fields) = resource else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (key, value) in fields {
            if let Some(ext) = self.kind.extension(key) {
                if let Value::Object(inner) = value {
                    let projected = self.object(Some(ext.id), ext.attributes, inner);
                    if !projected.is_empty() {
                        out.insert(key.clone(), Value::Object(projected));
                    }
                }
                continue;
            }
            let core = common_attributes().iter().chain(self.kind.core_schema().attributes);
            match core.into_iter().find(|d| d.name.eq_ignore_ascii_case(key)) {
                Some(def) => {
                    if let Some(v) = self.attribute(None, def, value) {
                        out.insert(key.clone(), v);
                    }
                }
                // Not in the schema: treated as `returned: default`, but not selectable by name.
                None if self.attributes.is_none() => {
                    out.insert(key.clone(), value.clone());
                }
                None => {}
            }
        }
        Value::Object(out)
    }

    fn object(
        &self,
        ext: Option<&'static str>,
        defs: &'static [AttributeDef],
        fields: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in fields {
            if let Some(def) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) {
                if let Some(v) = self.attribute(ext, def, value) {
                    out.insert(key.clone(), v);
                }
            } else if self.attributes.is_none() && !ext.is_some_and(|e| self.excluded.contains(&Selector::Extension(e)))
            {
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }

    fn attribute(&self, ext: Option<&'static str>, def: &'static AttributeDef, value: &Value) -> Option<Value> {
        let whole = |list: &[Selector]| {
            list.contains(&Selector::Attr {
                ext,
                name: def.name,
                sub: None,
            }) || ext.is_some_and(|e| list.contains(&Selector::Extension(e)))
        };
        let subs = |list: &[Selector]| -> Vec<&'static str> {
            list.iter()
                .filter_map(|s| match *s {
                    Selector::Attr {
                        ext: e,
                        name,
                        sub: Some(sub),
                    } if e == ext && name == def.name => Some(sub),
                    _ => None,
                })
                .collect()
        };
        let mut selection = None;
        let included = match def.returned {
            Returned::Never => false,
            Returned::Always => return Some(value.clone()),
            _ => match &self.attributes {
                None => def.returned == Returned::Default,
                Some(list) if whole(list) => true,
                Some(list) => {
                    let picked = subs(list);
                    let any = !picked.is_empty();
                    selection = Some(picked);
                    any
                }
            },
        };
        if !included || whole(&self.excluded) {
            return None;
        }
        if def.attr_type != AttrType::Complex {
            return Some(value.clone());
        }
        let excluded = subs(&self.excluded);
        let keep = |key: &str| match def.sub_attribute(key) {
            None => selection.is_none(),
            Some(sub) => match sub.returned {
                Returned::Never => false,
                Returned::Always => true,
                Returned::Request => selection.as_ref().is_some_and(|s| s.contains(&sub.name)),
                Returned::Default => {
                    selection.as_ref().is_none_or(|s| s.contains(&sub.name)) && !excluded.contains(&sub.name)
                }
            },
        };
        let pick = |v: &Value| match v {
            Value::Object(o) => {
                let kept: Map<String, Value> = o
                    .iter()
                    .filter(|(k, _)| keep(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            }
            other => Some(other.clone()),
        };
        match value {
            Value::Array(items) => {
                let kept: Vec<Value> = items.iter().filter_map(pick).collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            other => pick(other),
        }
    }
}

fn parse_list(kind: ResourceKind, list: &str) -> Result<Vec<Selector>, ScimError> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(ext) = kind.extension(item) {
            out.push(Selector::Extension(ext.id));
            continue;
        }
        let path = AttrPath::parse(item).map_err(|e| ScimError::invalid_value(e.detail))?;
        if let Ok(r) = resolve_path(kind, &path) {
            out.push(Selector::Attr {
                ext: r.extension,
                name: r.attr.name,
                sub: r.sub.map(|s| s.name),
            });
        }
    }
    Ok(out)
}

/// Applies `attributes` / `excludedAttributes` (comma-separated, as in the query string) to `resource`.
///
/// # Errors
///
/// As [`Projection::new`].
pub fn project(
    resource: &Value,
    kind: ResourceKind,
    attributes: Option<&str>,
    excluded_attributes: Option<&str>,
) -> Result<Value, ScimError> {
    Ok(Projection::new(kind, attributes, excluded_attributes)?.apply(resource))
}

#[cfg(test)]
mod tests;
