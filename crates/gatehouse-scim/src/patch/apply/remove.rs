//! `remove` (RFC 7644 §3.5.2.2): of an attribute, a sub-attribute, the values a filter selects, or the values
//! listed in `value` (the Entra ID / Okta form for Group members).

use serde_json::{Map, Value};

use super::super::value::{check_removable, coerce, find_key, get, put, strip_nulls, take};
use super::{Engine, is_members, member_id, restore};
use crate::error::ScimError;
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::path::PatchPath;
use crate::schema::{AttributeDef, Mutability, ResolvedAttr};

impl Engine<'_> {
    pub(super) fn remove(&mut self, path: &PatchPath, value: Option<&Value>) -> Result<(), ScimError> {
        if let Some(filter) = &path.filter {
            return self.remove_filtered(&path.attr, filter);
        }
        let r = match self.resolve(&path.attr) {
            Ok(r) => r,
            Err(Ok(urn)) => return self.remove_extension(urn),
            Err(Err(e)) => return self.skip_foreign(&path.attr, e),
        };
        self.touch(&r);
        match (r.sub, value) {
            (Some(sub), _) => self.remove_sub(&r, sub),
            (None, Some(v)) if r.attr.multi_valued => self.remove_values(&r, v),
            (None, _) => self.remove_top(&r),
        }
    }

    pub(super) fn remove_top(&mut self, r: &ResolvedAttr) -> Result<(), ScimError> {
        let members = is_members(self.kind, r);
        let Some(container) = self.container(r.extension, false) else {
            return Ok(());
        };
        if get(container, r.attr.name).is_none_or(Value::is_null) {
            // Already unassigned. If the caller left the member list out, "no members" must still be reported.
            if members && !self.members_loaded {
                self.members.clear();
            }
            return Ok(());
        }
        check_removable(r.attr, &r.top_level_name())?;
        take(container, r.attr.name);
        if members {
            self.members.clear();
        }
        Ok(())
    }

    pub(super) fn remove_extension(&mut self, urn: &'static str) -> Result<(), ScimError> {
        let Some(ext) = self.kind.extension(urn) else {
            return Ok(());
        };
        let Some(container) = self.container(Some(ext.id), false) else {
            return Ok(());
        };
        for def in ext.attributes.iter().filter(|d| get(container, d.name).is_some()) {
            check_removable(def, &format!("{}:{}", ext.id, def.name))?;
        }
        let present: Vec<&'static str> = ext
            .attributes
            .iter()
            .filter(|d| get(container, d.name).is_some())
            .map(|d| d.name)
            .collect();
        container.clear();
        self.touched
            .extend(present.into_iter().map(|name| (Some(ext.id), name)));
        Ok(())
    }

    fn remove_sub(&mut self, r: &ResolvedAttr, sub: &'static AttributeDef) -> Result<(), ScimError> {
        let what = format!("{}.{}", r.top_level_name(), sub.name);
        let Some(container) = self.container(r.extension, false) else {
            return Ok(());
        };
        let Some(key) = find_key(container, r.attr.name) else {
            return Ok(());
        };
        let objects: Vec<&mut Map<String, Value>> = match container.get_mut(&key) {
            Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
            Some(Value::Object(o)) => vec![o],
            _ => Vec::new(),
        };
        for object in objects {
            if get(object, sub.name).is_some() {
                check_removable(sub, &what)?;
                take(object, sub.name);
            }
        }
        if container
            .get(&key)
            .is_some_and(|v| matches!(v, Value::Object(o) if o.is_empty()))
        {
            container.remove(&key);
        }
        Ok(())
    }

    /// `remove` of a multi-valued attribute with a `value` listing the values to remove (Entra, Okta).
    fn remove_values(&mut self, r: &ResolvedAttr, value: &Value) -> Result<(), ScimError> {
        if r.attr.mutability == Mutability::ReadOnly {
            return Err(ScimError::mutability(format!(
                "'{}' is readOnly and cannot be modified",
                r.attr.name
            )));
        }
        let Value::Array(doomed) = coerce(r.attr, value)? else {
            unreachable!("coerce returns arrays")
        };
        let doomed: Vec<Value> = doomed.into_iter().map(strip_nulls).collect();
        let by_value = r.attr.sub_attribute("value").is_some();
        let ids: Vec<String> = doomed.iter().filter_map(member_id).map(str::to_owned).collect();
        let hits = |item: &Value| {
            if by_value {
                member_id(item).is_some_and(|id| ids.iter().any(|d| d == id))
            } else {
                doomed.contains(item)
            }
        };
        let mut gone_ids = Vec::new();
        if let Some(container) = self.container(r.extension, false)
            && let Some(Value::Array(items)) = take(container, r.attr.name)
        {
            let (gone, kept): (Vec<Value>, Vec<Value>) = items.into_iter().partition(|item| hits(item));
            gone_ids.extend(gone.iter().filter_map(member_id).map(str::to_owned));
            if !kept.is_empty() {
                put(container, r.attr.name, Value::Array(kept));
            }
        }
        if is_members(self.kind, r) {
            for id in if self.members_loaded { &gone_ids } else { &ids } {
                self.members.remove(id);
            }
        }
        Ok(())
    }

    /// `remove` with a value filter: `members[value eq "…"]` or `emails[type eq "work"].display`.
    fn remove_filtered(&mut self, path: &AttrPath, filter: &Filter) -> Result<(), ScimError> {
        let (r, sub, typed) = self.resolve_filtered(path, filter)?;
        self.touch(&r);
        let what = r.top_level_name();
        let members = is_members(self.kind, &r);
        // Ids named by the filter count only when the caller left the member list out.
        let mut removed_ids: Vec<String> = if members && !self.members_loaded {
            eq_values(filter)
        } else {
            Vec::new()
        };
        let Some(container) = self.container(r.extension, false) else {
            for id in &removed_ids {
                self.members.remove(id);
            }
            return Ok(());
        };
        let mut items = match take(container, r.attr.name) {
            Some(Value::Array(items)) => items,
            Some(Value::Object(o)) => vec![Value::Object(o)],
            _ => Vec::new(),
        };
        let result = match sub {
            None => {
                let (gone, kept): (Vec<Value>, Vec<Value>) = items.into_iter().partition(|item| typed.matches(item));
                removed_ids.extend(gone.iter().filter_map(member_id).map(str::to_owned));
                items = kept;
                Ok(())
            }
            Some(sub) => items
                .iter_mut()
                .filter(|item| typed.matches(item))
                .filter_map(Value::as_object_mut)
                .try_for_each(|object| {
                    if get(object, sub.name).is_some() {
                        check_removable(sub, &format!("{what}.{}", sub.name))?;
                        take(object, sub.name);
                    }
                    Ok(())
                }),
        };
        restore(container, r.attr, items);
        result?;
        for id in &removed_ids {
            self.members.remove(id);
        }
        Ok(())
    }
}

/// The ids named by a `value eq "…"` filter, or an `or` of them (`members[value eq "a" or value eq "b"]`).
fn eq_values(filter: &Filter) -> Vec<String> {
    match filter {
        Filter::Or(l, r) => {
            let mut ids = eq_values(l);
            ids.extend(eq_values(r));
            ids
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.urn.is_none() && path.sub_attr.is_none() && path.attr.eq_ignore_ascii_case("value") => {
            vec![id.clone()]
        }
        _ => Vec::new(),
    }
}
