//! NumPy's `.npz` archives (`np.savez`, `np.savez_compressed`): a zip of `.npy` members,
//! stored or deflated, feature `datasets`.

use super::idx::{IdxError, IdxErrorKind};
use super::npy::parse_npy;
use crate::tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// Reads every array of an `.npz` archive, in archive order, named as NumPy names them (the
/// member name without `.npy`: `np.savez(f, x=a)` gives `"x"`, positional arrays `"arr_0"`).
/// Errors in a member name `archive.npz:member.npy` and the offset inside the member.
///
/// ```
/// use std::io::Write;
/// // An archive as `np.savez("a.npz", x=np.array([1.0, 2.0]))` writes it (here stored).
/// let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
/// let mut npy = b"\x93NUMPY\x01\x00".to_vec();
/// npy.extend((header.len() as u16).to_le_bytes());
/// npy.extend(header.as_bytes());
/// for v in [1.0f64, 2.0] { npy.extend(v.to_le_bytes()); }
/// let path = std::env::temp_dir().join(format!("doc-npz-{}.npz", std::process::id()));
/// let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
/// let opts = zip::write::SimpleFileOptions::default()
///     .compression_method(zip::CompressionMethod::Deflated);
/// zip.start_file("x.npy", opts).unwrap();
/// zip.write_all(&npy).unwrap();
/// zip.finish().unwrap();
/// let arrays = ferrax::data::read_npz(&path)?;
/// assert_eq!(arrays[0].0, "x");
/// assert_eq!(arrays[0].1.to_vec::<f64>(), vec![1.0, 2.0]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>, IdxError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = super::read_file(path)?;
    parse_npz(&bytes, &name)
}

/// Like [`read_npz`] on the bytes of a whole archive; `name` is used in errors. A member is
/// decompressed to at most the size its header declares (plus one byte, to detect a lie), so
/// a small archive cannot expand into a large allocation beyond what it declares.
///
/// ```
/// use ferrax::data::{parse_npz, IdxErrorKind};
/// let err = parse_npz(b"not a zip archive", "a.npz").unwrap_err();
/// assert!(matches!(err.kind, IdxErrorKind::BadHeader { .. }), "{err}");
/// ```
pub fn parse_npz(bytes: &[u8], name: &str) -> Result<Vec<(String, Tensor)>, IdxError> {
    let zip_err = |e: zip::result::ZipError| {
        IdxError::new(
            name,
            None,
            IdxErrorKind::BadHeader {
                what: format!("not a readable zip archive: {e}"),
            },
        )
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_err)?;
    let mut out = Vec::with_capacity(archive.len().min(1024));
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(zip_err)?;
        if member.is_dir() {
            continue;
        }
        let member_name = member.name().map_err(zip_err)?.into_owned();
        let file = format!("{name}:{member_name}");
        // Limit by the declared size and by the archive's size times deflate's maximum ratio
        // (1032:1), whichever is smaller.
        let limit = member.size().min((bytes.len() as u64).saturating_mul(1032));
        let mut data = Vec::new();
        if let Err(e) = (&mut member).take(limit).read_to_end(&mut data) {
            return Err(IdxError::new(
                file,
                Some(data.len() as u64),
                IdxErrorKind::Corrupt {
                    what: format!("member does not decompress: {e}"),
                },
            ));
        }
        if data.len() as u64 != member.size() {
            return Err(IdxError::new(
                file,
                Some(data.len() as u64),
                IdxErrorKind::Corrupt {
                    what: format!(
                        "member decompresses to {} bytes, its header declares {}",
                        data.len(),
                        member.size()
                    ),
                },
            ));
        }
        let t = parse_npy(&data, &file)?;
        let key = member_name
            .strip_suffix(".npy")
            .unwrap_or(&member_name)
            .to_string();
        out.push((key, t));
    }
    Ok(out)
}
