//! Host callbacks, as JAX's `jax.debug.print`, `jax.debug.callback` and `jax.pure_callback`:
//!
//! - `debug_print[fmt]` formats its operands' values into a line when it runs (eagerly, or
//!   each time a compiled program or loop body reaches it) and `debug_callback` calls a host
//!   function with them. Both have **side effects**
//!   ([`has_side_effects`](PrimRules::has_side_effects)): no pass drops, merges or folds them,
//!   and a compiled program runs them in program order, so the lines come out in the order the
//!   traced code printed them. They have no outputs. Their JVP prints the primals (tangents
//!   are not printed); their batching rule prints once per batch member, in order (JAX's loop
//!   over the batch); transposition never meets them (they read primal values only).
//! - `pure_callback[result_avals, vmap_method]` calls a host function that computes outputs of
//!   declared types. It is pure: unused, it is dropped. Not differentiable (as JAX: give it a
//!   rule with `custom_jvp`/`custom_vjp`); batched as its `vmap_method` says.
//!
//! Printed lines go to standard output, or to the innermost [`capture_output`] in progress
//! (tests read them there).

use super::util::text;
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind, eval_with_tensors, Aval, Avals, Outputs};
use crate::prims::lax;
use crate::tensor::{ArrayData, Tensor};
use smallvec::SmallVec;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

// ---- where printed lines go ----------------------------------------------------------------

/// Lines captured by the [`capture_output`] in progress (`None`: print to stdout).
static CAPTURED: Mutex<Option<Vec<String>>> = Mutex::new(None);
/// Held for the whole of a [`capture_output`], so two captures never interleave.
static CAPTURE_TURN: Mutex<()> = Mutex::new(());

/// Prints one line of debug output: to the capture in progress, else to stdout.
fn emit_line(line: String) {
    let mut captured = CAPTURED.lock().unwrap_or_else(PoisonError::into_inner);
    match captured.as_mut() {
        Some(lines) => lines.push(line),
        None => println!("{line}"),
    }
}

/// Runs `f` and returns what it printed with `debug_print` (one string per line, in order)
/// instead of printing it. Captures are process-wide and taken one at a time (a second
/// capture waits for the first), so lines printed by other threads during `f` (inside a
/// parallel kernel, for example) are captured too.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let ((), lines) = ferrax::debug::capture_output(|| ferrax::debug::print("x = {}", &[&x]));
/// assert_eq!(lines, ["x = [1. 2.]"]);
/// ```
pub fn capture_output<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            *CAPTURED.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
    let _turn = CAPTURE_TURN.lock().unwrap_or_else(PoisonError::into_inner);
    *CAPTURED.lock().unwrap_or_else(PoisonError::into_inner) = Some(Vec::new());
    let reset = Reset;
    let r = f();
    let lines = CAPTURED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    drop(reset);
    (r, lines)
}

// ---- the format string -------------------------------------------------------------------

/// One piece of a parsed format string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Piece {
    Text(String),
    /// Operand `index`, with an optional precision and style (`{:.3f}`, `{:.2e}`).
    Arg {
        index: usize,
        spec: Option<(usize, char)>,
    },
}

/// Parses Python-style `str.format` placeholders: `{}` (the next operand), `{N}` (operand N),
/// either with a `:.Pf` / `:.Pe` / `:.Pg` spec for scalars; `{{` and `}}` are braces.
fn parse_format(fmt: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text_buf = String::new();
    let mut next = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text_buf.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text_buf.push('}');
            }
            '}' => return Err(format!("unmatched '}}' in {fmt:?}")),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => return Err(format!("unclosed '{{' in {fmt:?}")),
                    }
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((n, s)) => (n, Some(s)),
                    None => (inner.as_str(), None),
                };
                let index = if name.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    name.parse::<usize>().map_err(|_| {
                        format!(
                            "placeholder {{{inner}}} in {fmt:?}: ferrax takes positional \
                             operands only ({{}} or {{0}})"
                        )
                    })?
                };
                let spec = match spec {
                    None | Some("") => None,
                    Some(s) => Some(parse_spec(s).ok_or_else(|| {
                        format!(
                            "format spec {s:?} in {fmt:?} is not supported (use .Nf, .Ne or .Ng)"
                        )
                    })?),
                };
                if !text_buf.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text_buf)));
                }
                pieces.push(Piece::Arg { index, spec });
            }
            c => text_buf.push(c),
        }
    }
    if !text_buf.is_empty() {
        pieces.push(Piece::Text(text_buf));
    }
    Ok(pieces)
}

/// `.3f` -> (3, 'f').
fn parse_spec(s: &str) -> Option<(usize, char)> {
    let rest = s.strip_prefix('.')?;
    let style = rest.chars().last()?;
    if !matches!(style, 'f' | 'e' | 'g') {
        return None;
    }
    rest[..rest.len() - 1].parse().ok().map(|p| (p, style))
}

/// A scalar formatted as Python's `format(v, '.{precision}{style}')`.
fn format_scalar(v: f64, precision: usize, style: char) -> String {
    let sci = |v: f64, p: usize| {
        // Rust writes `1.5e-3`; Python `1.5e-03`.
        let s = format!("{v:.p$e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    };
    match style {
        'f' => format!("{v:.precision$}"),
        'e' => sci(v, precision),
        _ => {
            // 'g': scientific when the exponent is below -4 or at least the precision.
            let p = precision.max(1);
            let exp = if v == 0.0 {
                0
            } else {
                v.abs().log10().floor() as i32
            };
            let s = if exp < -4 || exp >= p as i32 {
                sci(v, p - 1)
            } else {
                format!("{v:.*}", (p as i32 - 1 - exp).max(0) as usize)
            };
            // Python's 'g' drops trailing zeros.
            match s.split_once('e') {
                Some((m, e)) if m.contains('.') => {
                    format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
                }
                None if s.contains('.') => s.trim_end_matches('0').trim_end_matches('.').into(),
                _ => s,
            }
        }
    }
}

fn render(pieces: &[Piece], args: &[Tensor]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Arg { index, spec: None } => out.push_str(&args[*index].to_string()),
            Piece::Arg {
                index,
                spec: Some((precision, style)),
            } => {
                let x = &args[*index];
                assert!(
                    x.ndim() == 0 && !x.dtype().is_complex(),
                    "debug_print: a format spec applies to a real scalar, got {} for \
                     operand {index}",
                    x.aval()
                );
                let v = lax::convert_element_type(x, crate::DType::F64).item::<f64>();
                out.push_str(&format_scalar(v, *precision, *style));
            }
        }
    }
    out
}

// ---- debug_print ----------------------------------------------------------------------------

/// `debug_print[fmt]`: prints its operands formatted into `fmt` when it runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DebugPrint {
    fmt: String,
    pieces: Vec<Piece>,
}

/// Prints `fmt` with its placeholders replaced by the values of `args` (NumPy's printing),
/// when the computation runs: immediately outside transformations, at every run of a `jit`
/// program, once per batch member (in order) under `vmap`, with primal values under `grad`
/// (`jax.debug.print`). Placeholders: `{}` (the next operand), `{N}` (operand N), and for
/// real scalars a precision: `{:.3f}`, `{:.2e}`, `{:.4g}`; `{{`/`}}` print braces.
///
/// ```
/// use ferrax::prelude::*;
/// let f = jit(|x: &Tensor| {
///     ferrax::debug::print("x = {} (sum {:.1f})", &[x, &x.sum()]);
///     x * 2.0
/// });
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let (_, lines) = ferrax::debug::capture_output(|| f(&x));
/// assert_eq!(lines, ["x = [1. 2.] (sum 3.0)"]);
/// ```
#[track_caller]
pub fn debug_print(fmt: &str, args: &[&Tensor]) {
    let pieces = parse_format(fmt).unwrap_or_else(|e| panic!("debug::print: {e}"));
    let needed = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Arg { index, .. } => Some(index + 1),
            Piece::Text(_) => None,
        })
        .max()
        .unwrap_or(0);
    assert!(
        needed <= args.len(),
        "debug::print: {fmt:?} refers to operand {} but {} operand(s) were given",
        needed - 1,
        args.len()
    );
    let prim = Prim::new(DebugPrint {
        fmt: fmt.to_string(),
        pieces,
    });
    let args: Vec<Tensor> = args.iter().map(|&t| t.clone()).collect();
    bind(&prim, &args);
}

/// Slices batch member `i` out of each batched operand (unbatched operands are shared).
fn member(args: &[Tensor], dims: &[Option<usize>], i: usize) -> Vec<Tensor> {
    args.iter()
        .zip(dims)
        .map(|(x, d)| match *d {
            None => x.clone(),
            Some(d) => {
                let mut start = vec![0; x.ndim()];
                let mut limit = x.shape().to_vec();
                start[d] = i;
                limit[d] = i + 1;
                lax::squeeze(&lax::slice(x, &start, &limit, None), &[d])
            }
        })
        .collect()
}

/// The JVP of an output-less effect: it runs on the primals (tangents are not shown).
fn effect_jvp(prim: Prim, primals: &[Tensor]) -> JvpResult {
    bind(&prim, primals);
    (Outputs::new(), Vec::new())
}

/// The batching of an output-less effect: once per batch member, in order (JAX's loop).
fn effect_batch(
    prim: Prim,
    args: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
) -> BatchResult {
    for i in 0..axis.size {
        bind(&prim, &member(args, dims, i));
    }
    (Outputs::new(), Vec::new())
}

impl PrimRules for DebugPrint {
    fn name(&self) -> &'static str {
        "debug_print"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let has = self.pieces.iter().any(|p| matches!(p, Piece::Arg { .. }));
        vec![
            ("fmt", text(self.fmt.clone())),
            ("has_placeholders", text(if has { "True" } else { "False" })),
            ("ordered", text("True")),
        ]
    }

    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Ok(Avals::new())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        let args: Vec<Tensor> = inputs
            .iter()
            .map(|a| Tensor::from_array((*a).clone()))
            .collect();
        emit_line(render(&self.pieces, &args));
        ArrayOutputs::new()
    }

    fn has_side_effects(&self) -> bool {
        true
    }

    fn jvp(&self, primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        effect_jvp(Prim::new(self.clone()), primals)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        effect_batch(Prim::new(self.clone()), args, dims, axis)
    }
}

// ---- debug_callback -------------------------------------------------------------------------

/// A host function a `debug_callback` calls with concrete operands.
pub type HostFn = Arc<dyn Fn(&[Tensor]) + Send + Sync>;

/// `debug_callback`: calls a host function with its operands' values when it runs.
#[derive(Clone)]
pub struct DebugCallback {
    callback: HostFn,
}

impl std::fmt::Debug for DebugCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DebugCallback({:p})", Arc::as_ptr(&self.callback))
    }
}

impl PartialEq for DebugCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.callback, &other.callback)
    }
}
impl Eq for DebugCallback {}
impl Hash for DebugCallback {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.callback) as *const () as usize).hash(state);
    }
}

/// Calls `f` with the concrete values of `args` when the computation runs, with the same
/// timing as [`debug_print`] (`jax.debug.callback`): at every run of a `jit` program, once
/// per batch member under `vmap`, with primal values under `grad`. `f` runs outside every
/// transformation, so it may compute with the tensors it gets.
///
/// ```
/// use ferrax::prelude::*;
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let f = vmap(move |x: &Tensor| {
///     let log = log.clone();
///     ferrax::debug::callback(move |v| log.lock().unwrap().push(v[0].item::<f32>()), &[x]);
///     x + 1.0
/// });
/// f(&Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
/// assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn debug_callback(f: impl Fn(&[Tensor]) + Send + Sync + 'static, args: &[&Tensor]) {
    let prim = Prim::new(DebugCallback {
        callback: Arc::new(f),
    });
    let args: Vec<Tensor> = args.iter().map(|&t| t.clone()).collect();
    bind(&prim, &args);
}

impl PrimRules for DebugCallback {
    fn name(&self) -> &'static str {
        "debug_callback"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("callback", text("<host function>")),
            ("effect", text("Debug")),
        ]
    }

    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Ok(Avals::new())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        eval_with_tensors(inputs, |ts| {
            (self.callback)(ts);
            Outputs::new()
        })
    }

    fn has_side_effects(&self) -> bool {
        true
    }

    fn jvp(&self, primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        effect_jvp(Prim::new(self.clone()), primals)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        effect_batch(Prim::new(self.clone()), args, dims, axis)
    }
}

// ---- pure_callback --------------------------------------------------------------------------

/// A host function a `pure_callback` calls to compute its outputs.
pub type PureHostFn = Arc<dyn Fn(&[Tensor]) -> Vec<Tensor> + Send + Sync>;

/// How `vmap` batches a [`pure_callback`] (JAX's `vmap_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmapMethod {
    /// One call per batch member, the results stacked.
    Sequential,
    /// One call with the batch axis first on batched operands and a size-1 axis on the
    /// others; the callback returns results with the batch axis first.
    ExpandDims,
    /// One call with every operand broadcast to the batch axis first.
    BroadcastAll,
}

impl VmapMethod {
    fn python(self) -> &'static str {
        match self {
            VmapMethod::Sequential => "sequential",
            VmapMethod::ExpandDims => "expand_dims",
            VmapMethod::BroadcastAll => "broadcast_all",
        }
    }
}

/// `pure_callback[result_avals, vmap_method]`.
#[derive(Clone)]
pub struct PureCallback {
    callback: PureHostFn,
    result_avals: Vec<Aval>,
    vmap_method: Option<VmapMethod>,
}

impl std::fmt::Debug for PureCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PureCallback({:p}, {:?}, {:?})",
            Arc::as_ptr(&self.callback),
            self.result_avals,
            self.vmap_method
        )
    }
}

impl PartialEq for PureCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.callback, &other.callback)
            && self.result_avals == other.result_avals
            && self.vmap_method == other.vmap_method
    }
}
impl Eq for PureCallback {}
impl Hash for PureCallback {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.callback) as *const () as usize).hash(state);
        self.result_avals.hash(state);
        self.vmap_method.hash(state);
    }
}

/// Computes outputs of the declared types `result_avals` with a host function `f` called on
/// the concrete values of `args` (`jax.pure_callback`): a way to call code ferrax cannot trace
/// from inside `jit` and `vmap`. `f` must be pure (same inputs, same outputs; an unused call
/// may be dropped) and return tensors of exactly the declared shapes and dtypes. `vmap_method`
/// says how `vmap` batches it (`None`: vmap is an error, as in JAX). It has no derivative:
/// give it one with `custom_jvp` or `custom_vjp`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::core::Aval;
/// use ferrax::transforms::{pure_callback, VmapMethod};
/// let host_square = |x: &Tensor| {
///     pure_callback(
///         |v| vec![Tensor::from_vec(v[0].to_vec::<f32>().iter().map(|a| a * a).collect(), v[0].shape())],
///         &[x.aval()],
///         &[x],
///         Some(VmapMethod::Sequential),
///     )[0]
///         .clone()
/// };
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(jit(host_square)(&x).to_vec::<f32>(), vec![1.0, 4.0, 9.0, 16.0]);
/// assert_eq!(vmap(host_square)(&x).to_vec::<f32>(), vec![1.0, 4.0, 9.0, 16.0]);
/// ```
#[track_caller]
pub fn pure_callback(
    f: impl Fn(&[Tensor]) -> Vec<Tensor> + Send + Sync + 'static,
    result_avals: &[Aval],
    args: &[&Tensor],
    vmap_method: Option<VmapMethod>,
) -> Vec<Tensor> {
    let prim = Prim::new(PureCallback {
        callback: Arc::new(f),
        result_avals: result_avals.to_vec(),
        vmap_method,
    });
    let args: Vec<Tensor> = args.iter().map(|&t| t.clone()).collect();
    bind(&prim, &args).into_iter().collect()
}

impl PrimRules for PureCallback {
    fn name(&self) -> &'static str {
        "pure_callback"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let avals: Vec<String> = self
            .result_avals
            .iter()
            .map(|a| {
                let dims: Vec<String> = a.shape.iter().map(|d| d.to_string()).collect();
                format!("ShapedArray({}[{}])", a.dtype.numpy_name(), dims.join(","))
            })
            .collect();
        let avals = match avals.len() {
            1 => format!("({},)", avals[0]),
            _ => format!("({})", avals.join(", ")),
        };
        vec![
            ("callback", text("<host function>")),
            ("result_avals", text(avals)),
            (
                "vmap_method",
                text(
                    self.vmap_method
                        .map_or("None".into(), |m| format!("'{}'", m.python())),
                ),
            ),
        ]
    }

    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Ok(self.result_avals.iter().cloned().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        eval_with_tensors(inputs, |ts| {
            let outs = (self.callback)(ts);
            assert_eq!(
                outs.len(),
                self.result_avals.len(),
                "pure_callback: the callback returned {} result(s), {} declared",
                outs.len(),
                self.result_avals.len()
            );
            for (i, (o, want)) in outs.iter().zip(&self.result_avals).enumerate() {
                assert!(
                    o.aval() == *want,
                    "pure_callback: the callback returned {} for result {i}, declared {want}",
                    o.aval()
                );
            }
            outs.into_iter().collect()
        })
    }

    fn constant_foldable(&self) -> bool {
        false // user code runs when the program does, not when it is compiled
    }

    fn jvp(&self, _primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        panic!(
            "pure_callback: a host callback has no derivative; give it one with custom_jvp or \
             custom_vjp"
        )
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let size = axis.size;
        let Some(method) = self.vmap_method else {
            panic!(
                "pure_callback: vmap needs a vmap_method (Sequential, ExpandDims or \
                 BroadcastAll), as JAX's does"
            )
        };
        let prim = Prim::new(self.clone());
        let n_out = self.result_avals.len();
        if method == VmapMethod::Sequential {
            let mut per_output: Vec<Vec<Tensor>> = vec![Vec::with_capacity(size); n_out];
            for i in 0..size {
                for (k, o) in bind(&prim, &member(args, dims, i)).into_iter().enumerate() {
                    per_output[k].push(lax::expand_dims(&o, &[0]));
                }
            }
            let outs: Outputs = per_output
                .iter()
                .zip(&self.result_avals)
                .map(|(os, a)| match os.is_empty() {
                    true => Tensor::zeros(&[&[0][..], &a.shape[..]].concat(), a.dtype),
                    false => lax::concatenate(os, 0),
                })
                .collect();
            return (outs, vec![Some(0); n_out]);
        }
        let moved: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .map(|(x, d)| match (d, method) {
                (Some(_), _) | (None, VmapMethod::BroadcastAll) => {
                    super::util::batch_at(x, *d, size, 0)
                }
                (None, _) => lax::expand_dims(x, &[0]),
            })
            .collect();
        let batched = Prim::new(PureCallback {
            callback: self.callback.clone(),
            result_avals: self
                .result_avals
                .iter()
                .map(|a| Aval::new(&[&[size][..], &a.shape[..]].concat(), a.dtype))
                .collect(),
            vmap_method: self.vmap_method,
        });
        let outs: SmallVec<[Tensor; 1]> = bind(&batched, &moved);
        (outs, vec![Some(0); n_out])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_as_python_str_format() {
        let p = parse_format("a {} b {1:.2f} {{c}} {}").unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Text("a ".into()),
                Piece::Arg {
                    index: 0,
                    spec: None
                },
                Piece::Text(" b ".into()),
                Piece::Arg {
                    index: 1,
                    spec: Some((2, 'f'))
                },
                Piece::Text(" {c} ".into()),
                Piece::Arg {
                    index: 1,
                    spec: None
                },
            ]
        );
        assert!(parse_format("{x}").unwrap_err().contains("positional"));
        assert!(parse_format("{").unwrap_err().contains("unclosed"));
        assert!(parse_format("}").unwrap_err().contains("unmatched"));
        assert!(parse_format("{:>8}").unwrap_err().contains("not supported"));
    }

    #[test]
    fn scalar_specs_match_python() {
        // Python: format(x, spec) for each row.
        let cases = [
            (1.23456, 2, 'f', "1.23"),
            (0.00123, 2, 'e', "1.23e-03"),
            (12345.678, 3, 'e', "1.235e+04"),
            (0.5, 3, 'g', "0.5"),
            (123456.0, 3, 'g', "1.23e+05"),
            (0.0001234, 2, 'g', "0.00012"),
            (0.00001234, 2, 'g', "1.2e-05"),
        ];
        for (v, p, s, want) in cases {
            assert_eq!(format_scalar(v, p, s), want, "format({v}, '.{p}{s}')");
        }
    }
}
