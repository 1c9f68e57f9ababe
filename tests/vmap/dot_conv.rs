//! Batching rules of `dot_general`, `conv_general_dilated`, the windowed reductions and the
//! max-pool derivative primitives (`select_and_gather_add`, `select_and_scatter_add`):
//! property tests that `vmap(f)(xs)` equals stacking `f(x_i)` over a loop (batch dims at
//! different positions, some operands unbatched), per-example gradients (`vmap(grad)`) of a
//! small conv net and an MLP layer against a loop of `grad`, and jaxpr checks (a golden
//! against JAX, no transposes for `vmap(dot)`, one convolution for per-example kernels).

use ferrax::core::Shape;
use ferrax::internals::prims::window::{SelectWindow, SelectWindowKind};
use ferrax::internals::prims::Prim;
use ferrax::internals::trace::bind1;
use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, SelectPrim, WindowKind};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::transforms::{vmap, vmap_with, AxisSpec, VmapSpec};
use proptest::prelude::*;

// ---- Helpers ----------------------------------------------------------------------------

/// Deterministic values in [-1, 1) that differ between elements and seeds.
fn data(n: usize, seed: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let h = (i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503).wrapping_add(977))
                % 2003;
            h as f64 / 1001.5 - 1.0
        })
        .collect()
}

fn t64(v: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape)
}

use crate::common;
use common::close::{assert_tensor_close, Tol};

#[track_caller]
fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    let tol = Tol::allclose(1e-10, 1e-10).or_equal().or_both_nan();
    assert_tensor_close(got, want, tol, what);
}

/// Where an operand's batch dim goes: `choice` 0 = unbatched, 1 = first, 2 = second (or
/// last for rank 0), 3 = last, for an operand of logical rank `rank`.
fn position(choice: usize, rank: usize) -> Option<usize> {
    match choice {
        0 => None,
        1 => Some(0),
        2 => Some(1.min(rank)),
        _ => Some(rank),
    }
}

/// An operand for `b` batch members: with a batch dim at `pos`, `b` different examples of
/// `shape` stacked there; unbatched, one shared example. Returns the vmap input and the
/// per-member values.
fn operand(shape: &[usize], b: usize, pos: Option<usize>, seed: u64) -> (Tensor, Vec<Tensor>) {
    let n: usize = shape.iter().product();
    match pos {
        None => {
            let x = t64(data(n, seed), shape);
            (x.clone(), vec![x; b])
        }
        Some(p) => {
            let xs: Vec<Tensor> = (0..b as u64)
                .map(|i| t64(data(n, seed * 31 + i + 1), shape))
                .collect();
            (jnp::stack(&xs, p as isize), xs)
        }
    }
}

fn spec_of(pos: Option<usize>) -> AxisSpec {
    pos.map_or(AxisSpec::NotMapped, |p| AxisSpec::Axis(p as isize))
}

/// Checks `vmap_with(f)` on two operands of logical shapes `ls`/`rs` batched at `lp`/`rp`
/// against stacking `f` over the `b` batch members.
#[allow(clippy::too_many_arguments)]
fn check_vmap2(
    f: impl Fn(&Tensor, &Tensor) -> Tensor,
    ls: &[usize],
    rs: &[usize],
    b: usize,
    lp: Option<usize>,
    rp: Option<usize>,
    seed: u64,
    what: &str,
) {
    let (l, l_i) = operand(ls, b, lp, seed);
    let (r, r_i) = operand(rs, b, rp, seed + 7);
    let spec = VmapSpec::new().in_axes((spec_of(lp), spec_of(rp)));
    let got = vmap_with(|(l, r): &(Tensor, Tensor)| f(l, r), spec)(&(l, r));
    let outs: Vec<Tensor> = l_i.iter().zip(&r_i).map(|(l, r)| f(l, r)).collect();
    let want = jnp::stack(&outs, 0);
    assert_close(
        &got,
        &want,
        &format!("{what}, lhs batched at {lp:?}, rhs at {rp:?}"),
    );
}

/// Two batch positions with at least one operand batched.
fn two_positions(ranks: (usize, usize), choices: (usize, usize)) -> (Option<usize>, Option<usize>) {
    let (lp, rp) = (position(choices.0, ranks.0), position(choices.1, ranks.1));
    if lp.is_none() && rp.is_none() {
        (Some(0), None)
    } else {
        (lp, rp)
    }
}

// ---- Golden -----------------------------------------------------------------------------

/// `jax.make_jaxpr(jax.vmap(lambda m, v: m @ v, in_axes=(0, None)))` on f32[4,3], f32[3]
/// as JAX 0.10.2 prints it (with `out_sharding=None` removed, a param ferrax does not have):
/// each row of the matrix dotted with v is a single `dot_general`.
const JAX_VMAP_MATVEC: &str = "\
{ lambda ; a:f32[4,3] b:f32[3]. let
    c:f32[4] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] a b
  in (c,) }";

#[test]
fn golden_vmap_matvec_matches_jax() {
    let m = Tensor::zeros(&[4, 3], DType::F32);
    let v = Tensor::zeros(&[3], DType::F32);
    let jaxpr = make_jaxpr(vmap_with(
        |(m, v): &(Tensor, Tensor)| m.matmul(v),
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    ))(&(m, v));
    assert_eq!(jaxpr.to_string().trim_end(), JAX_VMAP_MATVEC);
}

// ---- dot_general ------------------------------------------------------------------------

type Dn = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

fn dot(a: &Tensor, b: &Tensor, (lc, rc, lb, rb): &Dn) -> Tensor {
    lax::dot_general(a, b, ((lc, rc), (lb, rb)), None)
}

/// Logical shapes and dimension numbers: vector-vector, matrix-vector, vector-matrix,
/// matrix-matrix, batched, contracting over two dims (unsorted on the rhs), and dot batch
/// dims that are not leading.
fn dot_case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Dn)> {
    let d = || 1usize..=3;
    prop_oneof![
        d().prop_map(|k| (vec![k], vec![k], (vec![0], vec![0], vec![], vec![]))),
        (d(), d()).prop_map(|(m, k)| (vec![m, k], vec![k], (vec![1], vec![0], vec![], vec![]))),
        (d(), d()).prop_map(|(k, n)| (vec![k], vec![n, k], (vec![0], vec![1], vec![], vec![]))),
        (d(), d(), d()).prop_map(|(m, k, n)| (
            vec![m, k],
            vec![k, n],
            (vec![1], vec![0], vec![], vec![])
        )),
        (d(), d(), d(), d()).prop_map(|(b, m, k, n)| (
            vec![b, m, k],
            vec![b, k, n],
            (vec![2], vec![1], vec![0], vec![0])
        )),
        (d(), d(), d(), d()).prop_map(|(m, k1, k2, n)| (
            vec![m, k1, k2],
            vec![k2, n, k1],
            (vec![1, 2], vec![2, 0], vec![], vec![])
        )),
        (d(), d(), d(), d()).prop_map(|(m, b, k, n)| (
            vec![m, b, k],
            vec![k, n, b],
            (vec![2], vec![0], vec![1], vec![2])
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Each operand batched or not, at the first, second or last position.
    #[test]
    fn prop_dot_general_matches_a_loop(
        (ls, rs, dn) in dot_case(),
        b in 1usize..=3,
        lc in 0usize..4,
        rc in 0usize..4,
        seed in 0u64..1000,
    ) {
        let (lp, rp) = two_positions((ls.len(), rs.len()), (lc, rc));
        let what = format!("dot_general {dn:?} on {ls:?}, {rs:?}");
        check_vmap2(|l, r| dot(l, r, &dn), &ls, &rs, b, lp, rp, seed, &what);
    }

    /// The batched `dot_general` is one equation with no transposes of its operands,
    /// wherever the batch dims are (a transpose after it may only move the batch dim to
    /// the requested `out_axes`).
    #[test]
    fn prop_vmap_dot_is_one_equation(
        (ls, rs, dn) in dot_case(), lc in 0usize..4, rc in 0usize..4,
    ) {
        let (lp, rp) = two_positions((ls.len(), rs.len()), (lc, rc));
        let (l, _) = operand(&ls, 2, lp, 1);
        let (r, _) = operand(&rs, 2, rp, 2);
        let spec = VmapSpec::new().in_axes((spec_of(lp), spec_of(rp)));
        let f = vmap_with(|(l, r): &(Tensor, Tensor)| dot(l, r, &dn), spec);
        let jaxpr = make_jaxpr(f)(&(l, r)).to_string();
        let eqns: Vec<&str> = jaxpr.lines().filter(|l| l.contains(" = ")).collect();
        prop_assert!(eqns[0].contains("dot_general"), "{}", jaxpr);
        let moved_out = eqns.len() == 2 && eqns[1].contains("transpose");
        prop_assert!(eqns.len() == 1 || moved_out, "{}", jaxpr);
        prop_assert_eq!(jaxpr.matches("dot_general").count(), 1, "{}", jaxpr);
    }
}

#[test]
fn vmap_matmul_has_no_transpose() {
    let m = Tensor::zeros(&[5, 4, 3], DType::F32);
    let w = Tensor::zeros(&[3, 2], DType::F32);
    // Per-example matrices times a shared one, and a shared matrix times per-example ones.
    let jaxpr = make_jaxpr(vmap_with(
        |(m, w): &(Tensor, Tensor)| m.matmul(w),
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    ))(&(m.clone(), w.clone()))
    .to_string();
    assert!(!jaxpr.contains("transpose"), "{jaxpr}");
    assert_eq!(jaxpr.matches("dot_general").count(), 1, "{jaxpr}");
    let a = Tensor::zeros(&[4, 3], DType::F32);
    let vs = Tensor::zeros(&[3, 5], DType::F32);
    let jaxpr = make_jaxpr(vmap_with(
        |(a, v): &(Tensor, Tensor)| a.matmul(v),
        // out_axes=1: where the rule leaves the batch dim (the rhs free dim), so no
        // transpose is needed for the output either.
        VmapSpec::new()
            .in_axes((AxisSpec::NotMapped, 1))
            .out_axes(1),
    ))(&(a, vs))
    .to_string();
    assert!(!jaxpr.contains("transpose"), "{jaxpr}");
    assert!(
        jaxpr.contains("dimension_numbers=(([1], [0]), ([], []))"),
        "{jaxpr}"
    );
    // Both batched: a new dot batch dim.
    let ms = Tensor::zeros(&[5, 3, 2], DType::F32);
    let jaxpr = make_jaxpr(vmap(|(m, w): &(Tensor, Tensor)| m.matmul(w)))(&(m, ms)).to_string();
    assert!(!jaxpr.contains("transpose"), "{jaxpr}");
    assert!(
        jaxpr.contains("dimension_numbers=(([2], [1]), ([0], [0]))"),
        "{jaxpr}"
    );
}

#[test]
fn vmap_dot_keeps_preferred_element_type() {
    // The examples are the columns of a (f32[3]), each dotted with v in f64.
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let v = Tensor::from_vec(vec![1.0f32, 0.5, 0.25], &[3]);
    let f = |(a, v): &(Tensor, Tensor)| {
        lax::dot_general(a, v, ((&[0], &[0]), (&[], &[])), Some(DType::F64))
    };
    let got = vmap_with(f, VmapSpec::new().in_axes((1, AxisSpec::NotMapped)))(&(a, v));
    assert_eq!(got.dtype(), DType::F64);
    assert_eq!(got.to_vec::<f64>(), vec![1.0 + 1.5 + 1.25, 2.0 + 2.0 + 1.5]);
}

// ---- conv_general_dilated ---------------------------------------------------------------

fn nhwc_hwio() -> ConvDimensionNumbers {
    ConvDimensionNumbers {
        lhs_spec: Shape::from_slice(&[0, 3, 1, 2]),
        rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
        out_spec: Shape::from_slice(&[0, 3, 1, 2]),
    }
}

/// A 2-D NHWC/HWIO convolution's params.
#[derive(Clone, Debug)]
struct Conv2d {
    strides: [usize; 2],
    padding: [(i64, i64); 2],
    lhs_dilation: [usize; 2],
    rhs_dilation: [usize; 2],
    feature_groups: usize,
    batch_groups: usize,
}

impl Conv2d {
    fn params(&self) -> ConvParams {
        ConvParams {
            window_strides: self.strides.to_vec(),
            padding: self.padding.to_vec(),
            lhs_dilation: self.lhs_dilation.to_vec(),
            rhs_dilation: self.rhs_dilation.to_vec(),
            dimension_numbers: nhwc_hwio(),
            feature_group_count: self.feature_groups,
            batch_group_count: self.batch_groups,
        }
    }
    fn apply(&self, x: &Tensor, w: &Tensor) -> Tensor {
        lax::conv_general_dilated(x, w, &self.params())
    }
}

/// A convolution and its operand shapes (NHWC lhs, HWIO rhs), with feature groups or batch
/// groups.
fn conv_case() -> impl Strategy<Value = (Conv2d, Vec<usize>, Vec<usize>)> {
    (
        (1usize..=2, 1usize..=2, 0usize..2),
        (1usize..=2, 1usize..=4, 1usize..=4, 1usize..=2, 1usize..=2),
        (1usize..=3, 1usize..=2),
        (
            [1usize..=2, 1usize..=2],
            [(0i64..=1, 0i64..=1), (0i64..=1, 0i64..=1)],
        ),
        ([1usize..=2, 1usize..=2], [1usize..=2, 1usize..=2]),
    )
        .prop_map(
            |(
                (g, og, batch_groups),
                (n, h, w, cin, _),
                (kh, kw),
                (strides, padding),
                (lhs_dilation, rhs_dilation),
            )| {
                let (fg, bg) = if batch_groups == 1 { (1, g) } else { (g, 1) };
                let conv = Conv2d {
                    strides,
                    padding,
                    lhs_dilation,
                    rhs_dilation,
                    feature_groups: fg,
                    batch_groups: bg,
                };
                let lhs = vec![n * bg, h, w, cin * fg];
                let rhs = vec![kh, kw, cin, og * g];
                (conv, lhs, rhs)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// lhs batched (examples fold into the conv batch), rhs batched (per-example kernels
    /// fold into the output features), both (feature or batch groups), batch dims anywhere.
    #[test]
    fn prop_conv_matches_a_loop(
        (conv, ls, rs) in conv_case(),
        b in 1usize..=3,
        lc in 0usize..4,
        rc in 0usize..4,
        seed in 0u64..1000,
    ) {
        let (lp, rp) = two_positions((4, 4), (lc, rc));
        let what = format!("{conv:?} on {ls:?}, {rs:?}");
        check_vmap2(|x, w| conv.apply(x, w), &ls, &rs, b, lp, rp, seed, &what);
    }
}

#[test]
fn vmap_conv_with_batched_operands_is_one_convolution() {
    let conv = Conv2d {
        strides: [1, 1],
        padding: [(1, 1), (0, 0)],
        lhs_dilation: [1, 1],
        rhs_dilation: [1, 1],
        feature_groups: 1,
        batch_groups: 1,
    };
    let xs = t64(data(3 * 2 * 4 * 4 * 2, 1), &[3, 2, 4, 4, 2]);
    let ws = t64(data(3 * 3 * 3 * 2 * 5, 2), &[3, 3, 3, 2, 5]);
    let count = |j: &str| j.matches("conv_general_dilated[").count();
    // Per-example inputs and kernels: feature groups.
    let both =
        make_jaxpr(vmap(|(x, w): &(Tensor, Tensor)| conv.apply(x, w)))(&(xs.clone(), ws.clone()))
            .to_string();
    assert_eq!(count(&both), 1, "{both}");
    assert!(both.contains("feature_group_count=3"), "{both}");
    // Per-example kernels, shared input: output features.
    let x = xs.index_axis(0, 0);
    let rhs_only = make_jaxpr(vmap_with(
        |(x, w): &(Tensor, Tensor)| conv.apply(x, w),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0)),
    ))(&(x.clone(), ws.clone()))
    .to_string();
    assert_eq!(count(&rhs_only), 1, "{rhs_only}");
    assert!(rhs_only.contains("feature_group_count=1"), "{rhs_only}");
    // Per-example inputs, shared kernel: the conv batch.
    let w = ws.index_axis(0, 0);
    let lhs_only = make_jaxpr(vmap_with(
        |(x, w): &(Tensor, Tensor)| conv.apply(x, w),
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    ))(&(xs.clone(), w.clone()))
    .to_string();
    assert_eq!(count(&lhs_only), 1, "{lhs_only}");
    // And the values agree with a loop.
    let got = vmap(|(x, w): &(Tensor, Tensor)| conv.apply(x, w))(&(xs.clone(), ws.clone()));
    let want = jnp::stack(
        &(0..3)
            .map(|i| conv.apply(&xs.index_axis(0, i), &ws.index_axis(0, i)))
            .collect::<Vec<_>>(),
        0,
    );
    assert_close(&got, &want, "per-example kernels");
}

#[test]
fn vmap_conv_with_empty_batch() {
    let conv = Conv2d {
        strides: [1, 1],
        padding: [(0, 0), (0, 0)],
        lhs_dilation: [1, 1],
        rhs_dilation: [1, 1],
        feature_groups: 1,
        batch_groups: 1,
    };
    let xs = Tensor::zeros(&[0, 1, 3, 3, 2], DType::F64);
    let ws = Tensor::zeros(&[0, 2, 2, 2, 4], DType::F64);
    let got = vmap(|(x, w): &(Tensor, Tensor)| conv.apply(x, w))(&(xs, ws));
    assert_eq!(got.shape(), &[0, 1, 2, 2, 4]);
}

// ---- Windowed reductions and the select-window primitives -------------------------------

/// Window params for a rank-2 operand of shape `[a, b]`.
#[derive(Clone, Debug)]
struct Window {
    dims: [usize; 2],
    strides: [usize; 2],
    padding: [(i64, i64); 2],
    base_dilation: [usize; 2],
    window_dilation: [usize; 2],
}

fn window_case() -> impl Strategy<Value = (Window, Vec<usize>)> {
    (
        [1usize..=4, 1usize..=4],
        [1usize..=3, 1usize..=3],
        [1usize..=2, 1usize..=2],
        [(0i64..=1, 0i64..=1), (0i64..=1, 0i64..=1)],
        [1usize..=2, 1usize..=2],
        [1usize..=2, 1usize..=2],
    )
        .prop_map(
            |(shape, dims, strides, padding, base_dilation, window_dilation)| {
                (
                    Window {
                        dims,
                        strides,
                        padding,
                        base_dilation,
                        window_dilation,
                    },
                    shape.to_vec(),
                )
            },
        )
}

impl Window {
    fn reduce(&self, x: &Tensor, kind: WindowKind) -> Tensor {
        lax::reduce_window(
            x,
            kind,
            &self.dims,
            &self.strides,
            &self.padding,
            &self.base_dilation,
            &self.window_dilation,
        )
    }

    fn select(
        &self,
        kind: SelectWindowKind,
        select_prim: SelectPrim,
        values: &Tensor,
        operand: &Tensor,
    ) -> Tensor {
        let prim = Prim::new(SelectWindow {
            kind,
            select_prim,
            window_dimensions: Shape::from_slice(&self.dims),
            window_strides: Shape::from_slice(&self.strides),
            padding: self.padding.to_vec(),
            base_dilation: Shape::from_slice(&self.base_dilation),
            window_dilation: Shape::from_slice(&self.window_dilation),
        });
        bind1(&prim, &[values.clone(), operand.clone()])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn prop_reduce_window_matches_a_loop(
        (win, shape) in window_case(),
        kind in 0usize..3,
        b in 1usize..=3,
        pos in 0usize..=2,
        seed in 0u64..1000,
    ) {
        let kind = [WindowKind::Sum, WindowKind::Max, WindowKind::Min][kind];
        let (x, x_i) = operand(&shape, b, Some(pos), seed);
        let got = vmap_with(|x: &Tensor| win.reduce(x, kind), VmapSpec::new().in_axes(pos))(&x);
        let want = jnp::stack(&x_i.iter().map(|x| win.reduce(x, kind)).collect::<Vec<_>>(), 0);
        assert_close(&got, &want, &format!("{kind:?} {win:?} batched at {pos}"));
    }

    /// `select_and_gather_add(tangents, operand)` and `select_and_scatter_add(source,
    /// operand)`, each operand batched anywhere or not.
    #[test]
    fn prop_select_window_matches_a_loop(
        (win, shape) in window_case(), scatter in any::<bool>(), ge in any::<bool>(),
        b in 1usize..=3, lc in 0usize..4, rc in 0usize..4, seed in 0u64..1000,
    ) {
        let sp = if ge { SelectPrim::Ge } else { SelectPrim::Le };
        let (kind, first_shape) = if scatter {
            let zeros = Tensor::zeros(&shape, DType::F64);
            let windowed = win.reduce(&zeros, WindowKind::Sum).shape().to_vec();
            (SelectWindowKind::ScatterAdd, windowed)
        } else {
            (SelectWindowKind::GatherAdd, shape.clone())
        };
        let (lp, rp) = two_positions((2, 2), (lc, rc));
        let what = format!("{kind:?} {sp:?} {win:?}");
        let f = |v: &Tensor, x: &Tensor| win.select(kind, sp, v, x);
        check_vmap2(f, &first_shape, &shape, b, lp, rp, seed, &what);
    }

    /// Per-example JVPs and VJPs of a max-pool (select_and_gather_add and
    /// select_and_scatter_add under vmap, with dilation).
    #[test]
    fn prop_vmap_of_max_pool_derivatives(
        (win, shape) in window_case(),
        b in 1usize..=3,
        pos in 0usize..=2,
        seed in 0u64..1000,
    ) {
        let (x, x_i) = operand(&shape, b, Some(pos), seed);
        let (t, t_i) = operand(&shape, b, Some(0), seed + 3);
        let pool = |x: &Tensor| win.reduce(x, WindowKind::Max);
        let f = |(x, t): &(Tensor, Tensor)| jvp(pool, x, t).1;
        let got = vmap_with(f, VmapSpec::new().in_axes((pos, 0)))(&(x.clone(), t));
        let outs: Vec<Tensor> = x_i
            .iter()
            .zip(&t_i)
            .map(|(x, t)| f(&(x.clone(), t.clone())))
            .collect();
        let want = jnp::stack(&outs, 0);
        assert_close(&got, &want, "jvp of max pool");
        let windowed = pool(&x_i[0]).shape().to_vec();
        let (c, c_i) = operand(&windowed, b, Some(windowed.len()), seed + 5);
        let g = |(x, c): &(Tensor, Tensor)| vjp(pool, x).1(c);
        let got = vmap_with(g, VmapSpec::new().in_axes((pos, -1)))(&(x, c));
        let outs: Vec<Tensor> = x_i
            .iter()
            .zip(&c_i)
            .map(|(x, c)| g(&(x.clone(), c.clone())))
            .collect();
        let want = jnp::stack(&outs, 0);
        assert_close(&got, &want, "vjp of max pool");
    }
}

#[test]
fn vmap_reduce_window_keeps_the_batch_dim_in_place() {
    let x = t64(data(3 * 4 * 5, 9), &[3, 4, 5]);
    let pool = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[2, 1],
            &[(0, 0), (0, 1)],
            &[1, 1],
            &[1, 1],
        )
    };
    let jaxpr = make_jaxpr(vmap_with(pool, VmapSpec::new().in_axes(1).out_axes(1)))(&x).to_string();
    assert!(!jaxpr.contains("transpose"), "{jaxpr}");
    assert!(jaxpr.contains("window_dimensions=(2, 1, 2)"), "{jaxpr}");
}

// ---- Per-example gradients --------------------------------------------------------------

/// An MLP layer's per-example gradients, `vmap(grad)` against a loop of `grad`.
#[test]
fn per_example_gradients_of_an_mlp_layer() {
    let (n_in, n_out, b) = (4, 3, 5);
    let w = t64(data(n_in * n_out, 1), &[n_in, n_out]);
    let bias = t64(data(n_out, 2), &[n_out]);
    let xs = t64(data(b * n_in, 3), &[b, n_in]);
    let ys = t64(data(b * n_out, 4), &[b, n_out]);
    let loss = |(w, bias): &(Tensor, Tensor), x: &Tensor, y: &Tensor| {
        let h = (x.matmul(w) + bias).tanh();
        let d = h - y;
        (&d * &d).sum()
    };
    let per_example = |(w, bias, x, y): &(Tensor, Tensor, Tensor, Tensor)| {
        grad(|p: &(Tensor, Tensor)| loss(p, x, y))(&(w.clone(), bias.clone()))
    };
    let spec = VmapSpec::new().in_axes((AxisSpec::NotMapped, AxisSpec::NotMapped, 0, 0));
    let (gw, gb) = vmap_with(per_example, spec)(&(w.clone(), bias.clone(), xs.clone(), ys.clone()));
    let (mut gws, mut gbs) = (Vec::new(), Vec::new());
    for i in 0..b as isize {
        let (a, c) = per_example(&(
            w.clone(),
            bias.clone(),
            xs.index_axis(0, i),
            ys.index_axis(0, i),
        ));
        gws.push(a);
        gbs.push(c);
    }
    assert_close(&gw, &jnp::stack(&gws, 0), "dW");
    assert_close(&gb, &jnp::stack(&gbs, 0), "db");
}

/// A small conv net (conv, tanh, grouped conv, max-pool, dense): per-example gradients of
/// every parameter and of the input equal a loop of `grad`.
#[test]
fn per_example_gradients_of_a_conv_net() {
    let b = 3;
    let conv1 = Conv2d {
        strides: [1, 1],
        padding: [(1, 1), (1, 1)],
        lhs_dilation: [1, 1],
        rhs_dilation: [1, 1],
        feature_groups: 1,
        batch_groups: 1,
    };
    let conv2 = Conv2d {
        strides: [1, 2],
        padding: [(0, 0), (1, 0)],
        lhs_dilation: [1, 1],
        rhs_dilation: [1, 1],
        feature_groups: 2,
        batch_groups: 1,
    };
    let w1 = t64(data(3 * 3 * 2 * 4, 11), &[3, 3, 2, 4]);
    let w2 = t64(data(2 * 2 * 2 * 4, 12), &[2, 2, 2, 4]);
    let dense = t64(data(4 * 3, 13), &[4, 3]);
    // One example is a [1, H, W, C] image.
    let xs = t64(data(b * 6 * 6 * 2, 14), &[b, 1, 6, 6, 2]);
    let labels = t64(data(b * 3, 15), &[b, 3]);
    type Params = (Tensor, Tensor, Tensor);
    let loss = |(w1, w2, dense): &Params, x: &Tensor, y: &Tensor| {
        let h = conv1.apply(x, w1).tanh();
        let h = conv2.apply(&h, w2).tanh();
        let h = lax::reduce_window(
            &h,
            WindowKind::Max,
            &[1, 2, 2, 1],
            &[1, 2, 2, 1],
            &[(0, 0); 4],
            &[1; 4],
            &[1; 4],
        );
        let feats = lax::reduce_sum(&h, &[0, 1, 2]);
        let d = feats.matmul(dense) - y;
        (&d * &d).sum()
    };
    let per_example = |(p, x, y): &(Params, Tensor, Tensor)| {
        let (gp, gx) = grad(|(p, x): &(Params, Tensor)| loss(p, x, y))(&(p.clone(), x.clone()));
        (gp, gx)
    };
    let params = (w1, w2, dense);
    let spec = VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0));
    let ((g1, g2, gd), gx) =
        vmap_with(per_example, spec)(&(params.clone(), xs.clone(), labels.clone()));
    let mut loops: [Vec<Tensor>; 4] = Default::default();
    for i in 0..b as isize {
        let ((a, c, d), e) =
            per_example(&(params.clone(), xs.index_axis(0, i), labels.index_axis(0, i)));
        for (k, t) in [a, c, d, e].into_iter().enumerate() {
            loops[k].push(t);
        }
    }
    for (k, (got, name)) in [(g1, "w1"), (g2, "w2"), (gd, "dense"), (gx, "x")]
        .into_iter()
        .enumerate()
    {
        assert_close(&got, &jnp::stack(&loops[k], 0), name);
    }
}
