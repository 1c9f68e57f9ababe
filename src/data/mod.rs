//! `ferrax::data`: reading datasets and batching them.
//!
//! - [`read_idx`] / [`parse_idx`]: the IDX format (MNIST's), with errors that name the file,
//!   the byte offset and what was wrong ([`IdxError`]).
//! - [`load_digits`]: the UCI 8x8 handwritten digits with the project's fixed split (first
//!   1500 records train, last 297 test), from [`default_digits_dir`].
//! - [`Batches`]: mini-batches over a pytree of arrays, shuffled per epoch from a PRNG key.
//!
//! ```
//! use ferrax::data::{default_digits_dir, load_digits, Batches, DigitsLayout};
//! let d = load_digits(default_digits_dir(), DigitsLayout::Flat)?;
//! let batches = Batches::new(&(d.train_images, d.train_labels), 32).shuffle(&ferrax::random::key(0));
//! let (x, y) = batches.epoch(0).next().unwrap();
//! assert_eq!((x.shape(), y.shape()), (&[32, 64][..], &[32][..]));
//! # Ok::<(), ferrax::data::IdxError>(())
//! ```

mod batches;
mod digits;
mod idx;

pub use batches::{Batches, Epoch};
pub use digits::{
    default_digits_dir, load_digits, Digits, DigitsLayout, DIGITS_DIR_ENV, DIGITS_RECORDS,
    DIGITS_TEST, DIGITS_TRAIN,
};
pub use idx::{
    parse_idx, parse_idx_typed, read_idx, read_idx_typed, IdxError, IdxErrorKind, IdxType,
};
