//! Precompression shared by `build.rs` (the embedded site) and the server (a `--dist` site at
//! startup), so both hand out the very same kinds of variants. Included into build.rs with
//! `#[path]`, hence no dependencies beyond `brotli` and `flate2`.

use std::io::Write;

/// Whether a file is worth compressing, by extension: text formats and wasm shrink a lot;
/// PNG/JPEG/WOFF2 are compressed already and only lose CPU time.
pub fn compressible(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "html"
                | "htm"
                | "js"
                | "mjs"
                | "css"
                | "wasm"
                | "json"
                | "webmanifest"
                | "svg"
                | "txt"
                | "map"
                | "xml"
                | "ico"
        )
    )
}

/// Brotli at `quality` (0..=11) with the largest standard window.
pub fn brotli(data: &[u8], quality: u32) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, 22);
        w.write_all(data)?;
        w.flush()?;
    }
    Ok(out)
}

/// gzip at `level` (0..=9).
pub fn gzip(data: &[u8], level: u32) -> std::io::Result<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(level),
    );
    w.write_all(data)?;
    w.finish()
}

/// Keeps a variant only when it actually saves bytes; otherwise the identity body is served.
pub fn keep_if_smaller(variant: Vec<u8>, original_len: usize) -> Option<Vec<u8>> {
    (variant.len() < original_len).then_some(variant)
}
