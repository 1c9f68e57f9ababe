//! The UCI handwritten digits (8x8, 1797 records, as shipped in scikit-learn), stored as IDX
//! in the repository's `data/digits` (117 KB; source, licence and split in its README), with
//! the project's fixed train/test split.

use super::idx::{read_idx_typed, IdxError, IdxErrorKind, IdxType};
use crate::tensor::Tensor;
use std::path::{Path, PathBuf};

/// Records in the digits set.
pub const DIGITS_RECORDS: usize = 1797;
/// The fixed split: the first `DIGITS_TRAIN` records train, the rest test.
pub const DIGITS_TRAIN: usize = 1500;
/// Test records (the last 297).
pub const DIGITS_TEST: usize = DIGITS_RECORDS - DIGITS_TRAIN;
/// The environment variable that overrides [`default_digits_dir`].
pub const DIGITS_DIR_ENV: &str = "FERRAX_DIGITS_DIR";

/// How [`load_digits`] shapes the images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigitsLayout {
    /// `f32[n, 64]`, for MLPs.
    Flat,
    /// `f32[n, 8, 8, 1]` (NHWC), for convolutions.
    Image,
}

/// The digits with the fixed split: images as f32 in `[0, 1]` (pixel counts 0..=16 divided
/// by 16), labels as i32 in `0..=9`.
#[derive(Clone)]
pub struct Digits {
    /// `f32[1500, 64]` or `f32[1500, 8, 8, 1]`.
    pub train_images: Tensor,
    /// `i32[1500]`.
    pub train_labels: Tensor,
    /// `f32[297, 64]` or `f32[297, 8, 8, 1]`.
    pub test_images: Tensor,
    /// `i32[297]`.
    pub test_labels: Tensor,
}

/// Where the digits live: `$FERRAX_DIGITS_DIR` if set, else the repository's `data/digits`
/// (its path fixed at compile time, so examples find it from any working directory).
///
/// ```
/// assert!(ferrax::data::default_digits_dir().ends_with("digits"));
/// ```
pub fn default_digits_dir() -> PathBuf {
    match std::env::var_os(DIGITS_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits"),
    }
}

/// Loads `images.idx` and `labels.idx` from `dir` and splits them (first 1500 train, last 297
/// test). Checks the element types (both files must be IDX `uint8`: a `float32` file would
/// otherwise be truncated to integers without a word), the shapes (`[1797, 8, 8]` and
/// `[1797]`) and the value ranges (pixels `0..=16`, labels `0..=9`).
///
/// ```
/// use ferrax::data::{default_digits_dir, load_digits, DigitsLayout};
/// let d = load_digits(default_digits_dir(), DigitsLayout::Flat)?;
/// assert_eq!(d.train_images.shape(), &[1500, 64]);
/// assert_eq!(d.test_labels.shape(), &[297]);
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn load_digits(dir: impl AsRef<Path>, layout: DigitsLayout) -> Result<Digits, IdxError> {
    let dir = dir.as_ref();
    let hint = format!(
        "the digits data set is expected as images.idx and labels.idx in this directory; \
         pass another directory or set {DIGITS_DIR_ENV}"
    );
    if !dir.is_dir() {
        return Err(IdxError::new(
            dir.display().to_string(),
            None,
            IdxErrorKind::NotFound { hint },
        ));
    }
    let read = |file: &str| -> Result<(Tensor, String), IdxError> {
        let path = dir.join(file);
        let name = path.display().to_string();
        match read_idx_typed(&path) {
            Err(IdxError {
                kind: IdxErrorKind::NotFound { .. },
                ..
            }) => Err(IdxError::new(
                name,
                None,
                IdxErrorKind::NotFound { hint: hint.clone() },
            )),
            Err(e) => Err(e),
            // The type code is byte 2 of the magic number.
            Ok((_, found)) if found != IdxType::U8 => Err(IdxError::new(
                name,
                Some(2),
                IdxErrorKind::WrongType {
                    expected: IdxType::U8,
                    found,
                },
            )),
            Ok((t, _)) => Ok((t, name)),
        }
    };
    let (images, images_name) = read("images.idx")?;
    let (labels, labels_name) = read("labels.idx")?;
    let mismatch = |name: &str, expected: &str, found: &[usize]| {
        Err(IdxError::new(
            name,
            None,
            IdxErrorKind::DimensionMismatch {
                expected: expected.into(),
                found: found.to_vec(),
            },
        ))
    };
    if images.shape() != [DIGITS_RECORDS, 8, 8] {
        return mismatch(&images_name, "[1797, 8, 8]", images.shape());
    }
    if labels.shape() != [images.shape()[0]] {
        return mismatch(
            &labels_name,
            &format!("[{}] (one label per image)", images.shape()[0]),
            labels.shape(),
        );
    }
    let pixels = images.to_vec::<i32>();
    let labels = labels.to_vec::<i32>();
    let check =
        |name: &str, v: &[i32], hi: i32| match v.iter().position(|&x| !(0..=hi).contains(&x)) {
            Some(index) => Err(IdxError::new(
                name,
                None,
                IdxErrorKind::InvalidValue {
                    index,
                    value: v[index] as f64,
                    expected: format!("0..={hi}"),
                },
            )),
            None => Ok(()),
        };
    check(&images_name, &pixels, 16)?;
    check(&labels_name, &labels, 9)?;
    let x: Vec<f32> = pixels.iter().map(|&p| p as f32 / 16.0).collect();
    let shape = |n: usize| match layout {
        DigitsLayout::Flat => vec![n, 64],
        DigitsLayout::Image => vec![n, 8, 8, 1],
    };
    let cut = DIGITS_TRAIN * 64;
    Ok(Digits {
        train_images: Tensor::from_vec(x[..cut].to_vec(), &shape(DIGITS_TRAIN)),
        train_labels: Tensor::from_vec(labels[..DIGITS_TRAIN].to_vec(), &[DIGITS_TRAIN]),
        test_images: Tensor::from_vec(x[cut..].to_vec(), &shape(DIGITS_TEST)),
        test_labels: Tensor::from_vec(labels[DIGITS_TRAIN..].to_vec(), &[DIGITS_TEST]),
    })
}
