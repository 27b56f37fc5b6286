//! Four f32 lanes, for our kernels (`conv.rs`, `winograd.rs`). The browser build has wasm SIMD
//! (`.cargo/config.toml` enables it for every wasm32 build) and gets its vector instructions;
//! x86-64 gets SSE, which it always has; anything else gets plain arrays, which the compiler
//! turns into the target's own vectors. Every operation is one IEEE operation per lane (no
//! fused multiply-add), so all three give the same bits. This is the one place in the core
//! where `cfg(target_arch)` picks code.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[inline(always)]
    pub fn prepare() {}

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(f32x4_splat(v))
        }

        /// # Safety
        /// `p..p + 4` must be readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(v128_load(p.cast()))
        }

        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            F32x4(v128_load32_splat(p.cast()))
        }

        /// # Safety
        /// `p..p + 4` must be writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            v128_store(p.cast(), self.0)
        }

        /// `self + w * x`: a rounded multiply, then a rounded add.
        #[inline(always)]
        pub fn add_mul(self, w: Self, x: Self) -> Self {
            F32x4(f32x4_add(self.0, f32x4_mul(w.0, x.0)))
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F32x4(f32x4_add(self.0, o.0))
        }

        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F32x4(f32x4_sub(self.0, o.0))
        }

        /// Lanes 0, 2 of `self` then 0, 2 of `o`.
        #[inline(always)]
        pub fn even(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<0, 2, 4, 6>(self.0, o.0))
        }

        /// Lanes 1, 3 of `self` then 1, 3 of `o`.
        #[inline(always)]
        pub fn odd(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<1, 3, 5, 7>(self.0, o.0))
        }

        /// `[self0, o0, self1, o1]`.
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<0, 4, 1, 5>(self.0, o.0))
        }

        /// `[self2, o2, self3, o3]`.
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<2, 6, 3, 7>(self.0, o.0))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    /// tract's AVX kernels can leave the upper halves of the ymm registers dirty; SSE code
    /// run after that pays for a state transition on every instruction (measured: the
    /// convolutions took 2.3x as long natively). `vzeroupper` once per convolution clears it.
    #[inline(always)]
    pub fn prepare() {
        #[target_feature(enable = "avx")]
        unsafe fn zero_upper() {
            _mm256_zeroupper()
        }
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            unsafe { zero_upper() }
        }
    }

    #[derive(Clone, Copy)]
    pub struct F32x4(__m128);

    // SSE is part of x86-64 itself, so these are always available.
    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(unsafe { _mm_set1_ps(v) })
        }

        /// # Safety
        /// `p..p + 4` must be readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(_mm_loadu_ps(p))
        }

        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            F32x4(_mm_load1_ps(p))
        }

        /// # Safety
        /// `p..p + 4` must be writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            _mm_storeu_ps(p, self.0)
        }

        /// `self + w * x`: a rounded multiply, then a rounded add.
        #[inline(always)]
        pub fn add_mul(self, w: Self, x: Self) -> Self {
            F32x4(unsafe { _mm_add_ps(self.0, _mm_mul_ps(w.0, x.0)) })
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F32x4(unsafe { _mm_add_ps(self.0, o.0) })
        }

        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F32x4(unsafe { _mm_sub_ps(self.0, o.0) })
        }

        /// Lanes 0, 2 of `self` then 0, 2 of `o`.
        #[inline(always)]
        pub fn even(self, o: Self) -> Self {
            F32x4(unsafe { _mm_shuffle_ps::<0b10_00_10_00>(self.0, o.0) })
        }

        /// Lanes 1, 3 of `self` then 1, 3 of `o`.
        #[inline(always)]
        pub fn odd(self, o: Self) -> Self {
            F32x4(unsafe { _mm_shuffle_ps::<0b11_01_11_01>(self.0, o.0) })
        }

        /// `[self0, o0, self1, o1]`.
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4(unsafe { _mm_unpacklo_ps(self.0, o.0) })
        }

        /// `[self2, o2, self3, o3]`.
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4(unsafe { _mm_unpackhi_ps(self.0, o.0) })
        }
    }
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
mod imp {
    #[inline(always)]
    pub fn prepare() {}

    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4([v; 4])
        }

        /// # Safety
        /// `p..p + 4` must be readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(p.cast::<[f32; 4]>().read_unaligned())
        }

        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            F32x4([p.read(); 4])
        }

        /// # Safety
        /// `p..p + 4` must be writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            p.cast::<[f32; 4]>().write_unaligned(self.0)
        }

        #[inline(always)]
        fn map(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
            F32x4(std::array::from_fn(|i| f(self.0[i], o.0[i])))
        }

        /// `self + w * x`: a rounded multiply, then a rounded add.
        #[inline(always)]
        pub fn add_mul(self, w: Self, x: Self) -> Self {
            self.map(w.map(x, |w, x| w * x), |a, wx| a + wx)
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            self.map(o, |a, b| a + b)
        }

        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            self.map(o, |a, b| a - b)
        }

        /// Lanes 0, 2 of `self` then 0, 2 of `o`.
        #[inline(always)]
        pub fn even(self, o: Self) -> Self {
            F32x4([self.0[0], self.0[2], o.0[0], o.0[2]])
        }

        /// Lanes 1, 3 of `self` then 1, 3 of `o`.
        #[inline(always)]
        pub fn odd(self, o: Self) -> Self {
            F32x4([self.0[1], self.0[3], o.0[1], o.0[3]])
        }

        /// `[self0, o0, self1, o1]`.
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4([self.0[0], o.0[0], self.0[1], o.0[1]])
        }

        /// `[self2, o2, self3, o3]`.
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4([self.0[2], o.0[2], self.0[3], o.0[3]])
        }
    }
}

pub use imp::{prepare, F32x4};
