//! The PATCH engine: applies one operation at a time to the working copy (RFC 7644 §3.5.2.1–§3.5.2.3).

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::value::{
    check_mutability, check_removable, coerce, coerce_single, contains_value, enforce_single_primary, find_key, get,
    is_unassigned, put, strip_nulls, take,
};
use super::{MemberChanges, PatchOpKind, PatchOperation};
use crate::error::ScimError;
use crate::filter::{AttrPath, CompValue, CompareOp, Filter, TypedFilter, validate_value_filter};
use crate::path::PatchPath;
use crate::schema::{AttrType, AttributeDef, Mutability, ResolvedAttr, ResourceKind, resolve_path};

mod remove;

/// A top-level attribute: its extension URN (`None` for core and common attributes) and canonical name.
pub(super) type AttrKey = (Option<&'static str>, &'static str);

pub(super) struct Engine<'d> {
    doc: &'d mut Map<String, Value>,
    kind: ResourceKind,
    touched: BTreeSet<AttrKey>,
    members: MemberChanges,
    /// Whether the Group given had a `members` key. If so, member changes are exact (only ids that really came
    /// or went); if not, the caller left the list out and the ids the request names are reported.
    members_loaded: bool,
    /// Paths in extension schemas the server does not advertise (skipped).
    ignored: Vec<String>,
}

/// The value of a top-level attribute in a resource.
pub(super) fn lookup<'m>(doc: &'m Map<String, Value>, ext: Option<&str>, name: &str) -> Option<&'m Value> {
    match ext {
        None => get(doc, name),
        Some(urn) => get(doc, urn).and_then(Value::as_object).and_then(|o| get(o, name)),
    }
}

/// Drops empty extension objects and keeps `schemas` listing exactly the extensions present (RFC 7643 §3).
pub(super) fn normalize_extensions(doc: &mut Map<String, Value>, kind: ResourceKind) {
    for ext in kind.extensions() {
        let present = match take(doc, ext.id) {
            Some(Value::Object(o)) if !o.is_empty() => {
                doc.insert(ext.id.to_owned(), Value::Object(o));
                true
            }
            _ => false,
        };
        let Some(Value::Array(schemas)) = find_key(doc, "schemas").and_then(|k| doc.get_mut(&k)) else {
            continue;
        };
        let listed = schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ext.id)));
        if present && !listed {
            schemas.push(Value::String(ext.id.to_owned()));
        } else if !present && listed {
            schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ext.id)));
        }
    }
}

fn is_members(kind: ResourceKind, r: &ResolvedAttr) -> bool {
    kind == ResourceKind::Group && r.extension.is_none() && r.attr.name == "members"
}

fn member_id(item: &Value) -> Option<&str> {
    item.as_object().and_then(|o| get(o, "value")).and_then(Value::as_str)
}

/// The sub-attribute `name` of `parent`, or `invalidPath`.
fn sub_def(parent: &'static AttributeDef, name: &str) -> Result<&'static AttributeDef, ScimError> {
    parent
        .sub_attribute(name)
        .ok_or_else(|| ScimError::invalid_path(format!("unknown sub-attribute '{name}' of '{}'", parent.name)))
}

impl<'d> Engine<'d> {
    pub(super) fn new(doc: &'d mut Map<String, Value>, kind: ResourceKind) -> Self {
        let members_loaded = kind == ResourceKind::Group && get(doc, "members").is_some();
        Self {
            doc,
            kind,
            touched: BTreeSet::new(),
            members: MemberChanges::default(),
            members_loaded,
            ignored: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> (BTreeSet<AttrKey>, MemberChanges, Vec<String>) {
        (self.touched, self.members, self.ignored)
    }

    /// `Ok` (and the path noted) when `path` lies in an extension schema this server does not advertise, which
    /// is skipped; otherwise `err`.
    pub(super) fn skip_foreign(&mut self, path: &AttrPath, err: ScimError) -> Result<(), ScimError> {
        let Some(urn) = path.urn.as_deref() else {
            return Err(err);
        };
        let whole = format!("{urn}:{}", path.attr);
        let known = |u: &str| self.kind.core_schema().id.eq_ignore_ascii_case(u) || self.kind.extension(u).is_some();
        if known(urn) || known(&whole) {
            return Err(err);
        }
        self.ignored.push(path.to_string());
        Ok(())
    }

    pub(super) fn apply(&mut self, operation: &PatchOperation) -> Result<(), ScimError> {
        let value = operation.value.as_ref();
        match (operation.op, &operation.path) {
            (PatchOpKind::Remove, None) => Err(ScimError::no_target("'remove' needs a 'path' (RFC 7644 §3.5.2.2)")),
            (PatchOpKind::Remove, Some(path)) => self.remove(path, value.filter(|v| !v.is_null())),
            (op, path) => {
                let value = value.ok_or_else(|| ScimError::invalid_value("'add' and 'replace' need a 'value'"))?;
                match path {
                    None => self.set_object(op, value),
                    Some(PatchPath { attr, filter: None }) => self.set_attr(op, attr, value),
                    Some(PatchPath {
                        attr,
                        filter: Some(filter),
                    }) => self.set_filtered(op, attr, filter, value),
                }
            }
        }
    }

    /// `add`/`replace` without a path: `value` is an object of attributes (RFC 7644 §3.5.2.1, §3.5.2.3).
    fn set_object(&mut self, op: PatchOpKind, value: &Value) -> Result<(), ScimError> {
        let Value::Object(fields) = value else {
            return Err(ScimError::invalid_value(
                "without a 'path', 'value' must be an object of attributes",
            ));
        };
        for (key, v) in fields {
            if key.eq_ignore_ascii_case("schemas") {
                continue; // Maintained from the data present; see `normalize_extensions`.
            }
            if let Some(ext) = self.kind.extension(key) {
                self.set_extension(op, ext.id, v)?;
            } else {
                self.set_attr(op, &AttrPath::parse(key)?, v)?;
            }
        }
        Ok(())
    }

    /// An extension URN as key or path: its value is an object of the extension's attributes.
    fn set_extension(&mut self, op: PatchOpKind, urn: &'static str, value: &Value) -> Result<(), ScimError> {
        match value {
            Value::Object(fields) => {
                for (key, v) in fields {
                    if key.eq_ignore_ascii_case("schemas") {
                        // The whole extension as a resource fragment, its own `schemas` inside (as some
                        // clients send it): the resource's `schemas` is maintained from the data present.
                        continue;
                    }
                    let mut path = AttrPath::parse(key)?;
                    if path.urn.is_some() {
                        return Err(ScimError::invalid_path(format!(
                            "'{key}' inside '{urn}' must not have a URN"
                        )));
                    }
                    path.urn = Some(urn.to_owned());
                    self.set_attr(op, &path, v)?;
                }
                Ok(())
            }
            Value::Null if op == PatchOpKind::Replace => self.remove_extension(urn),
            Value::Null => Ok(()),
            _ => Err(ScimError::invalid_value(format!(
                "'{urn}' must be an object of attributes"
            ))),
        }
    }

    /// Resolves `path`; a path that is a whole extension URN resolves to `Err(Some(urn))`.
    fn resolve(&self, path: &AttrPath) -> Result<ResolvedAttr, Result<&'static str, ScimError>> {
        resolve_path(self.kind, path).map_err(|err| {
            let whole = match (&path.urn, &path.sub_attr) {
                (Some(urn), None) => self.kind.extension(&format!("{urn}:{}", path.attr)),
                _ => None,
            };
            whole.map(|ext| ext.id).ok_or(err)
        })
    }

    fn touch(&mut self, r: &ResolvedAttr) {
        self.touched.insert((r.extension, r.attr.name));
    }

    /// The object holding `r`'s attribute: the resource, or its extension object (created if `create`).
    fn container(&mut self, ext: Option<&'static str>, create: bool) -> Option<&mut Map<String, Value>> {
        let Some(urn) = ext else {
            return Some(&mut *self.doc);
        };
        let key = match find_key(self.doc, urn) {
            Some(k) => k,
            None if create => {
                self.doc.insert(urn.to_owned(), Value::Object(Map::new()));
                urn.to_owned()
            }
            None => return None,
        };
        let slot = self.doc.get_mut(&key)?;
        if !slot.is_object() {
            if !create {
                return None;
            }
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut()
    }

    fn set_attr(&mut self, op: PatchOpKind, path: &AttrPath, value: &Value) -> Result<(), ScimError> {
        let r = match self.resolve(path) {
            Ok(r) => r,
            Err(Ok(urn)) => return self.set_extension(op, urn, value),
            Err(Err(e)) => return self.skip_foreign(path, e),
        };
        self.touch(&r);
        match r.sub {
            None => self.set_top(op, &r, value),
            Some(sub) => self.set_sub(&r, sub, value),
        }
    }

    fn set_top(&mut self, op: PatchOpKind, r: &ResolvedAttr, value: &Value) -> Result<(), ScimError> {
        let def = r.attr;
        let name = r.top_level_name();
        if def.mutability == Mutability::ReadOnly {
            let current = self
                .container(r.extension, false)
                .and_then(|c| get(c, def.name).cloned());
            return check_mutability(def, &name, current.as_ref(), value);
        }
        let new = coerce(def, value)?;
        if is_unassigned(&new) {
            // RFC 7643 §2.5: null and [] mean unassigned; adding nothing is a no-op.
            return if op == PatchOpKind::Add {
                Ok(())
            } else {
                self.remove_top(r)
            };
        }
        let members = is_members(self.kind, r);
        let loaded = self.members_loaded;
        let container = self
            .container(r.extension, true)
            .unwrap_or_else(|| unreachable!("created on demand"));
        let current = get(container, def.name).cloned();
        let old_members: HashSet<String> = match (members, &current) {
            (true, Some(Value::Array(items))) => items.iter().filter_map(member_id).map(str::to_owned).collect(),
            _ => HashSet::new(),
        };
        let mut added_members = Vec::new();
        if def.multi_valued {
            let Value::Array(new_items) = new else {
                unreachable!("coerce returns arrays for multi-valued")
            };
            let (mut items, start, added) = add_items(op, current, new_items, members)?;
            added_members = added;
            let preferred: Vec<usize> = (start..items.len()).collect();
            enforce_single_primary(&mut items, &preferred);
            put(container, def.name, Value::Array(items));
        } else if def.attr_type == AttrType::Complex {
            // Both add and replace merge the given sub-attributes into a complex attribute (RFC 7644 §3.5.2.1,
            // §3.5.2.3: "Sub-attributes that are not specified in the value parameter are left unchanged").
            let mut object = match current {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            merge(def, &name, &mut object, &new)?;
            if object.is_empty() {
                take(container, def.name);
            } else {
                put(container, def.name, Value::Object(object));
            }
        } else {
            check_mutability(def, &name, current.as_ref(), &new)?;
            put(container, def.name, new);
        }
        if members {
            self.record_members(op, loaded, &old_members, &added_members);
        }
        Ok(())
    }

    /// Keeps the membership changes of a `members` write: a replace of an unloaded list starts
    /// over, a replace of a loaded one drops who is missing, and re-adding a member of a loaded
    /// list changes nothing (RFC 7644 §3.5.2.1).
    fn record_members(&mut self, op: PatchOpKind, loaded: bool, old: &HashSet<String>, added: &[String]) {
        if op == PatchOpKind::Replace && !loaded {
            self.members.clear();
        }
        if op == PatchOpKind::Replace && loaded {
            let new: HashSet<&String> = added.iter().collect();
            for id in old.iter().filter(|id| !new.contains(id)) {
                self.members.remove(id);
            }
        }
        for id in added.iter().filter(|id| !(loaded && old.contains(*id))) {
            self.members.add(id);
        }
    }

    /// `name.familyName` or `emails.type`: sets one sub-attribute.
    fn set_sub(&mut self, r: &ResolvedAttr, sub: &'static AttributeDef, value: &Value) -> Result<(), ScimError> {
        let what = format!("{}.{}", r.top_level_name(), sub.name);
        if r.attr.mutability == Mutability::ReadOnly {
            return Err(ScimError::mutability(format!(
                "'{what}' is readOnly and cannot be modified"
            )));
        }
        let new = coerce(sub, value)?;
        let multi = r.attr.multi_valued;
        let container = self
            .container(r.extension, true)
            .unwrap_or_else(|| unreachable!("created on demand"));
        if multi {
            // RFC 7644 §3.5.2 leaves `emails.type` without a filter open; it applies to every value.
            let Some(Value::Array(items)) = find_key(container, r.attr.name).and_then(|k| container.get_mut(&k)) else {
                return Err(ScimError::no_target(format!(
                    "'{}' has no values to set '{}' on",
                    r.attr.name, sub.name
                )));
            };
            items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .try_for_each(|o| set_field(sub, &what, o, &new))?;
            return Ok(());
        }
        let key = find_key(container, r.attr.name).unwrap_or_else(|| r.attr.name.to_owned());
        let slot = container.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let object = slot
            .as_object_mut()
            .unwrap_or_else(|| unreachable!("just made an object"));
        set_field(sub, &what, object, &new)?;
        if object.is_empty() {
            take(container, r.attr.name);
        }
        Ok(())
    }

    /// `add`/`replace` with a value filter: `emails[type eq "work"]` or `emails[type eq "work"].value`.
    fn set_filtered(
        &mut self,
        op: PatchOpKind,
        path: &AttrPath,
        filter: &Filter,
        value: &Value,
    ) -> Result<(), ScimError> {
        let (r, sub, typed) = self.resolve_filtered(path, filter)?;
        self.touch(&r);
        let what = r.top_level_name();
        let new = match sub {
            Some(sub) => coerce(sub, value)?,
            None => coerce_single(r.attr, value)?,
        };
        let members = is_members(self.kind, &r);
        let container = self
            .container(r.extension, true)
            .unwrap_or_else(|| unreachable!("created on demand"));
        let mut items = match take(container, r.attr.name) {
            Some(Value::Array(items)) => items,
            Some(Value::Object(o)) => vec![Value::Object(o)],
            _ => Vec::new(),
        };
        let mut matched: Vec<usize> = (0..items.len()).filter(|&i| typed.matches(&items[i])).collect();
        let mut seeded = None;
        if matched.is_empty() {
            // RFC 7644 §3.5.2.3: replace with a filter matching nothing is noTarget. For add, an `eq` filter
            // describes the value to create (Entra sends `add emails[type eq "work"].value`).
            let seed = (op == PatchOpKind::Add).then(|| eq_seed(filter, r.attr)).flatten();
            let Some(seed) = seed else {
                restore(container, r.attr, items);
                return Err(ScimError::no_target(format!("no value of '{what}' matches [{filter}]")));
            };
            seeded = member_id(&seed).map(str::to_owned);
            items.push(seed);
            matched.push(items.len() - 1);
        }
        let result = matched.iter().try_for_each(|&i| {
            let object = items[i]
                .as_object_mut()
                .ok_or_else(|| ScimError::invalid_value(format!("'{what}' holds a non-object value")))?;
            match sub {
                Some(sub) => set_field(sub, &format!("{what}.{}", sub.name), object, &new),
                None => merge(r.attr, &what, object, &new),
            }
        });
        if r.attr.has_primary() {
            enforce_single_primary(&mut items, &matched);
        }
        restore(container, r.attr, items);
        result?;
        if let (true, Some(id)) = (members, seeded) {
            self.members.add(&id);
        }
        Ok(())
    }

    fn resolve_filtered(
        &self,
        path: &AttrPath,
        filter: &Filter,
    ) -> Result<(ResolvedAttr, Option<&'static AttributeDef>, TypedFilter), ScimError> {
        let top = AttrPath {
            urn: path.urn.clone(),
            attr: path.attr.clone(),
            sub_attr: None,
        };
        let r = resolve_path(self.kind, &top)?;
        if r.attr.attr_type != AttrType::Complex {
            return Err(ScimError::invalid_path(format!(
                "'{}' is not complex and cannot take a value filter",
                r.attr.name
            )));
        }
        if r.attr.mutability == Mutability::ReadOnly {
            return Err(ScimError::mutability(format!(
                "'{}' is readOnly and cannot be modified",
                r.attr.name
            )));
        }
        let sub = path.sub_attr.as_deref().map(|s| sub_def(r.attr, s)).transpose()?;
        let typed = validate_value_filter(filter, r.attr)?;
        Ok((r, sub, typed))
    }
}

/// Puts a list of values back under the attribute (as one object for a single-valued complex attribute), or
/// leaves it unassigned when the list is empty.
fn restore(container: &mut Map<String, Value>, def: &AttributeDef, mut items: Vec<Value>) {
    if items.is_empty() {
        return;
    }
    let value = if def.multi_valued {
        Value::Array(items)
    } else {
        items.swap_remove(0)
    };
    put(container, def.name, value);
}

/// Sets (or with `null`, removes) one sub-attribute in a complex value, checking its mutability.
fn set_field(sub: &AttributeDef, what: &str, object: &mut Map<String, Value>, new: &Value) -> Result<(), ScimError> {
    if new.is_null() {
        if get(object, sub.name).is_some() {
            check_removable(sub, what)?;
            take(object, sub.name);
        }
        return Ok(());
    }
    check_mutability(sub, what, get(object, sub.name), new)?;
    put(object, sub.name, new.clone());
    Ok(())
}

/// Merges the sub-attributes of the complex value `new` into `object`.
fn merge(
    def: &'static AttributeDef,
    what: &str,
    object: &mut Map<String, Value>,
    new: &Value,
) -> Result<(), ScimError> {
    let Value::Object(fields) = new else {
        return Err(ScimError::invalid_value(format!(
            "'{what}' is complex; its value must be an object"
        )));
    };
    for (key, v) in fields {
        let sub = sub_def(def, key)?;
        set_field(sub, &format!("{what}.{}", sub.name), object, v)?;
    }
    Ok(())
}

/// For a filter made only of `sub eq literal` joined by `and`, the value it describes (`{"type": "work"}`).
fn eq_seed(filter: &Filter, parent: &'static AttributeDef) -> Option<Value> {
    fn collect(filter: &Filter, parent: &'static AttributeDef, out: &mut Map<String, Value>) -> Option<()> {
        match filter {
            Filter::And(l, r) => {
                collect(l, parent, out)?;
                collect(r, parent, out)
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.urn.is_none() && path.sub_attr.is_none() => {
                let sub = parent.sub_attribute(&path.attr)?;
                let json = match value {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(_) | CompValue::Null => return None,
                };
                put(out, sub.name, coerce(sub, &json).ok()?);
                Some(())
            }
            _ => None,
        }
    }
    let mut out = Map::new();
    collect(filter, parent, &mut out)?;
    Some(Value::Object(out))
}

/// The items of a multi-valued attribute after an add (appended to what is there) or a replace
/// (instead of it), without duplicates; for `members`, each needs an id. Returns the items, the
/// index of the first new one, and the member ids added.
fn add_items(
    op: PatchOpKind,
    current: Option<Value>,
    new_items: Vec<Value>,
    members: bool,
) -> Result<(Vec<Value>, usize, Vec<String>), ScimError> {
    let (mut items, start) = match (op, current) {
        (PatchOpKind::Add, Some(Value::Array(existing))) => {
            let n = existing.len();
            (existing, n)
        }
        _ => (Vec::new(), 0),
    };
    let mut added = Vec::new();
    let mut seen: HashSet<String> = items.iter().filter_map(member_id).map(str::to_owned).collect();
    for item in new_items.into_iter().map(strip_nulls) {
        if members {
            let Some(id) = member_id(&item).map(str::to_owned) else {
                return Err(ScimError::invalid_value(
                    "each member needs a 'value' with the member's id",
                ));
            };
            if !seen.insert(id.clone()) {
                continue;
            }
            added.push(id);
        } else if contains_value(&items, &item) {
            continue;
        }
        items.push(item);
    }
    Ok((items, start, added))
}
