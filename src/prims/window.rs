//! Windowed reductions: `reduce_window_sum reduce_window_max reduce_window_min` (pooling).
//! Padding and base-dilation holes hold the reduction's identity (0, -inf or the dtype's
//! minimum, +inf or its maximum), as XLA's init value does.

use super::conv::stride_dim;
use super::util::{expect_arity, py_tuple, text};
use super::{ArrayOutputs, Param, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, ArrayElement, DType};
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
        for (name, len) in [
            ("window_dimensions", self.window_dimensions.len()),
            ("window_strides", self.window_strides.len()),
            ("padding", self.padding.len()),
            ("base_dilation", self.base_dilation.len()),
            ("window_dilation", self.window_dilation.len()),
        ] {
            if len != nd {
                return Err(format!(
                    "{name} has {len} entries but the operand {x} has rank {nd}"
                ));
            }
        }
        for (name, v) in [
            ("window_dimensions", &self.window_dimensions),
            ("window_strides", &self.window_strides),
            ("base_dilation", &self.base_dilation),
            ("window_dilation", &self.window_dilation),
        ] {
            if v.contains(&0) {
                return Err(format!("{name} must be positive, got {:?}", v.as_slice()));
            }
        }
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
        let padding: Vec<String> = self
            .padding
            .iter()
            .map(|(lo, hi)| format!("({lo}, {hi})"))
            .collect();
        vec![
            ("base_dilation", text(py_tuple(&self.base_dilation))),
            ("padding", text(py_tuple(&padding))),
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
        let result = match x {
            ArrayData::Bool(a) => reduce_window(self, a, shape),
            ArrayData::I32(a) => reduce_window(self, a, shape),
            ArrayData::U32(a) => reduce_window(self, a, shape),
            ArrayData::F32(a) => reduce_window(self, a, shape),
            ArrayData::F64(a) => reduce_window(self, a, shape),
        };
        smallvec![result]
    }
}

/// Element types reduce_window works on: identities and the combining operations.
pub trait WindowElement: ArrayElement {
    /// The smallest value (-inf for floats): max's identity.
    const LOWEST: Self;
    /// The largest value (+inf for floats): min's identity.
    const HIGHEST: Self;
    /// Zero: sum's identity.
    const ZERO: Self;
    /// Sum (wrapping for integers).
    fn add(self, other: Self) -> Self;
    /// True for NaN.
    fn is_nan_(self) -> bool {
        false
    }
}

macro_rules! window_int {
    ($($t:ty),*) => {$(
        impl WindowElement for $t {
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            const ZERO: Self = 0;
            fn add(self, other: Self) -> Self { self.wrapping_add(other) }
        }
    )*};
}
window_int!(i32, u32);

macro_rules! window_float {
    ($($t:ty),*) => {$(
        impl WindowElement for $t {
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            const ZERO: Self = 0.0;
            fn add(self, other: Self) -> Self { self + other }
            fn is_nan_(self) -> bool { self.is_nan() }
        }
    )*};
}
window_float!(f32, f64);

impl WindowElement for bool {
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    const ZERO: Self = false;
    fn add(self, other: Self) -> Self {
        self | other
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

/// Evaluates the windowed reduction `p` on `x` into an array of `out_shape`.
pub fn reduce_window<T: WindowElement>(
    p: &ReduceWindow,
    x: &ArrayD<T>,
    out_shape: &[usize],
) -> ArrayData {
    let out = match p.kind {
        WindowKind::Sum => separable(p, x, out_shape, T::ZERO, T::add),
        WindowKind::Max => separable(p, x, out_shape, T::LOWEST, |a, b| {
            if a.is_nan_() || (!b.is_nan_() && a >= b) {
                a
            } else {
                b
            }
        }),
        WindowKind::Min => separable(p, x, out_shape, T::HIGHEST, |a, b| {
            if a.is_nan_() || (!b.is_nan_() && a <= b) {
                a
            } else {
                b
            }
        }),
    };
    T::wrap(ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("one value per output position"))
}
