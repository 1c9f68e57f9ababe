//! Windowed reductions: `reduce_window_sum reduce_window_max reduce_window_min` (pooling).
//! Padding and base-dilation holes hold the reduction's identity (0, -inf or the dtype's
//! minimum, +inf or its maximum), as XLA's init value does.
//!
//! Derivatives follow JAX (`jax/_src/lax/windowed_reductions.py`): `reduce_window_sum` is
//! linear, its transpose pads the cotangent (strides become interior padding) and sums it
//! over windows again. `reduce_window_max`/`min` differentiate through two more primitives
//! defined here, [`SelectWindow`]: `select_and_gather_add` (each window's tangent at the
//! position of the operand's maximum/minimum) and its transpose `select_and_scatter_add`
//! (each window's cotangent added at that position). Both find one position per window in a
//! single pass, so a max-pool's gradient costs one pass over the windows, not a dense mask
//! per window position.

use super::conv::{conv_general_vjp_padding, stride_dim, VjpOperand};
use super::util::{
    batch_at, check_numeric_pair, expect_arity, expect_two, jvp_out, linear_jvp, move_batch_dim,
    py_pairs, py_tuple, sh, text,
};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs, Shape};
use crate::kernels::window;
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};

pub use crate::ops::window::SelectPrim;
use crate::ops::Element;
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// Which reduction runs over each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowKind {
    /// Sum of the window (`reduce_window_sum`).
    Sum,
    /// Maximum of the window, NaN-propagating (`reduce_window_max`).
    Max,
    /// Minimum of the window, NaN-propagating (`reduce_window_min`).
    Min,
}

/// A windowed reduction with XLA's params (per operand dim).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReduceWindow {
    /// The reduction.
    pub kind: WindowKind,
    /// Window size per dim.
    pub window_dimensions: Shape,
    /// Window step per dim.
    pub window_strides: Shape,
    /// `(low, high)` padding per dim, applied after base dilation; negative crops.
    pub padding: Vec<(i64, i64)>,
    /// Operand dilation per dim (holes hold the identity).
    pub base_dilation: Shape,
    /// Window dilation per dim.
    pub window_dilation: Shape,
}

/// `d` after inserting `dilation - 1` holes between elements.
fn dilate(d: usize, dilation: usize) -> usize {
    if d == 0 {
        0
    } else {
        (d - 1) * dilation + 1
    }
}

impl ReduceWindow {
    /// The output shape for an operand of `shape`, or what is wrong with the params.
    fn shape_rule(&self, x: &Aval) -> Result<Shape, String> {
        let nd = x.ndim();
        fn sizes<'a>(name: &'a str, v: &'a [usize]) -> (&'a str, usize, Option<&'a [usize]>) {
            (name, v.len(), Some(v))
        }
        super::conv::check_window_params(
            &[
                sizes("window_dimensions", &self.window_dimensions),
                sizes("window_strides", &self.window_strides),
                ("padding", self.padding.len(), None),
                sizes("base_dilation", &self.base_dilation),
                sizes("window_dilation", &self.window_dilation),
            ],
            nd,
            || format!("the operand {x} has rank {nd}"),
        )?;
        if self.kind == WindowKind::Sum && x.dtype == DType::Bool {
            return Err("operand must be numeric, got bool".into());
        }
        Ok((0..nd)
            .map(|d| {
                let (lo, hi) = self.padding[d];
                let padded = dilate(x.shape[d], self.base_dilation[d]) as i64 + lo + hi;
                stride_dim(
                    padded,
                    dilate(self.window_dimensions[d], self.window_dilation[d]),
                    self.window_strides[d],
                )
            })
            .collect())
    }

    /// The same reduction over an operand with an extra dim at `d` that the window does
    /// not touch (size 1, stride 1, no padding or dilation): a batch dim.
    fn with_unit_dim(&self, d: usize) -> ReduceWindow {
        let mut r = self.clone();
        r.window_dimensions.insert(d, 1);
        r.window_strides.insert(d, 1);
        r.padding.insert(d, (0, 0));
        r.base_dilation.insert(d, 1);
        r.window_dilation.insert(d, 1);
        r
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// A windowed reduction (pooling); all params are per operand dim.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{reduce_window, WindowKind};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0], &[4]);
/// let y = reduce_window(&x, WindowKind::Max, &[2], &[2], &[(0, 0)], &[1], &[1]);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 4.0]);
/// ```
#[track_caller]
pub fn reduce_window(
    x: &Tensor,
    kind: WindowKind,
    window_dimensions: &[usize],
    window_strides: &[usize],
    padding: &[(i64, i64)],
    base_dilation: &[usize],
    window_dilation: &[usize],
) -> Tensor {
    let prim = Prim::new(ReduceWindow {
        kind,
        window_dimensions: sh(window_dimensions),
        window_strides: sh(window_strides),
        padding: padding.to_vec(),
        base_dilation: sh(base_dilation),
        window_dilation: sh(window_dilation),
    });
    bind1(&prim, std::slice::from_ref(x))
}

impl PrimRules for ReduceWindow {
    fn name(&self) -> &'static str {
        match self.kind {
            WindowKind::Sum => "reduce_window_sum",
            WindowKind::Max => "reduce_window_max",
            WindowKind::Min => "reduce_window_min",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("base_dilation", text(py_tuple(&self.base_dilation))),
            ("padding", text(py_pairs(&self.padding))),
            ("window_dilation", text(py_tuple(&self.window_dilation))),
            ("window_dimensions", text(py_tuple(&self.window_dimensions))),
            ("window_strides", text(py_tuple(&self.window_strides))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let shape = self.shape_rule(&inputs[0])?;
        Ok(smallvec![Aval {
            shape,
            dtype: inputs[0].dtype
        }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let x = inputs[0];
        let shape = &out[0].shape;
        let d = x.dtype();
        if d.widened() != d {
            // Narrow dtypes reduce in their wide type, rounded or wrapped back once.
            let y = self.eval(&[&x.convert(d.widened())], out);
            return smallvec![y[0].convert(d)];
        }
        let result = match x {
            ArrayData::Bool(a) => eval_reduce_window(self, a, shape),
            ArrayData::I32(a) => eval_reduce_window(self, a, shape),
            ArrayData::U32(a) => eval_reduce_window(self, a, shape),
            ArrayData::F32(a) => eval_reduce_window(self, a, shape),
            ArrayData::F64(a) => eval_reduce_window(self, a, shape),
            other => panic!(
                "reduce_window: {} operands are not supported yet",
                other.dtype()
            ),
        };
        smallvec![result]
    }

    /// `reduce_window_sum` is linear; `reduce_window_max`/`min` take the tangent at each
    /// window's chosen element (`select_and_gather_add` with `ge`/`le`, JAX's
    /// `_reduce_window_chooser_jvp_rule`).
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(self.clone());
        let select_prim = match self.kind {
            WindowKind::Sum => return linear_jvp(&prim, primals, tangents),
            WindowKind::Max => SelectPrim::Ge,
            WindowKind::Min => SelectPrim::Le,
        };
        let x = &primals[0];
        let ans = bind1(&prim, primals);
        let t = tangents[0].as_ref().map(|t| {
            let gather = Prim::new(SelectWindow {
                kind: SelectWindowKind::GatherAdd,
                select_prim,
                window_dimensions: self.window_dimensions.clone(),
                window_strides: self.window_strides.clone(),
                padding: self.padding.clone(),
                base_dilation: self.base_dilation.clone(),
                window_dilation: self.window_dilation.clone(),
            });
            bind1(&gather, &[t.clone(), x.clone()])
        });
        jvp_out(ans, t)
    }

    /// JAX's `_reduce_window_batch_rule`: a window of size 1 (stride 1, no padding or
    /// dilation) along the batch dim, which stays where it is.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let d = dims[0].expect("the only operand is batched");
        let prim = Prim::new(self.with_unit_dim(d));
        (Outputs::from_iter([bind1(&prim, args)]), vec![Some(d)])
    }

    /// `reduce_window_sum` only (JAX's `_reduce_window_sum_transpose_rule`): the cotangent,
    /// dilated by the strides and padded, summed over windows with the base dilation as
    /// stride.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        assert!(
            self.kind == WindowKind::Sum,
            "{}: this primitive is not linear, so it has no transpose rule",
            self.name()
        );
        let Some(ct) = &cts[0] else {
            return vec![None];
        };
        let input_shape = args[0].aval().shape;
        let pads = conv_general_vjp_padding(
            VjpOperand::Lhs,
            &input_shape,
            &self.window_dimensions,
            &self.window_strides,
            ct.shape(),
            &self.padding,
            &self.base_dilation,
            &self.window_dilation,
        );
        let config: Vec<(i64, i64, i64)> = pads
            .iter()
            .zip(&self.window_strides)
            .map(|(&(lo, hi), &s)| (lo, hi, s as i64 - 1))
            .collect();
        let zero = Tensor::zeros(&[], ct.dtype());
        let padded = lax::pad(ct, &zero, &config);
        let ones = vec![1; input_shape.len()];
        let result = lax::reduce_window(
            &padded,
            WindowKind::Sum,
            &self.window_dimensions,
            &self.base_dilation,
            &vec![(0, 0); input_shape.len()],
            &ones,
            &self.window_dilation,
        );
        assert_eq!(result.shape(), input_shape.as_slice());
        vec![Some(result)]
    }
}

/// One separable pass along dim `d` of `x` (of `shape`): output position `o` along `d`
/// combines the input positions `taps[o]`, elementwise over the contiguous inner dims.
fn pass<T: Copy>(
    x: &[T],
    shape: &[usize],
    d: usize,
    taps: &[Vec<usize>],
    init: T,
    f: &impl Fn(T, T) -> T,
) -> Vec<T> {
    let outer: usize = shape[..d].iter().product();
    let inner: usize = shape[d + 1..].iter().product();
    let (n, m) = (shape[d], taps.len());
    let mut out = vec![init; outer * m * inner];
    if out.is_empty() {
        return out;
    }
    for (b, block) in out.chunks_mut(m * inner).enumerate() {
        for (dst, row_taps) in block.chunks_mut(inner).zip(taps) {
            for &i in row_taps {
                let src = &x[(b * n + i) * inner..(b * n + i + 1) * inner];
                for (a, &v) in dst.iter_mut().zip(src) {
                    *a = f(*a, v);
                }
            }
        }
    }
    out
}

/// Reduces `x` with `f` (identity `init`) one dim at a time: a window is a box, so the
/// reduction separates (exactly for max/min; for sums only the association order changes).
fn separable<T: Copy>(
    p: &ReduceWindow,
    x: &ArrayD<T>,
    out_shape: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let mut shape = x.shape().to_vec();
    let mut data: Vec<T> = x.as_slice().expect("standard layout").to_vec();
    for d in 0..shape.len() {
        let trivial = p.window_dimensions[d] == 1
            && p.window_strides[d] == 1
            && p.padding[d] == (0, 0)
            && (p.base_dilation[d] == 1 || shape[d] <= 1);
        if trivial {
            continue;
        }
        // Input positions each output position reads along `d`; padding and base-dilation
        // holes hold the identity and are skipped.
        let extent = dilate(shape[d], p.base_dilation[d]) as i64;
        let bd = p.base_dilation[d] as i64;
        let taps: Vec<Vec<usize>> = (0..out_shape[d])
            .map(|o| {
                (0..p.window_dimensions[d])
                    .filter_map(|w| {
                        let pos = (o * p.window_strides[d] + w * p.window_dilation[d]) as i64
                            - p.padding[d].0;
                        ((0..extent).contains(&pos) && pos % bd == 0).then_some((pos / bd) as usize)
                    })
                    .collect()
            })
            .collect();
        data = pass(&data, &shape, d, &taps, init, &f);
        shape[d] = out_shape[d];
    }
    data
}

/// Evaluates the windowed reduction `p` on `x` into an array of `out_shape`: sums one dim at a
/// time, max/min in one pass over each window (`kernels::window`).
pub fn eval_reduce_window<T: Element + Send + Sync>(
    p: &ReduceWindow,
    x: &ArrayD<T>,
    out_shape: &[usize],
) -> ArrayData {
    let out = match p.kind {
        WindowKind::Sum => separable(p, x, out_shape, T::ZERO, T::xla_add),
        WindowKind::Max | WindowKind::Min => {
            let w = window::Window {
                dimensions: &p.window_dimensions,
                strides: &p.window_strides,
                padding: &p.padding,
                base_dilation: &p.base_dilation,
                window_dilation: &p.window_dilation,
            };
            return T::wrap(window::reduce_window_extremum(
                x,
                &w,
                out_shape,
                p.kind == WindowKind::Max,
            ));
        }
    };
    T::wrap(ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("one value per output position"))
}

// ---- select_and_gather_add / select_and_scatter_add ---------------------------------------

/// Which of the two window-selection primitives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectWindowKind {
    /// `select_and_gather_add(tangents, operand)`: per window, the tangent at the position
    /// of the operand's chosen element (0 for a window with no operand element). Output
    /// shape: the windowed reduction's.
    GatherAdd,
    /// `select_and_scatter_add(source, operand)`: per window, the source value added at the
    /// position of the operand's chosen element. Output shape: the operand's.
    ScatterAdd,
}

/// `select_and_gather_add` / `select_and_scatter_add`: the derivative primitives of
/// `reduce_window_max`/`min`, each the other's transpose. Params are per operand dim, as in
/// [`ReduceWindow`]. Padding and base-dilation holes are never chosen.
///
/// JAX's `select_and_scatter_add` has no dilation params (its transpose of a base-dilated
/// gather pads and slices, and it rejects window dilation); here both primitives take them,
/// and `select_and_scatter_add` prints them only when some differ from 1, so undilated
/// jaxprs print as JAX's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SelectWindow {
    /// Gather or scatter.
    pub kind: SelectWindowKind,
    /// Maximum (`ge`) or minimum (`le`).
    pub select_prim: SelectPrim,
    /// Window size per dim.
    pub window_dimensions: Shape,
    /// Window step per dim.
    pub window_strides: Shape,
    /// `(low, high)` padding per dim, applied after base dilation; negative crops.
    pub padding: Vec<(i64, i64)>,
    /// Operand dilation per dim.
    pub base_dilation: Shape,
    /// Window dilation per dim.
    pub window_dilation: Shape,
}

impl SelectWindow {
    /// The same window geometry as a `reduce_window` (for its shape rule).
    fn as_reduce_window(&self) -> ReduceWindow {
        ReduceWindow {
            kind: WindowKind::Max,
            window_dimensions: self.window_dimensions.clone(),
            window_strides: self.window_strides.clone(),
            padding: self.padding.clone(),
            base_dilation: self.base_dilation.clone(),
            window_dilation: self.window_dilation.clone(),
        }
    }

    /// The same primitive with the other kind (its transpose).
    fn with_kind(&self, kind: SelectWindowKind) -> Prim {
        Prim::new(SelectWindow {
            kind,
            ..self.clone()
        })
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// For each window of `operand`, the element of `tangents` (same shape) at the position of
/// the window's first maximum (`SelectPrim::Ge`) or minimum (`SelectPrim::Le`); 0 for a
/// window covering only padding. This is the JVP of `reduce_window_max`/`min`. Params are
/// per dim, as in [`reduce_window`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{select_and_gather_add, SelectPrim};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0], &[4]);
/// let t = Tensor::from_vec(vec![10.0f32, 20.0, 30.0, 40.0], &[4]);
/// let y = select_and_gather_add(&t, &x, SelectPrim::Ge, &[2], &[2], &[(0, 0)], &[1], &[1]);
/// assert_eq!(y.to_vec::<f32>(), vec![20.0, 40.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn select_and_gather_add(
    tangents: &Tensor,
    operand: &Tensor,
    select_prim: SelectPrim,
    window_dimensions: &[usize],
    window_strides: &[usize],
    padding: &[(i64, i64)],
    base_dilation: &[usize],
    window_dilation: &[usize],
) -> Tensor {
    let prim = Prim::new(SelectWindow {
        kind: SelectWindowKind::GatherAdd,
        select_prim,
        window_dimensions: Shape::from_slice(window_dimensions),
        window_strides: Shape::from_slice(window_strides),
        padding: padding.to_vec(),
        base_dilation: Shape::from_slice(base_dilation),
        window_dilation: Shape::from_slice(window_dilation),
    });
    bind1(&prim, &[tangents.clone(), operand.clone()])
}

/// Adds each element of `source` (one per window of `operand`) at the position of that
/// window's first maximum (`SelectPrim::Ge`) or minimum (`SelectPrim::Le`) in `operand`;
/// the result has `operand`'s shape, zeros where nothing was chosen. This is the transpose
/// of [`select_and_gather_add`] in its tangents: the gradient of a max-pool.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{select_and_scatter_add, SelectPrim};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0], &[4]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let y = select_and_scatter_add(&g, &x, SelectPrim::Ge, &[2], &[2], &[(0, 0)]);
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0, 0.0, 2.0]);
/// ```
#[track_caller]
pub fn select_and_scatter_add(
    source: &Tensor,
    operand: &Tensor,
    select_prim: SelectPrim,
    window_dimensions: &[usize],
    window_strides: &[usize],
    padding: &[(i64, i64)],
) -> Tensor {
    let ones = vec![1; window_dimensions.len()];
    let prim = Prim::new(SelectWindow {
        kind: SelectWindowKind::ScatterAdd,
        select_prim,
        window_dimensions: Shape::from_slice(window_dimensions),
        window_strides: Shape::from_slice(window_strides),
        padding: padding.to_vec(),
        base_dilation: Shape::from_slice(&ones),
        window_dilation: Shape::from_slice(&ones),
    });
    bind1(&prim, &[source.clone(), operand.clone()])
}

impl PrimRules for SelectWindow {
    fn name(&self) -> &'static str {
        match self.kind {
            SelectWindowKind::GatherAdd => "select_and_gather_add",
            SelectWindowKind::ScatterAdd => "select_and_scatter_add",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let dilated = self
            .base_dilation
            .iter()
            .chain(&self.window_dilation)
            .any(|&d| d != 1);
        let mut ps = vec![
            ("padding", text(py_pairs(&self.padding))),
            ("select_prim", text(self.select_prim.name())),
            ("window_dimensions", text(py_tuple(&self.window_dimensions))),
            ("window_strides", text(py_tuple(&self.window_strides))),
        ];
        if self.kind == SelectWindowKind::GatherAdd || dilated {
            ps.push(("base_dilation", text(py_tuple(&self.base_dilation))));
            ps.push(("window_dilation", text(py_tuple(&self.window_dilation))));
        }
        ps
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let (first, operand) = expect_two(inputs)?;
        let what = match self.kind {
            SelectWindowKind::GatherAdd => "tangents",
            SelectWindowKind::ScatterAdd => "source",
        };
        check_numeric_pair(
            &format!("{what} and operand"),
            first.dtype,
            operand.dtype,
            None,
        )?;
        let reduced = self.as_reduce_window().shape_rule(operand)?;
        match self.kind {
            SelectWindowKind::GatherAdd => {
                if first.shape != operand.shape {
                    return Err(format!(
                        "tangents and operand shapes must match, got {first} and {operand}"
                    ));
                }
                Ok(smallvec![Aval {
                    shape: reduced,
                    dtype: operand.dtype
                }])
            }
            SelectWindowKind::ScatterAdd => {
                if first.shape != reduced {
                    return Err(format!(
                        "source must have the windowed shape {:?} of the operand {operand}, got {first}",
                        reduced.as_slice()
                    ));
                }
                Ok(smallvec![operand.clone()])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let (values, operand) = (inputs[0], inputs[1]);
        let result = match (values, operand) {
            (ArrayData::I32(v), ArrayData::I32(x)) => self.eval_typed(v, x, &out[0].shape),
            (ArrayData::U32(v), ArrayData::U32(x)) => self.eval_typed(v, x, &out[0].shape),
            (ArrayData::F32(v), ArrayData::F32(x)) => self.eval_typed(v, x, &out[0].shape),
            (ArrayData::F64(v), ArrayData::F64(x)) => self.eval_typed(v, x, &out[0].shape),
            _ => unreachable!("abstract_eval checked the dtypes (numeric, equal)"),
        };
        smallvec![result]
    }

    /// Linear in the first operand (tangents or source); the operand only picks positions,
    /// so its tangent does not contribute (JAX's `_select_and_gather_add_jvp` and
    /// `_select_and_scatter_add_jvp`).
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(self.clone());
        let ans = bind1(&prim, primals);
        let t = tangents[0]
            .as_ref()
            .map(|t| bind1(&prim, &[t.clone(), primals[1].clone()]));
        jvp_out(ans, t)
    }

    /// JAX's `_select_and_gather_add_batching_rule` / `_select_and_scatter_add_batch_rule`,
    /// without moving the batch dim to the front: both operands get it at the same position
    /// (the first batched operand's; an unbatched one is broadcast there), and the window
    /// gains a size-1 dim there.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let d = dims
            .iter()
            .flatten()
            .copied()
            .next()
            .expect("at least one operand is batched");
        let moved: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .map(|(x, &xd)| match xd {
                Some(xd) => move_batch_dim(x, xd, d),
                None => batch_at(x, None, axis.size, d),
            })
            .collect();
        let g = self.as_reduce_window().with_unit_dim(d);
        let prim = Prim::new(SelectWindow {
            kind: self.kind,
            select_prim: self.select_prim,
            window_dimensions: g.window_dimensions,
            window_strides: g.window_strides,
            padding: g.padding,
            base_dilation: g.base_dilation,
            window_dilation: g.window_dilation,
        });
        (Outputs::from_iter([bind1(&prim, &moved)]), vec![Some(d)])
    }

    /// Gather and scatter at the same chosen positions are each other's transpose.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        assert!(
            !args[1].is_linear(),
            "{}: not linear in the operand (it only selects positions)",
            self.name()
        );
        let Some(ct) = &cts[0] else {
            return vec![None, None];
        };
        if !args[0].is_linear() {
            return vec![None, None];
        }
        let other = match self.kind {
            SelectWindowKind::GatherAdd => SelectWindowKind::ScatterAdd,
            SelectWindowKind::ScatterAdd => SelectWindowKind::GatherAdd,
        };
        let t = bind1(
            &self.with_kind(other),
            &[ct.clone(), args[1].known().clone()],
        );
        vec![Some(t), None]
    }
}

impl SelectWindow {
    /// Gather or scatter over `operand` with `values` (tangents or source), in one pass over
    /// the windows (`kernels::window`).
    fn eval_typed<T: Element + Send + Sync>(
        &self,
        values: &ArrayD<T>,
        operand: &ArrayD<T>,
        out_shape: &[usize],
    ) -> ArrayData {
        let w = window::Window {
            dimensions: &self.window_dimensions,
            strides: &self.window_strides,
            padding: &self.padding,
            base_dilation: &self.base_dilation,
            window_dilation: &self.window_dilation,
        };
        T::wrap(match self.kind {
            SelectWindowKind::GatherAdd => {
                window::select_and_gather_add(values, operand, &w, self.select_prim, out_shape)
            }
            SelectWindowKind::ScatterAdd => {
                window::select_and_scatter_add(values, operand, &w, self.select_prim)
            }
        })
    }
}
