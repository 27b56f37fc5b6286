//! What the measuring tests share without the browser support: where the MNIST files are,
//! and SplitMix64, a few lines of seeded noise with no dependency (the same seed gives the
//! same sample, placements and scribbles on every machine). Included with
//! `#[path = "support/seeded.rs"] mod seeded;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The four MNIST IDX files: `MATHSKETCH_MNIST_DIR`, else `../shared/data/mnist`.
pub fn mnist_dir() -> PathBuf {
    std::env::var_os("MATHSKETCH_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"))
}

/// SplitMix64 from a seed.
pub struct Noise(pub u64);

impl Noise {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 24 bits.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi), 24 bits.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in [lo, hi), 53 bits.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    pub fn pick(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
