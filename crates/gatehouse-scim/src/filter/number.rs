//! JSON numbers (RFC 8259 §6), as filter values and as the text a [`super::JsonNumber`] holds.

use winnow::ascii::{digit0, digit1};
use winnow::combinator::{alt, opt};
use winnow::error::{ContextError, ErrMode, ParserError};
use winnow::prelude::*;
use winnow::token::one_of;

/// `-? (0 / [1-9] DIGIT*) ["." DIGIT+] [("e" / "E") ["+" / "-"] DIGIT+]` (RFC 8259 §6).
pub(crate) fn number<'i, E: ParserError<&'i str>>(input: &mut &'i str) -> Result<&'i str, E> {
    (
        opt('-'),
        alt(("0".void(), (one_of('1'..='9'), digit0).void())),
        opt(('.', digit1)),
        opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), digit1)),
    )
        .take()
        .parse_next(input)
}

/// Whether the whole text is one JSON number.
pub(crate) fn is_json_number(text: &str) -> bool {
    let mut input = text;
    number::<ErrMode<ContextError>>(&mut input).is_ok() && input.is_empty()
}
