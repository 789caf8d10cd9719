//! Recovery codes: ten one-time codes, shown once when made, kept only as digests. Each has 80
//! random bits (sixteen base32 characters), so a plain SHA-256 digest is as strong as a slow
//! hash would be: nobody can search that space from a stolen digest.

use crate::error::{CoreError, Result};
use crate::secret;
use zeroize::Zeroizing;

/// How many codes a set has.
pub const CODES: usize = 10;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const LEN: usize = 16;

/// A new set of codes, as the person sees them (`abcd-efgh-ijkl-mnop`).
pub fn new_codes() -> Result<Vec<Zeroizing<String>>> {
    (0..CODES).map(|_| new_code()).collect()
}

fn new_code() -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; LEN]);
    getrandom::fill(bytes.as_mut()).map_err(CoreError::internal)?;
    let mut code = Zeroizing::new(String::with_capacity(LEN + 3));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    Ok(code)
}

/// The digest a typed code is stored and looked up by, or `None` when it cannot be a code
/// (the comparison itself is the database's lookup of a digest, which reveals nothing).
/// Case, spaces and dashes do not matter.
pub fn digest(typed: &str) -> Option<String> {
    let plain: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (plain.len() == LEN && plain.bytes().all(|b| ALPHABET.contains(&b))).then(|| secret::digest(&plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_that_digest_however_typed() {
        let codes = new_codes().unwrap();
        assert_eq!(codes.len(), CODES);
        let digests: std::collections::HashSet<_> = codes.iter().map(|c| digest(c).unwrap()).collect();
        assert_eq!(digests.len(), CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 19);
        assert_eq!(digest(&c.to_uppercase()), digest(c));
        assert_eq!(digest(&c.replace('-', " ")), digest(c));
        assert_eq!(digest(&c.replace('-', "")), digest(c));
    }

    #[test]
    fn what_cannot_be_a_code_has_no_digest() {
        for bad in [
            "",
            "abcd-efgh-ijkl-mno",
            "abcd-efgh-ijkl-mnop1",
            "abcd-efgh-ijkl-mno0",
            "abcd-efgh-ijkl-mnö",
        ] {
            assert_eq!(digest(bad), None, "{bad:?}");
        }
    }
}
