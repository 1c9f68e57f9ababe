//! The derivative primitives of `reduce_window_max`/`min`: `select_and_gather_add` and
//! `select_and_scatter_add` (JAX's `lax._select_and_gather_add` / `_select_and_scatter_add`).

use crate::core::{bind1, Shape};
use crate::prims::window::{SelectWindow, SelectWindowKind};
use crate::prims::Prim;
use crate::tensor::Tensor;

pub use crate::prims::window::SelectPrim;

/// For each window of `operand`, the element of `tangents` (same shape) at the position of
/// the window's first maximum (`SelectPrim::Ge`) or minimum (`SelectPrim::Le`); 0 for a
/// window covering only padding. This is the JVP of `reduce_window_max`/`min`. Params are
/// per dim, as in [`reduce_window`](super::reduce_window).
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
