//! Password facts: what later password policies may judge an existing password by, measured
//! once when the password is set. Its length, an entropy estimate's score (zxcvbn, 0 to 4) and
//! whether it is on the bundled list of common passwords; nothing else. Not the password, not
//! a hash or any part of one, nothing that narrows a guess beyond these three coarse facts.

use crate::Timestamp;

/// The bundled list of common passwords (see `data/README.md`): lower case, sorted by byte
/// value, one a line.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// zxcvbn looks at this many characters at most: its matching grows faster than linearly with
/// the length (64 characters take ~8 ms, 128 ~40 ms, optimized), and a password this long that
/// is not a repetition already scores 4.
const MEASURED_CHARS: usize = 64;

/// What was measured when a password was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordFacts {
    /// Length in characters (Unicode scalar values).
    pub length: u32,
    /// zxcvbn's score: 0 (guessed within 10^3 tries) to 4 (more than 10^10).
    pub score: u8,
    /// Whether it is on the bundled list of common passwords, whatever its letters' case.
    pub common: bool,
    /// When it was set.
    pub set_at: Timestamp,
}

impl PasswordFacts {
    /// Measures `password`. `user_inputs` are what an attacker knows of its owner (email
    /// address, name): a password built from them scores lower.
    pub fn measure(password: &str, user_inputs: &[&str], set_at: Timestamp) -> Self {
        let length = password.chars().count();
        let measured: String = password.chars().take(MEASURED_CHARS).collect();
        let inputs = user_words(user_inputs);
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let score = u8::from(zxcvbn::zxcvbn(&measured, &inputs).score());
        Self {
            length: u32::try_from(length).unwrap_or(u32::MAX),
            score,
            common: is_common(password),
            set_at,
        }
    }
}

/// A password account's state as an admin of its managing organization reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordState {
    /// The account has no password.
    None,
    /// It has a password set before Gatehouse measured passwords.
    Unknown,
    /// It has a password, measured when it was set.
    Set(PasswordFacts),
}

impl PasswordState {
    /// `none`, `unknown` or `set`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PasswordState::None => "none",
            PasswordState::Unknown => "unknown",
            PasswordState::Set(_) => "set",
        }
    }

    /// The facts, when they were measured.
    pub fn facts(&self) -> Option<&PasswordFacts> {
        match self {
            PasswordState::Set(f) => Some(f),
            PasswordState::None | PasswordState::Unknown => None,
        }
    }
}

/// Whether `password` (in any case, without surrounding spaces) is on the bundled list.
pub fn is_common(password: &str) -> bool {
    in_sorted_lines(COMMON_PASSWORDS, &password.trim().to_lowercase())
}

/// The owner's words zxcvbn should know: the whole email address, its local part and each
/// part of it, the name and each word of it; lower case, three characters or more.
fn user_words(inputs: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for input in inputs {
        let input = input.trim().to_lowercase();
        let local = input.split('@').next().unwrap_or_default().to_owned();
        let parts: Vec<String> = local
            .split(|c: char| !c.is_alphanumeric())
            .chain(input.split(|c: char| c.is_whitespace()))
            .map(str::to_owned)
            .collect();
        words.push(input);
        words.push(local);
        words.extend(parts);
    }
    words.retain(|w| w.chars().count() >= 3);
    words.sort();
    words.dedup();
    words
}

/// Binary search for a whole line in `text`, whose lines are sorted by byte value: each step
/// halves the byte range between two line starts, so a lookup reads O(log n) lines.
fn in_sorted_lines(text: &str, needle: &str) -> bool {
    let bytes = text.as_bytes();
    // `lo` and `hi` are always line starts (or the end).
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[lo..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |p| lo + p + 1);
        let end = bytes[start..hi]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |p| start + p);
        match text[start..end].cmp(needle) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(p: &str) -> PasswordFacts {
        PasswordFacts::measure(
            p,
            &["ada.lovelace@acme.example", "Ada Lovelace"],
            Timestamp::from_millis(7),
        )
    }

    #[test]
    fn the_bundled_list_is_large_lower_case_and_sorted() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(lines.len() >= 10_000, "{}", lines.len());
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted, without duplicates");
        assert!(lines.iter().all(|l| *l == l.to_lowercase() && !l.is_empty()));
        // Every entry is found by the search, and its neighbours' neighbours are not invented.
        for l in &lines {
            assert!(in_sorted_lines(COMMON_PASSWORDS, l), "{l}");
        }
        for absent in [
            "",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "\u{0}",
            "123456\n",
            "passwor",
            "password0x",
        ] {
            assert!(!in_sorted_lines(COMMON_PASSWORDS, absent), "{absent:?}");
        }
    }

    #[test]
    fn a_common_password_is_common_whatever_its_case() {
        for p in [
            "password",
            "PASSWORD",
            "PassWord",
            "  Password ",
            "iloveyou",
            "1q2w3e4r5t6y",
            "Qwertyuiop123",
        ] {
            assert!(is_common(p), "{p}");
        }
        assert!(facts("Password1234").common);
        assert!(!is_common("a7Rk#v9Lq2!zWm"));
    }

    #[test]
    fn a_long_random_password_scores_4_and_a_common_one_scores_low() {
        let strong = facts("v8#Qm2!zR7kL@w4Tn9xE");
        assert_eq!((strong.length, strong.score, strong.common), (20, 4, false));
        assert_eq!(strong.set_at, Timestamp::from_millis(7));
        let weak = facts("password1234");
        assert!(weak.common && weak.score <= 1, "{weak:?}");
    }

    #[test]
    fn the_owners_own_name_and_address_make_a_password_weaker() {
        let p = "adalovelace1815";
        let knowing = facts(p);
        let blind = PasswordFacts::measure(p, &[], Timestamp::from_millis(7));
        assert!(knowing.score < blind.score, "{knowing:?} vs {blind:?}");
    }

    #[test]
    fn length_counts_characters_and_long_passwords_are_measured_quickly() {
        assert_eq!(facts("ünïcødé-pässwörd").length, 16);
        let long = "correct horse battery staple ".repeat(5);
        let started = std::time::Instant::now();
        let f = facts(&long[..128]);
        assert_eq!(f.length, 128);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
