//! The IDX format (MNIST's): a 4-byte big-endian magic number `0x0000TTNN` (two zero bytes,
//! a type code `TT`, the number of dimensions `NN`), one big-endian `u32` per dimension, then
//! the elements in row-major order, big-endian.

use crate::tensor::{DType, Tensor};
use std::fmt;
use std::path::Path;

/// The element types of the IDX format, with their type codes.
///
/// ferrax has no 8- or 16-bit dtypes, so integers are widened to `i32` (value-preserving:
/// `uint8` 0..=255 stays 0..=255); floats keep their width.
///
/// ```
/// use ferrax::data::IdxType;
/// assert_eq!(IdxType::from_code(0x08), Some(IdxType::U8));
/// assert_eq!(IdxType::U8.dtype(), ferrax::DType::I32);
/// assert_eq!(IdxType::F64.size(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxType {
    /// `0x08`: unsigned byte.
    U8,
    /// `0x09`: signed byte.
    I8,
    /// `0x0B`: signed 16-bit integer.
    I16,
    /// `0x0C`: signed 32-bit integer.
    I32,
    /// `0x0D`: 32-bit float.
    F32,
    /// `0x0E`: 64-bit float.
    F64,
}

impl IdxType {
    /// The type for an IDX type code, `None` for codes the format does not define.
    ///
    /// ```
    /// assert_eq!(ferrax::data::IdxType::from_code(0x0A), None);
    /// ```
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// The type code written in the magic number.
    ///
    /// ```
    /// assert_eq!(ferrax::data::IdxType::F32.code(), 0x0D);
    /// ```
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per element in the file.
    ///
    /// ```
    /// assert_eq!(ferrax::data::IdxType::I16.size(), 2);
    /// ```
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    /// The dtype of the tensor [`read_idx`] returns: `I32` for every integer type.
    ///
    /// ```
    /// assert_eq!(ferrax::data::IdxType::F32.dtype(), ferrax::DType::F32);
    /// ```
    pub fn dtype(self) -> DType {
        match self {
            IdxType::U8 | IdxType::I8 | IdxType::I16 | IdxType::I32 => DType::I32,
            IdxType::F32 => DType::F32,
            IdxType::F64 => DType::F64,
        }
    }
}

/// The format's own names (`uint8`, `int8`, `int16`, `int32`, `float32`, `float64`), so
/// errors speak the same language as the IDX description.
///
/// ```
/// assert_eq!(ferrax::data::IdxType::U8.to_string(), "uint8");
/// ```
impl fmt::Display for IdxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdxType::U8 => "uint8",
            IdxType::I8 => "int8",
            IdxType::I16 => "int16",
            IdxType::I32 => "int32",
            IdxType::F32 => "float32",
            IdxType::F64 => "float64",
        })
    }
}

/// What was wrong with a data file (see [`IdxError`] for where).
#[derive(Debug)]
#[non_exhaustive]
pub enum IdxErrorKind {
    /// The file could not be read.
    Io(std::io::Error),
    /// A data set directory or file does not exist; `hint` says how to point at it.
    NotFound { hint: String },
    /// The first two bytes are not zero.
    BadMagic { found: [u8; 4] },
    /// The type code (third byte) is not one the format defines.
    UnknownType { code: u8 },
    /// The file ends inside the magic number or the dimension list.
    TruncatedHeader { needed: usize, found: usize },
    /// The file ends before the `dims.product()` elements the header announces.
    TruncatedPayload { expected: usize, found: usize },
    /// Bytes follow the last element.
    TrailingBytes { extra: usize },
    /// The dimensions multiply to more bytes than this machine can address: the product of
    /// all dimensions, or of the non-zero ones alone (an empty array whose other dimensions
    /// could not exist either), times the element size exceeds `isize::MAX` (the largest
    /// object Rust and ndarray allow). The offset is that of the first dimension that
    /// crosses the limit.
    TooLarge { dims: Vec<usize> },
    /// The element type is valid IDX but not the one the caller needs (e.g. digits images
    /// stored as `float32`, which would otherwise be truncated to integers).
    WrongType { expected: IdxType, found: IdxType },
    /// The shape is not what the caller needs (e.g. images and labels of different counts).
    DimensionMismatch { expected: String, found: Vec<usize> },
    /// A format's header does not parse or announces something the reader cannot hold (an
    /// `.npy` header dictionary, an unsupported dtype, a zip directory).
    BadHeader { what: String },
    /// Encoded or compressed bytes do not decode (gzip, deflate, PNG, JPEG), or a text field
    /// is not what its column needs (CSV; the message names the line and column).
    Corrupt { what: String },
    /// An element is outside the range the data set defines.
    InvalidValue {
        index: usize,
        value: f64,
        expected: String,
    },
}

/// An error reading a data file: the file, the byte offset (when one applies) and what was
/// wrong. Displays as `file: byte N: what`.
///
/// ```
/// use ferrax::data::{parse_idx, IdxErrorKind};
/// let err = parse_idx(&[0x12, 0x34, 0x08, 0x01], "x.idx").unwrap_err();
/// assert!(matches!(err.kind, IdxErrorKind::BadMagic { .. }));
/// assert_eq!(err.offset, Some(0));
/// assert!(err.to_string().starts_with("x.idx: byte 0: bad magic number 0x12340801"), "{err}");
/// ```
#[derive(Debug)]
pub struct IdxError {
    /// The file (or the name given to [`parse_idx`]).
    pub file: String,
    /// The byte offset of the problem, if it is at a place in the file.
    pub offset: Option<u64>,
    /// What was wrong.
    pub kind: IdxErrorKind,
}

impl IdxError {
    pub(crate) fn new(file: impl Into<String>, offset: Option<u64>, kind: IdxErrorKind) -> Self {
        IdxError {
            file: file.into(),
            offset,
            kind,
        }
    }
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(o) = self.offset {
            write!(f, "byte {o}: ")?;
        }
        match &self.kind {
            IdxErrorKind::Io(e) => write!(f, "{e}"),
            IdxErrorKind::NotFound { hint } => write!(f, "not found ({hint})"),
            IdxErrorKind::BadMagic { found } => write!(
                f,
                "bad magic number 0x{:08x} (an IDX file starts with two zero bytes, a type \
                 code and the number of dimensions)",
                u32::from_be_bytes(*found)
            ),
            IdxErrorKind::UnknownType { code } => write!(
                f,
                "unknown type code 0x{code:02x} (IDX defines 0x08 u8, 0x09 i8, 0x0b i16, \
                 0x0c i32, 0x0d f32, 0x0e f64)"
            ),
            IdxErrorKind::TruncatedHeader { needed, found } => write!(
                f,
                "truncated header: {needed} header bytes needed, the file has {found}"
            ),
            IdxErrorKind::TruncatedPayload { expected, found } => write!(
                f,
                "truncated payload: the header announces {expected} data bytes, the file has {found}"
            ),
            IdxErrorKind::TrailingBytes { extra } => {
                write!(f, "{extra} trailing bytes after the last element")
            }
            IdxErrorKind::TooLarge { dims } => {
                write!(f, "dimensions {dims:?} are too large to address")
            }
            IdxErrorKind::WrongType { expected, found } => write!(
                f,
                "element type {found} (code 0x{:02x}), expected {expected} (code 0x{:02x})",
                found.code(),
                expected.code()
            ),
            IdxErrorKind::DimensionMismatch { expected, found } => {
                write!(f, "dimension mismatch: expected {expected}, found {found:?}")
            }
            IdxErrorKind::BadHeader { what } => write!(f, "bad header: {what}"),
            IdxErrorKind::Corrupt { what } => write!(f, "{what}"),
            IdxErrorKind::InvalidValue {
                index,
                value,
                expected,
            } => write!(f, "element {index} is {value}, expected {expected}"),
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            IdxErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads an IDX file into a tensor of its dimensions (`uint8`/`int8`/`int16`/`int32` as
/// `i32`, `float32` as `f32`, `float64` as `f64`; see [`IdxType::dtype`]).
///
/// ```
/// let images = ferrax::data::read_idx(ferrax::data::default_digits_dir().join("images.idx"))?;
/// assert_eq!(images.shape(), &[1797, 8, 8]);
/// assert_eq!(images.dtype(), ferrax::DType::I32);
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_idx(path: impl AsRef<Path>) -> Result<Tensor, IdxError> {
    read_idx_typed(path).map(|(t, _)| t)
}

/// Like [`read_idx`], also returning the element type stored in the file, which the tensor's
/// dtype does not tell apart (every integer type becomes `i32`): callers that need, say,
/// `uint8` pixel counts check it instead of silently accepting truncated floats.
///
/// ```
/// use ferrax::data::{default_digits_dir, read_idx_typed, IdxType};
/// let (labels, ty) = read_idx_typed(default_digits_dir().join("labels.idx"))?;
/// assert_eq!((labels.shape(), ty), (&[1797][..], IdxType::U8));
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_idx_typed(path: impl AsRef<Path>) -> Result<(Tensor, IdxType), IdxError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            IdxErrorKind::NotFound {
                hint: "no such file".into(),
            }
        } else {
            IdxErrorKind::Io(e)
        };
        IdxError::new(name.clone(), None, kind)
    })?;
    parse_idx_typed(&bytes, &name)
}

/// Parses IDX bytes (the whole file); `name` is used in errors.
///
/// ```
/// // A 2x3 uint8 array.
/// let bytes = [0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255];
/// let t = ferrax::data::parse_idx(&bytes, "mem")?;
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.to_vec::<i32>(), vec![1, 2, 3, 4, 5, 255]);
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn parse_idx(bytes: &[u8], name: &str) -> Result<Tensor, IdxError> {
    parse_idx_typed(bytes, name).map(|(t, _)| t)
}

/// Like [`parse_idx`], also returning the element type stored in the bytes.
///
/// Hostile headers are errors, never panics or large allocations: every size is computed
/// with checked arithmetic (see [`IdxErrorKind::TooLarge`]), and the payload the header
/// announces is compared with the bytes actually present before anything is allocated, so
/// the result never needs more than `4 * bytes.len()` bytes (`uint8` widened to `i32`).
///
/// ```
/// use ferrax::data::{parse_idx_typed, IdxErrorKind, IdxType};
/// let (t, ty) = parse_idx_typed(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0], "mem")?;
/// assert_eq!((t.to_vec::<f32>(), ty), (vec![1.0], IdxType::F32));
/// // Zero elements, but the other dimensions multiply past any addressable size.
/// let hostile = [0, 0, 0x08, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
/// let err = parse_idx_typed(&hostile, "mem").unwrap_err();
/// assert!(matches!(err.kind, IdxErrorKind::TooLarge { .. }), "{err}");
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn parse_idx_typed(bytes: &[u8], name: &str) -> Result<(Tensor, IdxType), IdxError> {
    let err = |offset: usize, kind| Err(IdxError::new(name, Some(offset as u64), kind));
    if bytes.len() < 4 {
        return err(
            0,
            IdxErrorKind::TruncatedHeader {
                needed: 4,
                found: bytes.len(),
            },
        );
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic[0] != 0 || magic[1] != 0 {
        return err(0, IdxErrorKind::BadMagic { found: magic });
    }
    let Some(ty) = IdxType::from_code(magic[2]) else {
        return err(2, IdxErrorKind::UnknownType { code: magic[2] });
    };
    let ndim = magic[3] as usize;
    // At most 4 + 4 * 255 bytes: no overflow.
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return err(
            bytes.len(),
            IdxErrorKind::TruncatedHeader {
                needed: header,
                found: bytes.len(),
            },
        );
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    if let Err((offset, kind)) = check_payload(ty.size(), &dims, bytes.len(), header, |i| 4 + 4 * i)
    {
        return err(offset, kind);
    }
    let data = &bytes[header..];
    let tensor = match ty {
        IdxType::U8 => Tensor::from_vec(data.iter().map(|&b| b as i32).collect(), &dims),
        IdxType::I8 => Tensor::from_vec(data.iter().map(|&b| b as i8 as i32).collect(), &dims),
        IdxType::I16 => Tensor::from_vec(
            data.chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]) as i32)
                .collect(),
            &dims,
        ),
        IdxType::I32 => Tensor::from_vec(
            data.chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            &dims,
        ),
        IdxType::F32 => Tensor::from_vec(
            data.chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            &dims,
        ),
        IdxType::F64 => Tensor::from_vec(
            data.chunks_exact(8)
                .map(|c| f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            &dims,
        ),
    };
    Ok((tensor, ty))
}

/// Checks the payload a header announces against the bytes present, before anything is
/// allocated (shared by the IDX and `.npy` readers): `elem` bytes per element, `dims` the
/// announced shape, `len` the file's length, `data_start` where the payload begins, and
/// `dim_offset(i)` the byte offset to blame when dimension `i` makes the size overflow.
///
/// Two running byte counts are checked at every dimension: `payload` over all dims (what the
/// file must hold) and `extent` over the non-zero ones (what the shape would need if its zero
/// dims were one; ndarray refuses shapes whose extent exceeds `isize::MAX`, and so do we, with
/// an error instead of a panic). The error is `(offset, kind)`.
pub(crate) fn check_payload(
    elem: usize,
    dims: &[usize],
    len: usize,
    data_start: usize,
    dim_offset: impl Fn(usize) -> usize,
) -> Result<(), (usize, IdxErrorKind)> {
    let limit = isize::MAX as usize;
    let (mut payload, mut extent) = (elem, elem);
    for (i, &d) in dims.iter().enumerate() {
        payload = payload.saturating_mul(d);
        extent = extent.saturating_mul(d.max(1));
        if payload > limit || extent > limit {
            let dims = dims.to_vec();
            return Err((dim_offset(i), IdxErrorKind::TooLarge { dims }));
        }
    }
    let have = len - data_start;
    if have < payload {
        let kind = IdxErrorKind::TruncatedPayload {
            expected: payload,
            found: have,
        };
        return Err((len, kind));
    }
    if have > payload {
        let kind = IdxErrorKind::TrailingBytes {
            extra: have - payload,
        };
        return Err((data_start + payload, kind));
    }
    Ok(())
}
