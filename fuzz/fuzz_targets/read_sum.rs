//! Segmentation + parsing + evaluation of sums: arbitrary strokes are grouped into symbols
//! by the real `Reader`, and a stand-in classifier (driven by the input, so any symbol can
//! land anywhere) names them; the same symbols also go straight to the parser and the exact
//! arithmetic. A reading must come out (never a panic or a hang), with an answer only for a
//! text that ends with `=`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mathsketch::classifier::Probabilities;
use mathsketch::expression::reader::Reader;
use mathsketch::expression::{read_symbols, Reading};
use mathsketch::sketch::Sketch;
use mathsketch::symbol::{CLASSES, SYMBOLS};

fn check(reading: &Reading) {
    if reading.value.is_some() {
        assert!(
            reading.text.ends_with('='),
            "an answer for {:?}",
            reading.text
        );
        assert!(reading.error.is_none(), "both an answer and an error");
    }
}

fuzz_target!(|input: (Vec<u8>, Vec<Vec<(i16, i16)>>)| {
    let (choices, strokes) = input;
    // Straight to the parser: every sequence of symbols, including absurd ones.
    let symbols = choices
        .iter()
        .map(|&c| SYMBOLS[usize::from(c) % CLASSES])
        .collect();
    check(&read_symbols(symbols));

    // Integer coordinates keep the strokes on a page-like grid, where segmentation's rules
    // (overlaps, bars, specks) actually meet; from_coordinates is fuzzed with floats apart.
    let coords: Vec<Vec<[f32; 2]>> = strokes
        .iter()
        .map(|s| {
            s.iter()
                .map(|&(x, y)| [f32::from(x), f32::from(y)])
                .collect()
        })
        .collect();
    let Ok(sketch) = Sketch::from_coordinates(&coords) else {
        return;
    };
    let mut call = 0usize;
    let mut classify = |_: &mathsketch::mnist::MnistImage| {
        let c = choices
            .get(call % choices.len().max(1))
            .copied()
            .unwrap_or(0);
        call += 1;
        let mut p = [(1.0 - 0.9) / (CLASSES - 1) as f32; CLASSES];
        // Confidence from the choice too, so segmentation's "which grouping reads surer"
        // sees both sure and unsure symbols.
        p[usize::from(c) % CLASSES] = 0.3 + 0.6 * f32::from(c / 17) / 15.0;
        Ok(Probabilities::new(p))
    };
    let result = Reader::new()
        .read(&sketch, &mut classify)
        .expect("the stand-in classifier never fails");
    check(&result.reading);
    for s in &result.symbols {
        assert!(!s.strokes.is_empty(), "a symbol without strokes");
        assert!(s.strokes.iter().all(|&i| i < sketch.strokes().len()));
    }
});
