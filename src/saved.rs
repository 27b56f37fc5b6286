//! The sketch as text for the device's storage, so a reload, a killed tab or a day offline
//! loses nothing. The web layer stores [`encode`]'s text (at most once per stroke end) and
//! gives [`decode`] what it finds on start; anything `decode` refuses (foreign, corrupt,
//! over-large) is discarded with a notice, never a crash.
//!
//! The format is versioned and line-based: `mathsketch-sketch 2`, then one line per stroke of
//! space-separated `x y` pairs in pad pixels with one decimal, then one line per symbol fixed
//! by hand, `fix` + its stroke indices + the symbol (`fix 3 4 ×`). Version 1 (strokes only)
//! still reads. Decoding goes through [`Sketch::from_coordinates`], so stored ink meets the
//! same limits as ink from the server.

use crate::expression::fix::Fix;
use crate::sketch::{Sketch, SketchError};
use crate::symbol::Symbol;

/// The first line of every stored sketch (format and version).
pub const HEADER: &str = "mathsketch-sketch 2";
/// The header of version 1, which had no fixes (still read).
pub const HEADER_V1: &str = "mathsketch-sketch 1";
/// What starts a line holding a fix.
const FIX: &str = "fix";
/// Longest stored text accepted: far above what [`crate::sketch::MAX_POINTS`] points take.
pub const MAX_SAVED_BYTES: usize = 512 * 1024;

/// Why a stored sketch cannot be restored.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SavedError {
    #[error("it is {len} bytes, over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("it is not a MathSketch drawing of a version this page reads")]
    Foreign,
    #[error("line {line} is damaged ({reason})")]
    Malformed { line: usize, reason: &'static str },
    #[error("{0}")]
    Invalid(#[from] SketchError),
}

/// What a stored text holds: the sketch, and the fixes made on it (valid stroke indices).
#[derive(Debug, PartialEq)]
pub struct Saved {
    pub sketch: Sketch,
    pub fixes: Vec<Fix>,
}

/// The text to store for `sketch` (finished strokes and the open one alike) and the `fixes`
/// made on it (fixes naming a stroke the sketch lacks are left out).
///
/// Stable: `encode(decode(t))` is `t` for any `t` that `encode` wrote. Points are rounded to
/// the one decimal stored, and a point that rounds to the same place as the one before it is
/// left out, as `decode` (through `Sketch::from_coordinates`) would drop it anyway.
pub fn encode(sketch: &Sketch, fixes: &[Fix]) -> String {
    let mut out = String::from(HEADER);
    for stroke in sketch.strokes() {
        out.push('\n');
        let mut last = None;
        for p in stroke.points() {
            let here = (stored(p.x), stored(p.y));
            if last == Some(here) {
                continue;
            }
            if last.is_some() {
                out.push(' ');
            }
            out.push_str(&format!("{:.1} {:.1}", here.0, here.1));
            last = Some(here);
        }
    }
    let strokes = sketch.strokes().len();
    for fix in fixes {
        if fix.strokes.is_empty() || fix.strokes.iter().any(|&i| i >= strokes) {
            continue;
        }
        out.push('\n');
        out.push_str(FIX);
        for i in &fix.strokes {
            out.push_str(&format!(" {i}"));
        }
        out.push(' ');
        out.push_str(fix.symbol.as_str());
    }
    out
}

/// `v` as it reads back from its one-decimal text (`+ 0.0` turns -0.0 into 0.0).
fn stored(v: f32) -> f32 {
    (v * 10.0).round() / 10.0 + 0.0
}

/// The sketch and fixes stored as `text` by [`encode`].
pub fn decode(text: &str) -> Result<Saved, SavedError> {
    if text.len() > MAX_SAVED_BYTES {
        return Err(SavedError::TooLarge {
            len: text.len(),
            max: MAX_SAVED_BYTES,
        });
    }
    let mut lines = text.split('\n');
    let with_fixes = match lines.next() {
        Some(HEADER) => true,
        Some(HEADER_V1) => false,
        _ => return Err(SavedError::Foreign),
    };
    let mut strokes = Vec::new();
    let mut fixes = Vec::new();
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        if with_fixes && (line == FIX || line.starts_with("fix ")) {
            fixes.push(decode_fix(line, line_no, strokes.len())?);
            continue;
        }
        if !fixes.is_empty() {
            return Err(SavedError::Malformed {
                line: line_no,
                reason: "a stroke after the fixes",
            });
        }
        let numbers: Vec<f32> = line
            .split(' ')
            .map(|v| v.parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|_| SavedError::Malformed {
                line: line_no,
                reason: "not a number",
            })?;
        if !numbers.len().is_multiple_of(2) {
            return Err(SavedError::Malformed {
                line: line_no,
                reason: "an x without its y",
            });
        }
        strokes.push(numbers.chunks_exact(2).map(|c| [c[0], c[1]]).collect());
    }
    let sketch = if strokes.is_empty() {
        // An empty pad (the web layer removes the entry instead, but the text is valid).
        Sketch::new()
    } else {
        Sketch::from_coordinates(&strokes)?
    };
    Ok(Saved { sketch, fixes })
}

/// One `fix i j … symbol` line, whose indices must name one of the `strokes` strokes.
fn decode_fix(line: &str, line_no: usize, strokes: usize) -> Result<Fix, SavedError> {
    let malformed = |reason| SavedError::Malformed {
        line: line_no,
        reason,
    };
    let mut parts: Vec<&str> = line.split(' ').skip(1).collect();
    let symbol = parts
        .pop()
        .and_then(Symbol::parse)
        .ok_or(malformed("a fix without a symbol"))?;
    let indices = parts
        .iter()
        .map(|p| p.parse::<usize>())
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| malformed("a fix's stroke is not a number"))?;
    if indices.is_empty() || indices.iter().any(|&i| i >= strokes) {
        return Err(malformed("a fix names a stroke that is not there"));
    }
    Ok(Fix {
        strokes: indices,
        symbol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::Point;

    fn drawn() -> Sketch {
        let mut s = Sketch::new();
        s.begin_stroke(Point::new(10.0, 20.5));
        s.extend_stroke(Point::new(30.25, 40.0));
        s.extend_stroke(Point::new(31.0, 80.0));
        s.end_stroke();
        s.begin_stroke(Point::new(5.0, 5.0)); // a dot
        s.end_stroke();
        s
    }

    fn coords(s: &Sketch) -> Vec<Vec<(f32, f32)>> {
        s.strokes()
            .iter()
            .map(|st| st.points().iter().map(|p| (p.x, p.y)).collect())
            .collect()
    }

    #[test]
    fn a_sketch_comes_back_as_it_was_drawn() {
        let s = drawn();
        let text = encode(&s, &[]);
        assert!(text.starts_with(HEADER));
        let back = decode(&text).expect("decodes").sketch;
        // One decimal kept: 30.25 is stored as 30.2 or 30.3, within 0.05 of it.
        for (a, b) in coords(&back)
            .iter()
            .flatten()
            .zip(coords(&s).iter().flatten())
        {
            assert!((a.0 - b.0).abs() <= 0.05 && (a.1 - b.1).abs() <= 0.05);
        }
        assert_eq!(back.strokes().len(), 2);
        assert_eq!(
            decode(&encode(&Sketch::new(), &[])).map(|s| s.sketch.is_empty()),
            Ok(true)
        );
        // What version 1 stored still reads.
        let v1 = decode(&format!("{HEADER_V1}\n1 2 3 4")).expect("decodes");
        assert_eq!(v1.sketch.strokes().len(), 1);
    }

    #[test]
    fn fixes_come_back_with_their_strokes() {
        let s = drawn();
        let fixes = vec![
            Fix {
                strokes: vec![0, 1],
                symbol: Symbol::Divide,
            },
            Fix {
                strokes: vec![1],
                symbol: Symbol::Digit(7),
            },
            // Names a stroke the sketch lacks: not stored.
            Fix {
                strokes: vec![2],
                symbol: Symbol::Plus,
            },
        ];
        let text = encode(&s, &fixes);
        assert!(text.ends_with("\nfix 0 1 ÷\nfix 1 7"), "{text}");
        let back = decode(&text).expect("decodes");
        assert_eq!(back.fixes, fixes[..2]);
        assert_eq!(encode(&back.sketch, &back.fixes), text);
        for (bad, line) in [
            ("fix 5 7", 4),
            ("fix 0 ?", 4),
            ("fix x 7", 4),
            ("fix 7", 4),
            ("fix 0 7\n1 2", 5),
        ] {
            let text = format!("{HEADER}\n1 2 3 4\n5 6\n{bad}");
            assert!(
                matches!(decode(&text), Err(SavedError::Malformed { line: l, .. }) if l == line),
                "{bad}: {:?}",
                decode(&text)
            );
        }
        // Version 1 had no fixes.
        assert!(decode(&format!("{HEADER_V1}\n1 2\nfix 0 7")).is_err());
    }

    #[test]
    fn points_closer_than_the_stored_decimal_do_not_make_the_text_drift() {
        // Found by fuzz/saved_sketch: 0.0 0.0 and 0.01 0.0 are distinct points but the same
        // text; stored twice, the second save dropped one and the text changed.
        let text = format!("{HEADER}\n0.0 -100.0 0.0 0.0 0.01 00.0 0.04 -0.04\n20 50.0");
        let once = encode(&decode(&text).expect("decodes").sketch, &[]);
        assert_eq!(once, format!("{HEADER}\n0.0 -100.0 0.0 0.0\n20.0 50.0"));
        let again = decode(&once).expect("decodes again");
        assert_eq!(encode(&again.sketch, &again.fixes), once);
    }

    #[test]
    fn foreign_corrupt_and_over_large_text_is_refused() {
        assert_eq!(decode("").err(), Some(SavedError::Foreign));
        assert_eq!(decode("{\"strokes\": []}").err(), Some(SavedError::Foreign));
        assert_eq!(
            decode("mathsketch-sketch 3\n1 2").err(),
            Some(SavedError::Foreign)
        );
        let bad = format!("{HEADER}\n1 2 3 4\n1 x");
        assert!(matches!(
            decode(&bad),
            Err(SavedError::Malformed { line: 3, .. })
        ));
        let odd = format!("{HEADER}\n1 2 3");
        assert!(matches!(
            decode(&odd),
            Err(SavedError::Malformed { line: 2, .. })
        ));
        let huge = format!("{HEADER}\n{}", "1 2 ".repeat(MAX_SAVED_BYTES));
        assert!(matches!(decode(&huge), Err(SavedError::TooLarge { .. })));
        let far = format!("{HEADER}\n1e30 2");
        assert!(matches!(decode(&far), Err(SavedError::Invalid(_))));
        let nan = format!("{HEADER}\nNaN 2");
        assert!(decode(&nan).is_err());
        // Every message is a sentence fragment the page can show.
        for e in [decode(""), decode(&bad), decode(&huge)] {
            assert!(!e
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .is_empty());
        }
    }
}
