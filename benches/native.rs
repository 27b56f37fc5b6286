//! Native tract on the shipped model (criterion): the reference for the browser figures of
//! `benches/page.rs`. `cargo bench --bench native` prints inference alone on the benchmark
//! input, and a whole frame (normalise a drawing + infer) on the drawing the page bench uses.

use criterion::{criterion_group, criterion_main, Criterion};
use mathsketch::classifier::Classifier;
use mathsketch::mnist::{MnistImage, Normaliser};
use mathsketch::sketch::Sketch;

#[allow(dead_code)]
#[path = "../tests/support/digits.rs"]
mod digits;

fn tract_native(c: &mut Criterion) {
    // The model is compiled into the binary, so failing to load it is a build defect.
    let classifier = Classifier::embedded().expect("the embedded model loads");
    let mut session = classifier
        .session()
        .expect("a session on the embedded model");
    let input = MnistImage::benchmark_input();
    c.bench_function("infer (benchmark input)", |b| {
        b.iter(|| session.predict(std::hint::black_box(&input)))
    });

    let three = digits::drawings()
        .into_iter()
        .find(|d| d.digit == 3)
        .expect("the test drawings include a 3");
    let strokes = digits::pad_coordinates(&three, digits::PLACEMENTS[0], 400.0);
    let sketch = Sketch::from_coordinates(&strokes).expect("the drawing is a valid sketch");
    let mut normaliser = Normaliser::new();
    let mut image = MnistImage::blank();
    c.bench_function("frame (normalise + infer)", |b| {
        b.iter(|| {
            normaliser.normalise(std::hint::black_box(&sketch), &mut image);
            session.predict(&image)
        })
    });
    c.bench_function("load (parse + optimise the model)", |b| {
        b.iter(Classifier::embedded)
    });
}

criterion_group!(benches, tract_native);
criterion_main!(benches);
