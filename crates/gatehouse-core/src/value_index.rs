//! Where a SCIM user's values sit in the store's value index. The store writes the paths when
//! it flattens a resource and the SCIM filter names them when it asks: both go through the
//! functions here, so they cannot drift apart.
//!
//! A path is lower-cased (attribute names are case-insensitive, RFC 7643 §2.1); an extension
//! attribute sits behind its schema URN and a colon (`urn:…:enterprise:2.0:user:department`),
//! a sub-attribute behind a dot (`emails.value`, `urn:…:user:manager.value`).

/// The path of an attribute, behind its schema URN when it is an extension's.
pub fn attr_path(urn: Option<&str>, attr: &str) -> String {
    match urn {
        Some(u) => format!("{u}:{attr}").to_lowercase(),
        None => attr.to_lowercase(),
    }
}

/// The path of a sub-attribute of the attribute at `parent` (itself a path).
pub fn sub_path(parent: &str, sub: &str) -> String {
    format!("{parent}.{}", sub.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convention as stored rows hold it: changing it without a migration that rebuilds
    /// the index would make filters miss every stored value.
    #[test]
    fn paths_are_lower_cased_with_urns_before_a_colon_and_sub_attributes_after_a_dot() {
        assert_eq!(attr_path(None, "displayName"), "displayname");
        assert_eq!(sub_path(&attr_path(None, "emails"), "Value"), "emails.value");
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(
            attr_path(Some(ext), "employeeNumber"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber"
        );
        assert_eq!(
            sub_path(&attr_path(Some(ext), "manager"), "value"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value"
        );
    }
}
