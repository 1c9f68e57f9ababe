//! NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, a
//! little-endian header length (`u16` in 1.0, `u32` in 2.0/3.0), a Python dict literal
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then the raw elements.

use super::idx::{check_payload, IdxError, IdxErrorKind};
use crate::numpy;
use crate::tensor::{DType, Tensor};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Reads a `.npy` file into a tensor of its shape and dtype (`bool`, `int8`..`int64`,
/// `uint8`..`uint64`, `float16`/`32`/`64`, `complex64`/`128`; either byte order; C or Fortran
/// order, returned row-major). Errors name the file and the byte offset.
///
/// ```
/// // A file as `np.save("x.npy", np.arange(3, dtype=np.int32))` writes it.
/// let header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// for v in [0i32, 1, 2] { bytes.extend(v.to_le_bytes()); }
/// let path = std::env::temp_dir().join(format!("doc-npy-{}.npy", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let x = ferrax::data::read_npy(&path)?;
/// assert_eq!((x.shape(), x.to_vec::<i32>()), (&[3][..], vec![0, 1, 2]));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor, IdxError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = super::read_file(path)?;
    parse_npy(&bytes, &name)
}

/// Parses the bytes of a whole `.npy` file; `name` is used in errors. Nothing is allocated
/// for the elements before the header's shape is checked against the bytes present.
///
/// ```
/// use ferrax::data::{parse_npy, IdxErrorKind};
/// let err = parse_npy(b"\x93NUMPX\x01\x00", "bad.npy").unwrap_err();
/// assert!(matches!(err.kind, IdxErrorKind::BadMagic { .. }));
/// assert_eq!(err.offset, Some(0));
/// ```
pub fn parse_npy(bytes: &[u8], name: &str) -> Result<Tensor, IdxError> {
    let err = |offset: usize, kind| Err(IdxError::new(name, Some(offset as u64), kind));
    let bad = |offset: usize, what: String| err(offset, IdxErrorKind::BadHeader { what });
    if bytes.len() < 10 {
        if bytes.len() >= 6 && &bytes[..6] != MAGIC {
            return err(0, bad_magic(bytes));
        }
        return err(
            bytes.len(),
            IdxErrorKind::TruncatedHeader {
                needed: 10,
                found: bytes.len(),
            },
        );
    }
    if &bytes[..6] != MAGIC {
        return err(0, bad_magic(bytes));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, header_len) = match major {
        1 => (2, u16::from_le_bytes([bytes[8], bytes[9]]) as usize),
        2 | 3 if bytes.len() >= 12 => (
            4,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        2 | 3 => {
            return err(
                bytes.len(),
                IdxErrorKind::TruncatedHeader {
                    needed: 12,
                    found: bytes.len(),
                },
            )
        }
        _ => {
            return bad(
                6,
                format!("unknown .npy version {major}.{minor} (1.0, 2.0 and 3.0 exist)"),
            )
        }
    };
    let start: usize = 8 + len_bytes;
    let end = start.saturating_add(header_len);
    if bytes.len() < end {
        return err(
            bytes.len(),
            IdxErrorKind::TruncatedHeader {
                needed: end,
                found: bytes.len(),
            },
        );
    }
    let text = match std::str::from_utf8(&bytes[start..end]) {
        Ok(t) if major == 3 || t.is_ascii() => t,
        _ => {
            return bad(
                start,
                "the header is not ASCII (UTF-8 only in version 3.0)".into(),
            )
        }
    };
    let header = match parse_header(text) {
        Ok(h) => h,
        Err((at, what)) => return bad(start + at, what),
    };
    let Some((dtype, size, big_endian)) = descr_dtype(&header.descr) else {
        return bad(
            start,
            format!(
                "dtype '{}' is not one ferrax has (bool, int8-64, uint8-64, float16/32/64, \
                 complex64/128)",
                header.descr
            ),
        );
    };
    let shape = &header.shape;
    if let Err((offset, kind)) = check_payload(size, shape, bytes.len(), end, |_| start) {
        return err(offset, kind);
    }
    let data = &bytes[end..];
    if !header.fortran_order || shape.len() < 2 {
        return Ok(decode(data, dtype, size, big_endian, shape));
    }
    // Fortran order: the bytes are the row-major array of the reversed shape, transposed.
    let rev: Vec<usize> = shape.iter().rev().copied().collect();
    let t = decode(data, dtype, size, big_endian, &rev);
    let axes: Vec<isize> = (0..shape.len() as isize).rev().collect();
    Ok(numpy::transpose(&t, &axes))
}

fn bad_magic(bytes: &[u8]) -> IdxErrorKind {
    let mut found = [0u8; 4];
    for (f, b) in found.iter_mut().zip(bytes) {
        *f = *b;
    }
    IdxErrorKind::BadMagic { found }
}

/// The header dict's three keys.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (keys in any order,
/// single or double quotes, trailing spaces and newline); errors carry the offset in `text`.
fn parse_header(text: &str) -> Result<Header, (usize, String)> {
    let b = text.as_bytes();
    let mut p = Parser { b, i: 0 };
    p.ws();
    p.expect(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.ws();
        if p.peek() == Some(b'}') {
            break;
        }
        let at = p.i;
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        match key.as_str() {
            "descr" => descr = Some(p.string()?),
            "fortran_order" => fortran = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            _ => return Err((at, format!("unexpected key '{key}' in the header dict"))),
        }
        p.ws();
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(b'}') => {}
            _ => return Err((p.i, "expected ',' or '}' in the header dict".into())),
        }
    }
    let missing = |k: &str| (0, format!("the header dict has no '{k}'"));
    Ok(Header {
        descr: descr.ok_or_else(|| missing("descr"))?,
        fortran_order: fortran.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.i += 1;
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), (usize, String)> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err((
                self.i,
                format!("expected '{}' in the header dict", c as char),
            ))
        }
    }
    fn string(&mut self) -> Result<String, (usize, String)> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err((self.i, "expected a quoted string in the header dict".into())),
        };
        let start = self.i + 1;
        let Some(len) = self.b[start..].iter().position(|&c| c == q) else {
            return Err((self.i, "unterminated string in the header dict".into()));
        };
        self.i = start + len + 1;
        Ok(String::from_utf8_lossy(&self.b[start..start + len]).into_owned())
    }
    fn boolean(&mut self) -> Result<bool, (usize, String)> {
        for (word, v) in [("True", true), ("False", false)] {
            if self.b[self.i..].starts_with(word.as_bytes()) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err((self.i, "fortran_order must be True or False".into()))
    }
    fn tuple(&mut self) -> Result<Vec<usize>, (usize, String)> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b')') => {
                    self.i += 1;
                    return Ok(dims);
                }
                Some(c) if c.is_ascii_digit() => {
                    let start = self.i;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    let s = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("");
                    let d = s
                        .parse::<usize>()
                        .map_err(|_| (start, format!("dimension {s} is too large")))?;
                    // Python writes `3L` for long ints in old files.
                    if self.peek() == Some(b'L') {
                        self.i += 1;
                    }
                    dims.push(d);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b')') => {}
                        _ => return Err((self.i, "expected ',' or ')' in the shape".into())),
                    }
                }
                _ => {
                    return Err((
                        self.i,
                        "the shape must be a tuple of non-negative integers".into(),
                    ))
                }
            }
            if dims.len() > 64 {
                return Err((self.i, "more than 64 dimensions".into()));
            }
        }
    }
}

/// The dtype, element size and byte order of a NumPy type string (`<f4`, `>i8`, `|u1`, `?`).
fn descr_dtype(descr: &str) -> Option<(DType, usize, bool)> {
    let (order, code) = match descr.as_bytes().first()? {
        b'<' | b'=' => (false, &descr[1..]),
        b'>' => (true, &descr[1..]),
        b'|' => (false, &descr[1..]),
        _ => (false, descr),
    };
    let dtype = match code {
        "b1" | "?" => DType::Bool,
        "i1" => DType::I8,
        "i2" => DType::I16,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "u1" => DType::U8,
        "u2" => DType::U16,
        "u4" => DType::U32,
        "u8" => DType::U64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        "c8" => DType::C64,
        "c16" => DType::C128,
        _ => return None,
    };
    Some((dtype, dtype.size_of(), order))
}

/// Decodes `data` (exactly `shape.product() * size` bytes) into a row-major tensor.
fn decode(data: &[u8], dtype: DType, size: usize, big_endian: bool, shape: &[usize]) -> Tensor {
    // Bring every element (every part of a complex one) to little-endian first, so each
    // dtype below has one conversion.
    let part = if dtype.is_complex() { size / 2 } else { size };
    let owned;
    let data = if big_endian && part > 1 {
        let mut v = data.to_vec();
        for c in v.chunks_exact_mut(part) {
            c.reverse();
        }
        owned = v;
        &owned[..]
    } else {
        data
    };
    fn le<const N: usize, T>(data: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunks_exact(N)")))
            .collect()
    }
    match dtype {
        DType::Bool => Tensor::from_vec(data.iter().map(|&b| b != 0).collect(), shape),
        DType::I8 => Tensor::from_vec(data.iter().map(|&b| b as i8).collect(), shape),
        DType::U8 => Tensor::from_vec(data.to_vec(), shape),
        DType::I16 => Tensor::from_vec(le(data, i16::from_le_bytes), shape),
        DType::U16 => Tensor::from_vec(le(data, u16::from_le_bytes), shape),
        DType::I32 => Tensor::from_vec(le(data, i32::from_le_bytes), shape),
        DType::U32 => Tensor::from_vec(le(data, u32::from_le_bytes), shape),
        DType::I64 => Tensor::from_vec(le(data, i64::from_le_bytes), shape),
        DType::U64 => Tensor::from_vec(le(data, u64::from_le_bytes), shape),
        DType::F16 => Tensor::from_vec(le(data, half::f16::from_le_bytes), shape),
        DType::F32 => Tensor::from_vec(le(data, f32::from_le_bytes), shape),
        DType::F64 => Tensor::from_vec(le(data, f64::from_le_bytes), shape),
        DType::C64 => Tensor::from_vec(
            le(data, |c: [u8; 8]| {
                num_complex::Complex32::new(
                    f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            }),
            shape,
        ),
        DType::C128 => Tensor::from_vec(
            le(data, |c: [u8; 16]| {
                let (re, im) = c.split_at(8);
                num_complex::Complex64::new(
                    f64::from_le_bytes(re.try_into().expect("8 bytes")),
                    f64::from_le_bytes(im.try_into().expect("8 bytes")),
                )
            }),
            shape,
        ),
        DType::BF16 => unreachable!("NumPy has no bfloat16 type string"),
    }
}
