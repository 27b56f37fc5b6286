//! The site's byte budget: everything a first visit downloads (all of `dist/`, since the
//! service worker precaches what the page itself does not fetch), gzip'd at level 9. Bytes
//! are deterministic for a given source, lockfile and toolchain, so unlike timings they are a
//! test; `scripts/bench` prints the per-file table and the comparison with onnxruntime-web.
//!
//! The budget is the size we reached (bench/README.md has the history) plus a small margin for
//! ordinary changes: a change that needs more bytes than that should be a decision, made by
//! raising the budget here with the reason in the commit.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use anyhow::Result;

/// All of `dist/`, gzip'd. Raised from 1,927,000 when the page learnt to read sums
/// (segmentation, parsing, exact big-rational arithmetic: +26 KB gzip'd, measured 1,953,070);
/// that is now 1.3 % over the earlier goal of half the onnxruntime-web page (3,855,200 bytes
/// gzip'd for its wasm, two JS files and the model), which the tract-nnef registry cut of the
/// "first visit under 1 MB" issue brings back far below.
const TOTAL_GZIP_BUDGET: usize = 1_975_000;
/// The wasm module alone (tract, the model and our code), gzip'd: 1,922,539 measured.
const WASM_GZIP_BUDGET: usize = 1_940_000;
/// Everything else (HTML, JS glue, CSS, icons, manifest, service worker), gzip'd.
const REST_GZIP_BUDGET: usize = 50_000;

#[test]
fn the_site_fits_its_byte_budget() -> Result<()> {
    let dist = support::dist_dir()?;
    let (mut wasm, mut rest) = (0, 0);
    let mut table = String::new();
    for (name, path) in support::site_files(&dist)? {
        let gzip = support::gzip_size(&std::fs::read(&path)?)?;
        table.push_str(&format!("  {gzip:>10} B gzip  {name}\n"));
        if name.ends_with(".wasm") {
            wasm += gzip;
        } else {
            rest += gzip;
        }
    }
    eprintln!("{table}  {:>10} B gzip  total", wasm + rest);
    assert!(
        wasm <= WASM_GZIP_BUDGET,
        "the wasm is {wasm} B gzip'd, over its {WASM_GZIP_BUDGET} B budget\n{table}"
    );
    assert!(
        rest <= REST_GZIP_BUDGET,
        "the non-wasm files are {rest} B gzip'd, over their {REST_GZIP_BUDGET} B budget\n{table}"
    );
    assert!(
        wasm + rest <= TOTAL_GZIP_BUDGET,
        "the site is {} B gzip'd, over its {TOTAL_GZIP_BUDGET} B budget\n{table}",
        wasm + rest
    );
    Ok(())
}
