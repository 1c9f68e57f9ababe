//! Parameters to and from safetensors files, named by pytree key paths, written atomically.

use crate::tensor::{ArrayElement, DType, Tensor};
use crate::tree::{tree_flatten_with_path, PyTree};
use safetensors::tensor::{Dtype as StDtype, Metadata, TensorInfo, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One way a file's tensors differ from the template given to [`load_params`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamMismatch {
    /// The template has a leaf the file lacks.
    Missing { name: String },
    /// The file has a tensor the template lacks.
    Unexpected { name: String },
    /// Same name, different shape.
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// Same name, different dtype (`found` is the safetensors dtype name).
    Dtype {
        name: String,
        expected: DType,
        found: String,
    },
}

impl fmt::Display for ParamMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamMismatch::Missing { name } => write!(f, "`{name}` is missing from the file"),
            ParamMismatch::Unexpected { name } => {
                write!(f, "`{name}` is in the file but not in the template")
            }
            ParamMismatch::Shape {
                name,
                expected,
                found,
            } => write!(f, "`{name}` has shape {found:?}, expected {expected:?}"),
            ParamMismatch::Dtype {
                name,
                expected,
                found,
            } => write!(f, "`{name}` has dtype {found}, expected {expected}"),
        }
    }
}

/// What went wrong saving or loading parameters.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointErrorKind {
    /// Reading, writing or renaming failed.
    Io(std::io::Error),
    /// The parameters could not be encoded as safetensors (the encoder's message).
    Format(String),
    /// The file is not valid safetensors: `offset` is the byte where the problem is (0 for
    /// the 8-byte header length, 8 + column for the JSON header, the start of the data
    /// section for data that does not match the header), `field` the part of the format
    /// (`header length`, `header JSON`, `data_offsets`), `message` what was wrong.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::train::{params_from_bytes, CheckpointErrorKind};
    /// // A header length of u64::MAX in a 9-byte file.
    /// let bytes = [[0xff; 8].as_slice(), b"{"].concat();
    /// let err = params_from_bytes(&bytes, &Tensor::scalar(0.0f32), "x.safetensors").unwrap_err();
    /// assert!(matches!(err.kind, CheckpointErrorKind::Corrupt { offset: 0, field: "header length", .. }));
    /// assert!(err.to_string().starts_with("x.safetensors: byte 0: "), "{err}");
    /// ```
    Corrupt {
        offset: u64,
        field: &'static str,
        message: String,
    },
    /// A leaf is a tracer (saving inside a transformation), so it has no values.
    NotConcrete { name: String },
    /// The file's tensors do not match the template: every difference, in name order.
    Mismatch(Vec<ParamMismatch>),
}

/// An error from [`save_params`] / [`load_params`]: the file and what was wrong.
///
/// ```
/// use ferrax::prelude::*;
/// let err = ferrax::train::load_params("/nonexistent/p.safetensors", &Tensor::scalar(1.0f32)).unwrap_err();
/// assert!(err.to_string().starts_with("/nonexistent/p.safetensors: "), "{err}");
/// ```
#[derive(Debug)]
pub struct CheckpointError {
    /// The file being written or read.
    pub path: PathBuf,
    /// What was wrong.
    pub kind: CheckpointErrorKind,
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        match &self.kind {
            CheckpointErrorKind::Io(e) => write!(f, "{e}"),
            CheckpointErrorKind::Format(m) => write!(f, "cannot encode as safetensors: {m}"),
            CheckpointErrorKind::Corrupt {
                offset,
                field,
                message,
            } => write!(
                f,
                "byte {offset}: not a valid safetensors file: {field}: {message}"
            ),
            CheckpointErrorKind::NotConcrete { name } => write!(
                f,
                "leaf `{name}` is a tracer; save parameters outside grad/vmap/jit"
            ),
            CheckpointErrorKind::Mismatch(ms) => {
                write!(f, "parameters do not match the template:")?;
                for m in ms {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CheckpointErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The safetensors dtype of a ferrax dtype (`None` for complex128, which the format lacks).
fn st_dtype(d: DType) -> Option<StDtype> {
    Some(match d {
        DType::Bool => StDtype::BOOL,
        DType::I8 => StDtype::I8,
        DType::I16 => StDtype::I16,
        DType::I32 => StDtype::I32,
        DType::I64 => StDtype::I64,
        DType::U8 => StDtype::U8,
        DType::U16 => StDtype::U16,
        DType::U32 => StDtype::U32,
        DType::U64 => StDtype::U64,
        DType::BF16 => StDtype::BF16,
        DType::F16 => StDtype::F16,
        DType::F32 => StDtype::F32,
        DType::F64 => StDtype::F64,
        DType::C64 => StDtype::C64,
        DType::C128 => return None,
    })
}

/// The little-endian bytes of one element (complex: the real part, then the imaginary).
trait LeBytes: ArrayElement {
    fn put(self, out: &mut Vec<u8>);
    fn get(b: &[u8]) -> Self;
}

macro_rules! le_bytes_impl {
    ($($t:ty),*) => {$(
        impl LeBytes for $t {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("chunk size"))
            }
        }
    )*};
}
le_bytes_impl!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    half::bf16,
    half::f16,
    f32,
    f64
);

impl LeBytes for bool {
    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn get(b: &[u8]) -> Self {
        b[0] != 0
    }
}

impl LeBytes for num_complex::Complex32 {
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.re.to_le_bytes());
        out.extend_from_slice(&self.im.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        num_complex::Complex32::new(f32::get(&b[..4]), f32::get(&b[4..]))
    }
}

fn le_bytes(t: &Tensor) -> Vec<u8> {
    fn words<T: LeBytes>(t: &Tensor) -> Vec<u8> {
        let mut out = Vec::with_capacity(t.size() * std::mem::size_of::<T>());
        t.to_vec::<T>().into_iter().for_each(|v| v.put(&mut out));
        out
    }
    match t.dtype() {
        DType::Bool => words::<bool>(t),
        DType::I8 => words::<i8>(t),
        DType::I16 => words::<i16>(t),
        DType::I32 => words::<i32>(t),
        DType::I64 => words::<i64>(t),
        DType::U8 => words::<u8>(t),
        DType::U16 => words::<u16>(t),
        DType::U32 => words::<u32>(t),
        DType::U64 => words::<u64>(t),
        DType::BF16 => words::<half::bf16>(t),
        DType::F16 => words::<half::f16>(t),
        DType::F32 => words::<f32>(t),
        DType::F64 => words::<f64>(t),
        DType::C64 => words::<num_complex::Complex32>(t),
        // Refused by `st_dtype` before any bytes are asked for.
        DType::C128 => Vec::new(),
    }
}

pub(crate) fn from_le_bytes(d: DType, b: &[u8], shape: &[usize]) -> Tensor {
    fn words<T: LeBytes>(b: &[u8], shape: &[usize]) -> Tensor {
        let n = std::mem::size_of::<T>();
        Tensor::from_vec(b.chunks_exact(n).map(T::get).collect(), shape)
    }
    match d {
        DType::Bool => words::<bool>(b, shape),
        DType::I8 => words::<i8>(b, shape),
        DType::I16 => words::<i16>(b, shape),
        DType::I32 => words::<i32>(b, shape),
        DType::I64 => words::<i64>(b, shape),
        DType::U8 => words::<u8>(b, shape),
        DType::U16 => words::<u16>(b, shape),
        DType::U32 => words::<u32>(b, shape),
        DType::U64 => words::<u64>(b, shape),
        DType::BF16 => words::<half::bf16>(b, shape),
        DType::F16 => words::<half::f16>(b, shape),
        DType::F32 => words::<f32>(b, shape),
        DType::F64 => words::<f64>(b, shape),
        DType::C64 => words::<num_complex::Complex32>(b, shape),
        DType::C128 => unreachable!("no safetensors dtype maps to complex128"),
    }
}

/// The safetensors bytes of `params`: one tensor per leaf, named by its key path
/// (`.l1.w`, `[0]`, `['lr']`; a bare tensor is named `""`), dtypes kept; the tree structure
/// is recorded as metadata `ferrax_treedef` for humans. `path` only labels errors.
///
/// ```
/// use ferrax::prelude::*;
/// let bytes = ferrax::train::params_to_bytes(&(Tensor::scalar(1.0f32),), "mem").unwrap();
/// let back: (Tensor,) = ferrax::train::params_from_bytes(&bytes, &(Tensor::scalar(0.0f32),), "mem").unwrap();
/// assert_eq!(back.0.item::<f32>(), 1.0);
/// ```
pub fn params_to_bytes<P: PyTree>(
    params: &P,
    path: impl AsRef<Path>,
) -> Result<Vec<u8>, CheckpointError> {
    let err = |kind| CheckpointError {
        path: path.as_ref().to_path_buf(),
        kind,
    };
    let leaves = tree_flatten_with_path(params);
    let mut named = Vec::with_capacity(leaves.len());
    for (p, t) in &leaves {
        let name = p.to_string();
        if !t.is_concrete() {
            return Err(err(CheckpointErrorKind::NotConcrete { name }));
        }
        let Some(st) = st_dtype(t.dtype()) else {
            return Err(err(CheckpointErrorKind::Format(format!(
                "leaf `{name}` is {}, which safetensors cannot store",
                t.dtype()
            ))));
        };
        named.push((name, st, t.shape().to_vec(), le_bytes(t)));
    }
    let views = named
        .iter()
        .map(|(name, d, shape, bytes)| {
            TensorView::new(*d, shape.clone(), bytes).map(|v| (name.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(CheckpointErrorKind::Format(e.to_string())))?;
    let meta = HashMap::from([("ferrax_treedef".to_string(), params.treedef().to_string())]);
    safetensors::serialize(views, Some(meta))
        .map_err(|e| err(CheckpointErrorKind::Format(e.to_string())))
}

/// The largest JSON header accepted, as in the `safetensors` crate.
const MAX_HEADER_LEN: u64 = 100_000_000;

/// Splits safetensors bytes into validated `(info, data)` per tensor name, with errors that
/// say where. The `safetensors` crate checks most of the format when it deserializes the
/// header (contiguous, non-overlapping `data_offsets` in offset order; shape products and
/// byte sizes with checked arithmetic; each tensor's size matching its dtype and shape);
/// what it does not (its `SafeTensors::read_metadata` adds the data length to the header
/// length unchecked, which overflows — a panic wherever overflow checks are on, as in debug
/// builds — when hostile offsets end near `usize::MAX`) is done here with checked
/// arithmetic, and every slice is taken with `get`. Nothing allocated here is larger than a
/// constant times the header's length (serde_json builds the header's maps and vectors).
pub(crate) fn parse_safetensors(
    bytes: &[u8],
) -> Result<BTreeMap<String, (TensorInfo, &[u8])>, CheckpointErrorKind> {
    let corrupt =
        |offset: usize, field: &'static str, message: String| CheckpointErrorKind::Corrupt {
            offset: offset as u64,
            field,
            message,
        };
    let Some(len_bytes) = bytes.get(..8) else {
        return Err(corrupt(
            0,
            "header length",
            format!(
                "the file has {} bytes, fewer than the 8 of the header length",
                bytes.len()
            ),
        ));
    };
    let n = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
    let rest = bytes.len() - 8;
    if n > rest as u64 {
        return Err(corrupt(
            0,
            "header length",
            format!("announces {n} header bytes, but only {rest} bytes follow"),
        ));
    }
    if n > MAX_HEADER_LEN {
        return Err(corrupt(
            0,
            "header length",
            format!("{n} header bytes exceed the limit of {MAX_HEADER_LEN}"),
        ));
    }
    // n <= rest, so this is in bounds and does not overflow.
    let data_start = 8 + n as usize;
    let header = &bytes[8..data_start];
    let metadata: Metadata = serde_json::from_slice(header).map_err(|e| {
        corrupt(
            8 + json_error_offset(header, &e),
            "header JSON",
            e.to_string(),
        )
    })?;
    let data = &bytes[data_start..];
    if metadata.data_len() != data.len() {
        return Err(corrupt(
            data_start,
            "data_offsets",
            format!(
                "the tensors' data_offsets end at byte {} of the data section, which has {} bytes",
                metadata.data_len(),
                data.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, info) in metadata.tensors() {
        let (start, end) = info.data_offsets;
        let elements = info.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let size = elements.and_then(|e| e.checked_mul(info.dtype.bitsize()));
        let slice = data.get(start..end.max(start));
        match (slice, size) {
            (Some(slice), Some(bits))
                if end >= start && slice.len().checked_mul(8) == Some(bits) =>
            {
                out.insert(name, (info.clone(), slice));
            }
            _ => {
                return Err(corrupt(
                    data_start,
                    "data_offsets",
                    format!(
                        "tensor `{name}` ({:?}, shape {:?}) has data_offsets [{start}, {end}], \
                         which do not hold it within the {} data bytes",
                        info.dtype,
                        info.shape,
                        data.len()
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// The byte offset within `json` of a serde_json error (its 1-based line and column; 0 when
/// the error has no position).
fn json_error_offset(json: &[u8], e: &serde_json::Error) -> usize {
    if e.line() == 0 {
        return 0;
    }
    let line_start = json
        .split(|&b| b == b'\n')
        .take(e.line() - 1)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    (line_start + e.column().saturating_sub(1)).min(json.len())
}

/// Rebuilds parameters shaped like `template` from safetensors bytes, checking that the
/// names, shapes and dtypes match exactly (every difference is reported).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::train::{params_from_bytes, params_to_bytes, CheckpointErrorKind};
/// let bytes = params_to_bytes(&vec![Tensor::zeros(&[2], DType::F32)], "mem").unwrap();
/// let err = params_from_bytes(&bytes, &vec![Tensor::zeros(&[3], DType::F32)], "mem").unwrap_err();
/// assert!(matches!(err.kind, CheckpointErrorKind::Mismatch(_)));
/// assert!(err.to_string().contains("`[0]` has shape [2], expected [3]"), "{err}");
/// ```
pub fn params_from_bytes<P: PyTree>(
    bytes: &[u8],
    template: &P,
    path: impl AsRef<Path>,
) -> Result<P, CheckpointError> {
    let err = |kind| CheckpointError {
        path: path.as_ref().to_path_buf(),
        kind,
    };
    let mut in_file = parse_safetensors(bytes).map_err(err)?;
    let (_, def) = template.flatten();
    let mut problems = Vec::new();
    let mut leaves = Vec::new();
    for (p, t) in tree_flatten_with_path(template) {
        let name = p.to_string();
        let Some(v) = in_file.remove(&name) else {
            problems.push(ParamMismatch::Missing { name });
            continue;
        };
        let (info, data) = v;
        if Some(info.dtype) != st_dtype(t.dtype()) {
            problems.push(ParamMismatch::Dtype {
                name,
                expected: t.dtype(),
                found: format!("{:?}", info.dtype),
            });
        } else if info.shape != t.shape() {
            problems.push(ParamMismatch::Shape {
                name,
                expected: t.shape().to_vec(),
                found: info.shape.clone(),
            });
        } else {
            leaves.push(from_le_bytes(t.dtype(), data, t.shape()));
        }
    }
    problems.extend(
        in_file
            .into_keys()
            .map(|name| ParamMismatch::Unexpected { name }),
    );
    if !problems.is_empty() {
        return Err(err(CheckpointErrorKind::Mismatch(problems)));
    }
    Ok(P::unflatten(&def, leaves))
}

/// Saves `params` to `path` in safetensors format (see [`params_to_bytes`] for names).
/// Atomic: the bytes go to a temporary file in the same directory, are synced, then renamed
/// over `path`; on any failure the temporary file is removed and `path` is untouched.
///
/// ```
/// use ferrax::prelude::*;
/// let path = std::env::temp_dir().join(format!("ferrax-doc-save-{}.safetensors", std::process::id()));
/// let params = (Tensor::from_vec(vec![1.0f32, 2.0], &[2]), Tensor::scalar(3i32));
/// ferrax::train::save_params(&path, &params)?;
/// let back = ferrax::train::load_params(&path, &params)?;
/// assert_eq!(back.0.to_vec::<f32>(), vec![1.0, 2.0]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::train::CheckpointError>(())
/// ```
pub fn save_params<P: PyTree>(path: impl AsRef<Path>, params: &P) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes = params_to_bytes(params, path)?;
    write_atomic(path, &bytes).map_err(|e| CheckpointError {
        path: path.to_path_buf(),
        kind: CheckpointErrorKind::Io(e),
    })
}

/// Loads parameters saved by [`save_params`] into the structure of `template` (whose values
/// are ignored; its names, shapes and dtypes must match the file's).
///
/// ```
/// use ferrax::prelude::*;
/// let path = std::env::temp_dir().join(format!("ferrax-doc-load-{}.safetensors", std::process::id()));
/// ferrax::train::save_params(&path, &vec![Tensor::ones(&[2], DType::F64)])?;
/// let back: Vec<Tensor> = ferrax::train::load_params(&path, &vec![Tensor::zeros(&[2], DType::F64)])?;
/// assert_eq!(back[0].to_vec::<f64>(), vec![1.0, 1.0]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::train::CheckpointError>(())
/// ```
pub fn load_params<P: PyTree>(path: impl AsRef<Path>, template: &P) -> Result<P, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| CheckpointError {
        path: path.to_path_buf(),
        kind: CheckpointErrorKind::Io(e),
    })?;
    params_from_bytes(&bytes, template, path)
}

/// The marker in temporary file names: a save of `dir/name` writes
/// `dir/.name.ferrax-tmp-<pid>-<n>` (`pid` the writing process, `n` a per-process counter)
/// and renames it over `dir/name`.
const TMP_MARKER: &str = ".ferrax-tmp-";

/// Writes `bytes` to a fresh temporary file next to `path`, syncs it, renames it over
/// `path` and (on Unix) syncs the directory so the rename itself survives a crash; removes
/// the temporary file if any step before the rename fails. First removes stale temporary
/// files of earlier saves of the same `path` (see [`remove_stale_temps`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let Some(file_name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ));
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    remove_stale_temps(dir, file_name);
    let tmp = dir.join(format!(
        ".{}{TMP_MARKER}{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable: fsync of the directory on Unix (filesystems that cannot
/// sync a directory, reporting `InvalidInput`/`Unsupported`, are accepted as they are);
/// nothing elsewhere, where the rename is as durable as the platform makes it.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        match std::fs::File::open(dir).and_then(|d| d.sync_all()) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported
                ) => {}
            r => return r,
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes temporary files left in `dir` by saves of `dir/<target>` that died before their
/// rename (a crash, a kill). The rule, chosen so a save can never delete a file another save
/// is still writing:
///
/// - only regular files named exactly `.<target>.ferrax-tmp-<pid>-<n>` (decimal `pid` and
///   `n`) are considered: other files, including other targets' temporaries, are left alone;
/// - not those of this process (`pid` = ours: another thread may be saving right now);
/// - only if process `pid` is known to be gone: `/proc/<pid>` does not exist while `/proc`
///   itself does (Linux). Where liveness cannot be checked, nothing is removed.
///
/// A reused pid only delays the clean-up (the file stays until that process is gone).
/// Processes on other machines sharing the directory (NFS), or in other pid namespaces
/// (containers sharing a volume), have pids this check cannot see, so their in-flight
/// temporaries may be removed; their rename then fails with an error, and the target is
/// never corrupted. Errors here are ignored: clean-up is best effort and never fails a save.
fn remove_stale_temps(dir: &Path, target: &std::ffi::OsStr) {
    let proc_root = Path::new("/proc");
    if !proc_root.join("self").exists() {
        return;
    }
    let Some(target) = target.to_str() else {
        return;
    };
    let prefix = format!(".{target}{TMP_MARKER}");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('-') else {
            continue;
        };
        let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if !decimal(n) || pid == me || proc_root.join(pid.to_string()).exists() {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
