//! Segmentation on generated lines of symbols (`support/lines.rs`): MNIST test digits as pen
//! strokes (`mathsketch::skeleton`) and operators drawn by a small generator of the tests' own
//! (not the trainer's), at random sizes, gaps and baselines, read by the real `Reader` with
//! the shipped model. A line counts as right when every symbol's strokes are grouped exactly
//! as written. Also: hand-made edge cases, and the whole reading of the sums.
//!
//! Data: `MATHSKETCH_MNIST_DIR`, default `../shared/data/mnist`.

#[path = "support/lines.rs"]
mod lines;
#[path = "support/seeded.rs"]
mod seeded;

use lines::{by_digit, layout, random_text};
use seeded::{mnist_dir, Noise};

use mathsketch::expression::reader::Reader;
use mathsketch::mnist::MnistImage;
use mathsketch::{Classifier, Sketch, Symbol};

fn text_of(symbols: &[Symbol]) -> String {
    symbols.iter().map(|s| s.as_str()).collect()
}

/// Lines generated (held-out: the seed is this test's own).
const LINES: usize = 400;
/// Regression floors, not the goal: the target is 98 % split right and 95 % read
/// right; measured 98.2 % and 95.5 % with models/symbols.onnx and the Lü–Wang skeletons
/// (`skeleton::thin`; 98.5 % and 95.8 % with those skeletons and the model before, trained on
/// plain Zhang–Suen ones); 98.5 % and 95.5 % since the traced strokes of
/// a digit keep meeting where they branched (`skeleton::digit_paths`; seeds 1-3 went from
/// 97.0, 97.5, 96.8 % split right to 97.5, 97.5, 98.0 % with the model before this one, which
/// read this seed's lines 98.0 % and 94.5 % before and 98.5 % and 95.0 % after); 98.2 % and
/// 94.5 % after the flag re-check
/// (`segment::still_a_flag`), the 1 % context threshold (`read::ALTERNATIVE_MIN`), flags
/// reaching farther (`BAR_GAP`) and half crossbars inside a 7 (`BAR_INSIDE`), all chosen on
/// seeds 1-3; 97.5 % and 93.5 % before them, with
/// the skeleton's ink mask (95.2 % and 90.0 % before it; 92.5 % and 87.2 % before the bar-near-top-or-bottom and
/// fragment rules, tuned on seeds 1-3: 94.2 % there against 91.5 %; 84.2 % and 79.8 % before
/// the line-height, bar-along-top-or-base, broken-bar, side-by-side, shared-width, speck and
/// touch-bias rules). Most misses are MNIST digits whose skeleton falls apart into pieces
/// with a gap between (ink gaps in the scans), which the classifier then reads more surely as
/// two symbols.
const MIN_SEGMENTATION: f64 = 0.98;
const MIN_READ: f64 = 0.945;

#[test]
fn generated_lines_are_split_into_their_symbols_and_read() {
    let test = mathsketch::idx::load_test(&mnist_dir()).expect("MNIST test set");
    let by_digit = by_digit(&test);
    let classifier = Classifier::embedded().expect("model loads");
    let mut session = classifier.session().expect("session");
    let mut classify = |img: &MnistImage| session.predict(img);
    // Rules are tuned on other seeds (MATHSKETCH_SEGMENT_SEED=1, 2, ...); the floors hold for
    // this one.
    let seed = std::env::var("MATHSKETCH_SEGMENT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00C0_FFEE);
    let mut noise = Noise(seed);
    let (mut split_right, mut read_right, mut symbols_right, mut symbols_total) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for k in 0..LINES {
        let text = random_text(&mut noise);
        let line = layout(&text, &test, &by_digit, &mut noise);
        let sketch = Sketch::from_coordinates(&line.strokes).expect("valid strokes");
        let read = Reader::new().read(&sketch, &mut classify).expect("reads");
        let groups: Vec<Vec<usize>> = read.symbols.iter().map(|s| s.strokes.clone()).collect();
        if groups == line.groups {
            split_right += 1;
            symbols_total += line.symbols.len();
            symbols_right += read
                .symbols
                .iter()
                .zip(&line.symbols)
                .filter(|(a, b)| a.symbol == **b)
                .count();
        } else if misses.len() < 40 {
            let boxes: Vec<String> = read
                .symbols
                .iter()
                .map(|s| {
                    format!(
                        "{:?}@{:.0}-{:.0}x{:.0}-{:.0}",
                        s.strokes, s.bounds[0], s.bounds[2], s.bounds[1], s.bounds[3]
                    )
                })
                .collect();
            misses.push(format!(
                "line {k} {}: grouped {}, written {:?}",
                text_of(&text),
                boxes.join(" "),
                line.groups
            ));
        }
        let want = mathsketch::expression::read_symbols(line.symbols.clone());
        if read.reading.text == want.text && read.reading.value == want.value {
            read_right += 1;
        }
    }
    let (seg, rd) = (
        split_right as f64 / LINES as f64,
        read_right as f64 / LINES as f64,
    );
    println!(
        "{LINES} generated lines: split right {:.1}%, read right (text and answer) {:.1}%, \
         symbols right in correctly split lines {:.2}%",
        100.0 * seg,
        100.0 * rd,
        100.0 * symbols_right as f64 / symbols_total.max(1) as f64
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(seg >= MIN_SEGMENTATION, "segmentation {seg}");
    assert!(rd >= MIN_READ, "reading {rd}");
}
