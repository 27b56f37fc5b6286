//! Exact arithmetic on a parsed sum, and how its answer is written.
//!
//! Values are big rationals (`num-rational` over `num-bigint`), so `0.1 + 0.2`-style float
//! errors cannot happen: `7÷2` is exactly 7/2 and is written `3.5`. An answer is an integer
//! or a terminating decimal written out exactly (`846÷80` → `10.575`); a non-terminating one
//! (or one with more than [`EXACT_DIGITS`] significant digits) is rounded to
//! [`SIGNIFICANT_DIGITS`] significant digits and marked with an ellipsis (`1÷3` →
//! `0.3333333333…`). Negative answers use the minus sign U+2212, as the page typesets them.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

use super::parse::{Expr, Op};

/// Digits of a rounded answer.
pub const SIGNIFICANT_DIGITS: usize = 10;
/// Longest exact answer written out in full, in significant digits.
pub const EXACT_DIGITS: usize = 20;
/// Largest answer written, in digits before the decimal point: past this a handwritten sum
/// has gone astray, and the page has no room for it.
pub const MAX_INTEGER_DIGITS: usize = 30;

/// Largest numerator plus denominator, in bits, of any intermediate value.
const MAX_BITS: u64 = 4096;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("division by zero")]
    DivisionByZero,
    #[error("the answer is too large")]
    TooLarge,
}

/// The exact value of `expr`.
pub fn evaluate(expr: &Expr) -> Result<BigRational, EvalError> {
    match expr {
        Expr::Number(digits) => {
            // The parser only makes numbers of decimal digits.
            let n = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
            Ok(BigRational::from_integer(n))
        }
        Expr::Neg(inner) => Ok(-evaluate(inner)?),
        Expr::Binary(a, op, b) => {
            let (a, b) = (evaluate(a)?, evaluate(b)?);
            let v = match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => {
                    if b.is_zero() {
                        return Err(EvalError::DivisionByZero);
                    }
                    a / b
                }
            };
            // Bounds every intermediate, so no sum can make the work explode (the parser
            // already bounds each number, and a handwritten sum has few of them).
            if v.numer().bits() + v.denom().bits() > MAX_BITS {
                return Err(EvalError::TooLarge);
            }
            Ok(v)
        }
    }
}

fn digit_count(n: &BigInt) -> usize {
    if n.is_zero() {
        1
    } else {
        n.abs().to_str_radix(10).len()
    }
}

/// `(2s, 5s)` in `n`, if `n` has no other prime factor.
fn twos_and_fives(n: &BigInt) -> Option<(usize, usize)> {
    let (mut n, mut twos, mut fives) = (n.clone(), 0, 0);
    let (two, five) = (BigInt::from(2), BigInt::from(5));
    while n.is_even() && !n.is_zero() {
        n /= &two;
        twos += 1;
    }
    while (&n % &five).is_zero() && !n.is_zero() {
        n /= &five;
        fives += 1;
    }
    (n == BigInt::from(1)).then_some((twos, fives))
}

/// Inserts a decimal point `decimals` digits from the right of `digits` (padding with zeros).
fn with_point(digits: &str, decimals: usize) -> String {
    if decimals == 0 {
        return digits.to_owned();
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (int, frac) = padded.split_at(padded.len() - decimals);
    format!("{int}.{frac}")
}

/// The answer as the page writes it: `42`, `3.5`, `−0.25`, `0.3333333333…`.
pub fn format(value: &BigRational) -> Result<String, EvalError> {
    let sign = if value.is_negative() { "\u{2212}" } else { "" };
    let v = value.abs();
    if digit_count(&v.to_integer()) > MAX_INTEGER_DIGITS {
        return Err(EvalError::TooLarge);
    }
    let (numer, denom) = (v.numer(), v.denom());
    if v.is_integer() {
        return Ok(format!("{sign}{numer}"));
    }
    if let Some((twos, fives)) = twos_and_fives(denom) {
        // Terminating: scale to an integer with `decimals` decimal places, exactly.
        let decimals = twos.max(fives);
        let scaled = numer * BigInt::from(10).pow(decimals as u32) / denom;
        let digits = scaled.to_str_radix(10);
        let significant = digits.trim_start_matches('0').len();
        if significant <= EXACT_DIGITS {
            return Ok(format!("{sign}{}", with_point(&digits, decimals)));
        }
    }
    Ok(format!("{sign}{}…", rounded(&v)))
}

/// `v` (positive) rounded half-up to SIGNIFICANT_DIGITS significant digits, trailing zeros
/// kept (the ellipsis says the digits go on).
fn rounded(v: &BigRational) -> String {
    let ten = BigInt::from(10);
    let smallest = ten.pow(SIGNIFICANT_DIGITS as u32 - 1);
    let whole = v.to_integer();
    // Decimal places that leave SIGNIFICANT_DIGITS digits before the point, found exactly
    // (a float estimate of the exponent can be off by one at a power of ten).
    let mut decimals = SIGNIFICANT_DIGITS.saturating_sub(digit_count(&whole));
    if whole.is_zero() {
        let scale = |k: usize| (v * BigRational::from_integer(ten.pow(k as u32))).to_integer();
        // v >= 1 / denominator, so this stops within the denominator's digits.
        while scale(decimals) < smallest {
            decimals += 1;
        }
    }
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    let mut scaled = (v * BigRational::from_integer(ten.pow(decimals as u32)) + half)
        .floor()
        .to_integer();
    // Rounding up may add a digit (9.9999999999 → 10.00000000).
    if digit_count(&scaled) > SIGNIFICANT_DIGITS && decimals > 0 {
        scaled /= &ten;
        decimals -= 1;
    }
    with_point(&scaled.to_str_radix(10), decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    #[test]
    fn exact_and_rounded_answers() {
        assert_eq!(format(&q(19, 1)).unwrap(), "19");
        assert_eq!(format(&q(7, 2)).unwrap(), "3.5");
        assert_eq!(format(&q(846, 80)).unwrap(), "10.575");
        assert_eq!(format(&q(-1, 4)).unwrap(), "\u{2212}0.25");
        assert_eq!(format(&q(0, 1)).unwrap(), "0");
        assert_eq!(format(&q(1, 3)).unwrap(), "0.3333333333…");
        assert_eq!(format(&q(2, 3)).unwrap(), "0.6666666667…");
        assert_eq!(format(&q(100, 3)).unwrap(), "33.33333333…");
        assert_eq!(format(&q(1, 300)).unwrap(), "0.003333333333…");
        assert_eq!(format(&q(-22, 7)).unwrap(), "\u{2212}3.142857143…");
        assert_eq!(format(&q(1, 1024)).unwrap(), "0.0009765625");
        assert_eq!(
            format(&q(1, 999_999_999_999)).unwrap(),
            "0.000000000001000000000…"
        );
        assert_eq!(
            format(&q(99_999_999_999, 10_000_000_000 + 1)).unwrap(),
            "9.999999999…"
        );
        assert_eq!(format(&q(2, 1)).unwrap(), "2");
        // A terminating decimal too long to show exactly is rounded like the others.
        assert_eq!(format(&q(1, 1 << 40)).unwrap(), "0.0000000000009094947018…");
        // 3/10 + 0.1-style sums are exact.
        assert_eq!(format(&(q(1, 10) + q(2, 10))).unwrap(), "0.3");
    }

    #[test]
    fn too_large_is_an_error() {
        let big = BigRational::from_integer(BigInt::from(10).pow(31));
        assert_eq!(format(&big), Err(EvalError::TooLarge));
        let ok = BigRational::from_integer(BigInt::from(10).pow(29));
        assert_eq!(format(&ok).unwrap(), format!("1{}", "0".repeat(29)));
    }
}
