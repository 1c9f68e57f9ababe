//! Static-size index searches, `jax.numpy` style: `nonzero`, `flatnonzero` and `argwhere`
//! take JAX's `size=` argument (required here: ferrax shapes are static), plus the Python
//! conveniences `array`, `isscalar`, `iterable`, `result_type`, `can_cast`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Options of [`nonzero_with`], [`flatnonzero_with`] and [`argwhere_with`]: the
/// `fill_value` for the entries past the number of non-zeros (JAX's `None` leaves what its
/// formula gives there, index 0 along every axis in practice).
#[derive(Clone, Copy, Debug, Default)]
pub struct Nonzero {
    /// The index written past the last non-zero.
    pub fill_value: Option<i32>,
}

/// `jnp.nonzero(x, size=size)`: per axis, the indices (i32) of the first `size` non-zero
/// elements in row-major order.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 1, 0, 2, 0, 3], &[2, 3]);
/// let ix = ferrax::numpy::nonzero(&x, 3);
/// assert_eq!((ix[0].to_vec::<i32>(), ix[1].to_vec::<i32>()), (vec![0, 1, 1], vec![1, 0, 2]));
/// ```
#[track_caller]
pub fn nonzero(x: &Tensor, size: usize) -> Vec<Tensor> {
    nonzero_with(x, size, Nonzero::default())
}

/// [`nonzero`] with a `fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{nonzero_with, Nonzero};
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 2.0], &[4]);
/// let ix = nonzero_with(&x, 3, Nonzero { fill_value: Some(-1) });
/// assert_eq!(ix[0].to_vec::<i32>(), vec![1, 3, -1]);
/// ```
#[track_caller]
pub fn nonzero_with(x: &Tensor, size: usize, opts: Nonzero) -> Vec<Tensor> {
    assert!(
        x.ndim() > 0,
        "nonzero: needs rank >= 1, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let mask = if x.dtype() == DType::Bool {
        ravel(x)
    } else {
        ravel(&x.ne(0))
    };
    let mask_i = lax::convert_element_type(&mask, DType::I32);
    if size == 0 {
        return (0..x.ndim())
            .map(|_| Tensor::zeros(&[0], DType::I32))
            .collect();
    }
    let flat = cumsum(&bincount(&cumsum(&mask_i, None), size), None);
    let count = sum(&mask_i, None);
    let fill = opts
        .fill_value
        .map(|_| lax::iota(DType::I32, &[size], 0).ge(&count));
    let mut stride = 1usize;
    let mut out = Vec::with_capacity(x.ndim());
    for &d in x.shape().iter().rev() {
        let idx = remainder(floor_divide(&flat, stride as i32), d as i32);
        let idx = match (&fill, opts.fill_value) {
            (Some(m), Some(v)) => where_(m, v, &idx),
            _ => idx,
        };
        out.push(idx);
        stride *= d;
    }
    out.reverse();
    out
}

/// `jnp.flatnonzero(x, size=size)`: the first `size` indices of non-zeros in the flattened
/// `x`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 1, 0, 2], &[2, 2]);
/// assert_eq!(ferrax::numpy::flatnonzero(&x, 2).to_vec::<i32>(), vec![1, 3]);
/// ```
#[track_caller]
pub fn flatnonzero(x: &Tensor, size: usize) -> Tensor {
    flatnonzero_with(x, size, Nonzero::default())
}

/// [`flatnonzero`] with a `fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{flatnonzero_with, Nonzero};
/// let x = Tensor::from_vec(vec![0, 1], &[2]);
/// let i = flatnonzero_with(&x, 2, Nonzero { fill_value: Some(9) });
/// assert_eq!(i.to_vec::<i32>(), vec![1, 9]);
/// ```
#[track_caller]
pub fn flatnonzero_with(x: &Tensor, size: usize, opts: Nonzero) -> Tensor {
    nonzero_with(&ravel(x), size, opts).swap_remove(0)
}

/// `jnp.argwhere(x, size=size)`: the first `size` multi-indices of non-zeros, one row each
/// (`[size, ndim]`, i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 1, 2, 0], &[2, 2]);
/// assert_eq!(ferrax::numpy::argwhere(&x, 2).to_vec::<i32>(), vec![0, 1, 1, 0]);
/// ```
#[track_caller]
pub fn argwhere(x: &Tensor, size: usize) -> Tensor {
    argwhere_with(x, size, Nonzero::default())
}

/// [`argwhere`] with a `fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{argwhere_with, Nonzero};
/// let x = Tensor::from_vec(vec![0, 1], &[2]);
/// let w = argwhere_with(&x, 2, Nonzero { fill_value: Some(-1) });
/// assert_eq!(w.to_vec::<i32>(), vec![1, -1]);
/// ```
#[track_caller]
pub fn argwhere_with(x: &Tensor, size: usize, opts: Nonzero) -> Tensor {
    let cols = nonzero_with(&atleast_1d(x), size, opts);
    let out = stack(&cols, -1);
    if x.ndim() == 0 {
        lax::slice(&out, &[0, 0], &[size, 0], None)
    } else {
        out
    }
}

/// `jnp.array` of a tensor: a copy.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::array(&x).to_vec::<i32>(), vec![1, 2]);
/// ```
#[track_caller]
pub fn array(x: &Tensor) -> Tensor {
    lax::copy(x)
}

/// `jnp.isscalar` of a tensor: whether it has rank 0.
///
/// ```
/// use ferrax::prelude::*;
/// assert!(ferrax::numpy::isscalar(&Tensor::scalar(1.0f32)));
/// assert!(!ferrax::numpy::isscalar(&Tensor::from_vec(vec![1.0f32], &[1])));
/// ```
pub fn isscalar(x: &Tensor) -> bool {
    x.ndim() == 0
}

/// `jnp.iterable` of a tensor: whether it can be iterated over (rank at least 1).
///
/// ```
/// use ferrax::prelude::*;
/// assert!(!ferrax::numpy::iterable(&Tensor::scalar(1.0f32)));
/// ```
pub fn iterable(x: &Tensor) -> bool {
    x.ndim() > 0
}

/// `jnp.result_type(*dtypes)`: the dtype the given dtypes promote to together.
///
/// ```
/// use ferrax::prelude::*;
/// let d = ferrax::numpy::result_type(&[DType::Bool, DType::I32, DType::F32]);
/// assert_eq!(d, DType::F32);
/// ```
#[track_caller]
pub fn result_type(dtypes: &[DType]) -> DType {
    assert!(
        !dtypes.is_empty(),
        "result_type: needs at least one dtype (called from {})",
        std::panic::Location::caller()
    );
    dtypes.iter().copied().reduce(DType::promote).unwrap()
}

/// `jnp.can_cast(from, to)` with JAX's default `casting='safe'`: whether every value of
/// `from` is exactly representable in `to` (numpy's table: i32 and u32 fit f64, not f32).
///
/// ```
/// use ferrax::prelude::*;
/// assert!(ferrax::numpy::can_cast(DType::I32, DType::F64));
/// assert!(!ferrax::numpy::can_cast(DType::I32, DType::F32));
/// assert!(!ferrax::numpy::can_cast(DType::F32, DType::I32));
/// ```
pub fn can_cast(from: DType, to: DType) -> bool {
    use DType::*;
    from == to || matches!((from, to), (Bool, _) | (I32, F64) | (U32, F64) | (F32, F64))
}

/// How [`ravel_multi_index_with`] treats out-of-range indices (JAX's `mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexMode {
    /// Panic (JAX's default; needs concrete, untraced indices, as JAX's does).
    #[default]
    Raise,
    /// Wrap around modulo the dimension.
    Wrap,
    /// Clamp into range.
    Clip,
}

/// Options of [`ravel_multi_index_with`]: the `mode`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RavelMultiIndex {
    /// Out-of-range handling.
    pub mode: IndexMode,
}

/// `jnp.ravel_multi_index(multi_index, dims)`: the row-major flat index (i32) of each
/// multi-index into `dims`; out-of-range indices panic (JAX's `mode='raise'`).
///
/// ```
/// use ferrax::prelude::*;
/// let r = Tensor::from_vec(vec![1, 0], &[2]);
/// let c = Tensor::from_vec(vec![2, 1], &[2]);
/// let i = ferrax::numpy::ravel_multi_index(&[r, c], &[2, 3]);
/// assert_eq!(i.to_vec::<i32>(), vec![5, 1]);
/// ```
#[track_caller]
pub fn ravel_multi_index(multi_index: &[Tensor], dims: &[usize]) -> Tensor {
    ravel_multi_index_with(multi_index, dims, RavelMultiIndex::default())
}

/// [`ravel_multi_index`] with a `mode`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{ravel_multi_index_with, IndexMode, RavelMultiIndex};
/// let r = Tensor::from_vec(vec![3, -1], &[2]);
/// let o = RavelMultiIndex { mode: IndexMode::Wrap };
/// assert_eq!(ravel_multi_index_with(&[r], &[3], o).to_vec::<i32>(), vec![0, 2]);
/// ```
#[track_caller]
pub fn ravel_multi_index_with(
    multi_index: &[Tensor],
    dims: &[usize],
    opts: RavelMultiIndex,
) -> Tensor {
    assert!(
        multi_index.len() == dims.len() && multi_index.iter().all(|i| !i.dtype().is_float()),
        "ravel_multi_index: needs one integer index array per dim, got {:?} for dims {dims:?} \
         (called from {})",
        multi_index
            .iter()
            .map(|i| i.aval().to_string())
            .collect::<Vec<_>>(),
        std::panic::Location::caller()
    );
    let mut result: Option<Tensor> = None;
    let mut stride = 1i64;
    for (i, &d) in multi_index.iter().zip(dims).rev() {
        let i = lax::convert_element_type(i, DType::I32);
        let i = match opts.mode {
            IndexMode::Raise => {
                assert!(
                    i.is_concrete(),
                    "ravel_multi_index: mode Raise needs concrete indices; use Wrap or Clip \
                     under jit or vmap (called from {})",
                    std::panic::Location::caller()
                );
                let bad = i.to_vec::<i32>().iter().any(|&v| v < 0 || v as usize >= d);
                assert!(
                    !bad,
                    "ravel_multi_index: invalid entry in coordinates array {} for dims {dims:?} \
                     (called from {})",
                    i.aval(),
                    std::panic::Location::caller()
                );
                i
            }
            IndexMode::Wrap => remainder(&i, d as i32),
            IndexMode::Clip => clip(&i, 0, d as i32 - 1),
        };
        let term = multiply(&i, stride as i32);
        result = Some(match result {
            None => term,
            Some(r) => add(&term, &r),
        });
        stride *= d as i64;
    }
    result.unwrap_or_else(|| Tensor::zeros(&[], DType::I32))
}
