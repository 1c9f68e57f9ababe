//! Deployment: a traced function written as a model file another runtime runs.
//!
//! [`onnx::save`] traces the function on an example argument (as [`make_jaxpr`]
//! does), runs the optimizing passes (calls inlined, dead code removed, constants folded) and
//! lowers each equation to ONNX operators. What the formats share lives here: the error type,
//! the trace, the symbolic batch dimension and the atomic file write.
//!
//! A dynamic batch (`Options { dynamic_batch: true, .. }`) is decided by tracing, never by
//! matching values: the function is traced three times, with the leading dimension of every
//! input leaf set to three distinct primes above [`crate::internals::passes::FOLD_MAX_ELEMENTS`]
//! and co-prime to every other dimension of the program. A dimension derives from the batch
//! exactly when it differs between the traces; it must then be `a * batch + c` (checked at the
//! third size), and the lowering writes it with the graph's `Shape` of the input. A literal
//! operand that differs between the traces (the count a mean over the batch divides by) is
//! written the same way; a captured constant that differs, or a value of any other form, is
//! an [`ExportError::DynamicBatch`]. A dimension that merely equals the example's batch is
//! never touched (the example's batch is not even traced).
//!
//! ```
//! use ferrax::prelude::*;
//! let w = Tensor::from_vec(vec![1.0f32, -2.0, 0.5, 3.0], &[2, 2]);
//! let x = Tensor::ones(&[3, 2], DType::F32);
//! let path = std::env::temp_dir().join("ferrax_export_doc.onnx");
//! ferrax::export::onnx::save(|x: &Tensor| x.matmul(&w).tanh(), &x, &path).unwrap();
//! assert!(std::fs::metadata(&path).unwrap().len() > 0);
//! # std::fs::remove_file(&path).unwrap();
//! ```
//!
//! [`make_jaxpr`]: crate::make_jaxpr

pub mod onnx;
pub mod tflite;

use crate::core::{Atom, Aval, ClosedJaxpr, Jaxpr};
use crate::tree::PyTree;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why an export failed. No file is written (or left half-written) when one is returned.
///
/// ```
/// use ferrax::export::ExportError;
/// let e = ExportError::Unsupported {
///     primitive: "lgamma".into(),
///     detail: "no ONNX operator".into(),
///     location: None,
/// };
/// assert!(e.to_string().contains("lgamma"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// A primitive (or a form of it) the format has no operator for.
    Unsupported {
        /// The primitive's name as jaxprs print it (`lgamma`, `scatter-add`, ...).
        primitive: String,
        /// What about it is not supported.
        detail: String,
        /// The user's line that applied the primitive, when the trace knows it (the line of
        /// `x.lgamma()` in the exported function; `None` for equations ferrax's
        /// transformations made, such as a backward pass).
        location: Option<&'static std::panic::Location<'static>>,
    },
    /// The function captured a value that is not concrete (a tracer of an outer
    /// transformation), so it cannot become a constant of the model.
    NonConcrete {
        /// What was captured (its type).
        what: String,
    },
    /// The batch dimension cannot be made symbolic (`dynamic_batch: true`).
    DynamicBatch {
        /// Why.
        detail: String,
    },
    /// Writing the file failed.
    Io {
        /// The file that was to be written.
        path: PathBuf,
        /// The error from the file system.
        source: std::io::Error,
    },
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Unsupported {
                primitive,
                detail,
                location,
            } => {
                write!(
                    f,
                    "export: primitive `{primitive}` is not supported: {detail}"
                )?;
                match location {
                    Some(l) => write!(f, " (applied at {l})"),
                    None => Ok(()),
                }
            }
            ExportError::NonConcrete { what } => write!(
                f,
                "export: the function captures {what}, which is not a concrete value (a tracer \
                 of an enclosing transformation); export a function of concrete values"
            ),
            ExportError::DynamicBatch { detail } => {
                write!(f, "export: dynamic batch: {detail}")
            }
            ExportError::Io { path, source } => {
                write!(f, "export: cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A tensor's values as little-endian bytes in row-major order (ONNX's `raw_data`, TFLite's
/// buffers; bools one byte each); `None` for complex values.
pub(crate) fn le_bytes(t: &crate::Tensor) -> Option<Vec<u8>> {
    use crate::DType;
    fn le<T: crate::tensor::ArrayElement, const N: usize>(
        t: &crate::Tensor,
        f: impl Fn(T) -> [u8; N],
    ) -> Vec<u8> {
        t.to_vec::<T>().into_iter().flat_map(f).collect()
    }
    Some(match t.dtype() {
        DType::Bool => t.to_vec::<bool>().into_iter().map(u8::from).collect(),
        DType::I8 => le(t, i8::to_le_bytes),
        DType::I16 => le(t, i16::to_le_bytes),
        DType::I32 => le(t, i32::to_le_bytes),
        DType::I64 => le(t, i64::to_le_bytes),
        DType::U8 => t.to_vec::<u8>(),
        DType::U16 => le(t, u16::to_le_bytes),
        DType::U32 => le(t, u32::to_le_bytes),
        DType::U64 => le(t, u64::to_le_bytes),
        DType::BF16 => le(t, half::bf16::to_le_bytes),
        DType::F16 => le(t, half::f16::to_le_bytes),
        DType::F32 => le(t, f32::to_le_bytes),
        DType::F64 => le(t, f64::to_le_bytes),
        DType::C64 | DType::C128 => return None,
    })
}

/// The product of dims (for merging them in a reshape); `None` if two derive from the batch.
pub(crate) fn dim_product(dims: &[Dim]) -> Option<Dim> {
    let mut fixed = 1usize;
    let mut batch: Option<(i64, i64)> = None;
    for d in dims {
        match *d {
            Dim::Fixed(n) => fixed *= n,
            Dim::Batch { scale, offset } => {
                if batch.is_some() {
                    return None;
                }
                batch = Some((scale, offset));
            }
        }
    }
    Some(match batch {
        None => Dim::Fixed(fixed),
        Some((s, o)) => Dim::Batch {
            scale: s * fixed as i64,
            offset: o * fixed as i64,
        },
    })
}

impl ExportError {
    /// The error with the user's line `source` of the equation being lowered attached, if it
    /// is an `Unsupported` that has none yet (an inner equation's line is more precise).
    pub(crate) fn at(mut self, source: Option<&'static std::panic::Location<'static>>) -> Self {
        if let ExportError::Unsupported { location, .. } = &mut self
            && location.is_none()
        {
            *location = source;
        }
        self
    }
}

/// `ExportError::Unsupported` for `prim`.
pub(crate) fn unsupported(prim: &str, detail: impl Into<String>) -> ExportError {
    ExportError::Unsupported {
        primitive: prim.to_string(),
        detail: detail.into(),
        location: None,
    }
}

/// One dimension of a value in an exported program: fixed, or `scale * batch + offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dim {
    Fixed(usize),
    Batch { scale: i64, offset: i64 },
}

/// For every variable of the lowered jaxpr and of each of its sub-jaxprs (keyed by address),
/// the dimensions of its type as [`Dim`]s.
#[derive(Default)]
pub(crate) struct BatchDims {
    by_jaxpr: HashMap<usize, Vec<Vec<Dim>>>,
    /// Literal operands whose value is `scale * batch + offset` (a mean's count), by
    /// (jaxpr address, equation, operand).
    lits: HashMap<(usize, usize, usize), (i64, i64)>,
}

impl BatchDims {
    /// If operand `k` of equation `e` of `j` is a literal that derives from the batch size,
    /// its `(scale, offset)`.
    pub fn lit(&self, j: &Jaxpr, e: usize, k: usize) -> Option<(i64, i64)> {
        self.lits.get(&(j as *const Jaxpr as usize, e, k)).copied()
    }

    /// The dims of variable `v` of `j` (all fixed when `j` was not traced symbolically).
    pub fn of(&self, j: &Jaxpr, v: crate::core::Var) -> Vec<Dim> {
        match self.by_jaxpr.get(&(j as *const Jaxpr as usize)) {
            Some(vars) => vars[v.0 as usize].clone(),
            None => j.aval(v).shape.iter().map(|&d| Dim::Fixed(d)).collect(),
        }
    }
}

/// A function traced and optimized for export: the jaxpr over the flattened input leaves,
/// and (with a dynamic batch) which dims derive from the batch.
pub(crate) struct Traced {
    pub jaxpr: ClosedJaxpr,
    pub dims: Option<BatchDims>,
}

/// The batch sizes of the symbolic trace: primes above the constant-folding limit (so no
/// batch-shaped value is folded in one trace and not another) and away from usual sizes.
const BATCH_PROBES: [usize; 3] = [1031, 1033, 1039];

/// Traces `f` on `example` (or, with `dynamic_batch`, on the example's shapes with symbolic
/// leading dims) and optimizes the result. A thin generic wrapper: the work is in
/// [`trace_flat`], compiled once.
pub(crate) fn trace<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    example: &P,
    dynamic_batch: bool,
) -> Result<Traced, ExportError> {
    let def = example.treedef();
    let avals: Vec<Aval> = example.leaves().iter().map(|t| t.aval()).collect();
    let run = |avals: &[Aval]| {
        crate::core::trace_to_jaxpr(avals, |tracers| {
            f(&P::unflatten(&def, tracers.to_vec())).leaves()
        })
    };
    trace_flat(&run, avals, dynamic_batch)
}

/// [`trace`]'s body, over a function of flat input types.
fn trace_flat(
    run: &dyn Fn(&[Aval]) -> ClosedJaxpr,
    avals: Vec<Aval>,
    dynamic_batch: bool,
) -> Result<Traced, ExportError> {
    if !dynamic_batch {
        return Ok(Traced {
            jaxpr: optimize(run(&avals))?,
            dims: None,
        });
    }
    if let Some(i) = avals.iter().position(|a| a.ndim() == 0) {
        return Err(ExportError::DynamicBatch {
            detail: format!("input_{i} is a scalar, with no leading dim to make symbolic"),
        });
    }
    let mut traces = Vec::new();
    for b in BATCH_PROBES {
        let at_b: Vec<Aval> = avals
            .iter()
            .map(|a| {
                let mut shape = a.shape.clone();
                shape[0] = b;
                Aval::new(&shape, a.dtype)
            })
            .collect();
        traces.push(optimize(run(&at_b))?);
    }
    let mut dims = BatchDims::default();
    match_dims(
        [&traces[0].jaxpr, &traces[1].jaxpr, &traces[2].jaxpr],
        &mut dims,
    )?;
    let same = |x: &crate::Tensor, y: &crate::Tensor| {
        x.shape() == y.shape()
            && x.cast(crate::DType::F64).to_vec::<f64>()
                == y.cast(crate::DType::F64).to_vec::<f64>()
    };
    let consts_differ = traces[0].consts.len() != traces[1].consts.len()
        || traces[0].consts.len() != traces[2].consts.len()
        || (0..traces[0].consts.len()).any(|i| {
            !same(&traces[0].consts[i], &traces[1].consts[i])
                || !same(&traces[0].consts[i], &traces[2].consts[i])
        });
    if consts_differ {
        return Err(ExportError::DynamicBatch {
            detail: "a captured constant depends on the batch size (build it from the input, \
                     e.g. with zeros_like, instead of from its shape)"
                .into(),
        });
    }
    for (v, c) in traces[0].jaxpr.constvars.iter().zip(&traces[0].consts) {
        if dims
            .of(&traces[0].jaxpr, *v)
            .iter()
            .any(|d| matches!(d, Dim::Batch { .. }))
        {
            return Err(ExportError::DynamicBatch {
                detail: format!(
                    "a captured constant of shape {:?} depends on the batch size (build it \
                     from the input, e.g. with zeros_like, instead of from its shape)",
                    c.shape()
                ),
            });
        }
    }
    let jaxpr = traces.swap_remove(0);
    Ok(Traced {
        jaxpr,
        dims: Some(dims),
    })
}

/// Inlines calls, optimizes, and checks that every captured constant is concrete.
fn optimize(j: ClosedJaxpr) -> Result<ClosedJaxpr, ExportError> {
    if let Some(c) = j.consts.iter().find(|c| !c.is_concrete()) {
        return Err(ExportError::NonConcrete {
            what: format!("a tensor of type {}", c.aval()),
        });
    }
    let inlined = ClosedJaxpr {
        jaxpr: Arc::new(crate::passes::inline_calls(&j.jaxpr)),
        consts: j.consts,
    };
    Ok(crate::passes::optimize(&inlined))
}

/// Records the dims of every variable of three traces of one program at the batch sizes
/// [`BATCH_PROBES`]; errors if they differ in structure or a dim is not affine in the batch.
fn match_dims(js: [&Arc<Jaxpr>; 3], out: &mut BatchDims) -> Result<(), ExportError> {
    let differ = |what: &str| ExportError::DynamicBatch {
        detail: format!(
            "the program's structure depends on the batch size ({what}); export with a fixed batch"
        ),
    };
    let [a, b, c] = js;
    if a.var_avals.len() != b.var_avals.len()
        || a.var_avals.len() != c.var_avals.len()
        || a.eqns.len() != b.eqns.len()
        || a.eqns.len() != c.eqns.len()
    {
        return Err(differ("different equation counts"));
    }
    let [b0, b1, b2] = BATCH_PROBES.map(|b| b as i64);
    let mut vars = Vec::with_capacity(a.var_avals.len());
    for ((x, y), z) in a.var_avals.iter().zip(&b.var_avals).zip(&c.var_avals) {
        if x.ndim() != y.ndim() || x.ndim() != z.ndim() {
            return Err(differ("different ranks"));
        }
        let mut dims = Vec::with_capacity(x.ndim());
        for ((&d0, &d1), &d2) in x.shape.iter().zip(&y.shape).zip(&z.shape) {
            let (d0, d1, d2) = (d0 as i64, d1 as i64, d2 as i64);
            if d0 == d1 && d1 == d2 {
                if d0 > 1
                    && BATCH_PROBES
                        .iter()
                        .any(|&p| (d0 as usize).is_multiple_of(p))
                {
                    return Err(ExportError::DynamicBatch {
                        detail: format!("a fixed dim {d0} is a multiple of a probe batch size"),
                    });
                }
                dims.push(Dim::Fixed(d0 as usize));
                continue;
            }
            let scale = (d1 - d0) / (b1 - b0);
            let offset = d0 - scale * b0;
            if scale * (b1 - b0) != d1 - d0 || scale * b2 + offset != d2 {
                return Err(ExportError::DynamicBatch {
                    detail: format!(
                        "a dim is not of the form a * batch + c (sizes {d0}, {d1}, {d2} at \
                         batches {b0}, {b1}, {b2})"
                    ),
                });
            }
            dims.push(Dim::Batch { scale, offset });
        }
        vars.push(dims);
    }
    out.by_jaxpr.insert(Arc::as_ptr(a) as usize, vars);
    for (i, ((e, f), g)) in a.eqns.iter().zip(&b.eqns).zip(&c.eqns).enumerate() {
        if e.prim.name() != f.prim.name() || e.prim.name() != g.prim.name() {
            return Err(differ("different primitives"));
        }
        // A literal that changes with the batch (the count a mean divides by) must be
        // `scale * batch + offset`, written from the batch size.
        for (k, ((x, y), z)) in e.inputs.iter().zip(&f.inputs).zip(&g.inputs).enumerate() {
            let (Atom::Lit(x), Atom::Lit(y), Atom::Lit(z)) = (x, y, z) else {
                continue;
            };
            let v = |t: &crate::Tensor| t.array().get_f64(0);
            let (v0, v1, v2) = (v(x), v(y), v(z));
            if v0 == v1 && v1 == v2 {
                continue;
            }
            let scale = (v1 - v0) / (b1 - b0) as f64;
            let offset = v0 - scale * b0 as f64;
            let exact =
                scale.fract() == 0.0 && offset.fract() == 0.0 && scale * b2 as f64 + offset == v2;
            if !exact {
                return Err(ExportError::DynamicBatch {
                    detail: format!(
                        "an operand of `{}` is a constant that depends on the batch size and \
                         is not of the form a * batch + c ({v0}, {v1}, {v2} at batches {b0}, \
                         {b1}, {b2})",
                        e.prim.name()
                    ),
                });
            }
            out.lits.insert(
                (Arc::as_ptr(a) as usize, i, k),
                (scale as i64, offset as i64),
            );
        }
        let (sa, sb, sc) = (
            e.prim.sub_jaxprs(),
            f.prim.sub_jaxprs(),
            g.prim.sub_jaxprs(),
        );
        if sa.len() != sb.len() || sa.len() != sc.len() {
            return Err(differ("different sub-programs"));
        }
        for ((x, y), z) in sa.iter().zip(&sb).zip(&sc) {
            match_dims([x, y, z], out)?;
        }
    }
    Ok(())
}

/// The axis of a `gather` in the form of `take` along one axis (embedding lookups, `x[idx]`):
/// one collapsed axis indexed by a trailing index of size 1, whole slices elsewhere, no
/// fill mode. Both exporters lower only this form (to a Gather op); the error says why not.
/// Returns the axis and the gather's dimension numbers.
pub(crate) fn take_axis<'a>(
    op: &'a crate::prims::IndexOp,
    operand: &Aval,
    idx: &Aval,
) -> Result<(usize, &'a crate::prims::index::GatherDimensionNumbers), &'static str> {
    use crate::prims::index::GatherScatterMode;
    let crate::prims::IndexOp::Gather {
        dimension_numbers: dn,
        slice_sizes,
        mode,
    } = op
    else {
        return Err("not a gather");
    };
    let take_form = dn.start_index_map.len() == 1
        && dn.collapsed_slice_dims.as_slice() == dn.start_index_map.as_slice()
        && dn.operand_batching_dims.is_empty()
        && idx.shape.last() == Some(&1)
        && (0..operand.ndim())
            .all(|d| d == dn.start_index_map[0] || slice_sizes[d] == operand.shape[d]);
    if !take_form {
        return Err("only the take form (one collapsed axis, whole slices elsewhere) is exported");
    }
    if *mode == GatherScatterMode::FillOrDrop {
        return Err("mode fill (out-of-bounds fill values); use clip or promise_in_bounds");
    }
    Ok((dn.start_index_map[0], dn))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// `path` is either untouched or complete.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("the path names no file")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
