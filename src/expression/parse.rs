//! Symbols → a syntax tree, with the usual precedence (`×` `÷` before `+` `−`), brackets, and
//! a unary minus at the start of the sum or right after `(` (`−3+5`, `2×(−4)`), the two places
//! people write one. Digits in a row are one number.

use crate::symbol::Symbol;

/// Longest number accepted, in digits: far past anything handwritten, short enough that
/// arithmetic on it is instant.
pub const MAX_DIGITS: usize = 40;

/// A parsed sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A number as written (decimal digits, no sign).
    Number(String),
    Neg(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    pub fn symbol(self) -> Symbol {
        match self {
            Op::Add => Symbol::Plus,
            Op::Sub => Symbol::Minus,
            Op::Mul => Symbol::Times,
            Op::Div => Symbol::Divide,
        }
    }
}

/// Why a sequence of symbols is not a sum. Positions are 0-based symbol indices.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("nothing to work out")]
    Empty,
    #[error("the sum is incomplete")]
    Incomplete,
    #[error("unexpected {symbol} (symbol {position})")]
    Unexpected { symbol: Symbol, position: usize },
    #[error("a bracket is not closed")]
    Unclosed,
    #[error("= must come last")]
    EqualsNotLast,
    #[error("number too long (over {MAX_DIGITS} digits)")]
    NumberTooLong,
}

/// A sum split off its trailing `=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sum {
    pub expr: Expr,
    /// The sum ends with `=`: the answer is wanted.
    pub asks_answer: bool,
}

/// Parses `symbols` (the whole text read). A trailing `=` asks for the answer.
pub fn parse(symbols: &[Symbol]) -> Result<Sum, ParseError> {
    let (body, asks_answer) = match symbols.split_last() {
        Some((Symbol::Equals, rest)) => (rest, true),
        _ => (symbols, false),
    };
    if body.contains(&Symbol::Equals) {
        return Err(ParseError::EqualsNotLast);
    }
    if body.is_empty() {
        return Err(if asks_answer {
            ParseError::Incomplete
        } else {
            ParseError::Empty
        });
    }
    let mut parser = Parser {
        symbols: body,
        at: 0,
    };
    let expr = parser.sum()?;
    match parser.peek() {
        None => Ok(Sum { expr, asks_answer }),
        Some(_) => Err(parser.unexpected()),
    }
}

struct Parser<'a> {
    symbols: &'a [Symbol],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Symbol> {
        self.symbols.get(self.at).copied()
    }

    fn unexpected(&self) -> ParseError {
        match self.peek() {
            Some(symbol) => ParseError::Unexpected {
                symbol,
                position: self.at,
            },
            None => ParseError::Incomplete,
        }
    }

    /// sum := ['−'] term (('+' | '−') term)*
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = if self.peek() == Some(Symbol::Minus) {
            self.at += 1;
            Expr::Neg(Box::new(self.term()?))
        } else {
            self.term()?
        };
        loop {
            let op = match self.peek() {
                Some(Symbol::Plus) => Op::Add,
                Some(Symbol::Minus) => Op::Sub,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.term()?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
    }

    /// term := primary (('×' | '÷') primary)*
    fn term(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.primary()?;
        loop {
            let op = match self.peek() {
                Some(Symbol::Times) => Op::Mul,
                Some(Symbol::Divide) => Op::Div,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.primary()?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
    }

    /// primary := digit+ | '(' sum ')'
    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Symbol::Digit(_)) => {
                let mut digits = String::new();
                while let Some(Symbol::Digit(d)) = self.peek() {
                    if digits.len() == MAX_DIGITS {
                        return Err(ParseError::NumberTooLong);
                    }
                    digits.push(char::from(b'0' + d.min(9)));
                    self.at += 1;
                }
                Ok(Expr::Number(digits))
            }
            Some(Symbol::OpenParen) => {
                self.at += 1;
                let inner = self.sum()?;
                match self.peek() {
                    Some(Symbol::CloseParen) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    None => Err(ParseError::Unclosed),
                    Some(_) => Err(self.unexpected()),
                }
            }
            _ => Err(self.unexpected()),
        }
    }
}

/// Would `symbol` be a valid next symbol after `before`? Used to fall back, for a symbol
/// that makes no sense where it stands, to an alternative that does (see `read`).
pub fn fits_after(before: Option<Symbol>, symbol: Symbol) -> bool {
    use Symbol::*;
    let operand_start = |s: Symbol| matches!(s, Digit(_) | OpenParen);
    match before {
        // Start: an operand or a leading minus.
        None => operand_start(symbol) || symbol == Minus,
        Some(OpenParen) => operand_start(symbol) || symbol == Minus,
        Some(Plus | Minus | Times | Divide) => operand_start(symbol),
        Some(Digit(_) | CloseParen) => !matches!(symbol, OpenParen),
        // Nothing follows `=`.
        Some(Equals) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::Symbol::*;

    fn syms(text: &str) -> Vec<Symbol> {
        text.chars()
            .map(|c| match c {
                '-' => Minus,
                '*' => Times,
                '/' => Divide,
                c => Symbol::parse(&c.to_string()).expect("a symbol"),
            })
            .collect()
    }

    #[test]
    fn precedence_and_brackets() {
        let n = |s: &str| Box::new(Expr::Number(s.into()));
        assert_eq!(
            parse(&syms("1+2*3=")).unwrap(),
            Sum {
                expr: Expr::Binary(
                    n("1"),
                    Op::Add,
                    Box::new(Expr::Binary(n("2"), Op::Mul, n("3")))
                ),
                asks_answer: true
            }
        );
        assert_eq!(
            parse(&syms("(1+2)*3")).unwrap().expr,
            Expr::Binary(
                Box::new(Expr::Binary(n("1"), Op::Add, n("2"))),
                Op::Mul,
                n("3")
            )
        );
        assert_eq!(
            parse(&syms("-12+7")).unwrap().expr,
            Expr::Binary(Box::new(Expr::Neg(n("12"))), Op::Add, n("7"))
        );
        assert!(parse(&syms("2*(-4)=")).is_ok());
        assert!(!parse(&syms("2026")).unwrap().asks_answer);
    }

    #[test]
    fn every_error_case() {
        assert_eq!(parse(&[]), Err(ParseError::Empty));
        assert_eq!(parse(&syms("=")), Err(ParseError::Incomplete));
        assert_eq!(parse(&syms("3+=")), Err(ParseError::Incomplete));
        assert_eq!(parse(&syms("3+")), Err(ParseError::Incomplete));
        assert_eq!(parse(&syms("(3+4=")), Err(ParseError::Unclosed));
        assert_eq!(
            parse(&syms("3+4)=")),
            Err(ParseError::Unexpected {
                symbol: CloseParen,
                position: 3
            })
        );
        assert_eq!(
            parse(&syms("3*-4=")),
            Err(ParseError::Unexpected {
                symbol: Minus,
                position: 2
            })
        );
        assert_eq!(
            parse(&syms("3(4)")),
            Err(ParseError::Unexpected {
                symbol: OpenParen,
                position: 1
            })
        );
        assert_eq!(parse(&syms("2+3=5")), Err(ParseError::EqualsNotLast));
        assert_eq!(parse(&syms("1==")), Err(ParseError::EqualsNotLast));
        assert_eq!(
            parse(&syms("()")),
            Err(ParseError::Unexpected {
                symbol: CloseParen,
                position: 1
            })
        );
        let long = "9".repeat(MAX_DIGITS + 1);
        assert_eq!(parse(&syms(&long)), Err(ParseError::NumberTooLong));
        assert!(parse(&syms(&"9".repeat(MAX_DIGITS))).is_ok());
    }

    #[test]
    fn fits_after_follows_the_grammar() {
        assert!(fits_after(None, Minus));
        assert!(!fits_after(None, Times));
        assert!(fits_after(Some(Digit(1)), Times));
        assert!(!fits_after(Some(Plus), Minus));
        assert!(fits_after(Some(OpenParen), Minus));
        assert!(!fits_after(Some(Digit(3)), OpenParen));
        assert!(!fits_after(Some(Equals), Digit(1)));
    }
}
