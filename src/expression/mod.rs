//! Reading what is written as a sum: symbols → text, a parse, and the exact answer.
//!
//! [`read`] takes the classifier's probabilities for each symbol, left to right, and gives a
//! [`Reading`]: the text (`12+7=`, typeset with `×` `÷` `−`), and when the text ends with `=`,
//! either the answer (`19`) or a short message saying why there is none. The steps:
//! [`read::best_reading`] (context fallback for impossible symbols), [`parse::parse`]
//! (precedence, brackets, unary minus) and [`value`] (exact rationals, then the answer's
//! decimal form).

pub mod fix;
pub mod parse;
pub mod read;
pub mod reader;
pub mod segment;
pub mod value;

use crate::classifier::Probabilities;
use crate::symbol::Symbol;

/// What a line of symbols says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The symbols as read (after context fallback).
    pub symbols: Vec<Symbol>,
    /// The symbols typeset: `12+7=`, `3×(−2)=`.
    pub text: String,
    /// The answer, when the text ends with `=` and is a valid sum.
    pub value: Option<String>,
    /// Why there is no answer, when the text holds `=` but is not a valid sum.
    pub error: Option<String>,
}

/// Reads symbols whose classes are already decided.
pub fn read_symbols(symbols: Vec<Symbol>) -> Reading {
    let text: String = symbols.iter().map(|s| s.as_str()).collect();
    let (mut value, mut error) = (None, None);
    if symbols.contains(&Symbol::Equals) {
        let answer = parse::parse(&symbols)
            .map_err(|e| e.to_string())
            .and_then(|sum| value::evaluate(&sum.expr).map_err(|e| e.to_string()))
            .and_then(|v| value::format(&v).map_err(|e| e.to_string()));
        match answer {
            Ok(v) => value = Some(v),
            Err(e) => error = Some(e),
        }
    }
    Reading {
        symbols,
        text,
        value,
        error,
    }
}

/// Reads the classifier's outputs for each symbol, left to right.
pub fn read(probs: &[Probabilities]) -> Reading {
    read_symbols(read::best_reading(probs))
}

/// The same, with the symbols the user fixed by hand (`fixed[i]` for symbol `i`).
pub fn read_fixed(probs: &[Probabilities], fixed: &[Option<Symbol>]) -> Reading {
    read_symbols(read::best_reading_fixed(probs, fixed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Reading {
        read_symbols(
            t.chars()
                .map(|c| Symbol::parse(&c.to_string()).expect("a symbol"))
                .collect(),
        )
    }

    #[test]
    fn sums_and_their_answers() {
        let r = text("12+7=");
        assert_eq!((r.text.as_str(), r.value.as_deref()), ("12+7=", Some("19")));
        assert_eq!(text("7÷2=").value.as_deref(), Some("3.5"));
        assert_eq!(text("846÷80=").value.as_deref(), Some("10.575"));
        assert_eq!(text("1÷3=").value.as_deref(), Some("0.3333333333…"));
        assert_eq!(text("−3×(−2)=").value.as_deref(), Some("6"));
        assert_eq!(text("2−5=").value.as_deref(), Some("\u{2212}3"));
        assert_eq!(text("2+3×4=").value.as_deref(), Some("14"));
        assert_eq!(text("(2+3)×4=").value.as_deref(), Some("20"));
        // No `=`: just the text, no answer and no complaint while writing.
        let r = text("2026");
        assert_eq!((r.value, r.error), (None, None));
        assert_eq!(text("12+").error, None);
    }

    #[test]
    fn errors_are_short_messages() {
        assert_eq!(text("5÷0=").error.as_deref(), Some("division by zero"));
        assert_eq!(text("5÷(2−2)=").error.as_deref(), Some("division by zero"));
        assert_eq!(text("3+=").error.as_deref(), Some("the sum is incomplete"));
        assert_eq!(
            text("(3+4=").error.as_deref(),
            Some("a bracket is not closed")
        );
        assert_eq!(text("2+3=5").error.as_deref(), Some("= must come last"));
        let huge = format!("{}×{}=", "9".repeat(40), "9".repeat(40));
        assert_eq!(
            text(&huge).error.as_deref(),
            Some("the answer is too large")
        );
        assert!(text("=").value.is_none());
    }
}
