//! `ferrax::data`: reading datasets and batching them.
//!
//! - [`read_idx`] / [`parse_idx`]: the IDX format (MNIST's), with errors that name the file,
//!   the byte offset and what was wrong ([`IdxError`]).
//! - [`load_digits`]: the UCI 8x8 handwritten digits with the project's fixed split (first
//!   1500 records train, last 297 test), from [`default_digits_dir`].
//! - [`Batches`]: mini-batches over a pytree of arrays, shuffled per epoch from a PRNG key.
//! - [`Source`] (random access; [`ArraySource`], [`ImageFolder`]) and [`Loader`]: shuffling
//!   from a key per epoch, drop-last or padding with a mask ([`Remainder`], [`Batch`]),
//!   sharding by process, prefetching on a background thread ([`prefetch`]), a progress bar
//!   (feature `train`); [`StreamBatches`] for streams read once.
//! - [`augment`]: random crop, flips, rotations and affine maps (bilinear), cutout, mixup and
//!   noise on image batches, as ops (they jit, vmap and differentiate).
//! - Readers for files as distributed, each returning [`IdxError`] with the file and the byte
//!   offset: [`read_npy`] (always); with feature `datasets` (default): gzip'd IDX
//!   ([`read_idx_gz`], [`mnist`]), [`read_npz`], [`read_csv`], [`ImageFolder`].
//!
//! ```
//! use ferrax::data::{default_digits_dir, load_digits, Batches, DigitsLayout};
//! let d = load_digits(default_digits_dir(), DigitsLayout::Flat)?;
//! let batches = Batches::new(&(d.train_images, d.train_labels), 32).shuffle(&ferrax::random::key(0));
//! let (x, y) = batches.epoch(0).next().unwrap();
//! assert_eq!((x.shape(), y.shape()), (&[32, 64][..], &[32][..]));
//! # Ok::<(), ferrax::data::IdxError>(())
//! ```

pub mod augment;
mod batches;
#[cfg(feature = "datasets")]
mod csv_file;
mod digits;
#[cfg(feature = "datasets")]
mod gzip;
mod idx;
#[cfg(feature = "datasets")]
mod image_folder;
mod loader;
#[cfg(feature = "datasets")]
pub mod mnist;
mod npy;
#[cfg(feature = "datasets")]
mod npz;
mod prefetch;
mod source;
mod stream;

pub use batches::{Batches, Epoch};
#[cfg(feature = "datasets")]
pub use csv_file::{parse_csv, read_csv, CsvData, CsvOptions, LabelColumn};
pub use digits::{
    default_digits_dir, load_digits, Digits, DigitsLayout, DIGITS_DIR_ENV, DIGITS_RECORDS,
    DIGITS_TEST, DIGITS_TRAIN,
};
#[cfg(feature = "datasets")]
pub use gzip::{parse_idx_gz, read_idx_gz};
pub use idx::{
    parse_idx, parse_idx_typed, read_idx, read_idx_typed, IdxError, IdxErrorKind, IdxType,
};
#[cfg(feature = "datasets")]
pub use image_folder::{decode_image, Channels, ImageFolder};
pub use loader::{Batch, Loader, LoaderEpoch, Remainder};
pub use npy::{parse_npy, read_npy};
#[cfg(feature = "datasets")]
pub use npz::{parse_npz, read_npz};
pub use prefetch::{prefetch, Prefetch};
pub use source::{ArraySource, Source};
pub use stream::StreamBatches;

/// The error of every reader in this module (IDX, `.npy`, `.npz`, CSV, images, data sets): the
/// file, the byte offset when one applies, and what was wrong. The name [`IdxError`] is the
/// IDX reader's, kept for compatibility.
///
/// ```
/// let err: ferrax::data::DataError = ferrax::data::parse_npy(b"x", "x.npy").unwrap_err();
/// assert_eq!(err.file, "x.npy");
/// ```
pub type DataError = IdxError;

/// Reads a whole file, mapping a missing file to [`IdxErrorKind::NotFound`].
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, IdxError> {
    std::fs::read(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            IdxErrorKind::NotFound {
                hint: "no such file".into(),
            }
        } else {
            IdxErrorKind::Io(e)
        };
        IdxError::new(path.display().to_string(), None, kind)
    })
}
