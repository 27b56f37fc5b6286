//! The scratch-out rule (`mathsketch::scratch`) measured: generated scribbles over ink must be
//! taken as scratch-outs (target ≥ 98 %), and real handwriting must not: every MNIST test
//! digit drawn as pen strokes (its skeleton traced, as `tests/replay.rs` writes them on the
//! page) is checked stroke by stroke (target ≤ 0.5 % of digits with any stroke taken for a
//! scribble). Both rates are printed; the floors below hold them.

#[path = "support/seeded.rs"]
mod seeded;

use seeded::{mnist_dir, Noise};

use mathsketch::scratch::{erased_by, is_scribble};
use mathsketch::skeleton;
use mathsketch::sketch::{Point, Sketch};

const SCRIBBLES: usize = 2000;
const DETECTED_FLOOR: f64 = 0.98;
const MISTAKEN_CEILING: f64 = 0.005;

/// A person's scratch-out over the box (cx ± w/2, cy ± h/2): 5 or more legs back and forth
/// across it (sideways over a tall box, up and down over a wide one, or tilted), each leg
/// overshooting or falling short, bowed, drifting along the box, sampled like a pointer.
fn scribble(noise: &mut Noise, cx: f32, cy: f32, w: f32, h: f32) -> Vec<Point> {
    let sideways = if w < h * 0.8 {
        true
    } else if h < w * 0.8 {
        false
    } else {
        noise.unit() < 0.5
    };
    let tilt = noise.range(-0.5, 0.5);
    let (across, along) = if sideways { (w, h) } else { (h, w) };
    // 5 to 12 legs, and more over a long box: a zig-zag's legs are longer than the step
    // between them (else it is a spring, not a scratch-out), so covering a long number
    // across its short side takes as many legs as it is long.
    let legs = (5 + (noise.unit() * 8.0) as usize).max((along / across * 1.2).ceil() as usize);
    let mut out = Vec::new();
    for leg in 0..legs {
        let from = if leg % 2 == 0 { -0.5 } else { 0.5 };
        let reach_a = across * noise.range(0.8, 1.15);
        let reach_b = across * noise.range(0.8, 1.15);
        let pos0 = along * (leg as f32 / legs as f32 - 0.5);
        let pos1 = along * ((leg + 1) as f32 / legs as f32 - 0.5);
        let bow = across * noise.range(-0.1, 0.1);
        let step = noise.range(3.0, 9.0);
        let n = ((reach_a.max(reach_b)) / step).ceil().max(3.0) as usize;
        for k in 0..n {
            let t = k as f32 / n as f32;
            let a = from * reach_a * (1.0 - t) - from * reach_b * t;
            let b = pos0 + (pos1 - pos0) * t + bow * (std::f32::consts::PI * t).sin();
            let (a, b) = (a + noise.range(-1.5, 1.5), b + noise.range(-1.5, 1.5));
            let (u, v) = if sideways { (a, b) } else { (b, a) };
            // Tilt the whole scribble a little about its centre.
            let (x, y) = (u - tilt * v, v + tilt * u);
            out.push(Point::new(cx + x, cy + y));
        }
    }
    out
}

#[test]
fn scribbles_over_ink_erase_it() {
    let mut noise = Noise(0x5C2A_7C11);
    let mut detected = 0;
    for _ in 0..SCRIBBLES {
        // Some ink under it: a digit-sized stroke or a whole number's worth.
        let (w, h) = (noise.range(20.0, 240.0), noise.range(25.0, 140.0));
        let (cx, cy) = (noise.range(150.0, 400.0), noise.range(100.0, 200.0));
        let ink = Sketch::from_coordinates(&[vec![
            [cx - 0.4 * w, cy - 0.4 * h],
            [cx + 0.4 * w, cy - 0.1 * h],
            [cx - 0.3 * w, cy + 0.4 * h],
        ]])
        .expect("valid ink");
        let s = scribble(&mut noise, cx, cy, w, h);
        if erased_by(ink.strokes(), &s) == Some(vec![0]) {
            detected += 1;
        }
    }
    let rate = detected as f64 / SCRIBBLES as f64;
    eprintln!(
        "scratch-out: {detected}/{SCRIBBLES} generated scribbles over ink detected ({:.2} %)",
        100.0 * rate
    );
    assert!(rate >= DETECTED_FLOOR, "detected {:.2} %", 100.0 * rate);
}

#[test]
fn mnist_digits_drawn_as_strokes_are_never_scratch_outs() {
    let test = mathsketch::idx::load_test(&mnist_dir()).expect("MNIST test set");
    let mut noise = Noise(0x0D16_175C);
    let mut mistaken = Vec::new();
    for i in 0..test.len() {
        // As on the page: 60-160 px tall, pointer samples every few px with jitter.
        let scale = noise.range(3.0, 8.0);
        let paths = skeleton::digit_paths(&test.images[i], scale, 1);
        let hit = paths.iter().filter(|p| p.len() > 1).any(|path| {
            let step = noise.range(2.0, 6.0);
            let samples = skeleton::pointer_samples(path, step, 0.3, 0.8, &mut || noise.unit());
            let points: Vec<Point> = samples.iter().map(|&[x, y]| Point::new(x, y)).collect();
            is_scribble(&points)
        });
        if hit {
            mistaken.push((i, test.labels[i]));
        }
    }
    let rate = mistaken.len() as f64 / test.len() as f64;
    eprintln!(
        "scratch-out: {}/{} MNIST test digits as strokes mistaken for a scribble ({:.3} %): {:?}",
        mistaken.len(),
        test.len(),
        100.0 * rate,
        &mistaken[..mistaken.len().min(20)]
    );
    assert!(rate <= MISTAKEN_CEILING, "mistaken {:.3} %", 100.0 * rate);
}
