//! The winnow parser shared by filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2, §3.10).
//!
//! Each function takes the remaining input `&mut &str`. Failures are [`ErrMode::Cut`] with a message and the
//! length of the input left at the failure, from which the caller computes the character position.

use winnow::ascii::{Caseless, multispace0};
use winnow::error::{ErrMode, ParserError};
use winnow::prelude::*;
use winnow::stream::Stream;
use winnow::token::take_while;

use super::ast::{check_name, split_attr_path};
use super::number::number;
use super::{AttrPath, CompValue, CompareOp, Filter, JsonNumber, MAX_FILTER_DEPTH, MAX_FILTER_LEN};
use crate::error::ScimError;

/// A parse failure: what was expected, and how much input was left where it happened.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    msg: String,
    remaining: usize,
}

impl<I: Stream> ParserError<I> for SyntaxError {
    type Inner = Self;

    fn from_input(input: &I) -> Self {
        Self {
            msg: String::new(),
            remaining: input.eof_offset(),
        }
    }

    fn into_inner(self) -> Result<Self::Inner, Self> {
        Ok(self)
    }
}

type PResult<T> = Result<T, ErrMode<SyntaxError>>;

fn fail(at: &str, msg: impl Into<String>) -> ErrMode<SyntaxError> {
    ErrMode::Cut(SyntaxError {
        msg: msg.into(),
        remaining: at.len(),
    })
}

/// Turns a parse failure into a SCIM error whose detail says where parsing stopped.
fn report(source: &str, what: &str, err: ErrMode<SyntaxError>, make: fn(String) -> ScimError) -> ScimError {
    let err = match err {
        ErrMode::Backtrack(e) | ErrMode::Cut(e) => e,
        ErrMode::Incomplete(_) => SyntaxError {
            msg: String::new(),
            remaining: 0,
        },
    };
    let offset = source.len().saturating_sub(err.remaining);
    let msg = if err.msg.is_empty() {
        "unexpected input"
    } else {
        &err.msg
    };
    let rest = source.get(offset..).unwrap_or_default();
    let position = source.get(..offset).map_or(offset, |s| s.chars().count()) + 1;
    if rest.is_empty() {
        make(format!(
            "invalid {what} at the end of the input (character {position}): {msg}"
        ))
    } else {
        let near: String = rest.chars().take(20).collect();
        make(format!("invalid {what} at character {position} (near '{near}'): {msg}"))
    }
}

/// Parses a whole filter (see [`super::parse_filter`]).
pub(crate) fn parse_filter(source: &str) -> Result<Filter, ScimError> {
    if source.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "invalid filter: longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut input = source;
    let result = (|| {
        ws(&mut input);
        let filter = or_expr(&mut input, 0, false)?;
        ws(&mut input);
        match input.chars().next() {
            None => Ok(filter),
            Some(')') => Err(fail(input, "unbalanced ')'")),
            Some(_) => Err(fail(input, "expected 'and', 'or' or the end of the filter")),
        }
    })();
    result.map_err(|e| report(source, "filter", e, ScimError::invalid_filter))
}

/// Parses a PATCH path: `attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2, Figure 7), as the
/// attribute and the value filter, if any.
pub(crate) fn parse_path(source: &str) -> Result<(AttrPath, Option<Filter>), ScimError> {
    if source.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_path(format!(
            "invalid path: longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut input = source;
    let result = (|| {
        ws(&mut input);
        let mut attr = attr_path(&mut input)?;
        let mut filter = None;
        if input.starts_with('[') {
            if attr.sub_attr.is_some() {
                return Err(fail(
                    input,
                    "a value filter must follow an attribute, not a sub-attribute",
                ));
            }
            filter = Some(bracketed(&mut input, 0)?);
            if let Some(rest) = input.strip_prefix('.') {
                input = rest;
                attr.sub_attr = Some(attr_name(&mut input)?.to_owned());
            }
        }
        ws(&mut input);
        if input.is_empty() {
            Ok((attr, filter))
        } else {
            Err(fail(input, "unexpected input after the path"))
        }
    })();
    result.map_err(|e| report(source, "path", e, ScimError::invalid_path))
}

fn ws(input: &mut &str) {
    let _: PResult<&str> = multispace0.parse_next(input);
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$'
}

/// Consumes `word` (case-insensitively) if it is followed by something other than a name character.
fn keyword(input: &mut &str, word: &'static str) -> bool {
    let start = *input;
    let matched: PResult<&str> = Caseless(word).parse_next(input);
    if matched.is_ok() && !input.starts_with(|c: char| is_name_char(c) || c == '.' || c == ':') {
        true
    } else {
        *input = start;
        false
    }
}

/// `or_expr = and_expr *("or" and_expr)`, grouping to the left.
fn or_expr(input: &mut &str, depth: usize, in_value_path: bool) -> PResult<Filter> {
    let mut left = and_expr(input, depth, in_value_path)?;
    loop {
        let before = *input;
        ws(input);
        if keyword(input, "or") {
            ws(input);
            let right = and_expr(input, depth, in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        } else {
            *input = before;
            return Ok(left);
        }
    }
}

/// `and_expr = unary *("and" unary)`, grouping to the left; binds tighter than `or`.
fn and_expr(input: &mut &str, depth: usize, in_value_path: bool) -> PResult<Filter> {
    let mut left = unary(input, depth, in_value_path)?;
    loop {
        let before = *input;
        ws(input);
        if keyword(input, "and") {
            ws(input);
            let right = unary(input, depth, in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        } else {
            *input = before;
            return Ok(left);
        }
    }
}

/// `unary = "not" "(" FILTER ")" / "(" FILTER ")" / valuePath / attrExp`.
fn unary(input: &mut &str, depth: usize, in_value_path: bool) -> PResult<Filter> {
    if depth >= MAX_FILTER_DEPTH {
        return Err(fail(
            input,
            format!("expression nested deeper than {MAX_FILTER_DEPTH} levels"),
        ));
    }
    if input.starts_with('(') {
        return group(input, depth, in_value_path);
    }
    let before = *input;
    if keyword(input, "not") {
        ws(input);
        if input.starts_with('(') {
            return Ok(Filter::Not(Box::new(group(input, depth, in_value_path)?)));
        }
        // Not `not (…)`: read `not` as an attribute name instead.
        *input = before;
    }
    if input.is_empty() || input.starts_with(')') || input.starts_with(']') {
        return Err(fail(input, "expected an expression"));
    }
    let path = attr_path(input)?;
    if !input.starts_with('[') {
        return attr_exp(input, path);
    }
    if in_value_path {
        return Err(fail(input, "value filters '[…]' cannot be nested"));
    }
    if path.sub_attr.is_some() {
        return Err(fail(
            input,
            "a value filter must follow an attribute, not a sub-attribute",
        ));
    }
    let mut filter = bracketed(input, depth)?;
    if let Some(rest) = input.strip_prefix('.') {
        // `attr[filter].sub op value` is `attr[filter and sub op value]`.
        *input = rest;
        let sub = AttrPath::new(attr_name(input)?);
        let test = attr_exp(input, sub)?;
        filter = Filter::And(Box::new(filter), Box::new(test));
    }
    Ok(Filter::ValuePath {
        attr: path,
        filter: Box::new(filter),
    })
}

/// `"(" FILTER ")"`, at the opening parenthesis.
fn group(input: &mut &str, depth: usize, in_value_path: bool) -> PResult<Filter> {
    *input = &input[1..];
    ws(input);
    let inner = or_expr(input, depth + 1, in_value_path)?;
    ws(input);
    match input.strip_prefix(')') {
        Some(rest) => {
            *input = rest;
            Ok(inner)
        }
        None => Err(fail(input, "expected ')'")),
    }
}

/// `"[" valFilter "]"`, at the opening bracket.
fn bracketed(input: &mut &str, depth: usize) -> PResult<Filter> {
    *input = &input[1..];
    ws(input);
    if depth + 1 >= MAX_FILTER_DEPTH {
        return Err(fail(
            input,
            format!("expression nested deeper than {MAX_FILTER_DEPTH} levels"),
        ));
    }
    let inner = or_expr(input, depth + 1, true)?;
    ws(input);
    match input.strip_prefix(']') {
        Some(rest) => {
            *input = rest;
            Ok(inner)
        }
        None => Err(fail(input, "expected ']'")),
    }
}

/// `attrExp` after its path: `SP "pr"` or `SP compareOp SP compValue`.
fn attr_exp(input: &mut &str, path: AttrPath) -> PResult<Filter> {
    if !input.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(fail(input, format!("expected a space and an operator after '{path}'")));
    }
    ws(input);
    let at = *input;
    let word: &str = take_while(1.., |c: char| c.is_ascii_alphabetic())
        .parse_next(input)
        .map_err(|_: ErrMode<SyntaxError>| fail(at, format!("expected an operator after '{path}'")))?;
    if word.eq_ignore_ascii_case("pr") {
        return Ok(Filter::Present { path });
    }
    let op = CompareOp::from_keyword(word).ok_or_else(|| {
        fail(
            at,
            format!("unknown operator '{word}', expected eq, ne, co, sw, ew, gt, ge, lt, le or pr"),
        )
    })?;
    ws(input);
    let value = comp_value(input)?;
    Ok(Filter::Compare { path, op, value })
}

/// `compValue = false / null / true / number / string` (JSON, RFC 7159).
fn comp_value(input: &mut &str) -> PResult<CompValue> {
    let at = *input;
    if input.starts_with('"') {
        return json_string(input).map(CompValue::String);
    }
    if input.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        let text = number::<ErrMode<SyntaxError>>(input).map_err(|_| fail(at, "invalid number"))?;
        return Ok(CompValue::Number(JsonNumber(text.to_owned())));
    }
    for (word, value) in [
        ("true", CompValue::Bool(true)),
        ("false", CompValue::Bool(false)),
        ("null", CompValue::Null),
    ] {
        if keyword(input, word) {
            return Ok(value);
        }
    }
    Err(fail(
        at,
        "expected a value: a JSON string, a number, true, false or null",
    ))
}

/// A JSON string literal at the opening quote, unescaped with `serde_json`.
fn json_string(input: &mut &str) -> PResult<String> {
    let at = *input;
    let bytes = input.as_bytes();
    let mut end = 1;
    loop {
        match bytes.get(end) {
            None => return Err(fail(at, "unterminated string")),
            Some(b'\\') => end += 2,
            Some(b'"') => break,
            Some(_) => end += 1,
        }
    }
    let literal = &input[..=end];
    let value = serde_json::from_str::<String>(literal).map_err(|e| fail(at, format!("invalid string ({e})")))?;
    *input = &input[end + 1..];
    Ok(value)
}

/// An attribute path token: `[URI ":"] ATTRNAME ["." ATTRNAME]`.
fn attr_path(input: &mut &str) -> PResult<AttrPath> {
    let at = *input;
    let token: &str = take_while(1.., |c: char| is_name_char(c) || matches!(c, '.' | ':' | '%' | '~'))
        .parse_next(input)
        .map_err(|_: ErrMode<SyntaxError>| fail(at, "expected an attribute name"))?;
    split_attr_path(token).map_err(|msg| fail(at, msg))
}

/// `ATTRNAME` after a value filter's closing bracket and dot.
fn attr_name<'i>(input: &mut &'i str) -> PResult<&'i str> {
    let at = *input;
    let name: &str = take_while(1.., is_name_char)
        .parse_next(input)
        .map_err(|_: ErrMode<SyntaxError>| fail(at, "expected a sub-attribute name"))?;
    check_name(name).map_err(|msg| fail(at, msg))?;
    Ok(name)
}
