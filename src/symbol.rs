//! The symbols the model reads: the ten digits and seven arithmetic signs, in the order of the
//! model's outputs (and of the `classes` array in its card, `models/symbols.json`).

use std::fmt;

/// Number of classes the model scores.
pub const CLASSES: usize = 17;

/// One class of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    /// `0` ..= `9` (the value is the digit).
    Digit(u8),
    Plus,
    Minus,
    Times,
    Divide,
    Equals,
    OpenParen,
    CloseParen,
}

/// The classes in output order.
pub const SYMBOLS: [Symbol; CLASSES] = [
    Symbol::Digit(0),
    Symbol::Digit(1),
    Symbol::Digit(2),
    Symbol::Digit(3),
    Symbol::Digit(4),
    Symbol::Digit(5),
    Symbol::Digit(6),
    Symbol::Digit(7),
    Symbol::Digit(8),
    Symbol::Digit(9),
    Symbol::Plus,
    Symbol::Minus,
    Symbol::Times,
    Symbol::Divide,
    Symbol::Equals,
    Symbol::OpenParen,
    Symbol::CloseParen,
];

impl Symbol {
    /// The symbol of model output `index`, if there is one.
    pub fn from_index(index: usize) -> Option<Symbol> {
        SYMBOLS.get(index).copied()
    }

    /// The model output this symbol is.
    pub fn index(self) -> usize {
        match self {
            Symbol::Digit(d) => usize::from(d.min(9)),
            Symbol::Plus => 10,
            Symbol::Minus => 11,
            Symbol::Times => 12,
            Symbol::Divide => 13,
            Symbol::Equals => 14,
            Symbol::OpenParen => 15,
            Symbol::CloseParen => 16,
        }
    }

    /// The class name in the model card: plain ASCII where there is one (`-`), so the card is
    /// easy to grep; `×` and `÷` have no ASCII form.
    pub fn class_name(self) -> &'static str {
        match self {
            Symbol::Minus => "-",
            other => other.as_str(),
        }
    }

    /// How the symbol is shown: typeset math (`−` is U+2212 MINUS SIGN, not a hyphen).
    pub fn as_str(self) -> &'static str {
        const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        match self {
            Symbol::Digit(d) => DIGITS[usize::from(d.min(9))],
            Symbol::Plus => "+",
            Symbol::Minus => "\u{2212}",
            Symbol::Times => "×",
            Symbol::Divide => "÷",
            Symbol::Equals => "=",
            Symbol::OpenParen => "(",
            Symbol::CloseParen => ")",
        }
    }

    /// Parses either form: the class name (`-`, `*`/`x` are not accepted) or the typeset one.
    pub fn parse(s: &str) -> Option<Symbol> {
        SYMBOLS
            .iter()
            .copied()
            .find(|sym| sym.as_str() == s || sym.class_name() == s)
    }

    /// The digit's value, for a digit.
    pub fn digit(self) -> Option<u8> {
        match self {
            Symbol::Digit(d) => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_names_round_trip() {
        for (i, s) in SYMBOLS.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(Symbol::from_index(i), Some(*s));
            assert_eq!(Symbol::parse(s.as_str()), Some(*s));
            assert_eq!(Symbol::parse(s.class_name()), Some(*s));
        }
        assert_eq!(Symbol::from_index(CLASSES), None);
        assert_eq!(Symbol::Minus.as_str(), "−");
        assert_eq!(Symbol::Minus.class_name(), "-");
        assert_eq!(Symbol::parse("x"), None);
    }
}
