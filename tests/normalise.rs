//! MNIST normalisation, natively: properties over random sketches (proptest), edge cases, and
//! bitmap (`from_luma`) normalisation.
//!
//! Thresholds used below, and why:
//! * "Ink longer side" is the bounding box of pixels > 0.5: the normaliser puts the 0.5 contour
//!   19.5 px apart (MNIST: 20 at both > 0 and > 0.5), which covers 19 or 20 pixel centres
//!   depending on sub-pixel phase, so 18..=21 is asserted as the brief asks.
//! * Translation/scale invariance compare whole images within 1e-3: the pipeline is continuous
//!   in the input and the only differences are f32 rounding of the inputs.

use mathsketch::mnist::{DEFAULT_MIN_EXTENT, PIXELS, SIDE};
use mathsketch::raster::{self, Affine, Raster};
use mathsketch::{ImageError, MnistImage, Normaliser, Point, Sketch};
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

fn sketch_of(strokes: &[Vec<(f32, f32)>]) -> Sketch {
    let mut s = Sketch::new();
    for st in strokes {
        let mut it = st.iter();
        if let Some(&(x, y)) = it.next() {
            s.begin_stroke(Point::new(x, y));
            for &(x, y) in it {
                s.extend_stroke(Point::new(x, y));
            }
            s.end_stroke();
        }
    }
    s
}

fn map(strokes: &[Vec<(f32, f32)>], f: impl Fn(f32, f32) -> (f32, f32)) -> Vec<Vec<(f32, f32)>> {
    strokes
        .iter()
        .map(|st| st.iter().map(|&(x, y)| f(x, y)).collect())
        .collect()
}

fn norm(strokes: &[Vec<(f32, f32)>]) -> MnistImage {
    MnistImage::from_sketch(&sketch_of(strokes)).expect("sketch has points")
}

fn max_diff(a: &MnistImage, b: &MnistImage) -> f32 {
    a.pixels()
        .iter()
        .zip(b.pixels())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn mean_diff(a: &MnistImage, b: &MnistImage) -> f32 {
    a.pixels()
        .iter()
        .zip(b.pixels())
        .map(|(x, y)| (x - y).abs())
        .sum::<f32>()
        / PIXELS as f32
}

fn extent(strokes: &[Vec<(f32, f32)>]) -> f32 {
    let pts: Vec<_> = strokes.iter().flatten().collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &&(x, y) in &pts {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    (x1 - x0).max(y1 - y0)
}

/// (width, height) of the ink bounding box at `t`.
fn ink_size(img: &MnistImage, t: f32) -> (usize, usize) {
    img.ink_bounds(t)
        .map(|(x0, y0, x1, y1)| (x1 - x0 + 1, y1 - y0 + 1))
        .unwrap_or((0, 0))
}

fn assert_valid(img: &MnistImage) {
    assert!(
        img.pixels().iter().all(|v| (0.0..=1.0).contains(v)),
        "pixel out of [0,1]"
    );
}

/// The centre of mass is within 0.5 px of (14, 14) on each axis, unless the normaliser had to
/// clamp on that axis to keep the ink in the field (then ink touches that axis' border).
fn assert_centred(img: &MnistImage) {
    let (cx, cy) = img.centre_of_mass().expect("ink");
    let (x0, y0, x1, y1) = img.ink_bounds(0.0).expect("ink");
    let edge = SIDE - 1;
    assert!(
        (cx - 14.0).abs() <= 0.5 || x0 == 0 || x1 == edge,
        "com x {cx} (ink x {x0}..={x1})"
    );
    assert!(
        (cy - 14.0).abs() <= 0.5 || y0 == 0 || y1 == edge,
        "com y {cy} (ink y {y0}..={y1})"
    );
}

fn seven() -> Vec<Vec<(f32, f32)>> {
    vec![vec![
        (10.0, 10.0),
        (90.0, 12.0),
        (60.0, 60.0),
        (40.0, 130.0),
    ]]
}

fn zero() -> Vec<Vec<(f32, f32)>> {
    let pts = (0..=64)
        .map(|i| {
            let a = i as f32 / 64.0 * std::f32::consts::TAU;
            (100.0 + 45.0 * a.cos(), 100.0 + 70.0 * a.sin())
        })
        .collect();
    vec![pts]
}

/// Renders a light-on-dark u8 bitmap of a seven with a thick pen (like a photo of a marker
/// digit), `w x h`, ink roughly in the middle.
fn seven_bitmap(w: usize, h: usize, radius: f32) -> Vec<u8> {
    let mut r = Raster::new(w, h);
    let (sx, sy) = (w as f32 / 100.0, h as f32 / 140.0);
    let pts = [(20.0, 20.0), (80.0, 22.0), (55.0, 70.0), (40.0, 120.0)];
    for pair in pts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        r.draw_capsule([a.0 * sx, a.1 * sy], [b.0 * sx, b.1 * sy], radius, 1.0);
    }
    r.data()
        .iter()
        .map(|&v| (v * 255.0).round() as u8)
        .collect()
}

// ---------------------------------------------------------------- properties

/// Random sketches: 1..4 strokes of 1..25 points in a box of random size, so extents vary.
fn arb_strokes() -> impl Strategy<Value = Vec<Vec<(f32, f32)>>> {
    (
        60.0f32..400.0,
        prop::collection::vec(
            prop::collection::vec((0.0f32..1.0, 0.0f32..1.0), 1..25),
            1..4,
        ),
    )
        .prop_map(|(size, strokes)| map(&strokes, |x, y| (x * size, y * size * 1.3)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn translation_invariant(strokes in arb_strokes(), dx in -2000.0f32..2000.0, dy in -2000.0f32..2000.0) {
        prop_assume!(extent(&strokes) >= 10.0 * DEFAULT_MIN_EXTENT);
        let a = norm(&strokes);
        let b = norm(&map(&strokes, |x, y| (x + dx, y + dy)));
        prop_assert!(max_diff(&a, &b) < 1e-3, "diff {}", max_diff(&a, &b));
    }

    #[test]
    fn scale_invariant(strokes in arb_strokes(), k in 0.1f32..20.0) {
        // Scaled down by 0.1 the drawing must stay above the minimum extent.
        prop_assume!(extent(&strokes) >= 10.0 * DEFAULT_MIN_EXTENT);
        let a = norm(&strokes);
        let b = norm(&map(&strokes, |x, y| (x * k, y * k)));
        prop_assert!(max_diff(&a, &b) < 1e-3, "diff {}", max_diff(&a, &b));
    }

    #[test]
    fn centred_fitted_and_in_range(strokes in arb_strokes()) {
        prop_assume!(extent(&strokes) >= DEFAULT_MIN_EXTENT);
        let img = norm(&strokes);
        assert_valid(&img);
        assert_centred(&img);
        let (w, h) = ink_size(&img, 0.5);
        prop_assert!((18..=21).contains(&w.max(h)), "ink longer side {}x{}", w, h);
        let (w0, h0) = ink_size(&img, 0.0);
        prop_assert!(w0.max(h0) <= 22, "any-ink longer side {}x{}", w0, h0);
    }

    #[test]
    fn never_panics_on_any_floats(
        strokes in prop::collection::vec(
            prop::collection::vec((any::<f32>(), any::<f32>(), any::<f32>()), 0..20), 0..5)
    ) {
        let mut s = Sketch::new();
        for st in &strokes {
            for (i, &(x, y, pr)) in st.iter().enumerate() {
                let p = Point { x, y, pressure: pr, t_ms: f64::from(pr) };
                if i == 0 { s.begin_stroke(p) } else { s.extend_stroke(p) }
            }
            s.end_stroke();
        }
        let mut out = MnistImage::blank();
        let drawn = Normaliser::new().normalise(&s, &mut out);
        prop_assert_eq!(drawn, !s.is_empty());
        assert_valid(&out);
        if drawn {
            prop_assert!(out.mass() > 0.0);
        }
        let coords: Vec<Vec<[f32; 2]>> =
            strokes.iter().map(|st| st.iter().map(|&(x, y, _)| [x, y]).collect()).collect();
        if let Ok(s) = Sketch::from_coordinates(&coords) {
            prop_assert!(MnistImage::from_sketch(&s).is_some());
        }
    }

    #[test]
    fn from_luma_never_panics(w in 0usize..40, h in 0usize..40, seed in any::<u64>(), extra in 0usize..3) {
        let mut x = seed | 1;
        let luma: Vec<u8> = (0..w * h + extra).map(|_| { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x as u8 }).collect();
        match MnistImage::from_luma(w, h, &luma) {
            Ok(Some(img)) => { prop_assert!(w * h == luma.len()); assert_valid(&img); }
            Ok(None) => prop_assert!(w * h == luma.len()),
            Err(_) => prop_assert!(w == 0 || h == 0 || extra > 0),
        }
    }
}

// ---------------------------------------------------------------- sketch edge cases

#[test]
fn empty_sketch_gives_none_and_blank() {
    assert!(MnistImage::from_sketch(&Sketch::new()).is_none());
    let mut out = MnistImage::from_pixels([1.0; PIXELS]);
    assert!(!Normaliser::new().normalise(&Sketch::new(), &mut out));
    assert_eq!(out, MnistImage::blank());
}

#[test]
fn a_dot_is_a_centred_pen_dot() {
    let img = norm(&[vec![(123.0, 456.0)]]);
    assert_valid(&img);
    let (cx, cy) = img.centre_of_mass().unwrap();
    assert!(
        (cx - 14.0).abs() < 0.01 && (cy - 14.0).abs() < 0.01,
        "{cx},{cy}"
    );
    let (w, h) = ink_size(&img, 0.0);
    assert!(w <= 4 && h <= 4, "{w}x{h}");
    assert!(img.pixels().iter().cloned().fold(0.0, f32::max) > 0.8);
    // The same dot drawn twice, or as a zero-length stroke, is the same dot.
    assert!(max_diff(&img, &norm(&[vec![(1.0, 1.0)], vec![(1.0, 1.0)]])) < 1e-6);
}

#[test]
fn a_lone_short_stroke_stays_a_small_mark() {
    // A 3 px flick (below the minimum extent) must not be blown up into a 20 px dash.
    let img = norm(&[vec![(50.0, 50.0), (53.0, 50.5)]]);
    assert_valid(&img);
    assert_centred(&img);
    let (w, h) = ink_size(&img, 0.5);
    assert!(w <= 12 && h <= 4, "{w}x{h}");
}

#[test]
fn tall_thin_one_keeps_its_aspect() {
    let img = norm(&[vec![(100.0, 10.0), (103.0, 80.0), (101.0, 210.0)]]);
    assert_valid(&img);
    assert_centred(&img);
    let (w, h) = ink_size(&img, 0.5);
    assert!((19..=20).contains(&h), "height {h}");
    assert!(w <= 4, "width {w}");
}

#[test]
fn perfectly_vertical_line() {
    let img = norm(&[vec![(7.0, 0.0), (7.0, 300.0)]]);
    assert_centred(&img);
    let (w, h) = ink_size(&img, 0.5);
    assert!((19..=20).contains(&h) && (2..=3).contains(&w), "{w}x{h}");
    // Symmetric about the centre column pair.
    let p = img.pixels();
    for y in 0..SIDE {
        assert!((p[y * SIDE + 13] - p[y * SIDE + 14]).abs() < 1e-4);
    }
}

#[test]
fn flat_dash_is_wide_and_thin() {
    let img = norm(&[vec![(0.0, 40.0), (150.0, 41.0)]]);
    assert_centred(&img);
    let (w, h) = ink_size(&img, 0.5);
    assert!((19..=20).contains(&w) && h <= 4, "{w}x{h}");
}

#[test]
fn pen_width_matches_mnist_statistics() {
    // Mass per unit of stroke length is the pen's effective width (2.3 px, see PEN_DIAMETER)
    // whatever the drawing's size.
    for size in [50.0f32, 500.0, 10_000.0] {
        let img = norm(&[vec![(0.0, 0.0), (0.0, size)]]);
        // Geometry spans 20 - 2.3 - 0.5 = 17.2 px; round caps add pi r^2.
        let r = 1.15f32;
        let want = 2.0 * r * 17.2 + std::f32::consts::PI * r * r;
        assert!((img.mass() - want).abs() < 0.3, "{} vs {want}", img.mass());
    }
}

#[test]
fn huge_and_tiny_drawings() {
    let base = norm(&seven());
    let huge = norm(&map(&seven(), |x, y| {
        (x * 10_000.0 / 130.0, y * 10_000.0 / 130.0)
    }));
    assert!(max_diff(&base, &huge) < 1e-3);
    assert_centred(&base);

    // A 0.5 px drawing is a blob, not a blown-up seven.
    let tiny = norm(&map(&seven(), |x, y| (x * 0.5 / 130.0, y * 0.5 / 130.0)));
    assert_valid(&tiny);
    assert_centred(&tiny);
    let (w, h) = ink_size(&tiny, 0.5);
    assert!(w <= 5 && h <= 5, "{w}x{h}");

    // With min_extent 0 a 0.5 px drawing is scale invariant too (coordinates in other units).
    let mut out = MnistImage::blank();
    let mut n = Normaliser::new().with_min_extent(0.0);
    assert!(n.normalise(
        &sketch_of(&map(&seven(), |x, y| (x * 0.5 / 130.0, y * 0.5 / 130.0))),
        &mut out
    ));
    assert!(max_diff(&base, &out) < 1e-3, "{}", max_diff(&base, &out));
}

#[test]
fn extreme_coordinates_do_not_panic() {
    let cases: Vec<Vec<Vec<(f32, f32)>>> = vec![
        map(&seven(), |x, y| (x * 1e30, y * 1e30)),
        map(&seven(), |x, y| (x * 1e-30, y * 1e-30)),
        map(&seven(), |x, y| (x + 1e30, y - 1e30)),
        vec![vec![(-f32::MAX, -f32::MAX), (f32::MAX, f32::MAX)]],
        vec![vec![(f32::MIN_POSITIVE, 0.0), (-f32::MIN_POSITIVE, 1e-45)]],
        vec![vec![(0.0, 0.0)], vec![(f32::MAX, 0.0)]],
    ];
    for c in cases {
        let img = norm(&c);
        assert_valid(&img);
        assert!(img.mass() > 0.0);
    }
}

#[test]
fn thousands_of_points() {
    // A 20 000-point scribble spiral: bounded, valid, centred.
    let pts: Vec<(f32, f32)> = (0..20_000)
        .map(|i| {
            let t = i as f32 / 20_000.0 * 30.0;
            (200.0 + t * 5.0 * t.cos(), 200.0 + t * 5.0 * t.sin())
        })
        .collect();
    let img = norm(&[pts]);
    assert_valid(&img);
    assert_centred(&img);
}

#[test]
fn dense_sampling_draws_the_same_path() {
    // Points closer than a tenth of an output pixel are merged for speed; the image must not
    // change visibly: a circle sampled 64 times vs 20 000 times.
    let circle = |n: usize| -> Vec<Vec<(f32, f32)>> {
        vec![(0..=n)
            .map(|i| {
                let a = i as f32 / n as f32 * std::f32::consts::TAU;
                (150.0 + 100.0 * a.cos(), 150.0 + 100.0 * a.sin())
            })
            .collect()]
    };
    let d = max_diff(&norm(&circle(64)), &norm(&circle(20_000)));
    assert!(d < 0.12, "max diff {d}");
}

#[test]
fn normaliser_reuse_is_stateless() {
    let mut n = Normaliser::new();
    let mut a = MnistImage::blank();
    let mut b = MnistImage::blank();
    assert!(n.normalise(&sketch_of(&seven()), &mut a));
    assert!(n.normalise(&sketch_of(&zero()), &mut b));
    assert!(n.normalise(&sketch_of(&seven()), &mut b));
    assert_eq!(a, b);
    assert_eq!(a, norm(&seven()));
}

#[test]
fn multi_stroke_digit() {
    // A "4" from two strokes; max-combined, so the crossing is not brighter than 1.
    let four = vec![
        vec![(30.0, 0.0), (0.0, 70.0), (60.0, 70.0)],
        vec![(45.0, 20.0), (45.0, 120.0)],
    ];
    let img = norm(&four);
    assert_valid(&img);
    assert_centred(&img);
    let (w, h) = ink_size(&img, 0.5);
    assert!((18..=21).contains(&h) && w < h, "{w}x{h}");
}

#[test]
fn mnist_image_basics() {
    let mut px = [0.0f32; PIXELS];
    px[0] = f32::NAN;
    px[1] = 7.0;
    px[2] = -1.0;
    px[14 * SIDE + 14] = 0.5;
    let img = MnistImage::from_pixels(px);
    assert_eq!(&img.pixels()[..3], &[0.0, 1.0, 0.0]);
    assert_eq!(img.ink_bounds(0.4), Some((1, 0, 14, 14)));
    let mut bytes = [0u8; PIXELS];
    bytes[3 * SIDE + 5] = 255;
    let img = MnistImage::from_u8(&bytes);
    assert_eq!(img.centre_of_mass(), Some((5.5, 3.5)));
    assert_eq!(img.to_u8(), bytes);
    assert_eq!(MnistImage::blank().centre_of_mass(), None);
    assert_eq!(MnistImage::blank().ink_bounds(0.0), None);
}

// ---------------------------------------------------------------- from_luma

#[test]
fn from_luma_rejects_bad_sizes() {
    assert_eq!(
        MnistImage::from_luma(0, 0, &[]),
        Err(ImageError::ZeroSize {
            width: 0,
            height: 0
        })
    );
    assert!(matches!(
        MnistImage::from_luma(0, 5, &[]),
        Err(ImageError::ZeroSize { .. })
    ));
    assert_eq!(
        MnistImage::from_luma(4, 4, &[0; 15]),
        Err(ImageError::SizeMismatch {
            width: 4,
            height: 4,
            actual: 15
        })
    );
    // width * height overflows: still an error, not a panic.
    assert!(matches!(
        MnistImage::from_luma(usize::MAX, 2, &[0; 4]),
        Err(ImageError::SizeMismatch { .. })
    ));
    let msg = MnistImage::from_luma(3, 2, &[0; 5])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("5 bytes") && msg.contains("3x2"), "{msg}");
}

#[test]
fn from_luma_blank_is_none() {
    for v in [0u8, 128, 255] {
        assert_eq!(MnistImage::from_luma(50, 40, &vec![v; 2000]), Ok(None));
    }
    // Paper with mild sensor noise is still blank.
    let mut x = 99u32;
    let noisy: Vec<u8> = (0..64 * 64)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (200 + (x >> 16) % 16) as u8
        })
        .collect();
    assert_eq!(MnistImage::from_luma(64, 64, &noisy), Ok(None));
    assert_eq!(MnistImage::from_luma(1, 1, &[77]), Ok(None));
}

#[test]
fn from_luma_polarity_does_not_matter() {
    for (w, h, r) in [(200, 260, 9.0f32), (60, 50, 3.0), (12, 14, 0.9)] {
        let light_on_dark = seven_bitmap(w, h, r);
        let dark_on_light: Vec<u8> = light_on_dark.iter().map(|v| 255 - v).collect();
        let a = MnistImage::from_luma(w, h, &light_on_dark)
            .unwrap()
            .unwrap();
        let b = MnistImage::from_luma(w, h, &dark_on_light)
            .unwrap()
            .unwrap();
        assert!(max_diff(&a, &b) < 1e-5, "{w}x{h}: {}", max_diff(&a, &b));
        // Grey paper, dark grey ink: same shape after contrast normalisation.
        let grey: Vec<u8> = light_on_dark
            .iter()
            .map(|&v| (180.0 - f32::from(v) * 120.0 / 255.0).round() as u8)
            .collect();
        let c = MnistImage::from_luma(w, h, &grey).unwrap().unwrap();
        assert!(mean_diff(&a, &c) < 0.01, "{w}x{h}: {}", mean_diff(&a, &c));
    }
}

#[test]
fn from_luma_fits_and_centres() {
    // Shrinking (big photo) and growing (tiny thumbnail) paths.
    for (w, h, r) in [(400, 300, 10.0f32), (200, 260, 9.0), (12, 14, 0.9)] {
        let img = MnistImage::from_luma(w, h, &seven_bitmap(w, h, r))
            .unwrap()
            .unwrap();
        assert_valid(&img);
        assert_centred(&img);
        let (iw, ih) = ink_size(&img, 0.5);
        assert!((18..=21).contains(&iw.max(ih)), "{w}x{h}: ink {iw}x{ih}");
    }
}

#[test]
fn from_luma_digit_touching_the_border() {
    // The seven's top bar runs off the left edge: the border median still finds the paper.
    let (w, h) = (100usize, 100usize);
    let mut r = Raster::new(w, h);
    r.draw_capsule([-5.0, 15.0], [80.0, 15.0], 5.0, 1.0);
    r.draw_capsule([80.0, 15.0], [40.0, 95.0], 5.0, 1.0);
    let luma: Vec<u8> = r.data().iter().map(|&v| 255 - (v * 255.0) as u8).collect();
    let img = MnistImage::from_luma(w, h, &luma).unwrap().unwrap();
    assert_centred(&img);
}

#[test]
fn from_luma_round_trips_a_normalised_sketch() {
    let original = norm(&seven());
    // Upscale the 28x28 result 4x into a 140x140 dark-on-light "scan" with extra margin.
    let src = original.pixels();
    let mut big = Raster::new(140, 140);
    raster::resample(
        SIDE,
        SIDE,
        |x, y| src[y * SIDE + x],
        Affine {
            origin: [0.0, 0.0],
            scale: 4.0,
            offset: [20.0, 8.0],
        },
        &mut big,
    );
    let luma: Vec<u8> = big
        .data()
        .iter()
        .map(|&v| 255 - (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let back = MnistImage::from_luma(140, 140, &luma).unwrap().unwrap();
    assert_centred(&back);
    let (d_mean, d_max) = (mean_diff(&original, &back), max_diff(&original, &back));
    assert!(d_mean < 0.04 && d_max < 0.5, "mean {d_mean} max {d_max}");

    // And the 28x28 image itself goes through nearly unchanged.
    let same = MnistImage::from_luma(SIDE, SIDE, &original.to_u8())
        .unwrap()
        .unwrap();
    let (d_mean, d_max) = (mean_diff(&original, &same), max_diff(&original, &same));
    assert!(d_mean < 0.03 && d_max < 0.35, "mean {d_mean} max {d_max}");
}
