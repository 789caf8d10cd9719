//! The demo's pages: plain HTML, no script. Every value that did not come from this file goes
//! through [`escape`], including the provider's claims and error texts.

use serde_json::Value;

use crate::session::{Profile, Session};

/// Escapes text for an HTML text node or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;\
line-height:1.4}dt{font-weight:600}dd{margin:0 0 .5rem 0}pre{background:#f4f4f4;padding:.75rem;\
overflow:auto}form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.4rem .9rem}\
.notice{background:#eef6ee;padding:.5rem}.error{background:#fbeaea;padding:.5rem}";

/// A whole page around `body` (already HTML); `title` is text.
pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · Demo product</title><style>{STYLE}</style></head>\n<body><main>\n{body}\n</main></body></html>\n",
        escape(title)
    )
}

fn notice(text: Option<&str>) -> String {
    text.map(|t| format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(t)))
        .unwrap_or_default()
}

/// The home page of a signed-out visitor.
pub fn signed_out(message: Option<&str>) -> String {
    let body = format!(
        "<h1>Demo product</h1>\n{}<p>You are signed out. This product signs its users in with \
OpenID Connect.</p>\n<form method=\"get\" action=\"/login\"><button type=\"submit\">Sign in with Gatehouse</button></form>",
        notice(message)
    );
    layout("Signed out", &body)
}

/// The home page of a signed-in person: who they are and every verified token's claims.
pub fn signed_in(session: &Session, message: Option<&str>) -> String {
    let p = &session.profile;
    let t = &session.tokens;
    let userinfo = match &t.userinfo {
        Ok(v) => pretty(v),
        Err(why) => format!("<p class=\"error\">Userinfo failed: {}</p>", escape(why)),
    };
    let csrf = escape(&session.csrf);
    let refresh = if t.refresh_token.is_some() {
        format!(
            "<form method=\"post\" action=\"/refresh\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\">Refresh tokens</button></form>"
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>Demo product</h1>\n{notice}<p>You are signed in as <strong id=\"who\">{who}</strong>.</p>\n\
{profile}\n<p>{refresh}<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" \
value=\"{csrf}\"><button type=\"submit\">Sign out</button></form></p>\n\
<section aria-labelledby=\"h-id\"><h2 id=\"h-id\">ID token claims</h2>\n{id}</section>\n\
<section aria-labelledby=\"h-at\"><h2 id=\"h-at\">Access token claims</h2>\n{at}</section>\n\
<section aria-labelledby=\"h-ui\"><h2 id=\"h-ui\">Userinfo</h2>\n{userinfo}</section>",
        notice = notice(message),
        who = escape(p.name.as_deref().or(p.email.as_deref()).unwrap_or(&p.sub)),
        profile = profile_list(p),
        id = pretty(&t.id_claims),
        at = pretty(&t.access_claims),
    );
    layout("Signed in", &body)
}

fn profile_list(p: &Profile) -> String {
    let opt = |v: Option<&str>| v.map_or_else(|| "<em>not given</em>".to_owned(), escape);
    let verified = match p.email_verified {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not given",
    };
    let amr = if p.amr.is_empty() {
        "<em>not given</em>".to_owned()
    } else {
        escape(&p.amr.join(", "))
    };
    format!(
        "<dl>\n<dt>Name</dt><dd id=\"name\">{}</dd>\n<dt>Email</dt><dd id=\"email\">{}</dd>\n\
<dt>Email verified</dt><dd id=\"email-verified\">{verified}</dd>\n<dt>Subject (sub)</dt><dd id=\"sub\">{}</dd>\n\
<dt>Organization (org_id)</dt><dd id=\"org-id\">{}</dd>\n<dt>Authentication methods (amr)</dt><dd id=\"amr\">{amr}</dd>\n\
<dt>Authenticated at (auth_time)</dt><dd id=\"auth-time\">{}</dd>\n</dl>",
        opt(p.name.as_deref()),
        opt(p.email.as_deref()),
        escape(&p.sub),
        opt(p.org_id.as_deref()),
        opt(p.auth_time.as_deref()),
    )
}

fn pretty(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    format!("<pre>{}</pre>\n", escape(&text))
}

/// A page for a sign-in that went wrong; `details` is shown as text.
pub fn error(title: &str, message: &str, details: Option<&str>) -> String {
    let details = details
        .map(|d| format!("<p>Details: <code>{}</code></p>\n", escape(d)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n{details}<p><a href=\"/\">Back to the demo</a></p>",
        escape(title),
        escape(message)
    );
    layout(title, &body)
}

/// The page for an `access_denied` answer (RFC 6749 §4.1.2.1): the provider refused this
/// person for this product.
pub fn access_denied(description: Option<&str>) -> String {
    error(
        "Access denied",
        "Access was denied by your organization: your account may not use this product. \
Ask an administrator of your organization for access.",
        description,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Tokens;
    use openidconnect::{AccessToken, Nonce, RefreshToken};

    const NASTY: &str = "<script>alert(\"x\")</script>&'";

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(NASTY),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
        assert_eq!(escape("plain é"), "plain é");
    }

    #[test]
    fn error_pages_escape_what_the_provider_sent() {
        let page = error(NASTY, NASTY, Some(NASTY));
        assert!(!page.contains("<script>"), "{page}");
        assert_eq!(page.matches("&lt;script&gt;").count(), 4, "title, h1, message, details");
        assert!(!access_denied(Some(NASTY)).contains("<script>"));
    }

    #[test]
    fn the_signed_in_page_escapes_every_claim() {
        let session = Session {
            profile: Profile {
                sub: NASTY.into(),
                sid: None,
                name: Some(NASTY.into()),
                email: Some(NASTY.into()),
                email_verified: Some(true),
                org_id: Some(NASTY.into()),
                amr: vec![NASTY.into()],
                auth_time: Some(NASTY.into()),
            },
            nonce: Nonce::new("n".into()),
            tokens: Tokens {
                id_token: "h.p.s".into(),
                id_claims: serde_json::json!({ "name": NASTY }),
                access_token: AccessToken::new("a".into()),
                access_claims: serde_json::json!({ NASTY: 1 }),
                refresh_token: Some(RefreshToken::new("r".into())),
                userinfo: Err(NASTY.into()),
            },
            csrf: "\"><b>".into(),
        };
        let page = signed_in(&session, Some(NASTY));
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("\"><b>"), "the csrf attribute cannot be broken out of");
        assert!(page.contains("Refresh tokens"));
        // who, name, email, sub, org, amr, auth_time, notice, userinfo error; the JSON blocks
        // escape their quotes as well.
        assert!(page.matches("&lt;script&gt;").count() >= 11, "{page}");
    }

    #[test]
    fn the_signed_out_page_offers_sign_in() {
        let page = signed_out(Some("<i>"));
        assert!(page.contains("Sign in with Gatehouse"));
        assert!(page.contains("&lt;i&gt;") && !page.contains("<i>"));
    }
}
