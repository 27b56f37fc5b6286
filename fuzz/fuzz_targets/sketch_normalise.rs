//! `Sketch::from_coordinates` and the MNIST normalisation on arbitrary coordinates (NaN,
//! infinities, huge, tiny, duplicate, degenerate strokes): a sketch or a `SketchError`, and
//! every image the normaliser makes is a valid model input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mathsketch::mnist::MnistImage;
use mathsketch::sketch::Sketch;

fuzz_target!(|strokes: Vec<Vec<(f32, f32)>>| {
    let coords: Vec<Vec<[f32; 2]>> = strokes
        .iter()
        .map(|s| s.iter().map(|&(x, y)| [x, y]).collect())
        .collect();
    let Ok(sketch) = Sketch::from_coordinates(&coords) else {
        return;
    };
    if let Some(image) = MnistImage::from_sketch(&sketch) {
        assert!(
            image.pixels().iter().all(|p| (0.0..=1.0).contains(p)),
            "pixels outside 0..=1"
        );
    }
});
