//! A whole sketch read as a sum: segmentation → each symbol normalised and classified on its
//! own → [`super::read`]. Classifications are cached per symbol by the content of its
//! strokes, so while someone writes, a frame only classifies the symbol whose strokes
//! changed; everything else is looked up.

use std::collections::HashMap;

use crate::classifier::{ClassifierError, Probabilities};
use crate::mnist::{MnistImage, Normaliser};
use crate::sketch::Sketch;
use crate::symbol::Symbol;

use super::fix::{fingerprint, Fixes};
use super::segment::{self, Bounds};
use super::Reading;

/// Below this probability a symbol is read "unsure": the page marks it and offers its
/// alternatives. Most symbols the model reads are far above it (≥ 0.99).
pub const SURE: f32 = 0.9;
/// Alternatives offered for a symbol.
pub const ALTERNATIVES: usize = 3;

/// One symbol of the sketch as read.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolReading {
    /// The sketch's strokes it is made of, in drawing order.
    pub strokes: Vec<usize>,
    /// Its box in sketch coordinates `[x0, y0, x1, y1]`.
    pub bounds: Bounds,
    /// The symbol chosen (after context fallback) and what the classifier said.
    pub symbol: Symbol,
    pub probabilities: Probabilities,
    /// The symbol was fixed by hand (see [`super::fix`]).
    pub fixed: bool,
}

impl SymbolReading {
    /// How sure the reading is: 1 for a symbol fixed by hand, else the model's probability
    /// of the symbol chosen.
    pub fn confidence(&self) -> f32 {
        if self.fixed {
            1.0
        } else {
            self.probabilities.of(self.symbol)
        }
    }

    /// Read with less than [`SURE`] confidence: worth a second look.
    pub fn unsure(&self) -> bool {
        self.confidence() < SURE
    }

    /// What else it may be: the [`ALTERNATIVES`] most likely other symbols, most likely
    /// first, with the model's probability of each.
    pub fn alternatives(&self) -> Vec<(Symbol, f32)> {
        self.probabilities
            .ranked()
            .into_iter()
            .filter(|&(s, _)| s != self.symbol)
            .take(ALTERNATIVES)
            .collect()
    }
}

/// What [`Reader::read`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct SketchReading {
    /// Left to right.
    pub symbols: Vec<SymbolReading>,
    pub reading: Reading,
    /// Symbols classified afresh for this reading (the rest came from the cache).
    pub classified: usize,
}

/// Reads sketches, keeping the classifications of unchanged symbols between calls.
#[derive(Debug, Default)]
pub struct Reader {
    normaliser: Normaliser,
    image: MnistImage,
    cache: HashMap<Vec<u64>, Probabilities>,
    used: HashMap<Vec<u64>, Probabilities>,
}

impl Reader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `sketch` as a line of symbols, classifying with `classify` what is not cached.
    pub fn read(
        &mut self,
        sketch: &Sketch,
        classify: &mut dyn FnMut(&MnistImage) -> Result<Probabilities, ClassifierError>,
    ) -> Result<SketchReading, ClassifierError> {
        self.read_with_fixes(sketch, &Fixes::new(), classify)
    }

    /// The same, with the symbols fixed by hand in `fixes` read as chosen.
    pub fn read_with_fixes(
        &mut self,
        sketch: &Sketch,
        fixes: &Fixes,
        classify: &mut dyn FnMut(&MnistImage) -> Result<Probabilities, ClassifierError>,
    ) -> Result<SketchReading, ClassifierError> {
        let prints: Vec<u64> = sketch.strokes().iter().map(fingerprint).collect();
        let mut classified = 0;
        let mut failure = None;
        let mut probs_of = |reader: &mut Reader, group: &[usize]| -> Option<Probabilities> {
            let key: Vec<u64> = group.iter().map(|&i| prints[i]).collect();
            if let Some(p) = reader.used.get(&key).or_else(|| reader.cache.get(&key)) {
                let p = *p;
                reader.used.insert(key, p);
                return Some(p);
            }
            if !reader
                .normaliser
                .normalise_group(sketch, group, &mut reader.image)
            {
                return None;
            }
            match classify(&reader.image) {
                Ok(p) => {
                    classified += 1;
                    reader.used.insert(key, p);
                    Some(p)
                }
                Err(e) => {
                    failure = Some(e);
                    None
                }
            }
        };
        let segments = {
            let mut confidence = |group: &[usize]| probs_of(self, group).map_or(0.0, |p| p.top().1);
            segment::segment(sketch.strokes(), &mut confidence)
        };
        let mut symbols = Vec::with_capacity(segments.len());
        let mut fixed = Vec::with_capacity(segments.len());
        for s in segments {
            if let Some(p) = probs_of(self, &s.strokes) {
                let key: Vec<u64> = s.strokes.iter().map(|&i| prints[i]).collect();
                let chosen = fixes.of(&key);
                fixed.push(chosen);
                symbols.push(SymbolReading {
                    symbol: p.top_symbol().0,
                    probabilities: p,
                    strokes: s.strokes,
                    bounds: s.bounds,
                    fixed: chosen.is_some(),
                });
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        // Keep only what this reading used: the cache follows the sketch, never grows.
        self.cache = std::mem::take(&mut self.used);
        let probs: Vec<Probabilities> = symbols.iter().map(|s| s.probabilities).collect();
        let reading = super::read_fixed(&probs, &fixed);
        for (s, &chosen) in symbols.iter_mut().zip(&reading.symbols) {
            s.symbol = chosen;
        }
        Ok(SketchReading {
            symbols,
            reading,
            classified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::CLASSES;

    /// A stand-in classifier: a flat stroke is a minus, anything else a 1.
    fn fake(image: &MnistImage) -> Result<Probabilities, ClassifierError> {
        let (x0, y0, x1, y1) = image.ink_bounds(0.5).unwrap_or((0, 0, 0, 0));
        let mut p = [0f32; CLASSES];
        if x1 - x0 > 3 * (y1 - y0 + 1) {
            p[Symbol::Minus.index()] = 1.0;
        } else {
            p[1] = 1.0;
        }
        Ok(Probabilities::new(p))
    }

    #[test]
    fn reads_left_to_right_and_reclassifies_only_what_changed() {
        let mut sketch = Sketch::from_coordinates(&[
            vec![[100.0, 0.0], [101.0, 100.0]],
            vec![[0.0, 0.0], [1.0, 100.0]],
        ])
        .expect("strokes");
        let mut reader = Reader::new();
        let r = reader.read(&sketch, &mut fake).expect("reads");
        assert_eq!(r.reading.text, "11");
        assert_eq!(r.classified, 2);
        // A third symbol: only it is classified.
        sketch.begin_stroke(crate::Point::new(150.0, 50.0));
        sketch.extend_stroke(crate::Point::new(200.0, 50.0));
        sketch.end_stroke();
        let r = reader.read(&sketch, &mut fake).expect("reads");
        assert_eq!(r.reading.text, "11\u{2212}");
        assert_eq!(r.classified, 1);
        assert_eq!(r.symbols[2].strokes, vec![2]);
        // Nothing changed: nothing classified.
        assert_eq!(
            reader.read(&sketch, &mut fake).expect("reads").classified,
            0
        );
        // Undo: the rest is still cached.
        sketch.undo();
        let r = reader.read(&sketch, &mut fake).expect("reads");
        assert_eq!((r.reading.text.as_str(), r.classified), ("11", 0));
    }

    #[test]
    fn a_fixed_symbol_is_read_as_chosen_until_its_strokes_change() {
        let mut sketch = Sketch::from_coordinates(&[
            vec![[0.0, 0.0], [1.0, 100.0]],
            vec![[100.0, 0.0], [101.0, 100.0]],
        ])
        .expect("strokes");
        let mut reader = Reader::new();
        let r = reader.read(&sketch, &mut fake).expect("reads");
        assert_eq!(r.reading.text, "11");
        assert!(!r.symbols[0].unsure());
        assert_eq!(r.symbols[0].alternatives().len(), ALTERNATIVES);
        let mut fixes = Fixes::new();
        fixes.choose(&sketch, &r.symbols[1].strokes, Symbol::Digit(7));
        let r = reader
            .read_with_fixes(&sketch, &fixes, &mut fake)
            .expect("reads");
        assert_eq!(r.reading.text, "17");
        assert!(r.symbols[1].fixed && !r.symbols[0].fixed);
        assert_eq!(r.symbols[1].confidence(), 1.0);
        assert_eq!(r.classified, 0, "a fix needs no classification");
        // A bar added to the fixed symbol: it is a new symbol, read afresh.
        sketch.begin_stroke(crate::Point::new(90.0, 0.0));
        sketch.extend_stroke(crate::Point::new(115.0, 2.0));
        sketch.end_stroke();
        let r = reader
            .read_with_fixes(&sketch, &fixes, &mut fake)
            .expect("reads");
        assert!(r.symbols.iter().all(|s| !s.fixed));
    }

    #[test]
    fn a_failing_classifier_is_an_error_not_a_panic() {
        let sketch = Sketch::from_coordinates(&[vec![[0.0, 0.0], [1.0, 100.0]]]).expect("strokes");
        let mut failing = |_: &MnistImage| Err(ClassifierError::Run("boom".into()));
        assert!(Reader::new().read(&sketch, &mut failing).is_err());
        let empty = Sketch::new();
        let r = Reader::new().read(&empty, &mut fake).expect("reads");
        assert!(r.symbols.is_empty() && r.reading.text.is_empty());
    }
}
