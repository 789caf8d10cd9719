//! Column lists and select heads shared by several capability files (macros, so that
//! `concat!` can build whole statements from them at compile time).

macro_rules! account_cols {
    () => {
        "a.id, a.email, a.display_name, a.status, a.created_at, a.last_active_at, a.delete_after"
    };
}
/// 1 when the account `oa` has product access in its org, directly or through a group, and is
/// not suspended there.
macro_rules! has_access {
    () => {
        "CAST(CASE WHEN oa.suspended_at IS NULL AND (EXISTS (SELECT 1 FROM product_access pa WHERE pa.org_id = oa.org_id \
         AND pa.account_id = oa.account_id) OR EXISTS (SELECT 1 FROM group_members gm JOIN product_access pa ON \
         pa.group_id = gm.group_id WHERE gm.org_id = oa.org_id AND gm.account_id = oa.account_id)) THEN 1 ELSE 0 END \
         AS BIGINT)"
    };
}
/// 1 when the managed account `oa` is in a non-billable policy of its organization.
macro_rules! non_billable {
    () => {
        "CAST(CASE WHEN oa.is_managed = 1 AND EXISTS (SELECT 1 FROM auth_policies bp WHERE bp.org_id = oa.org_id \
         AND bp.non_billable = 1 AND (bp.id = oa.policy_id OR (oa.policy_id IS NULL AND bp.is_default = 1))) \
         THEN 1 ELSE 0 END AS BIGINT)"
    };
}
/// Whether the account `a` has a password (never the hash itself) and its measured facts.
macro_rules! password_facts_cols {
    () => {
        "CAST(CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
         a.password_length, a.password_strength, a.password_common, a.password_set_at"
    };
}
macro_rules! org_account_select {
    () => {
        concat!(
            "SELECT ",
            account_cols!(),
            ", oa.is_managed, oa.suspended_at, oa.added_at, ",
            password_facts_cols!(),
            ", ",
            has_access!(),
            " AS has_access, ",
            non_billable!(),
            " AS non_billable FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.org_id = "
        )
    };
}
macro_rules! group_select {
    () => {
        "SELECT g.id, g.org_id, g.name, g.description, g.created_at, g.directory_id, \
         (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id) AS member_count \
         FROM org_groups g WHERE g.org_id = "
    };
}

/// `a, b, c` with every column behind the table prefix `$p` (`""` or `"t."`).
macro_rules! prefixed {
    ($p:literal; $first:literal $(, $c:literal)*) => {
        concat!($p, $first $(, ", ", $p, $c)*)
    };
}
macro_rules! instance_cols {
    () => {
        prefixed!(""; "id", "org_id", "product", "name", "url", "edition", "created_at")
    };
}
macro_rules! access_cols {
    ($p:literal) => {
        prefixed!($p; "id", "org_id", "instance_id", "account_id", "group_id", "role", "created_at")
    };
}
macro_rules! api_key_cols {
    () => {
        prefixed!(""; "id", "org_id", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    };
}
macro_rules! user_api_token_cols {
    () => {
        prefixed!(""; "id", "account_id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    };
}
macro_rules! domain_cols {
    () => {
        prefixed!(""; "id", "org_id", "name", "token", "status", "claim_mode", "created_at", "verify_by", "verified_at",
            "verified_method", "last_checked_at", "last_check_detail", "failing_since")
    };
}
macro_rules! domain_check_cols {
    () => {
        prefixed!(""; "checked_at", "method", "outcome", "detail")
    };
}
macro_rules! session_cols {
    () => {
        prefixed!(""; "id", "account_id", "csrf", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "amr", "idle_secs", "email_verified_at")
    };
}
macro_rules! directory_cols {
    ($p:literal) => {
        prefixed!($p; "id", "org_id", "name", "created_at", "deactivation_limit_per_hour")
    };
}
macro_rules! directory_token_cols {
    () => {
        prefixed!(""; "id", "directory_id", "prefix", "created_at", "expires_at", "revoked_at")
    };
}
macro_rules! scim_user_cols {
    ($p:literal) => {
        prefixed!($p; "id", "directory_id", "account_id", "user_name", "external_id", "email", "active", "resource",
            "version", "created_at", "updated_at")
    };
}
macro_rules! scim_group_cols {
    () => {
        prefixed!(""; "id", "directory_id", "group_id", "display_name", "external_id", "resource", "version",
            "created_at", "updated_at")
    };
}
macro_rules! held_operation_cols {
    () => {
        prefixed!(""; "id", "directory_id", "resource_id", "kind", "change", "created_at")
    };
}
