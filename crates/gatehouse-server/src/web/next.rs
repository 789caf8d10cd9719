//! Where a person goes after signing in: only a path on this host.

use super::pages::PageError;

/// Where a sign-in goes when `next` names nowhere (or nowhere allowed).
pub const HOME: &str = "/account";

/// Only local addresses are followed after sign-in: a path on this host (`/account`,
/// `/admin/...`, later `/oauth2/authorize?...`), never another host (`//evil`, `/\evil`,
/// `https://evil`: those go to the account page). An address with control characters (a
/// CR/LF would split the `Location` header) is refused outright.
pub fn safe_next(next: Option<&str>) -> Result<String, PageError> {
    if next.is_some_and(|n| n.chars().any(char::is_control)) {
        return Err(PageError::BadRequest(
            "The address to return to after sign-in (next) holds control characters.".into(),
        ));
    }
    Ok(match next {
        Some(n) if is_local(n) => n.to_owned(),
        _ => HOME.to_owned(),
    })
}

/// A path on this host: one leading `/`, no second `/` or `\` after it (a browser reads
/// `//host` and `/\host` as another host), no `\` anywhere in the path (browsers turn it
/// into `/`). A query may hold anything (an authorize request's `redirect_uri` does).
fn is_local(n: &str) -> bool {
    let path = n.split(['?', '#']).next().unwrap_or_default();
    n.starts_with('/') && !n.starts_with("//") && !path.contains('\\') && n.len() <= 4096
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_follows_paths_on_this_host_only() {
        let to = |n: &str| safe_next(Some(n)).ok();
        for local in [
            "/account",
            "/admin/orgs/x?tab=1",
            "/oauth2/authorize?redirect_uri=https://app.example/cb",
        ] {
            assert_eq!(to(local).as_deref(), Some(local), "{local}");
        }
        for foreign in [
            "//evil.example",
            "/\\evil.example",
            "/admin\\@evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(to(foreign).as_deref(), Some(HOME), "{foreign:?}");
        }
        assert_eq!(safe_next(None).ok().as_deref(), Some(HOME));
        assert!(
            safe_next(Some("/account\r\nSet-Cookie: x=1")).is_err(),
            "CR/LF is refused"
        );
        assert_eq!(to(&format!("/{}", "a".repeat(5000))).as_deref(), Some(HOME), "bounded");
        let authorize = format!("/oauth2/authorize?state={}", "s".repeat(3000));
        assert_eq!(
            to(&authorize),
            Some(authorize.clone()),
            "an authorization request with a long state fits"
        );
    }
}
