//! A small builder for dynamic SQL: fixed fragments are `&'static str`, and every value from
//! input goes in as a bound parameter. There is no way to splice input into the text.

use crate::error::db_err;
use gatehouse_core::Result;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe};

pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Real(f64),
    /// Typed NULLs, so PostgreSQL knows the parameter's type.
    NullText,
    NullInt,
    NullReal,
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        s.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
impl From<f64> for Arg {
    fn from(f: f64) -> Self {
        Arg::Real(f)
    }
}
impl From<Option<i64>> for Arg {
    fn from(i: Option<i64>) -> Self {
        i.map_or(Arg::NullInt, Arg::Int)
    }
}
impl From<Option<f64>> for Arg {
    fn from(f: Option<f64>) -> Self {
        f.map_or(Arg::NullReal, Arg::Real)
    }
}

fn escape_like(s: &str) -> String {
    let mut p = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
    /// Planned on each run with its values rather than prepared once (see
    /// [`Sql::plan_each_time`]).
    one_shot: bool,
}

impl Sql {
    pub(crate) fn new(fragment: &'static str) -> Self {
        Self {
            text: fragment.to_owned(),
            args: Vec::new(),
            one_shot: false,
        }
    }

    /// Has the statement planned on each run with the values bound (an unnamed statement)
    /// instead of prepared once per connection, where PostgreSQL may settle on a generic plan
    /// that ignores them.
    pub(crate) fn plan_each_time(&mut self) -> &mut Self {
        self.one_shot = true;
        self
    }

    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends the next `$n` placeholder and binds `value` to it.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Binds the next value for a `$n` the fixed text already holds (statements written whole,
    /// placeholders and all).
    pub(crate) fn with(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Binds a value without placing it; `push_ref` refers to it (as often as needed).
    pub(crate) fn bind_only(&mut self, value: impl Into<Arg>) -> usize {
        self.args.push(value.into());
        self.args.len()
    }

    /// Refers to a value bound earlier with `bind_only`.
    pub(crate) fn push_ref(&mut self, n: usize) -> &mut Self {
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Binds a LIKE pattern matching `needle` anywhere, with `%`, `_` and `\` escaped.
    pub(crate) fn bind_contains(&mut self, needle: &str) -> &mut Self {
        let mut p = String::with_capacity(needle.len() + 2);
        p.push('%');
        for c in needle.chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        self.bind(p).push(" ESCAPE '\\'")
    }

    /// Binds a LIKE pattern matching values that start with `needle`.
    pub(crate) fn bind_prefix(&mut self, needle: &str) -> &mut Self {
        let p = format!("{}%", escape_like(needle));
        self.bind(p).push(" ESCAPE '\\'")
    }

    /// Binds a LIKE pattern matching values that end with `needle`.
    pub(crate) fn bind_suffix(&mut self, needle: &str) -> &mut Self {
        let p = format!("%{}", escape_like(needle));
        self.bind(p).push(" ESCAPE '\\'")
    }

    /// The statement text, placeholders and all.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone())).persistent(!self.one_shot);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Real(f) => q.bind(*f),
                Arg::NullText => q.bind(None::<String>),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::NullReal => q.bind(None::<f64>),
            };
        }
        q
    }

    pub(crate) async fn fetch_all(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>> {
        self.query().fetch_all(conn).await.map_err(db_err)
    }

    /// [`Self::fetch_all`], answering `None` when the server cancelled the statement
    /// (PostgreSQL's `statement_timeout`, SQLSTATE 57014).
    pub(crate) async fn fetch_all_or_cancelled(&self, conn: &mut AnyConnection) -> Result<Option<Vec<AnyRow>>> {
        match self.query().fetch_all(conn).await {
            Ok(rows) => Ok(Some(rows)),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("57014") => Ok(None),
            Err(e) => Err(db_err(e)),
        }
    }

    pub(crate) async fn execute(&self, conn: &mut AnyConnection) -> Result<u64> {
        Ok(self.query().execute(conn).await.map_err(db_err)?.rows_affected())
    }
}

/// `(a AND b)` or `(a OR b)`, each side written by `each`: the frame every predicate walker
/// shares.
pub(crate) fn push_both<P>(q: &mut Sql, joiner: &'static str, a: &P, b: &P, each: impl Fn(&mut Sql, &P)) {
    q.push("(");
    each(q, a);
    q.push(joiner);
    each(q, b);
    q.push(")");
}

/// `NOT (a)`, `a` written by `each`.
pub(crate) fn push_not<P>(q: &mut Sql, a: &P, each: impl Fn(&mut Sql, &P)) {
    q.push("NOT (");
    each(q, a);
    q.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_numbered_placeholders_never_text() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind("x'; DROP TABLE orgs; --")
            .push(" AND b LIKE ")
            .bind_contains("50%_off");
        assert_eq!(s.text, "SELECT 1 WHERE a = $1 AND b LIKE $2 ESCAPE '\\'");
        match &s.args[1] {
            Arg::Text(t) => assert_eq!(t, "%50\\%\\_off%"),
            _ => panic!("expected text"),
        }
    }
}
