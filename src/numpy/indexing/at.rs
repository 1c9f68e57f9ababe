//! `x.at[idx]`: reads (`_rewriting_take`) and scatter updates (`_scatter_update`).

use super::indexer::{index_to_gather, parse, static_slice};
use super::Index;
use crate::lax;
use crate::numpy::{broadcast_to, IntoOperand, Operand};
use crate::prims::index::{GatherScatterMode, ScatterHints, ScatterKind};
use crate::tensor::{DType, Tensor};

/// The keyword arguments of `x.at[idx].get(...)` / `.set(...)` / ... (JAX's defaults).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::AtOptions;
/// use ferrax::lax::GatherScatterMode;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let fill = AtOptions { mode: Some(GatherScatterMode::FillOrDrop), fill_value: Some(-1.0), ..Default::default() };
/// assert_eq!(x.at(ferrax::idx![5]).get_with(fill).to_vec::<f32>(), vec![-1.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AtOptions {
    /// Out-of-bounds handling; `None` is JAX's default: reads clamp (`PromiseInBounds`,
    /// which clamps), updates drop (`FillOrDrop`).
    pub mode: Option<GatherScatterMode>,
    /// The value of out-of-bounds reads in `FillOrDrop` mode (`None`: NaN for floats, the
    /// minimum for signed integers, the maximum for unsigned ones, `true` for bools).
    pub fill_value: Option<f64>,
    /// A promise that the index arrays are sorted (passed to the scatter of an update;
    /// reads ignore it, ferrax's `gather` has no such param).
    pub indices_are_sorted: bool,
    /// A promise that no two index vectors address the same element: updates use
    /// `scatter`'s simpler derivative, and `mul` gets a gradient with respect to the values
    /// (reads ignore it).
    pub unique_indices: bool,
}

/// `x.at[idx]`, made by [`Tensor::at`]: each method returns a new array.
#[derive(Clone, Debug)]
pub struct At {
    x: Tensor,
    idx: Index,
}

impl At {
    pub(super) fn new(x: Tensor, idx: Index) -> At {
        At { x, idx }
    }
}

macro_rules! update_methods {
    ($($(#[$doc:meta])* $name:ident, $with:ident => $kind:ident;)*) => {$(
        $(#[$doc])*
        #[track_caller]
        pub fn $name(&self, values: impl IntoOperand) -> Tensor {
            self.$with(values, AtOptions::default())
        }

        #[doc = concat!("[`At::", stringify!($name), "`] with options.")]
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// use ferrax::numpy::AtOptions;
        /// let x = Tensor::from_vec(vec![1, 2], &[2]);
        /// let _ = x.at(ferrax::idx![0]).set_with(3, AtOptions::default());
        /// ```
        #[track_caller]
        pub fn $with(&self, values: impl IntoOperand, opts: AtOptions) -> Tensor {
            scatter_update(&self.x, &self.idx, values, ScatterKind::$kind, &opts, concat!(".at[].", stringify!($name)))
        }
    )*};
}

impl At {
    /// `x.at[idx].get()`: the same as `x[idx]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    /// assert_eq!(x.at(ferrax::idx![1..]).get().to_vec::<i32>(), vec![2, 3]);
    /// ```
    #[track_caller]
    pub fn get(&self) -> Tensor {
        get(&self.x, &self.idx, &AtOptions::default())
    }

    /// `x.at[idx].get(mode=.., fill_value=..)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::numpy::AtOptions;
    /// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    /// assert_eq!(x.at(ferrax::idx![7]).get_with(AtOptions::default()).to_vec::<i32>(), vec![3]);
    /// ```
    #[track_caller]
    pub fn get_with(&self, opts: AtOptions) -> Tensor {
        get(&self.x, &self.idx, &opts)
    }

    update_methods! {
        /// `x.at[idx].set(v)`: `x` with `v` (broadcast to `x[idx]`'s shape) written at `idx`.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::zeros(&[2, 2], DType::F32);
        /// assert_eq!(x.at(ferrax::idx![.., 1]).set(5.0).to_vec::<f32>(), vec![0.0, 5.0, 0.0, 5.0]);
        /// ```
        set, set_with => Set;
        /// `x.at[idx].add(v)`: repeated indices accumulate.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::zeros(&[2], DType::I32);
        /// let i = Tensor::from_vec(vec![1, 1], &[2]);
        /// assert_eq!(x.at(ferrax::idx![&i]).add(3).to_vec::<i32>(), vec![0, 6]);
        /// ```
        add, add_with => Add;
        /// `x.at[idx].subtract(v)` (`x[idx] -= v`, JAX's `scatter-sub`): repeated indices
        /// subtract repeatedly.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::from_vec(vec![9, 9], &[2]);
        /// let i = Tensor::from_vec(vec![0, 0], &[2]);
        /// assert_eq!(x.at(ferrax::idx![&i]).subtract(2).to_vec::<i32>(), vec![5, 9]);
        /// ```
        subtract, subtract_with => Sub;
        /// `x.at[idx].multiply(v)` (JAX's `mul`): repeated indices multiply in.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::from_vec(vec![2, 2], &[2]);
        /// assert_eq!(x.at(ferrax::idx![0]).mul(5).to_vec::<i32>(), vec![10, 2]);
        /// ```
        mul, mul_with => Mul;
        /// `x.at[idx].min(v)`.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::from_vec(vec![2, 2], &[2]);
        /// assert_eq!(x.at(ferrax::idx![..]).min(1).to_vec::<i32>(), vec![1, 1]);
        /// ```
        min, min_with => Min;
        /// `x.at[idx].max(v)`.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let x = Tensor::from_vec(vec![2, 2], &[2]);
        /// assert_eq!(x.at(ferrax::idx![1]).max(7).to_vec::<i32>(), vec![2, 7]);
        /// ```
        max, max_with => Max;
    }

    /// `x.at[idx].multiply(v)`: JAX's long name for [`At::mul`].
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![2, 2], &[2]);
    /// assert_eq!(x.at(ferrax::idx![1]).multiply(3).to_vec::<i32>(), vec![2, 6]);
    /// ```
    #[track_caller]
    pub fn multiply(&self, values: impl IntoOperand) -> Tensor {
        self.mul(values)
    }

    /// `x.at[idx].divide(v)` (`x[idx] /= v`): as JAX, `x` divided (`jnp.divide`, so integer
    /// arrays give floats) by ones with the values multiplied in at `idx`; repeated indices
    /// divide repeatedly.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![8.0f32, 8.0], &[2]);
    /// let i = Tensor::from_vec(vec![0, 0], &[2]);
    /// assert_eq!(x.at(ferrax::idx![&i]).divide(2.0).to_vec::<f32>(), vec![2.0, 8.0]);
    /// ```
    #[track_caller]
    pub fn divide(&self, values: impl IntoOperand) -> Tensor {
        self.divide_with(values, AtOptions::default())
    }

    /// [`At::divide`] with options.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::numpy::AtOptions;
    /// let x = Tensor::from_vec(vec![1.0f32, 6.0], &[2]);
    /// assert_eq!(x.at(ferrax::idx![1]).divide_with(3.0, AtOptions::default()).to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn divide_with(&self, values: impl IntoOperand, opts: AtOptions) -> Tensor {
        let factor = self.factor(values, &opts, ".at[].divide");
        crate::numpy::divide(&self.x, &factor)
    }

    /// `x.at[idx].power(v)` (`x[idx] **= v`): as JAX, `x` raised (`jnp.power`) to ones with the
    /// values multiplied in at `idx`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![2, 3], &[2]);
    /// assert_eq!(x.at(ferrax::idx![0]).power(3).to_vec::<i32>(), vec![8, 3]);
    /// ```
    #[track_caller]
    pub fn power(&self, values: impl IntoOperand) -> Tensor {
        self.power_with(values, AtOptions::default())
    }

    /// [`At::power`] with options.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::numpy::AtOptions;
    /// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
    /// assert_eq!(x.at(ferrax::idx![1]).power_with(2.0, AtOptions::default()).to_vec::<f32>(), vec![2.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn power_with(&self, values: impl IntoOperand, opts: AtOptions) -> Tensor {
        let factor = self.factor(values, &opts, ".at[].power");
        crate::numpy::power(&self.x, &factor)
    }

    /// Ones shaped as `x` with the values multiplied in at the index (what JAX's `divide` and
    /// `power` apply to `x`).
    #[track_caller]
    fn factor(&self, values: impl IntoOperand, opts: &AtOptions, op: &str) -> Tensor {
        let ones = crate::numpy::ones_like(&self.x);
        scatter_update(&ones, &self.idx, values, ScatterKind::Mul, opts, op)
    }
}

/// `_rewriting_take`: static slicing when the index allows it and no option asks
/// otherwise, else one gather (then `rev` and `expand_dims`).
#[track_caller]
pub(super) fn get(x: &Tensor, idx: &Index, opts: &AtOptions) -> Tensor {
    let op = "x[idx]";
    let p = parse(idx, x.shape(), op);
    if opts.mode.is_none()
        && opts.fill_value.is_none()
        && let Some(y) = static_slice(x, &p, op)
    {
        return y;
    }
    let g = index_to_gather(x.shape(), &p, op);
    if g.slice_shape.contains(&0) {
        return lax::broadcast_in_dim(&Tensor::zeros(&[], x.dtype()), &g.slice_shape, &[]);
    }
    let mut y = x.clone();
    if !g.indices.shape().contains(&0) {
        let mode = opts.mode.unwrap_or(GatherScatterMode::PromiseInBounds);
        let gathered = lax::gather(&y, &g.indices, g.dnums.clone(), &g.gather_slice_shape, mode);
        y = match (mode, opts.fill_value) {
            (GatherScatterMode::FillOrDrop, Some(v)) => {
                let ok = in_bounds(x.shape(), &g, gathered.shape());
                let fill =
                    lax::broadcast_in_dim(&Tensor::full(&[], v, x.dtype()), gathered.shape(), &[]);
                lax::select_n(&ok, &[fill, gathered])
            }
            _ => gathered,
        };
    }
    if !g.reversed_y_dims.is_empty() {
        y = lax::rev(&y, &g.reversed_y_dims);
    }
    if !g.newaxis_dims.is_empty() {
        y = lax::expand_dims(&y, &g.newaxis_dims);
    }
    y
}

/// Which elements of a gather read in bounds (every start of their window within
/// `[0, size - slice_size]`), broadcast to the gathered shape.
fn in_bounds(shape: &[usize], g: &super::indexer::GatherIndexer, out_shape: &[usize]) -> Tensor {
    let idx = &g.indices;
    let ivd = idx.ndim() - 1;
    let upper: Vec<f64> = g
        .dnums
        .start_index_map
        .iter()
        .map(|&d| (shape[d] as f64 - g.gather_slice_shape[d] as f64).max(0.0))
        .collect();
    let upper = Tensor::from_f64_values(&upper, &[upper.len()], DType::I32);
    let upper = lax::broadcast_in_dim(&upper, idx.shape(), &[ivd]);
    let zero = lax::broadcast_in_dim(&Tensor::zeros(&[], DType::I32), idx.shape(), &[]);
    let ok = lax::and(&lax::le(idx, &upper), &lax::ge(idx, &zero));
    let ok = lax::reduce_min(&ok, &[ivd]);
    let batch: Vec<usize> = (0..out_shape.len())
        .filter(|d| !g.dnums.offset_dims.contains(d))
        .collect();
    lax::broadcast_in_dim(&ok, out_shape, &batch)
}

/// `_scatter_update`: the values broadcast to `x[idx]`'s shape, new axes squeezed out,
/// negative-step dims reversed, then one scatter of `kind` with the gather's mirrored
/// dimension numbers (out-of-bounds updates dropped by default).
#[track_caller]
pub(super) fn scatter_update(
    x: &Tensor,
    idx: &Index,
    values: impl IntoOperand,
    kind: ScatterKind,
    opts: &AtOptions,
    op: &str,
) -> Tensor {
    let p = parse(idx, x.shape(), op);
    let g = index_to_gather(x.shape(), &p, op);
    let y = match values.into_operand() {
        Operand::Tensor(t) if t.dtype() != x.dtype() => lax::convert_element_type(&t, x.dtype()),
        Operand::Tensor(t) => t,
        Operand::Scalar(v, _) => Tensor::full(&[], v, x.dtype()),
    };
    if g.slice_shape.contains(&0) {
        return x.clone();
    }
    let ok = y.ndim() <= g.slice_shape.len()
        && y.shape()
            .iter()
            .rev()
            .zip(g.slice_shape.iter().rev())
            .all(|(a, b)| a == b || *a == 1);
    assert!(
        ok,
        "{op}: values of shape {:?} cannot be broadcast to the indexed shape {:?} (array shape {:?}, \
         called from {})",
        y.shape(),
        g.slice_shape,
        x.shape(),
        std::panic::Location::caller()
    );
    let mut y = broadcast_to(&y, &g.slice_shape);
    if !g.newaxis_dims.is_empty() {
        y = lax::squeeze(&y, &g.newaxis_dims);
    }
    if !g.reversed_y_dims.is_empty() {
        y = lax::rev(&y, &g.reversed_y_dims);
    }
    let dn = g.dnums.mirrored();
    let hints = ScatterHints {
        indices_are_sorted: g.unique_and_sorted || opts.indices_are_sorted,
        unique_indices: g.unique_and_sorted || opts.unique_indices,
    };
    let mode = opts.mode.unwrap_or(GatherScatterMode::FillOrDrop);
    lax::scatter_general(kind, x, &g.indices, &y, dn, mode, hints)
}
