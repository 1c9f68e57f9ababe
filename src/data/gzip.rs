//! gzip-compressed IDX files, as MNIST, Fashion-MNIST and EMNIST are distributed
//! (`train-images-idx3-ubyte.gz`), feature `datasets`.

use super::idx::{parse_idx_typed, IdxError, IdxErrorKind, IdxType};
use crate::tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// The two bytes every gzip member starts with.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads an IDX file that may be gzip-compressed (recognised by its first two bytes, so the
/// name does not matter), returning the tensor and the stored element type as
/// [`read_idx_typed`](super::read_idx_typed) does.
///
/// Errors in the compressed stream name the file and the compressed byte offset where
/// decoding stopped; errors in the IDX content name `file (decompressed)` and the offset in
/// the decompressed bytes. Decompression reads the IDX header first and then at most the
/// payload it announces plus one byte, so a small file cannot expand into a large allocation.
///
/// ```
/// use std::io::Write;
/// // A 1-d uint8 IDX file [7, 8, 9], gzip-compressed.
/// let raw = [0u8, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9];
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&raw).unwrap();
/// let path = std::env::temp_dir().join(format!("doc-idx-{}.gz", std::process::id()));
/// std::fs::write(&path, gz.finish().unwrap()).unwrap();
/// let (t, ty) = ferrax::data::read_idx_gz(&path)?;
/// assert_eq!((t.to_vec::<i32>(), ty), (vec![7, 8, 9], ferrax::data::IdxType::U8));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_idx_gz(path: impl AsRef<Path>) -> Result<(Tensor, IdxType), IdxError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = super::read_file(path)?;
    parse_idx_gz(&bytes, &name)
}

/// Like [`read_idx_gz`] on bytes in memory; `name` is used in errors. Bytes that do not start
/// with the gzip magic are parsed as plain IDX.
///
/// ```
/// use ferrax::data::{parse_idx_gz, IdxErrorKind};
/// // The gzip magic, then garbage.
/// let err = parse_idx_gz(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff], "x.gz").unwrap_err();
/// assert!(matches!(err.kind, IdxErrorKind::Corrupt { .. }), "{err}");
/// assert_eq!(err.file, "x.gz");
/// ```
pub fn parse_idx_gz(bytes: &[u8], name: &str) -> Result<(Tensor, IdxType), IdxError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return parse_idx_typed(bytes, name);
    }
    let data = gunzip_idx(bytes, name)?;
    parse_idx_typed(&data, &format!("{name} (decompressed)"))
}

/// A reader that counts the compressed bytes handed to the decoder.
struct Counting<'a> {
    inner: &'a [u8],
    pos: usize,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.inner.len() - self.pos);
        buf[..n].copy_from_slice(&self.inner[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decompresses the IDX header, then at most the payload it announces plus one byte (so the
/// IDX parser still sees and reports trailing bytes).
fn gunzip_idx(bytes: &[u8], name: &str) -> Result<Vec<u8>, IdxError> {
    let mut dec = flate2::bufread::MultiGzDecoder::new(std::io::BufReader::with_capacity(
        8192,
        Counting {
            inner: bytes,
            pos: 0,
        },
    ));
    let corrupt = |dec: &flate2::bufread::MultiGzDecoder<_>, e: std::io::Error| {
        let reader: &std::io::BufReader<Counting> = dec.get_ref();
        let pos = reader.get_ref().pos - reader.buffer().len();
        IdxError::new(
            name,
            Some(pos as u64),
            IdxErrorKind::Corrupt {
                what: format!("bad gzip data: {e}"),
            },
        )
    };
    let mut out = Vec::new();
    // Magic and dimension count, then the dimensions.
    if let Err(e) = (&mut dec).take(4).read_to_end(&mut out) {
        return Err(corrupt(&dec, e));
    }
    if out.len() == 4 {
        let ndim = out[3] as u64;
        if let Err(e) = (&mut dec).take(4 * ndim).read_to_end(&mut out) {
            return Err(corrupt(&dec, e));
        }
    }
    let size = IdxType::from_code(out.get(2).copied().unwrap_or(0)).map_or(1, |t| t.size());
    let payload = out
        .get(4..)
        .unwrap_or(&[])
        .chunks_exact(4)
        .fold(size as u64, |acc, c| {
            acc.saturating_mul(u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64)
        });
    // Past isize::MAX the IDX parser reports TooLarge from the header alone.
    let payload = payload.min(isize::MAX as u64);
    if let Err(e) = (&mut dec)
        .take(payload.saturating_add(1))
        .read_to_end(&mut out)
    {
        return Err(corrupt(&dec, e));
    }
    Ok(out)
}
