//! The scatter family (`scatter`, `scatter-add`, `scatter-mul`, `scatter-min`,
//! `scatter-max`): one primitive variant parameterised by its combiner, its lax functions,
//! and the derivative rules of JAX's `lax/slicing.py` that differ by combiner.

use super::{gather_fill_zero, GatherDimensionNumbers, GatherScatterMode, IndexOp};
use super::{LinearArg, Param, Prim, ScatterDimensionNumbers};
use crate::core::{bind1, make_jaxpr, Aval};
use crate::prims::lax;
use crate::prims::util::{instantiate, zeros};
use crate::tensor::{DType, Tensor};

/// How a scatter combines an update with the operand element it lands on (JAX's
/// `scatter_p`, `scatter_add_p`, `scatter_mul_p`, `scatter_min_p`, `scatter_max_p`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScatterKind {
    /// `scatter`: the update overwrites (with duplicates, one of them wins).
    Set,
    /// `scatter-add`: duplicates accumulate.
    Add,
    /// `scatter-sub`: every update landing on an element is subtracted from it.
    Sub,
    /// `scatter-mul`: the operand is multiplied by every update landing on it.
    Mul,
    /// `scatter-min`: the minimum of the operand and the updates (NaN propagates).
    Min,
    /// `scatter-max`: the maximum of the operand and the updates (NaN propagates).
    Max,
}

impl ScatterKind {
    /// JAX's primitive name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ScatterKind::Set => "scatter",
            ScatterKind::Add => "scatter-add",
            ScatterKind::Sub => "scatter-sub",
            ScatterKind::Mul => "scatter-mul",
            ScatterKind::Min => "scatter-min",
            ScatterKind::Max => "scatter-max",
        }
    }
}

/// The promises a caller may make about the indices of a scatter (JAX's
/// `indices_are_sorted` and `unique_indices` keywords). `unique_indices` selects the
/// simpler derivative rules of `scatter` and is required for the updates' derivative of
/// `scatter-mul`; a false promise gives unspecified results, as in JAX.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScatterHints {
    /// The index vectors are sorted (lexicographically).
    pub indices_are_sorted: bool,
    /// No two index vectors address the same operand element.
    pub unique_indices: bool,
}

/// The scatter of `kind` with explicit hints: what `scatter`, `scatter_add`, `scatter_mul`,
/// `scatter_min` and `scatter_max` bind (with default hints).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{scatter_general, ScatterDimensionNumbers, ScatterHints, ScatterKind, GatherScatterMode};
/// use ferrax::core::Shape;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let idx = Tensor::from_vec(vec![2, 0], &[2, 1]);
/// let upd = Tensor::from_vec(vec![10.0f32, 20.0], &[2]);
/// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
/// let hints = ScatterHints { unique_indices: true, ..Default::default() };
/// let y = scatter_general(ScatterKind::Mul, &x, &idx, &upd, dn, GatherScatterMode::FillOrDrop, hints);
/// assert_eq!(y.to_vec::<f32>(), vec![20.0, 2.0, 30.0]);
/// ```
#[track_caller]
pub fn scatter_general(
    kind: ScatterKind,
    operand: &Tensor,
    scatter_indices: &Tensor,
    updates: &Tensor,
    dimension_numbers: ScatterDimensionNumbers,
    mode: GatherScatterMode,
    hints: ScatterHints,
) -> Tensor {
    let prim = Prim::new(IndexOp::Scatter {
        kind,
        dimension_numbers,
        mode,
        hints,
        dtype: operand.dtype(),
    });
    bind1(
        &prim,
        &[operand.clone(), scatter_indices.clone(), updates.clone()],
    )
}

/// The lax scatter functions of one combiner each, with default hints: `name => Kind` after
/// each one's doc.
macro_rules! scatter_fns {
    ($($(#[$doc:meta])+ $name:ident => $kind:ident;)*) => {$(
        $(#[$doc])+
        #[track_caller]
        pub fn $name(
            operand: &Tensor,
            scatter_indices: &Tensor,
            updates: &Tensor,
            dimension_numbers: ScatterDimensionNumbers,
            mode: GatherScatterMode,
        ) -> Tensor {
            scatter_general(
                ScatterKind::$kind,
                operand,
                scatter_indices,
                updates,
                dimension_numbers,
                mode,
                ScatterHints::default(),
            )
        }
    )*};
}

scatter_fns! {
    /// XLA scatter with addition (duplicates accumulate; out-of-bounds updates are dropped in
    /// `FillOrDrop` mode).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter_add, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::zeros(&[3], DType::F32);
    /// let idx = Tensor::from_vec(vec![2, 2, 0], &[3, 1]);
    /// let upd = Tensor::from_vec(vec![1.0f32, 2.0, 5.0], &[3]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(scatter_add(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<f32>(), vec![5.0, 0.0, 3.0]);
    /// ```
    scatter_add => Add;

    /// XLA scatter that overwrites (`lax.scatter`): with duplicate indices one update wins.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::zeros(&[3], DType::I32);
    /// let idx = Tensor::from_vec(vec![2, 7], &[2, 1]);
    /// let upd = Tensor::from_vec(vec![5, 6], &[2]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// // index 7 is out of bounds: dropped.
    /// assert_eq!(scatter(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<i32>(), vec![0, 0, 5]);
    /// ```
    scatter => Set;

    /// XLA scatter with a multiply combiner (`lax.scatter_mul`): duplicates multiply in.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter_mul, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// let idx = Tensor::from_vec(vec![1, 1], &[2, 1]);
    /// let upd = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(scatter_mul(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<f32>(), vec![1.0, 24.0]);
    /// ```
    scatter_mul => Mul;

    /// XLA scatter with a subtract combiner (`lax.scatter_sub`): every update landing on an
    /// element is subtracted from it.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter_sub, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::from_vec(vec![10.0f32, 10.0], &[2]);
    /// let idx = Tensor::from_vec(vec![1, 1], &[2, 1]);
    /// let upd = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(scatter_sub(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<f32>(), vec![10.0, 3.0]);
    /// ```
    scatter_sub => Sub;

    /// XLA scatter with a minimum combiner (`lax.scatter_min`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter_min, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::from_vec(vec![5, 5], &[2]);
    /// let idx = Tensor::from_vec(vec![0, 0, 1], &[3, 1]);
    /// let upd = Tensor::from_vec(vec![3, 7, 9], &[3]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(scatter_min(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<i32>(), vec![3, 5]);
    /// ```
    scatter_min => Min;

    /// XLA scatter with a maximum combiner (`lax.scatter_max`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::lax::{scatter_max, ScatterDimensionNumbers, GatherScatterMode};
    /// use ferrax::core::Shape;
    /// let x = Tensor::from_vec(vec![5, 5], &[2]);
    /// let idx = Tensor::from_vec(vec![0, 0, 1], &[3, 1]);
    /// let upd = Tensor::from_vec(vec![3, 7, 1], &[3]);
    /// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(scatter_max(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<i32>(), vec![7, 5]);
    /// ```
    scatter_max => Max;
}

/// The printed `update_jaxpr` param: `None` for `scatter`, else the combiner as a jaxpr of
/// two scalars of the operand's dtype (`{ lambda ; a:f32[] b:f32[]. let c:f32[] = add a b in
/// (c,) }`), as JAX prints it.
pub(super) fn update_jaxpr(kind: ScatterKind, dtype: DType) -> Param {
    // ferrax's `max`/`min` take no bools: their bool combiners print as `or`/`and` (JAX
    // prints `max`/`min`).
    let boolean = dtype == DType::Bool;
    let op: fn(&Tensor, &Tensor) -> Tensor = match kind {
        ScatterKind::Set => return Param::Text("None".into()),
        ScatterKind::Add => lax::add,
        ScatterKind::Sub => lax::sub,
        ScatterKind::Mul => lax::mul,
        ScatterKind::Min if boolean => lax::and,
        ScatterKind::Max if boolean => lax::or,
        ScatterKind::Min => lax::min,
        ScatterKind::Max => lax::max,
    };
    let scalars = (Tensor::zeros(&[], dtype), Tensor::zeros(&[], dtype));
    let closed = make_jaxpr(move |(a, b): &(Tensor, Tensor)| op(a, b))(&scalars);
    Param::Jaxpr(closed.jaxpr)
}

/// The gather that undoes a scatter (its dimension numbers mirrored, its window sizes from
/// the updates), as the rules below spell it out each time in JAX.
pub(super) fn inverse_gather(
    d: &ScatterDimensionNumbers,
    operand_rank: usize,
    updates_shape: &[usize],
) -> (GatherDimensionNumbers, Vec<usize>) {
    let dn = d.mirrored();
    let mut window = d.update_window_dims.iter();
    let slice_sizes = (0..operand_rank)
        .map(|i| {
            if d.inserted_window_dims.contains(&i) || d.operand_batching_dims.contains(&i) {
                1
            } else {
                updates_shape[*window.next().expect("counts checked by the shape rule")]
            }
        })
        .collect();
    (dn, slice_sizes)
}

/// Everything a scatter rule needs to rebind a scatter of the same indices.
pub(super) struct Same<'a> {
    pub d: &'a ScatterDimensionNumbers,
    pub mode: GatherScatterMode,
    pub hints: ScatterHints,
}

impl Same<'_> {
    fn bind(&self, kind: ScatterKind, x: &Tensor, i: &Tensor, u: &Tensor) -> Tensor {
        scatter_general(kind, x, i, u, self.d.clone(), self.mode, self.hints)
    }

    fn gather(&self, x: &Tensor, i: &Tensor, updates_shape: &[usize]) -> Tensor {
        let (dn, sizes) = inverse_gather(self.d, x.ndim(), updates_shape);
        gather_fill_zero(x, i, &dn, &sizes, self.mode)
    }
}

fn full_like(x: &Tensor, v: f64, dtype: DType) -> Tensor {
    lax::broadcast_in_dim(&Tensor::full(&[], v, dtype), x.shape(), &[])
}

/// The JVP of a scatter of `kind` (JAX's `_scatter_jvp`, `_scatter_addsub_jvp`,
/// `ad.defjvp(scatter_mul_p, ..)` with `_scatter_mul_jvp_rhs`, `_scatter_extremal_jvp`):
/// the primal output and the tangent (`None` when neither operand nor updates has one).
pub(super) fn scatter_jvp(
    kind: ScatterKind,
    s: &Same,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Tensor, Option<Tensor>) {
    let (x, i, u) = (&primals[0], &primals[1], &primals[2]);
    let none = tangents[0].is_none() && tangents[2].is_none();
    if none {
        return (s.bind(kind, x, i, u), None);
    }
    let gx = instantiate(&tangents[0], x);
    let gu = instantiate(&tangents[2], u);
    match kind {
        // `_scatter_addsub_jvp`: linear in the operand and the updates.
        ScatterKind::Add | ScatterKind::Sub => {
            (s.bind(kind, x, i, u), Some(s.bind(kind, &gx, i, &gu)))
        }
        ScatterKind::Set if s.hints.unique_indices => {
            (s.bind(kind, x, i, u), Some(s.bind(kind, &gx, i, &gu)))
        }
        ScatterKind::Set => set_jvp_ids(s, x, i, u, &gx, &gu),
        ScatterKind::Mul => {
            let out = s.bind(kind, x, i, u);
            let mut t = s.bind(kind, &gx, i, u);
            if tangents[2].is_some() {
                if !s.hints.unique_indices {
                    panic!(
                        "scatter-mul: gradients with respect to the updates are only implemented \
                         if `unique_indices=True` (updates shape {:?}, indices shape {:?})",
                        u.shape(),
                        i.shape()
                    );
                }
                let spread = s.bind(ScatterKind::Add, &zeros(&x.aval()), i, &gu);
                t = lax::add(&t, &lax::mul(x, &spread));
            }
            (out, Some(t))
        }
        ScatterKind::Min | ScatterKind::Max => extremal_jvp(kind, s, x, i, u, &gx, &gu),
    }
}

/// `_scatter_jvp` with possibly duplicate indices: tag every update with an id, scatter the
/// ids, gather them back, and keep only the operand elements no update reached and the
/// updates that won; the output and tangent are then scatter-adds of the masked values.
fn set_jvp_ids(
    s: &Same,
    x: &Tensor,
    i: &Tensor,
    u: &Tensor,
    gx: &Tensor,
    gu: &Tensor,
) -> (Tensor, Option<Tensor>) {
    let mut ids_shape = u.shape().to_vec();
    for &d in &s.d.update_window_dims {
        ids_shape[d] = 1;
    }
    let num_ids: usize = ids_shape.iter().product();
    let ids = lax::reshape(&lax::iota(DType::I32, &[num_ids], 0), &ids_shape);
    let ids = lax::add(&ids, &Tensor::scalar(1i32));
    let keep: Vec<usize> = (0..u.ndim()).collect();
    let update_ids = lax::broadcast_in_dim(&ids, u.shape(), &keep);
    let scattered = s.bind(
        ScatterKind::Set,
        &full_like(x, 0.0, DType::I32),
        i,
        &update_ids,
    );
    let gathered = s.gather(&scattered, i, u.shape());
    let untouched = lax::eq(&scattered, &Tensor::zeros(&[], DType::I32));
    let won = lax::eq(&update_ids, &gathered);
    let mask = |m: &Tensor, v: &Tensor| lax::select_n(m, &[zeros(&v.aval()), v.clone()]);
    let add = |a: &Tensor, b: &Tensor| s.bind(ScatterKind::Add, a, i, b);
    let out = add(&mask(&untouched, x), &mask(&won, u));
    let t = add(&mask(&untouched, gx), &mask(&won, gu));
    (out, Some(t))
}

/// `_scatter_extremal_jvp`: contending values that tie with the result share its tangent
/// equally (the operand's own value counting as one of them).
fn extremal_jvp(
    kind: ScatterKind,
    s: &Same,
    x: &Tensor,
    i: &Tensor,
    u: &Tensor,
    gx: &Tensor,
    gu: &Tensor,
) -> (Tensor, Option<Tensor>) {
    let out = s.bind(kind, x, i, u);
    let us = u.shape();
    let initial = s.gather(x, i, us);
    let target = s.gather(&out, i, us);
    let successful = lax::eq(u, &target);
    let retained = lax::eq(&initial, &target);
    let dt = u.dtype();
    let (zero_u, one_u) = (full_like(u, 0.0, dt), full_like(u, 1.0, dt));
    let add0 = |v: &Tensor| s.bind(ScatterKind::Add, &zeros(&x.aval()), i, v);
    let num_updates = s.gather(
        &add0(&lax::select_n(
            &successful,
            &[zero_u.clone(), one_u.clone()],
        )),
        i,
        us,
    );
    let num_refs = s.gather(&add0(&one_u), i, us);
    let one = full_like(u, 1.0, dt);
    let inv = |v: &Tensor| lax::div(&one, v);
    let plus1 = lax::add(&num_updates, &one);
    let updates_normalizer = lax::select_n(&retained, &[inv(&num_updates), inv(&plus1)]);
    let updates_coef = lax::select_n(&successful, &[zero_u.clone(), updates_normalizer]);
    let operand_normalizer = lax::select_n(&retained, &[zero_u, inv(&plus1)]);
    let operand_coef = lax::div(&lax::sub(&operand_normalizer, &one), &num_refs);
    let target_tangents = s.gather(gx, i, us);
    let tangent_updates = lax::add(
        &lax::mul(&target_tangents, &operand_coef),
        &lax::mul(gu, &updates_coef),
    );
    let t = s.bind(ScatterKind::Add, gx, i, &tangent_updates);
    (out, Some(t))
}

/// The transpose of a scatter of `kind` in its linear arguments (JAX's
/// `_scatter_addsub_transpose_rule`, `_scatter_mul_transpose_rule`,
/// `_scatter_transpose_rule`); `scatter-min`/`scatter-max` are not linear and JAX defines
/// no transpose for them.
pub(super) fn scatter_transpose(
    kind: ScatterKind,
    s: &Same,
    ct: &Tensor,
    args: &[LinearArg],
) -> Vec<Option<Tensor>> {
    let mut out: Vec<Option<Tensor>> = vec![None; args.len()];
    let i = args[1].known();
    let updates_aval: Aval = args[2].aval();
    let us = &updates_aval.shape;
    match kind {
        ScatterKind::Add | ScatterKind::Sub => {
            if args[0].is_linear() {
                out[0] = Some(ct.clone());
            }
            if args[2].is_linear() {
                let g = s.gather(ct, i, us);
                out[2] = Some(if kind == ScatterKind::Sub {
                    lax::neg(&g)
                } else {
                    g
                });
            }
        }
        ScatterKind::Mul => {
            if args[0].is_linear() {
                out[0] = Some(s.bind(kind, ct, i, args[2].known()));
            }
            if args[2].is_linear() {
                if !s.hints.unique_indices {
                    panic!(
                        "scatter-mul: gradients with respect to the updates are only implemented \
                         if `unique_indices=True` (updates shape {us:?})"
                    );
                }
                out[2] = Some(s.gather(&lax::mul(ct, args[0].known()), i, us));
            }
        }
        ScatterKind::Set => {
            if !s.hints.unique_indices {
                panic!(
                    "scatter: transpose is only implemented where `unique_indices=True` \
                     (updates shape {us:?})"
                );
            }
            if args[0].is_linear() {
                let z = zeros(&Aval::new(us, ct.dtype()));
                out[0] = Some(s.bind(kind, ct, i, &z));
            }
            if args[2].is_linear() {
                out[2] = Some(s.gather(ct, i, us));
            }
        }
        ScatterKind::Min | ScatterKind::Max => {
            panic!("{}: not linear, has no transpose rule", kind.name())
        }
    }
    out
}
