//! MNIST, Fashion-MNIST and EMNIST from the IDX files as distributed (gzip'd or not). Nothing
//! downloads: [`load`] reads a directory and, when files are missing, says where to get them.

use super::gzip::parse_idx_gz;
use super::idx::{IdxError, IdxErrorKind, IdxType};
use crate::tensor::Tensor;
use std::path::{Path, PathBuf};

/// Where the files come from (for the error [`load`] returns when they are missing).
pub const DOWNLOAD_HINT: &str = "MNIST: https://storage.googleapis.com/cvdf-datasets/mnist/ \
    (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, \
    t10k-labels-idx1-ubyte.gz); Fashion-MNIST (same names): \
    https://github.com/zalandoresearch/fashion-mnist#get-the-data; EMNIST: \
    https://www.nist.gov/itl/products-and-services/emnist-dataset (gzip.zip, then use \
    load_files with its names)";

/// The four file names of a data set in the IDX distribution, without the `.gz` that
/// [`load_files`] also accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    /// e.g. `train-images-idx3-ubyte`.
    pub train_images: String,
    /// e.g. `train-labels-idx1-ubyte`.
    pub train_labels: String,
    /// e.g. `t10k-images-idx3-ubyte`.
    pub test_images: String,
    /// e.g. `t10k-labels-idx1-ubyte`.
    pub test_labels: String,
}

impl Files {
    /// MNIST's and Fashion-MNIST's names.
    ///
    /// ```
    /// assert_eq!(ferrax::data::mnist::Files::mnist().test_images, "t10k-images-idx3-ubyte");
    /// ```
    pub fn mnist() -> Files {
        Files {
            train_images: "train-images-idx3-ubyte".into(),
            train_labels: "train-labels-idx1-ubyte".into(),
            test_images: "t10k-images-idx3-ubyte".into(),
            test_labels: "t10k-labels-idx1-ubyte".into(),
        }
    }

    /// EMNIST's names for one split (`"digits"`, `"letters"`, `"balanced"`, `"byclass"`,
    /// `"bymerge"`, `"mnist"`): `emnist-<split>-train-images-idx3-ubyte` and so on. EMNIST
    /// stores each image transposed (column-major); transpose axes 1 and 2 to view it upright.
    ///
    /// ```
    /// let f = ferrax::data::mnist::Files::emnist("letters");
    /// assert_eq!(f.train_labels, "emnist-letters-train-labels-idx1-ubyte");
    /// ```
    pub fn emnist(split: &str) -> Files {
        let n = |part: &str| format!("emnist-{split}-{part}");
        Files {
            train_images: n("train-images-idx3-ubyte"),
            train_labels: n("train-labels-idx1-ubyte"),
            test_images: n("test-images-idx3-ubyte"),
            test_labels: n("test-labels-idx1-ubyte"),
        }
    }
}

/// An IDX image data set: images as `f32[n, rows, cols, 1]` (NHWC) in `[0, 1]` (bytes / 255),
/// labels as `i32[n]`.
#[derive(Clone)]
pub struct Mnist {
    /// `f32[60000, 28, 28, 1]` for MNIST.
    pub train_images: Tensor,
    /// `i32[60000]`.
    pub train_labels: Tensor,
    /// `f32[10000, 28, 28, 1]`.
    pub test_images: Tensor,
    /// `i32[10000]`.
    pub test_labels: Tensor,
}

/// Loads MNIST or Fashion-MNIST from `dir`, which holds the four files under their
/// distributed names, each gzip'd (`.gz`) or not. Missing files are an
/// [`IdxErrorKind::NotFound`] error naming the file and where to download it from.
///
/// ```
/// let err = ferrax::data::mnist::load("/nonexistent").err().unwrap();
/// assert!(err.to_string().contains("train-images-idx3-ubyte"), "{err}");
/// assert!(err.to_string().contains("https://"), "{err}");
/// ```
pub fn load(dir: impl AsRef<Path>) -> Result<Mnist, IdxError> {
    load_files(dir, &Files::mnist())
}

/// Loads the four files `names` from `dir` (each as `name.gz` or `name`). Checks that images
/// are `uint8` of rank 3, labels `uint8` of rank 1, and that the counts agree.
///
/// ```
/// use ferrax::data::mnist::{load_files, Files};
/// let err = load_files("/nonexistent", &Files::emnist("digits")).err().unwrap();
/// assert!(err.file.ends_with("emnist-digits-train-images-idx3-ubyte"), "{}", err.file);
/// ```
pub fn load_files(dir: impl AsRef<Path>, names: &Files) -> Result<Mnist, IdxError> {
    let dir = dir.as_ref();
    let (train_images, train_labels) = pair(dir, &names.train_images, &names.train_labels)?;
    let (test_images, test_labels) = pair(dir, &names.test_images, &names.test_labels)?;
    Ok(Mnist {
        train_images,
        train_labels,
        test_images,
        test_labels,
    })
}

/// `name.gz` if present, else `name`, else a NotFound error with the download hint.
fn find(dir: &Path, name: &str) -> Result<PathBuf, IdxError> {
    for candidate in [format!("{name}.gz"), name.to_string()] {
        let p = dir.join(&candidate);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(IdxError::new(
        dir.join(name).display().to_string(),
        None,
        IdxErrorKind::NotFound {
            hint: format!(
                "neither {name}.gz nor {name} is in {}; nothing is downloaded, get the \
                 files from {DOWNLOAD_HINT}",
                dir.display()
            ),
        },
    ))
}

fn read(dir: &Path, name: &str, rank: usize) -> Result<(Tensor, String), IdxError> {
    let path = find(dir, name)?;
    let file = path.display().to_string();
    let bytes = super::read_file(&path)?;
    let (t, ty) = parse_idx_gz(&bytes, &file)?;
    if ty != IdxType::U8 {
        return Err(IdxError::new(
            file,
            Some(2),
            IdxErrorKind::WrongType {
                expected: IdxType::U8,
                found: ty,
            },
        ));
    }
    if t.ndim() != rank {
        return Err(IdxError::new(
            file,
            Some(3),
            IdxErrorKind::DimensionMismatch {
                expected: format!("{rank} dimensions"),
                found: t.shape().to_vec(),
            },
        ));
    }
    Ok((t, file))
}

fn pair(dir: &Path, images: &str, labels: &str) -> Result<(Tensor, Tensor), IdxError> {
    let (x, _) = read(dir, images, 3)?;
    let (y, yfile) = read(dir, labels, 1)?;
    if y.shape()[0] != x.shape()[0] {
        return Err(IdxError::new(
            yfile,
            Some(4),
            IdxErrorKind::DimensionMismatch {
                expected: format!("{} labels, one per image", x.shape()[0]),
                found: y.shape().to_vec(),
            },
        ));
    }
    let s = x.shape();
    let pixels: Vec<f32> = x
        .to_vec::<i32>()
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    Ok((Tensor::from_vec(pixels, &[s[0], s[1], s[2], 1]), y))
}
