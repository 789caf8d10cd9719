//! Column lists and select heads shared by several capability files (macros, so that
//! `concat!` can build whole statements from them at compile time).

macro_rules! account_cols {
    () => {
        "a.id, a.email, a.display_name, a.status, a.created_at, a.last_active_at, a.delete_after"
    };
}
/// 1 when the account `oa` has product access in its org, directly or through a group.
macro_rules! has_access {
    () => {
        "CAST(CASE WHEN EXISTS (SELECT 1 FROM product_access pa WHERE pa.org_id = oa.org_id AND pa.account_id = oa.account_id) \
         OR EXISTS (SELECT 1 FROM group_members gm JOIN product_access pa ON pa.group_id = gm.group_id \
         WHERE gm.org_id = oa.org_id AND gm.account_id = oa.account_id) THEN 1 ELSE 0 END AS BIGINT)"
    };
}
macro_rules! org_account_select {
    () => {
        concat!(
            "SELECT ",
            account_cols!(),
            ", oa.is_managed, oa.added_at, ",
            has_access!(),
            " AS has_access FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.org_id = "
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
