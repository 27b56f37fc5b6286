//! Reader for the MNIST data set in its standard IDX form (the four `*-idx?-ubyte.gz` files).
//!
//! Used by the trainer, by the accuracy tests and by the server tests; never by the web
//! front. Every failure names the file and what was expected, because the usual problem is a
//! wrong `--data` directory or a half-downloaded file.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

/// Side of an MNIST image in pixels.
pub const SIDE: usize = 28;
/// Pixels in an MNIST image.
pub const PIXELS: usize = SIDE * SIDE;

/// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte), the rank.
const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
/// More than any real split holds (60,000); a larger count means a corrupt header, and we
/// refuse it before allocating.
const MAX_ITEMS: usize = 1_000_000;

/// One split of MNIST: raw pixels (0 = background, 255 = ink, white ink on black) and labels.
#[derive(Clone, Debug, Default)]
pub struct MnistSet {
    pub images: Vec<[u8; PIXELS]>,
    pub labels: Vec<u8>,
}

impl MnistSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Which of the two standard splits to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// 60,000 training images (`train-*`).
    Train,
    /// 10,000 test images (`t10k-*`).
    Test,
}

impl Split {
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error(
        "MNIST file not found: {path} (expected the standard IDX file, gzipped or not; \
         see the README for where to get the four files)"
    )]
    Missing { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid IDX file: {what}")]
    Corrupt { path: PathBuf, what: String },
    #[error("{images} holds {image_count} images but {labels} holds {label_count} labels")]
    CountMismatch {
        images: PathBuf,
        image_count: usize,
        labels: PathBuf,
        label_count: usize,
    },
}

/// Reads the training split from `dir`.
pub fn load_train(dir: &Path) -> Result<MnistSet, IdxError> {
    load(dir, Split::Train)
}

/// Reads the test split from `dir`.
pub fn load_test(dir: &Path) -> Result<MnistSet, IdxError> {
    load(dir, Split::Test)
}

/// Reads one split (images and labels) from `dir`.
pub fn load(dir: &Path, split: Split) -> Result<MnistSet, IdxError> {
    let images_path = find(dir, &format!("{}-images-idx3-ubyte", split.prefix()))?;
    let labels_path = find(dir, &format!("{}-labels-idx1-ubyte", split.prefix()))?;
    let images = read_images(&images_path)?;
    let labels = read_labels(&labels_path)?;
    if images.len() != labels.len() {
        return Err(IdxError::CountMismatch {
            images: images_path,
            image_count: images.len(),
            labels: labels_path,
            label_count: labels.len(),
        });
    }
    Ok(MnistSet { images, labels })
}

/// The `.gz` file if present, else the uncompressed one.
fn find(dir: &Path, stem: &str) -> Result<PathBuf, IdxError> {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let plain = dir.join(stem);
    if plain.is_file() {
        return Ok(plain);
    }
    Err(IdxError::Missing { path: gz })
}

fn open(path: &Path) -> Result<Box<dyn Read>, IdxError> {
    let file = File::open(path).map_err(|source| IdxError::Io {
        path: path.to_owned(),
        source,
    })?;
    let reader = BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(GzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads exactly `buf.len()` bytes; a short read is a truncated file, reported as such.
fn read_exact(r: &mut dyn Read, buf: &mut [u8], path: &Path, what: &str) -> Result<(), IdxError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => IdxError::Corrupt {
            path: path.to_owned(),
            what: format!("file ends early while reading {what} (truncated download?)"),
        },
        // A gzip stream that fails its checksum or framing reports InvalidInput/InvalidData.
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => IdxError::Corrupt {
            path: path.to_owned(),
            what: format!("bad gzip data while reading {what}: {e}"),
        },
        _ => IdxError::Io {
            path: path.to_owned(),
            source: e,
        },
    })
}

fn read_u32(r: &mut dyn Read, path: &Path, what: &str) -> Result<u32, IdxError> {
    let mut b = [0u8; 4];
    read_exact(r, &mut b, path, what)?;
    Ok(u32::from_be_bytes(b))
}

fn read_header(r: &mut dyn Read, path: &Path, magic: u32, kind: &str) -> Result<usize, IdxError> {
    let found = read_u32(r, path, "the header")?;
    if found != magic {
        return Err(IdxError::Corrupt {
            path: path.to_owned(),
            what: format!(
                "magic number {found:#010x}, expected {magic:#010x} (an IDX file of {kind})"
            ),
        });
    }
    let count = read_u32(r, path, "the item count")? as usize;
    if count > MAX_ITEMS {
        return Err(IdxError::Corrupt {
            path: path.to_owned(),
            what: format!("item count {count} exceeds {MAX_ITEMS}"),
        });
    }
    Ok(count)
}

fn read_images(path: &Path) -> Result<Vec<[u8; PIXELS]>, IdxError> {
    let mut r = open(path)?;
    let count = read_header(&mut *r, path, IMAGES_MAGIC, "28x28 unsigned-byte images")?;
    let rows = read_u32(&mut *r, path, "the row count")? as usize;
    let cols = read_u32(&mut *r, path, "the column count")? as usize;
    if rows != SIDE || cols != SIDE {
        return Err(IdxError::Corrupt {
            path: path.to_owned(),
            what: format!("images are {rows}x{cols}, expected {SIDE}x{SIDE}"),
        });
    }
    let mut images = Vec::with_capacity(count);
    for i in 0..count {
        let mut img = [0u8; PIXELS];
        read_exact(&mut *r, &mut img, path, &format!("image {i} of {count}"))?;
        images.push(img);
    }
    Ok(images)
}

fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    let mut r = open(path)?;
    let count = read_header(&mut *r, path, LABELS_MAGIC, "unsigned-byte labels")?;
    let mut labels = vec![0u8; count];
    read_exact(&mut *r, &mut labels, path, &format!("{count} labels"))?;
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(IdxError::Corrupt {
            path: path.to_owned(),
            what: format!("label {i} is {l}, expected a digit 0-9"),
        });
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mathsketch-idx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        let mut f = File::create(dir.join(name)).expect("create");
        f.write_all(bytes).expect("write");
    }

    fn images_file(count: u32, rows: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(IMAGES_MAGIC.to_be_bytes());
        v.extend(count.to_be_bytes());
        v.extend(rows.to_be_bytes());
        v.extend(28u32.to_be_bytes());
        v.extend(std::iter::repeat_n(
            7u8,
            count as usize * rows as usize * 28,
        ));
        v
    }

    fn labels_file(labels: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(LABELS_MAGIC.to_be_bytes());
        v.extend((labels.len() as u32).to_be_bytes());
        v.extend(labels);
        v
    }

    #[test]
    fn reads_plain_files() {
        let dir = temp_dir("plain");
        write(&dir, "t10k-images-idx3-ubyte", &images_file(2, 28));
        write(&dir, "t10k-labels-idx1-ubyte", &labels_file(&[3, 9]));
        let set = load_test(&dir).expect("valid set");
        assert_eq!(set.labels, vec![3, 9]);
        assert_eq!(set.images[1][783], 7);
    }

    #[test]
    fn missing_file_names_it() {
        let dir = temp_dir("missing");
        let err = load_train(&dir).expect_err("nothing there");
        assert!(
            err.to_string().contains("train-images-idx3-ubyte.gz"),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_wrong_files_are_reported() {
        let dir = temp_dir("corrupt");
        let mut short = images_file(2, 28);
        short.truncate(100);
        write(&dir, "t10k-images-idx3-ubyte", &short);
        write(&dir, "t10k-labels-idx1-ubyte", &labels_file(&[3, 9]));
        let err = load_test(&dir).expect_err("truncated");
        assert!(err.to_string().contains("ends early"), "{err}");

        write(&dir, "t10k-images-idx3-ubyte", &labels_file(&[1]));
        let err = load_test(&dir).expect_err("labels as images");
        assert!(err.to_string().contains("magic number"), "{err}");

        write(&dir, "t10k-images-idx3-ubyte", &images_file(1, 27));
        let err = load_test(&dir).expect_err("wrong size");
        assert!(err.to_string().contains("27x28"), "{err}");

        write(&dir, "t10k-images-idx3-ubyte", &images_file(1, 28));
        let err = load_test(&dir).expect_err("count mismatch");
        assert!(matches!(err, IdxError::CountMismatch { .. }), "{err}");

        write(&dir, "t10k-images-idx3-ubyte.gz", b"not gzip at all");
        let err = load_test(&dir).expect_err("bad gzip");
        assert!(
            err.to_string().contains("t10k-images-idx3-ubyte.gz"),
            "{err}"
        );
    }
}
