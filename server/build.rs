//! Embeds the trunk output (`dist/`, or `$MATHSKETCH_DIST`) into the server binary, with
//! brotli and gzip variants compressed here, once, at the highest levels, so the server
//! never compresses per request and deploying is copying one file.
//!
//! Without a dist directory the server still compiles, with an empty embedded site and a
//! warning (it then needs `--dist`): `cargo test --workspace` must work before `trunk build`.

use std::env;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

#[path = "src/compress.rs"]
#[allow(dead_code)]
mod compress;

/// Refuse absurd inputs early: the binary would be unwieldy and the build slow.
const MAX_SITE_BYTES: u64 = 256 << 20;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/compress.rs");
    println!("cargo:rerun-if-env-changed=MATHSKETCH_DIST");
    // Only the HTTP server embeds the site; the library alone (fuzz/) has nothing to embed.
    if env::var_os("CARGO_FEATURE_SERVER").is_none() {
        return Ok(());
    }
    let dist = dist_dir()?;
    // Cargo re-runs this script when anything below the directory changes (or when it
    // appears, if it does not exist yet).
    println!("cargo:rerun-if-changed={}", dist.display());

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("no OUT_DIR")?);
    let site_dir = out_dir.join("site");
    if site_dir.exists() {
        fs::remove_dir_all(&site_dir)?;
    }
    fs::create_dir_all(&site_dir)?;

    let files = site_files(&dist)?;
    let mut code = String::from("&[\n");
    for (i, (rel, path)) in files.iter().enumerate() {
        code.push_str(&embed(i, rel, path, &site_dir)?);
    }
    code.push_str("]\n");
    fs::write(out_dir.join("embedded_site.rs"), code)?;
    fs::write(
        out_dir.join("embedded_from.txt"),
        dist.display().to_string(),
    )?;
    Ok(())
}

/// The trunk output to embed: `$MATHSKETCH_DIST`, relative to the repository root as in
/// scripts/, or `dist/`.
fn dist_dir() -> Result<PathBuf, Box<dyn Error>> {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("server/ has no parent")?
        .to_path_buf();
    Ok(match env::var_os("MATHSKETCH_DIST") {
        Some(d) if !d.is_empty() => workspace.join(d),
        _ => workspace.join("dist"),
    })
}

/// The site's files, sorted, without the precompressed twins; none (and a warning) without a
/// trunk output; an error past [`MAX_SITE_BYTES`].
fn site_files(dist: &Path) -> Result<Vec<(String, PathBuf)>, Box<dyn Error>> {
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(dist, dist, &mut files)?;
        // Precompressed twins are variants of their file, not files of the site.
        files.retain(|(rel, _)| !compress::is_twin(rel, |base| dist.join(base).is_file()));
        files.sort();
    } else {
        println!(
            "cargo:warning=no trunk output at {} (run `trunk build --release` first): \
             the server is built with an empty embedded site and needs --dist DIR",
            dist.display()
        );
    }
    let total: u64 = files
        .iter()
        .map(|(_, p)| fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    if total > MAX_SITE_BYTES {
        return Err(format!(
            "{} holds {total} bytes, over the {MAX_SITE_BYTES} limit",
            dist.display()
        )
        .into());
    }
    Ok(files)
}

/// Writes file `i` of the site (and its brotli and gzip variants, when they are smaller) into
/// `site_dir`; returns its `EmbeddedFile` entry.
fn embed(i: usize, rel: &str, path: &Path, site_dir: &Path) -> Result<String, Box<dyn Error>> {
    let raw = fs::read(path)?;
    let mtime = fs::metadata(path)?
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let raw_name = format!("{i}.raw");
    fs::write(site_dir.join(&raw_name), &raw)?;
    let (mut br, mut gz) = (None, None);
    if compress::compressible(rel) {
        // scripts/build's twins (brotli 11, zopfli) when they hold this very file.
        let brotli = match compress::read_twin(path, ".br", &raw) {
            Some(twin) => Some(twin),
            None => compress::keep_if_smaller(
                compress::brotli(&raw, brotli_quality(raw.len()))?,
                raw.len(),
            ),
        };
        if let Some(v) = brotli {
            let name = format!("{i}.br");
            fs::write(site_dir.join(&name), v)?;
            br = Some(name);
        }
        let gzip = match compress::read_twin(path, ".gz", &raw) {
            Some(twin) => Some(twin),
            None => compress::keep_if_smaller(compress::gzip(&raw, 9)?, raw.len()),
        };
        if let Some(v) = gzip {
            let name = format!("{i}.gz");
            fs::write(site_dir.join(&name), v)?;
            gz = Some(name);
        }
    }
    let include =
        |name: &str| format!("include_bytes!(concat!(env!(\"OUT_DIR\"), \"/site/{name}\"))");
    let opt = |name: &Option<String>| match name {
        Some(n) => format!("Some({})", include(n)),
        None => "None".to_string(),
    };
    let mut line = String::new();
    writeln!(
        line,
        "    crate::site::EmbeddedFile {{ path: {rel:?}, raw: {}, brotli: {}, gzip: {}, mtime: {mtime} }},",
        include(&raw_name),
        opt(&br),
        opt(&gz),
    )?;
    Ok(line)
}

/// Brotli level for one file of the embedded site. Build scripts and their dependencies are
/// compiled without optimisation, where level 11 takes minutes for a multi-megabyte wasm;
/// lower levels are many times faster for a few percent more bytes. Small files get 11,
/// up to 4 MiB 9, the (>10 MB) wasm 6.
/// `MATHSKETCH_BROTLI_QUALITY` sets one level for all.
fn brotli_quality(len: usize) -> u32 {
    println!("cargo:rerun-if-env-changed=MATHSKETCH_BROTLI_QUALITY");
    env::var("MATHSKETCH_BROTLI_QUALITY")
        .ok()
        .and_then(|q| q.parse().ok())
        .map(|q: u32| q.min(11))
        .unwrap_or(match len {
            0..=524_288 => 11,
            524_289..=4_194_304 => 9,
            _ => 6,
        })
}

/// Regular files under `dir`, as (URL path relative to the site root, file path). Symlinks
/// are skipped: the embedded site is exactly the files trunk wrote, nothing they point to.
fn collect(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let path = entry.path();
        if ty.is_dir() {
            collect(root, &path, out)?;
        } else if ty.is_file() {
            let rel = path.strip_prefix(root)?;
            let rel = rel
                .to_str()
                .ok_or_else(|| format!("non-UTF-8 file name in the site: {}", path.display()))?
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}
