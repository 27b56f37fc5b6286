//! Precompression shared by `build.rs` (the embedded site) and the server (a `--dist` site at
//! startup), so both hand out the very same kinds of variants. Included into build.rs with
//! `#[path]`, hence no dependencies beyond `brotli` and `flate2`.
//!
//! `scripts/build` leaves precompressed twins next to each file of `dist/` (`x.wasm.br` at
//! brotli 11, `x.wasm.gz` by zopfli), for static hosts that serve them as they are (nginx
//! `gzip_static`/`brotli_static`, Caddy `precompressed`, CDNs). Both loaders take those
//! instead of compressing again, but only after checking that a twin decodes to exactly its
//! file: a stale twin left beside an edited file must never be served.

use std::io::{Read, Write};
use std::path::Path;

/// The suffixes of precompressed twins, brotli first.
pub const TWIN_SUFFIXES: [&str; 2] = [".br", ".gz"];

/// Whether `path` is the precompressed twin of a file that `exists`: such twins are
/// variants of that file, not files of the site.
pub fn is_twin(path: &str, exists: impl Fn(&str) -> bool) -> bool {
    TWIN_SUFFIXES
        .iter()
        .any(|suffix| path.strip_suffix(suffix).is_some_and(&exists))
}

/// The twin `file` + `suffix` if it exists, is smaller than `raw` and decodes to exactly
/// `raw`; `None` otherwise (then the caller compresses `raw` itself).
pub fn read_twin(file: &Path, suffix: &str, raw: &[u8]) -> Option<Vec<u8>> {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    let twin = std::fs::read(Path::new(&name)).ok()?;
    if twin.len() >= raw.len() {
        return None;
    }
    // One byte more than the file may decode: enough to see a twin that is too long,
    // never a decompression bomb.
    let limit = raw.len() as u64 + 1;
    let mut decoded = Vec::with_capacity(raw.len());
    let read = match suffix {
        ".br" => brotli::Decompressor::new(&twin[..], 64 * 1024)
            .take(limit)
            .read_to_end(&mut decoded),
        ".gz" => flate2::read::GzDecoder::new(&twin[..])
            .take(limit)
            .read_to_end(&mut decoded),
        _ => return None,
    };
    (read.is_ok() && decoded == raw).then_some(twin)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twins_are_recognised_only_beside_their_file() {
        let exists = |p: &str| p == "app.wasm";
        assert!(is_twin("app.wasm.br", exists));
        assert!(is_twin("app.wasm.gz", exists));
        assert!(!is_twin("app.wasm", exists));
        assert!(
            !is_twin("other.js.gz", exists),
            "a .gz with no file beside it is a file"
        );
    }

    #[test]
    fn a_twin_is_used_only_when_it_holds_exactly_its_file() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("mathsketch-twins-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("page.html");
        let raw = "<p>a page that compresses well</p>\n"
            .repeat(50)
            .into_bytes();
        std::fs::write(&file, &raw)?;
        assert_eq!(read_twin(&file, ".br", &raw), None, "no twin yet");

        let (br, gz) = (brotli(&raw, 11)?, gzip(&raw, 9)?);
        std::fs::write(dir.join("page.html.br"), &br)?;
        std::fs::write(dir.join("page.html.gz"), &gz)?;
        assert_eq!(read_twin(&file, ".br", &raw), Some(br));
        assert_eq!(read_twin(&file, ".gz", &raw), Some(gz));

        // The file was edited after the twins were made: they are stale, never served.
        let edited = "<p>an edited page</p>\n".repeat(50).into_bytes();
        assert_eq!(read_twin(&file, ".br", &edited), None);
        assert_eq!(read_twin(&file, ".gz", &edited), None);
        // A longer file that starts with the twin's content is not a match either.
        let longer = [raw.clone(), b"more".to_vec()].concat();
        assert_eq!(read_twin(&file, ".gz", &longer), None);
        // Garbage in a twin is ignored, not an error.
        std::fs::write(dir.join("page.html.gz"), b"not gzip")?;
        assert_eq!(read_twin(&file, ".gz", &raw), None);
        std::fs::remove_dir_all(&dir)
    }
}
