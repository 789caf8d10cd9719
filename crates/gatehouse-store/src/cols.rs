//! Column lists and select heads shared by several capability files (macros, so that
//! `concat!` can build whole statements from them at compile time).

macro_rules! account_cols {
    () => {
        "a.id, a.email, a.display_name, a.status, a.created_at, a.last_active_at, a.delete_after"
    };
}
/// 1 when the account of the `org_accounts` row `$t` has a grant in its organization, directly
/// or through a group, on an instance `fi` with a grant `fp` matching `$cond`. Two indexed
/// lookups, not an OR over the organization's grants.
macro_rules! any_grant {
    ($t:literal, $cond:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM product_access fp JOIN instances fi ON fi.id = fp.instance_id WHERE fp.org_id = ",
            $t,
            ".org_id AND fp.account_id = ",
            $t,
            ".account_id AND ",
            $cond,
            ") OR EXISTS (SELECT 1 FROM group_members fg JOIN product_access fp ON fp.group_id = fg.group_id \
             JOIN instances fi ON fi.id = fp.instance_id WHERE fg.org_id = ",
            $t,
            ".org_id AND fg.account_id = ",
            $t,
            ".account_id AND ",
            $cond,
            "))"
        )
    };
}
/// The facts of the `org_accounts` row `$t` as the bits of migration 0022, computed from what
/// the database holds now. A suspended account has no access.
macro_rules! facts_expr {
    ($t:literal) => {
        concat!(
            "(CASE WHEN ",
            $t,
            ".is_managed = 1 THEN 1 ELSE 0 END",
            " + CASE WHEN EXISTS (SELECT 1 FROM accounts fa WHERE fa.id = ",
            $t,
            ".account_id AND fa.status = 'active') \
             THEN 2 ELSE 0 END",
            " + CASE WHEN ",
            $t,
            ".is_managed = 1 AND EXISTS (SELECT 1 FROM auth_policies fb WHERE fb.org_id = ",
            $t,
            ".org_id AND fb.non_billable = 1 AND (fb.id = ",
            $t,
            ".policy_id OR (",
            $t,
            ".policy_id IS NULL AND fb.is_default = 1))) THEN 8 ELSE 0 END",
            " + CASE WHEN ",
            $t,
            ".suspended_at IS NOT NULL THEN 0 ELSE",
            " CASE WHEN ",
            any_grant!($t, "1 = 1"),
            " THEN 4 ELSE 0 END",
            " + CASE WHEN ",
            any_grant!(
                $t,
                "fi.product = 'statuspage' AND fi.edition IN ('startup', 'business', 'enterprise')"
            ),
            " THEN 16 ELSE 0 END",
            " + CASE WHEN ",
            any_grant!($t, "fp.role <> 'customer'"),
            " THEN 32 ELSE 0 END",
            " + CASE WHEN ",
            any_grant!($t, "fp.role <> 'customer' AND fi.edition <> 'enterprise'"),
            " THEN 64 ELSE 0 END",
            " END)"
        )
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
            ", o.plan AS org_plan, o.free_kind AS org_free, CASE WHEN oa.billing_dirty = 1 THEN ",
            facts_expr!("oa"),
            " ELSE oa.billing_facts END AS billing_facts FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id \
             JOIN orgs o ON o.id = oa.org_id WHERE oa.org_id = "
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
