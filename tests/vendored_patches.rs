//! `patches/tract-nnef/` is the published tract-nnef 0.23.9 plus exactly
//! `patches/tract-nnef.diff`, nothing else: every file not named by the diff has the
//! published crate's sha256 (`patches/tract-nnef.pristine.sha256`, taken from the crate cargo
//! unpacked and checked against crates.io's checksum), every file the diff names turns back
//! into the published one when the diff is undone, and no file is added or missing. So
//! nobody edits vendored code by accident: a change there fails here until the diff (and
//! patches/README.md) says so.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use sha2::{Digest, Sha256};

fn patches() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("patches")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every regular file under `dir`, relative, with `/` separators.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            files(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}

/// One file's part of a unified diff: its path and hunks, each hunk as
/// (first line in the new file, 1-based; its lines with their ' ', '-' or '+' prefix).
struct FileDiff {
    path: String,
    hunks: Vec<(usize, Vec<String>)>,
}

fn parse_diff(text: &str) -> Result<Vec<FileDiff>> {
    let mut out: Vec<FileDiff> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(old) = line.strip_prefix("--- a/") {
            let new = lines.next().context("a '+++' line after '---'")?;
            ensure!(new == format!("+++ b/{old}"), "{new:?} does not name {old}");
            out.push(FileDiff {
                path: old.to_string(),
                hunks: Vec::new(),
            });
        } else if let Some(header) = line.strip_prefix("@@ -") {
            // "@@ -37,8 +37,12 @@": the old file's range, then the new one's.
            let range = |r: &str| -> Result<(usize, usize)> {
                let (start, len) = r.split_once(',').unwrap_or((r, "1"));
                Ok((start.parse()?, len.parse()?))
            };
            let mut ranges = header.split(' ');
            let (_, old_len) = range(ranges.next().context("a hunk's old range")?)?;
            let new_range = ranges.next().and_then(|r| r.strip_prefix('+'));
            let (start, new_len) = range(new_range.context("a hunk's new range")?)?;
            let mut body = Vec::new();
            let (mut old_lines, mut new_lines) = (0, 0);
            while old_lines < old_len || new_lines < new_len {
                let l = lines.next().context("a hunk cut short")?;
                match l.chars().next() {
                    Some('-') => old_lines += 1,
                    Some('+') => new_lines += 1,
                    Some(' ') => (old_lines, new_lines) = (old_lines + 1, new_lines + 1),
                    _ => bail!("not a hunk line: {l:?}"),
                }
                body.push(l.to_string());
            }
            out.last_mut()
                .context("a hunk before any file header")?
                .hunks
                .push((start, body));
        } else {
            bail!("unexpected line in the diff: {line:?}");
        }
    }
    Ok(out)
}

/// The file as it was before the diff: each hunk's '+' and ' ' lines must be where the
/// hunk says, and are replaced by its '-' and ' ' lines.
fn undo(patched: &str, diff: &FileDiff) -> Result<String> {
    let lines: Vec<&str> = patched.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut next = 0; // index into `lines` of the first line not yet copied
    for (start, body) in &diff.hunks {
        let at = start.saturating_sub(1);
        ensure!(at >= next, "{}: hunks out of order", diff.path);
        lines[next..at].iter().for_each(|l| out.push_str(l));
        let mut i = at;
        for l in body {
            let (prefix, text) = l.split_at(1);
            if prefix != "-" {
                let have = lines.get(i).map(|l| l.trim_end_matches('\n'));
                ensure!(
                    have == Some(text),
                    "{}:{}: {have:?}, the diff says {text:?}",
                    diff.path,
                    i + 1
                );
                i += 1;
            }
            if prefix != "+" {
                out.push_str(text);
                out.push('\n');
            }
        }
        next = i;
    }
    lines[next..].iter().for_each(|l| out.push_str(l));
    Ok(out)
}

#[test]
fn the_vendored_tract_nnef_is_the_published_crate_plus_the_diff() -> Result<()> {
    let root = patches().join("tract-nnef");
    let pristine: BTreeMap<String, String> =
        fs::read_to_string(patches().join("tract-nnef.pristine.sha256"))?
            .lines()
            .map(|l| {
                let (hash, path) = l.split_once("  ").context("sha256sum format")?;
                Ok((path.to_string(), hash.to_string()))
            })
            .collect::<Result<_>>()?;
    let diffs = parse_diff(&fs::read_to_string(patches().join("tract-nnef.diff"))?)?;
    ensure!(!diffs.is_empty(), "the diff names no file");

    let mut present = Vec::new();
    files(&root, &root, &mut present)?;
    present.sort();
    let listed: Vec<String> = pristine.keys().cloned().collect();
    ensure!(
        present == listed,
        "files differ from the published crate's: {present:?} vs {listed:?}"
    );

    for path in &present {
        let bytes = fs::read(root.join(path))?;
        let original = match diffs.iter().find(|d| &d.path == path) {
            Some(diff) => undo(std::str::from_utf8(&bytes)?, diff)?.into_bytes(),
            None => bytes,
        };
        ensure!(
            sha256(&original) == pristine[path],
            "patches/tract-nnef/{path} is not the published file{}",
            if diffs.iter().any(|d| &d.path == path) {
                " plus the diff"
            } else {
                ""
            }
        );
    }
    Ok(())
}

#[test]
fn undoing_a_diff_checks_the_lines_it_removes_and_keeps() -> Result<()> {
    let diff = &parse_diff("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")?[0];
    assert_eq!(undo("a\nB\nc\nd\n", diff)?, "a\nb\nc\nd\n");
    // A file that is not the diff's output is refused, whichever line differs.
    assert!(undo("a\nX\nc\n", diff).is_err());
    assert!(undo("z\nB\nc\n", diff).is_err());
    Ok(())
}
