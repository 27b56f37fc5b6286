//! Classifier outputs → the symbols of a sum, using the grammar as context.
//!
//! The rule: every symbol is read as its most likely class, unless that makes the text
//! impossible as (the beginning of) a sum and another class with at least
//! [`ALTERNATIVE_MIN`] probability would not. Among all such readings the most probable one
//! wins (the product of the chosen classes' probabilities). So `(` read as `1` in `(1+2)=`
//! becomes `(` again because `11+2)=` cannot be right, while a confident reading is never
//! overruled: an impossible text with no plausible alternative stays as read, and the parse
//! then says what is wrong with it.
//!
//! "Possible" is checked left to right (what may follow what, brackets never closing more
//! than were opened) and, when the text ends with `=`, as a whole (brackets closed, nothing
//! dangling before the `=`).

use crate::classifier::Probabilities;
use crate::symbol::Symbol;

use super::parse::fits_after;

/// Least probability for a class to replace the most likely one. Low, because the model is
/// sure of itself even when wrong (a `1` read as `(` at 0.98 with `1` at 0.01, in the middle
/// of `518`), and a text that cannot be a sum is certainly wrong; not zero, so that what a
/// person clearly wrote (`3+×4=`) stays as written and the parse says what is wrong. 0.1 until
/// 2026-12-05: on 400 generated lines (`tests/segmentation.rs`) this reads 93.8 % right against
/// 93.5 %, and on seeds 1-3 as well or better.
pub const ALTERNATIVE_MIN: f32 = 0.01;
/// Partial readings kept while reading left to right.
const BEAM: usize = 24;
/// Classes considered per symbol.
const ALTERNATIVES: usize = 3;

#[derive(Clone)]
struct Partial {
    symbols: Vec<Symbol>,
    log_p: f32,
    depth: i32,
    /// Every symbol fitted the grammar so far.
    valid: bool,
}

fn can_end_before_equals(last: Option<Symbol>) -> bool {
    matches!(last, Some(Symbol::Digit(_) | Symbol::CloseParen))
}

/// The most probable reading of `probs` (one per symbol, left to right) under the rule above.
pub fn best_reading(probs: &[Probabilities]) -> Vec<Symbol> {
    best_reading_fixed(probs, &[])
}

/// The same, with some symbols fixed by hand (`fixed[i]`, where present, is symbol `i`, as
/// sure as can be): the rest of the line is read around them.
pub fn best_reading_fixed(probs: &[Probabilities], fixed: &[Option<Symbol>]) -> Vec<Symbol> {
    let tops: Vec<Symbol> = probs
        .iter()
        .enumerate()
        .map(|(i, p)| fixed.get(i).copied().flatten().unwrap_or(p.top_symbol().0))
        .collect();
    let mut beam = vec![Partial {
        symbols: Vec::new(),
        log_p: 0.0,
        depth: 0,
        valid: true,
    }];
    for (i, p) in probs.iter().enumerate() {
        let options: Vec<(Symbol, f32)> = match fixed.get(i).copied().flatten() {
            Some(symbol) => vec![(symbol, 1.0)],
            None => p
                .ranked()
                .iter()
                .take(ALTERNATIVES)
                .enumerate()
                .filter(|(i, (_, q))| *i == 0 || *q >= ALTERNATIVE_MIN)
                .map(|(_, &o)| o)
                .collect(),
        };
        let mut next = Vec::with_capacity(beam.len() * options.len());
        for partial in &beam {
            for &(symbol, q) in &options {
                let last = partial.symbols.last().copied();
                let depth = partial.depth
                    + match symbol {
                        Symbol::OpenParen => 1,
                        Symbol::CloseParen => -1,
                        _ => 0,
                    };
                let fits = fits_after(last, symbol)
                    && depth >= 0
                    && (symbol != Symbol::Equals || (depth == 0 && can_end_before_equals(last)));
                let mut symbols = partial.symbols.clone();
                symbols.push(symbol);
                next.push(Partial {
                    symbols,
                    log_p: partial.log_p + q.max(1e-9).ln(),
                    depth,
                    valid: partial.valid && fits,
                });
            }
        }
        // Valid readings first, then by probability.
        next.sort_by(|a, b| b.valid.cmp(&a.valid).then(b.log_p.total_cmp(&a.log_p)));
        next.truncate(BEAM);
        beam = next;
    }
    match beam.into_iter().find(|p| p.valid) {
        Some(best) => best.symbols,
        None => tops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::CLASSES;

    /// Probabilities with `p` on `a` and the rest on `b`.
    fn two(a: Symbol, p: f32, b: Symbol) -> Probabilities {
        let mut v = [0f32; CLASSES];
        v[a.index()] = p;
        v[b.index()] += 1.0 - p;
        Probabilities::new(v)
    }

    fn sure(a: Symbol) -> Probabilities {
        two(a, 1.0, a)
    }

    #[test]
    fn confident_readings_are_kept_even_when_wrong() {
        use Symbol::*;
        let probs = [sure(Digit(3)), sure(Plus), sure(Times), sure(Equals)];
        assert_eq!(best_reading(&probs), vec![Digit(3), Plus, Times, Equals]);
    }

    #[test]
    fn an_impossible_symbol_falls_back_to_a_plausible_alternative() {
        use Symbol::*;
        // "(1+2)=" with the "(" read 60/40 as "1".
        let probs = [
            two(Digit(1), 0.6, OpenParen),
            sure(Digit(1)),
            sure(Plus),
            sure(Digit(2)),
            sure(CloseParen),
            sure(Equals),
        ];
        assert_eq!(
            best_reading(&probs),
            vec![OpenParen, Digit(1), Plus, Digit(2), CloseParen, Equals]
        );
        // "7×12=" with the "1" read 60/40 as "−": "7×−2=" cannot be right.
        let probs = [
            sure(Digit(7)),
            sure(Times),
            two(Minus, 0.6, Digit(1)),
            sure(Digit(2)),
            sure(Equals),
        ];
        assert_eq!(
            best_reading(&probs),
            vec![Digit(7), Times, Digit(1), Digit(2), Equals]
        );
        // Context only fixes impossible texts: "7−1=" read as "711=" is a valid number.
        let probs = [
            sure(Digit(7)),
            two(Digit(1), 0.7, Minus),
            sure(Digit(1)),
            sure(Equals),
        ];
        assert_eq!(
            best_reading(&probs),
            vec![Digit(7), Digit(1), Digit(1), Equals]
        );
    }

    #[test]
    fn a_fixed_symbol_stays_and_the_rest_is_read_around_it() {
        use Symbol::*;
        // "1+2=" with the first symbol fixed as 7: kept, however sure the model was.
        let probs = [sure(Digit(1)), sure(Plus), sure(Digit(2)), sure(Equals)];
        let fixed = [Some(Digit(7)), None, None, None];
        assert_eq!(
            best_reading_fixed(&probs, &fixed),
            vec![Digit(7), Plus, Digit(2), Equals]
        );
        // A fixed "(" makes a later 60/40 ")"-or-1 a ")" (the bracket must close).
        let probs = [
            sure(Digit(1)),
            sure(Digit(3)),
            two(Digit(1), 0.6, CloseParen),
            sure(Equals),
        ];
        let fixed = [Some(OpenParen), None, None, None];
        assert_eq!(
            best_reading_fixed(&probs, &fixed),
            vec![OpenParen, Digit(3), CloseParen, Equals]
        );
        // Fixed even where it makes the text impossible: the parse says what is wrong.
        let fixed = [None, Some(Equals), None, None];
        assert_eq!(best_reading_fixed(&probs, &fixed)[1], Equals);
    }

    #[test]
    fn alternatives_below_the_threshold_are_never_used() {
        use Symbol::*;
        let probs = [two(Times, 0.995, Digit(4)), sure(Digit(2))];
        assert_eq!(best_reading(&probs), vec![Times, Digit(2)]);
    }
}
