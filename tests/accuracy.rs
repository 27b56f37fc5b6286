//! The shipped model, run by the runtime's `Classifier` over the real MNIST test set, reaches
//! the accuracy its card states. Data: `MATHSKETCH_MNIST_DIR`, default `../shared/data/mnist`.

use std::path::{Path, PathBuf};

use mathsketch::classifier::EMBEDDED_MODEL;
use mathsketch::{Classifier, MnistImage};

fn data_dir() -> PathBuf {
    std::env::var_os("MATHSKETCH_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"))
}

fn card_accuracy() -> f64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/symbols.json");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("model card")).expect("JSON");
    card["test_accuracy_tract"]
        .as_f64()
        .expect("test_accuracy_tract in the card")
}

fn accuracy(classifier: &Classifier, images: &[MnistImage], labels: &[u8]) -> f64 {
    let probs = classifier.predict_batch(images).expect("inference runs");
    let correct = probs
        .iter()
        .zip(labels)
        .filter(|(p, &l)| p.top().0 == usize::from(l))
        .count();
    correct as f64 / labels.len() as f64
}

#[test]
fn classifier_reaches_the_card_accuracy_on_mnist_test() {
    let test = mathsketch::idx::load_test(&data_dir()).expect("MNIST test set");
    assert_eq!(test.len(), 10_000);
    let classifier = Classifier::with_batch(EMBEDDED_MODEL, 100).expect("model loads");
    let images: Vec<MnistImage> = test.images.iter().map(MnistImage::from_u8).collect();
    let acc = accuracy(&classifier, &images, &test.labels);
    let expected = card_accuracy();
    println!(
        "MNIST test accuracy through the runtime Classifier: {:.2}%",
        100.0 * acc
    );
    assert!(
        acc + 1e-9 >= expected,
        "accuracy {acc} below the card's {expected}"
    );

    // Batch 1 (what the page runs) gives the same answers as the batched plan.
    let single = Classifier::embedded().expect("embedded model loads");
    for img in images.iter().take(50) {
        let a = single.predict(img).expect("runs");
        let b = classifier.predict(img).expect("runs");
        assert_eq!(a.top().0, b.top().0);
        for (x, y) in a.as_array().iter().zip(b.as_array()) {
            assert!((x - y).abs() < 1e-5);
        }
    }
}
