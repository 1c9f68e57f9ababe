//! Derivatives of `dot_general`, `conv_general_dilated`, the windowed reductions and the
//! max-pool derivative primitives (`select_and_gather_add`, `select_and_scatter_add`):
//! property tests through `check_grads` (orders 1 and 2, forward and reverse, against finite
//! differences and ⟨Jv, u⟩ = ⟨v, Jᵀu⟩), exact checks against hand-computed gradients, and
//! golden jaxprs compared with what JAX 0.10 prints.

use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, SelectPrim, WindowKind};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use proptest::prelude::*;

// ---- Helpers ----------------------------------------------------------------------------

fn t64(data: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape)
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

use crate::common;
use common::close::{assert_close_with, Tol};
use common::strategies::distinct;

#[track_caller]
fn assert_close(got: &[f64], want: &[f64]) {
    assert_close_with(got, want, Tol::allclose(1e-9, 1e-9), "");
}

/// `n` values in [-1, 1].
fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0f64, n)
}

/// Random operands of the given shapes.
fn two(ls: Vec<usize>, rs: Vec<usize>) -> impl Strategy<Value = (Tensor, Tensor)> {
    let (nl, nr) = (ls.iter().product(), rs.iter().product());
    (values(nl), values(nr)).prop_map(move |(a, b)| (t64(a, &ls), t64(b, &rs)))
}

/// `d` after inserting `k - 1` holes between elements.
fn dilate(d: usize, k: usize) -> usize {
    if d == 0 {
        0
    } else {
        (d - 1) * k + 1
    }
}

/// Output size of a window over `d` elements (dilated by `base`, padded) or `None` if it
/// would be empty.
fn window_out(
    d: usize,
    base: usize,
    (lo, hi): (i64, i64),
    window: usize,
    wdil: usize,
    stride: usize,
) -> Option<usize> {
    let padded = dilate(d, base) as i64 + lo + hi;
    let w = dilate(window, wdil) as i64;
    (padded >= w).then(|| ((padded - w) / stride as i64 + 1) as usize)
}

// ---- dot_general ------------------------------------------------------------------------

type Dn = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

fn dot(a: &Tensor, b: &Tensor, (lc, rc, lb, rb): &Dn) -> Tensor {
    lax::dot_general(a, b, ((lc, rc), (lb, rb)), None)
}

/// Shapes and dimension numbers for the cases the brief lists: matrix-matrix, batched,
/// contracting over two dims (in an order that is not sorted on the rhs), matrix-vector,
/// vector-matrix, and batch dims that are not leading.
fn dot_case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Dn)> {
    let d = || 1usize..=4;
    prop_oneof![
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
        (d(), d()).prop_map(|(m, k)| (vec![m, k], vec![k], (vec![1], vec![0], vec![], vec![]))),
        (d(), d()).prop_map(|(k, n)| (vec![k], vec![n, k], (vec![0], vec![1], vec![], vec![]))),
        (d(), d(), d(), d()).prop_map(|(m, b, k, n)| (
            vec![m, b, k],
            vec![k, n, b],
            (vec![2], vec![0], vec![1], vec![2])
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_dot_general_grads(((a, b), dn) in dot_case().prop_flat_map(|(ls, rs, dn)| (two(ls, rs), Just(dn)))) {
        check_grads(move |(a, b): &(Tensor, Tensor)| dot(a, b, &dn), &(a, b), 2);
    }

    #[test]
    fn prop_dot_general_grads_one_operand(((a, b), dn) in dot_case().prop_flat_map(|(ls, rs, dn)| (two(ls, rs), Just(dn)))) {
        // Each operand alone (the other a constant): the transposes see one linear input.
        let (b2, dn2) = (b.clone(), dn.clone());
        check_grads(move |a: &Tensor| dot(a, &b2, &dn2), &a, 2);
        check_grads(move |b: &Tensor| dot(&a, b, &dn).tanh(), &b, 2);
    }
}

#[test]
fn grad_of_sum_matmul_is_ones_times_b_transposed() {
    let a = t64((0..6).map(|v| v as f64 * 0.5 - 1.0).collect(), &[2, 3]);
    let b = t64((0..12).map(|v| (v as f64).sin()).collect(), &[3, 4]);
    let (ga, gb) = grad(|(a, b): &(Tensor, Tensor)| a.matmul(b).sum())(&(a.clone(), b.clone()));
    let ones = Tensor::ones(&[2, 4], DType::F64);
    assert_close(
        &f64s(&ga),
        &f64s(&ones.matmul(&lax::transpose(&b, &[1, 0]))),
    );
    assert_close(
        &f64s(&gb),
        &f64s(&lax::transpose(&a, &[1, 0]).matmul(&ones)),
    );
}

#[test]
fn dot_general_preferred_element_type_grads_keep_operand_dtype() {
    // f32 operands, f64 product: the cotangents come back as f32 (JAX converts them).
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let b = Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.25], &[2, 2]);
    let f = |(a, b): &(Tensor, Tensor)| {
        lax::reduce_sum(
            &lax::dot_general(a, b, ((&[1], &[0]), (&[], &[])), Some(DType::F64)),
            &[0, 1],
        )
    };
    let (ga, gb) = grad(f)(&(a.clone(), b.clone()));
    assert_eq!((ga.dtype(), gb.dtype()), (DType::F32, DType::F32));
    // d/da sum(a @ b) = ones @ b.T: row sums of b; d/db = a.T @ ones: column sums of a.
    assert_eq!(ga.to_vec::<f32>(), vec![-0.5, 2.25, -0.5, 2.25]);
    assert_eq!(gb.to_vec::<f32>(), vec![4.0, 4.0, 6.0, 6.0]);
    let jaxpr = make_jaxpr(grad(f))(&(a, b)).to_string();
    assert!(jaxpr.contains("preferred_element_type=float64"), "{jaxpr}");
    assert!(
        jaxpr.contains("convert_element_type[new_dtype=float32"),
        "{jaxpr}"
    );
}

// ---- Golden: JAX's jaxpr for grad of sum(tanh(x @ w)) ------------------------------------

/// `jax.make_jaxpr(jax.grad(lambda x, w: jnp.sum(jnp.tanh(x @ w)), argnums=1))` on
/// f32[2,3], f32[3,4], as JAX 0.10.2 prints it (with `out_sharding=None` removed, a param
/// ferrax does not have).
const JAX_GRAD_MATMUL_TANH: &str = "\
{ lambda ; a:f32[2,3] b:f32[3,4]. let
    c:f32[2,4] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] a b
    d:f32[2,4] = tanh c
    e:f32[2,4] = sub 1.0:f32[] d
    _:f32[] = reduce_sum[axes=(0, 1)] d
    f:f32[2,4] = broadcast_in_dim 1.0:f32[]
    g:f32[2,4] = mul f e
    h:f32[2,4] = mul g d
    i:f32[2,4] = add_any g h
    j:f32[4,3] = dot_general[
      dimension_numbers=(([0], [0]), ([], []))
      preferred_element_type=float32
    ] i a
    k:f32[3,4] = transpose[permutation=(1, 0)] j
  in (k,) }";

#[test]
fn golden_grad_matmul_tanh_matches_jax() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    let w = Tensor::zeros(&[3, 4], DType::F32);
    // argnums=1: the gradient with respect to w only, x closed over.
    let jaxpr = make_jaxpr(|(x, w): &(Tensor, Tensor)| {
        let x = x.clone();
        grad(move |w: &Tensor| x.matmul(w).tanh().sum())(w)
    })(&(x, w));
    assert_eq!(jaxpr.to_string().trim_end(), JAX_GRAD_MATMUL_TANH);
}

/// `jax.make_jaxpr(jax.grad(lambda x: lax.reduce_window(x, -inf, lax.max, (2, 2), (1, 1),
/// 'VALID').sum()))` on f32[3,4], as JAX 0.10.2 prints it (without `out_sharding=None`).
const JAX_GRAD_MAX_POOL: &str = "\
{ lambda ; a:f32[3,4]. let
    b:f32[2,3] = reduce_window_max[
      base_dilation=(1, 1)
      padding=((0, 0), (0, 0))
      window_dilation=(1, 1)
      window_dimensions=(2, 2)
      window_strides=(1, 1)
    ] a
    _:f32[] = reduce_sum[axes=(0, 1)] b
    c:f32[2,3] = broadcast_in_dim 1.0:f32[]
    d:f32[3,4] = select_and_scatter_add[
      padding=((0, 0), (0, 0))
      select_prim=ge
      window_dimensions=(2, 2)
      window_strides=(1, 1)
    ] c a
  in (d,) }";

/// `jax.make_jaxpr(lambda x, t: jax.jvp(lambda x: lax.reduce_window(x, -inf, lax.max,
/// (2, 2), (1, 1), ((1, 0), (0, 1))), (x,), (t,)))` on f32[3,4] twice, as JAX 0.10.2 prints it.
const JAX_JVP_MAX_POOL: &str = "\
{ lambda ; a:f32[3,4] b:f32[3,4]. let
    c:f32[3,4] = reduce_window_max[
      base_dilation=(1, 1)
      padding=((1, 0), (0, 1))
      window_dilation=(1, 1)
      window_dimensions=(2, 2)
      window_strides=(1, 1)
    ] a
    d:f32[3,4] = select_and_gather_add[
      base_dilation=(1, 1)
      padding=((1, 0), (0, 1))
      select_prim=ge
      window_dilation=(1, 1)
      window_dimensions=(2, 2)
      window_strides=(1, 1)
    ] b a
  in (c, d) }";

#[test]
fn golden_max_pool_derivatives_match_jax() {
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let pool = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[1, 1],
            &[(0, 0), (0, 0)],
            &[1, 1],
            &[1, 1],
        )
    };
    let jaxpr = make_jaxpr(grad(move |x: &Tensor| pool(x).sum()))(&x);
    assert_eq!(jaxpr.to_string().trim_end(), JAX_GRAD_MAX_POOL);
    let padded = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[1, 1],
            &[(1, 0), (0, 1)],
            &[1, 1],
            &[1, 1],
        )
    };
    let jaxpr = make_jaxpr(move |(x, t): &(Tensor, Tensor)| jvp(padded, x, t))(&(x.clone(), x));
    assert_eq!(jaxpr.to_string().trim_end(), JAX_JVP_MAX_POOL);
}

// ---- conv_general_dilated ---------------------------------------------------------------

fn nhwc() -> ConvDimensionNumbers {
    ConvDimensionNumbers {
        lhs_spec: ferrax::core::Shape::from_slice(&[0, 3, 1, 2]),
        rhs_spec: ferrax::core::Shape::from_slice(&[3, 2, 0, 1]),
        out_spec: ferrax::core::Shape::from_slice(&[0, 3, 1, 2]),
    }
}

fn nchw() -> ConvDimensionNumbers {
    ConvDimensionNumbers {
        lhs_spec: ferrax::core::Shape::from_slice(&[0, 1, 2, 3]),
        rhs_spec: ferrax::core::Shape::from_slice(&[0, 1, 2, 3]),
        out_spec: ferrax::core::Shape::from_slice(&[0, 1, 2, 3]),
    }
}

/// A random 2-D convolution: NHWC/HWIO or NCHW/OIHW, strides 1-2, padding -1..=2 (negative
/// crops), lhs and rhs dilation 1-2, and no groups, feature_group_count=2 or
/// batch_group_count=2. Returns the lhs shape, rhs shape and params; the output is nonempty.
fn conv_case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, ConvParams)> {
    (
        any::<bool>(),
        0usize..3,
        (1usize..=2, 1usize..=2, 1usize..=2),
        prop::collection::vec(
            (
                1usize..=5,
                1usize..=3,
                1usize..=2,
                1usize..=2,
                1usize..=2,
                -1i64..=2,
                -1i64..=2,
            ),
            2,
        ),
    )
        .prop_filter_map("empty output", |(channels_last, groups, (n, i, o), sp)| {
            let (fg, bg) = match groups {
                0 => (1, 1),
                1 => (2, 1),
                _ => (1, 2),
            };
            let (batch, c_in, c_out) = (n * bg, i * fg, o * fg * bg);
            let mut p = ConvParams {
                window_strides: vec![],
                padding: vec![],
                lhs_dilation: vec![],
                rhs_dilation: vec![],
                dimension_numbers: if channels_last { nhwc() } else { nchw() },
                feature_group_count: fg,
                batch_group_count: bg,
            };
            let (mut in_sp, mut k_sp) = (vec![], vec![]);
            for &(size, k, s, ld, rd, lo, hi) in &sp {
                window_out(size, ld, (lo, hi), k, rd, s)?;
                if (dilate(size, ld) as i64 + lo.min(0) + hi.min(0)) <= 0 {
                    return None;
                }
                in_sp.push(size);
                k_sp.push(k);
                p.window_strides.push(s);
                p.padding.push((lo, hi));
                p.lhs_dilation.push(ld);
                p.rhs_dilation.push(rd);
            }
            let (ls, rs) = if channels_last {
                (
                    vec![batch, in_sp[0], in_sp[1], c_in],
                    vec![k_sp[0], k_sp[1], i, c_out],
                )
            } else {
                (
                    vec![batch, c_in, in_sp[0], in_sp[1]],
                    vec![c_out, i, k_sp[0], k_sp[1]],
                )
            };
            Some((ls, rs, p))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_conv_grads(((x, w), p) in conv_case().prop_flat_map(|(ls, rs, p)| (two(ls, rs), Just(p)))) {
        check_grads(move |(x, w): &(Tensor, Tensor)| lax::conv_general_dilated(x, w, &p), &(x, w), 2);
    }

    #[test]
    fn prop_conv_grads_one_operand(((x, w), p) in conv_case().prop_flat_map(|(ls, rs, p)| (two(ls, rs), Just(p)))) {
        let (w2, p2) = (w.clone(), p.clone());
        check_grads(move |x: &Tensor| lax::conv_general_dilated(x, &w2, &p2), &x, 2);
        check_grads(move |w: &Tensor| lax::conv_general_dilated(&x, w, &p).sin(), &w, 2);
    }
}

fn simple_params(strides: &[usize], padding: &[(i64, i64)]) -> ConvParams {
    ConvParams {
        window_strides: strides.to_vec(),
        padding: padding.to_vec(),
        lhs_dilation: vec![1; strides.len()],
        rhs_dilation: vec![1; strides.len()],
        dimension_numbers: nhwc(),
        feature_group_count: 1,
        batch_group_count: 1,
    }
}

#[test]
fn conv_grads_known_values() {
    // One channel, 1x4 input, 1x2 kernel, stride 1: y[j] = w0 x[j] + w1 x[j+1].
    let x = t64(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4, 1]);
    let w = t64(vec![10.0, 100.0], &[1, 2, 1, 1]);
    let p = simple_params(&[1, 1], &[(0, 0), (0, 0)]);
    let (gx, gw) = grad(move |(x, w): &(Tensor, Tensor)| lax::conv_general_dilated(x, w, &p).sum())(
        &(x.clone(), w.clone()),
    );
    // d/dx: each x[i] meets w0 (if i < 3) and w1 (if i > 0).
    assert_close(&f64s(&gx), &[10.0, 110.0, 110.0, 100.0]);
    // d/dw0 = x0 + x1 + x2, d/dw1 = x1 + x2 + x3.
    assert_close(&f64s(&gw), &[6.0, 9.0]);
    // Stride 2 with padding (1, 1): windows over [0 x0 x1 x2 x3 0] at 0, 2, 4.
    let p = simple_params(&[1, 2], &[(0, 0), (1, 1)]);
    let (gx, gw) =
        grad(move |(x, w): &(Tensor, Tensor)| lax::conv_general_dilated(x, w, &p).sum())(&(x, w));
    assert_close(&f64s(&gx), &[100.0, 10.0, 100.0, 10.0]);
    assert_close(&f64s(&gw), &[2.0 + 4.0, 1.0 + 3.0]);
}

// ---- Windowed reductions ----------------------------------------------------------------

/// Window params for an operand of rank 1..=3: the operand shape, window dimensions,
/// strides, padding, base dilation and window dilation, with a nonempty output in which
/// every window covers at least one operand element (so max/min are finite).
#[derive(Clone, Debug)]
struct Win {
    shape: Vec<usize>,
    dims: Vec<usize>,
    strides: Vec<usize>,
    padding: Vec<(i64, i64)>,
    base: Vec<usize>,
    wdil: Vec<usize>,
}

fn win_case(dilations: bool) -> impl Strategy<Value = Win> {
    let maxd = if dilations { 2usize } else { 1 };
    prop::collection::vec(
        (
            1usize..=4,
            1usize..=3,
            1usize..=2,
            0i64..=2,
            0i64..=2,
            1..=maxd,
            1..=maxd,
        ),
        1..=3,
    )
    .prop_filter_map("empty output or windows of padding only", |dims| {
        let mut w = Win {
            shape: vec![],
            dims: vec![],
            strides: vec![],
            padding: vec![],
            base: vec![],
            wdil: vec![],
        };
        for (size, k, s, lo, hi, b, wd) in dims {
            let out = window_out(size, b, (lo, hi), k, wd, s)?;
            // Every window must meet an operand element along this dim.
            let extent = dilate(size, b) as i64;
            let covers = (0..out).all(|o| {
                (0..k).any(|t| {
                    let pos = (o * s + t * wd) as i64 - lo;
                    (0..extent).contains(&pos) && pos % b as i64 == 0
                })
            });
            if !covers {
                return None;
            }
            w.shape.push(size);
            w.dims.push(k);
            w.strides.push(s);
            w.padding.push((lo, hi));
            w.base.push(b);
            w.wdil.push(wd);
        }
        Some(w)
    })
}

fn reduce_window(x: &Tensor, kind: WindowKind, w: &Win) -> Tensor {
    lax::reduce_window(x, kind, &w.dims, &w.strides, &w.padding, &w.base, &w.wdil)
}

fn gather(t: &Tensor, x: &Tensor, sel: SelectPrim, w: &Win) -> Tensor {
    lax::select_and_gather_add(t, x, sel, &w.dims, &w.strides, &w.padding, &w.base, &w.wdil)
}

/// The windowed output shape of `w`.
fn out_shape(w: &Win) -> Vec<usize> {
    (0..w.shape.len())
        .map(|d| {
            window_out(
                w.shape[d],
                w.base[d],
                w.padding[d],
                w.dims[d],
                w.wdil[d],
                w.strides[d],
            )
            .unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_reduce_window_sum_grads((w, data) in win_case(true).prop_flat_map(|w| {
        let n = w.shape.iter().product();
        (Just(w), values(n))
    })) {
        let x = t64(data, &w.shape);
        check_grads(move |x: &Tensor| reduce_window(x, WindowKind::Sum, &w), &x, 2);
    }

    #[test]
    fn prop_reduce_window_max_min_grads((w, data) in win_case(true).prop_flat_map(|w| {
        let n = w.shape.iter().product();
        (Just(w), distinct(n))
    })) {
        let x = t64(data, &w.shape);
        let w2 = w.clone();
        check_grads(move |x: &Tensor| reduce_window(x, WindowKind::Max, &w2), &x, 2);
        check_grads(move |x: &Tensor| reduce_window(x, WindowKind::Min, &w), &x, 2);
    }

    #[test]
    fn prop_select_and_gather_add_grads((w, data, t) in win_case(true).prop_flat_map(|w| {
        let n = w.shape.iter().product();
        (Just(w), distinct(n), values(n))
    })) {
        let x = t64(data, &w.shape);
        let t = t64(t, &w.shape);
        let w2 = w.clone();
        // Linear in the tangents; piecewise constant in the operand (distinct values keep the
        // choice fixed under the finite-difference step).
        check_grads(move |(t, x): &(Tensor, Tensor)| gather(t, x, SelectPrim::Ge, &w2), &(t.clone(), x.clone()), 2);
        check_grads(move |(t, x): &(Tensor, Tensor)| gather(&t.sin(), x, SelectPrim::Le, &w), &(t, x), 2);
    }

    #[test]
    fn prop_select_and_scatter_add_grads((w, data, s) in win_case(false).prop_flat_map(|w| {
        let n = w.shape.iter().product();
        let m = out_shape(&w).iter().product();
        (Just(w), distinct(n), values(m))
    })) {
        let x = t64(data, &w.shape);
        let s = t64(s, &out_shape(&w));
        let w2 = w.clone();
        let scatter = move |s: &Tensor, x: &Tensor, sel: SelectPrim, w: &Win| {
            lax::select_and_scatter_add(s, x, sel, &w.dims, &w.strides, &w.padding)
        };
        check_grads(move |(s, x): &(Tensor, Tensor)| scatter(s, x, SelectPrim::Ge, &w2), &(s.clone(), x.clone()), 2);
        check_grads(move |(s, x): &(Tensor, Tensor)| scatter(&s.tanh(), x, SelectPrim::Le, &w), &(s, x), 2);
    }

    #[test]
    fn prop_select_gather_scatter_are_transposes((w, data, t, u) in win_case(true).prop_flat_map(|w| {
        let n = w.shape.iter().product();
        let m = out_shape(&w).iter().product();
        (Just(w), distinct(n), values(n), values(m))
    })) {
        // ⟨gather(t), u⟩ = ⟨t, scatter(u)⟩ for the dilated primitives too (bound directly
        // through the transpose of gather).
        let x = t64(data, &w.shape);
        let t = t64(t, &w.shape);
        let u = t64(u, &out_shape(&w));
        let w2 = w.clone();
        let x2 = x.clone();
        let (g, pullback) = vjp(move |t: &Tensor| gather(t, &x2, SelectPrim::Ge, &w2), &t);
        let st = pullback(&u);
        let lhs: f64 = f64s(&g).iter().zip(f64s(&u)).map(|(a, b)| a * b).sum();
        let rhs: f64 = f64s(&t).iter().zip(f64s(&st)).map(|(a, b)| a * b).sum();
        prop_assert!((lhs - rhs).abs() < 1e-9 * (1.0 + lhs.abs()), "{lhs} vs {rhs}");
    }
}

#[test]
fn max_pool_gradient_routes_to_argmax() {
    // 4x4, 2x2 windows, stride 2: each window's cotangent lands on its maximum.
    #[rustfmt::skip]
    let x = t64(vec![
        1.0, 9.0, 2.0, 3.0,
        4.0, 5.0, 8.0, 7.0,
        6.0, 0.0, 1.0, 1.5,
        2.0, 3.0, 2.5, 0.5,
    ], &[4, 4]);
    let ct = t64(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]);
    let pool = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[2, 2],
            &[(0, 0), (0, 0)],
            &[1, 1],
            &[1, 1],
        )
    };
    let (y, pullback) = vjp(pool, &x);
    assert_close(&f64s(&y), &[9.0, 8.0, 6.0, 2.5]);
    #[rustfmt::skip]
    let want = vec![
        0.0, 10.0, 0.0, 0.0,
        0.0, 0.0, 20.0, 0.0,
        30.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 40.0, 0.0,
    ];
    assert_close(&f64s(&pullback(&ct)), &want);
    // Overlapping windows (stride 1) accumulate at shared maxima.
    let pool1 = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[1, 1],
            &[(0, 0), (0, 0)],
            &[1, 1],
            &[1, 1],
        )
    };
    let g = grad(move |x: &Tensor| pool1(x).sum())(&x);
    // Window maxima: 9 9 8 / 6 8 8 / 6 3 2.5.
    #[rustfmt::skip]
    let want = vec![
        0.0, 2.0, 0.0, 0.0,
        0.0, 0.0, 3.0, 0.0,
        2.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 1.0, 0.0,
    ];
    assert_close(&f64s(&g), &want);
    // Min-pool routes to the minima.
    let minpool = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Min,
            &[2, 2],
            &[2, 2],
            &[(0, 0), (0, 0)],
            &[1, 1],
            &[1, 1],
        )
    };
    let g = grad(move |x: &Tensor| minpool(x).sum())(&x);
    #[rustfmt::skip]
    let want = vec![
        1.0, 0.0, 1.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 1.0,
    ];
    assert_close(&f64s(&g), &want);
}

#[test]
fn max_pool_ties_pick_the_first_maximum() {
    let x = t64(vec![3.0, 3.0, 1.0, 3.0], &[4]);
    let pool =
        |x: &Tensor| lax::reduce_window(x, WindowKind::Max, &[2], &[1], &[(0, 0)], &[1], &[1]);
    let g = grad(move |x: &Tensor| pool(x).sum())(&x);
    // Windows [3 3] [3 1] [1 3]: firsts at 0, 1, 3.
    assert_close(&f64s(&g), &[1.0, 1.0, 0.0, 1.0]);
    let (_, t) = jvp(pool, &x, &t64(vec![1.0, 2.0, 3.0, 4.0], &[4]));
    assert_close(&f64s(&t), &[1.0, 2.0, 4.0]);
}

#[test]
fn max_pool_padding_is_never_chosen() {
    // Negative values with padding: the padding (-inf) never wins, and the gradient stays
    // on operand elements.
    let x = t64(vec![-5.0, -1.0, -3.0], &[3]);
    let pool =
        |x: &Tensor| lax::reduce_window(x, WindowKind::Max, &[2], &[1], &[(1, 1)], &[1], &[1]);
    assert_close(&f64s(&pool(&x)), &[-5.0, -1.0, -1.0, -3.0]);
    let g = grad(move |x: &Tensor| pool(x).sum())(&x);
    assert_close(&f64s(&g), &[1.0, 2.0, 1.0]);
}

#[test]
fn select_and_gather_add_windows_of_padding_give_zero() {
    let x = t64(vec![1.0, 2.0], &[2]);
    let t = t64(vec![5.0, 7.0], &[2]);
    // Window 1 with padding 1 on both sides: the outer windows cover only padding.
    let y = lax::select_and_gather_add(&t, &x, SelectPrim::Ge, &[1], &[1], &[(1, 1)], &[1], &[1]);
    assert_close(&f64s(&y), &[0.0, 5.0, 7.0, 0.0]);
    let s = lax::select_and_scatter_add(
        &t64(vec![1.0, 2.0, 3.0, 4.0], &[4]),
        &x,
        SelectPrim::Ge,
        &[1],
        &[1],
        &[(1, 1)],
    );
    assert_close(&f64s(&s), &[2.0, 3.0]);
}

#[test]
fn reduce_window_sum_grad_known_values() {
    // 1-D, window 2, stride 2, padding (1, 0): windows [pad x0] [x1 x2] [x3 x4].
    let x = t64(vec![1.0, 2.0, 3.0, 4.0, 5.0], &[5]);
    let f = |x: &Tensor| lax::reduce_window(x, WindowKind::Sum, &[2], &[2], &[(1, 0)], &[1], &[1]);
    assert_close(&f64s(&f(&x)), &[1.0, 5.0, 9.0]);
    let (_, pullback) = vjp(f, &x);
    assert_close(
        &f64s(&pullback(&t64(vec![10.0, 20.0, 30.0], &[3]))),
        &[10.0, 20.0, 20.0, 30.0, 30.0],
    );
}

#[test]
fn reduce_window_sum_grad_jaxpr_matches_jax_equations() {
    // JAX 0.10.2 prints, for grad(sum(reduce_window_sum(x, (2, 2), (2, 1), ((1, 0), (0, 1)))))
    // on f32[3,4]: pad[padding_config=((np.int64(0), np.int64(1), 1), (np.int64(1),
    // np.int64(0), 0))] c 0.0:f32[], then reduce_window_sum with window_strides=(1, 1) and no
    // padding. ferrax prints plain integers in padding_config.
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let f = |x: &Tensor| {
        lax::reduce_window(
            x,
            WindowKind::Sum,
            &[2, 2],
            &[2, 1],
            &[(1, 0), (0, 1)],
            &[1, 1],
            &[1, 1],
        )
        .sum()
    };
    let text = make_jaxpr(grad(f))(&x).to_string();
    assert!(text.contains("d:f32[4,5] = pad["), "{text}");
    assert!(text.contains("((0, 1, 1), (1, 0, 0))"), "{text}");
    assert!(text.contains("] c 0.0:f32[]"), "{text}");
    assert!(text.contains("e:f32[3,4] = reduce_window_sum["), "{text}");
    assert_eq!(text.matches("window_strides=(1, 1)").count(), 1, "{text}");
}

#[test]
fn max_pool_second_order_and_jvp_of_grad() {
    // The gradient of a max-pool is linear in the cotangent and piecewise constant in x, so
    // the hessian of sum(pool(x)^2) is diagonal-ish: check it against finite differences.
    let x = t64(vec![0.3, -1.2, 2.0, 0.7, 1.1, -0.4], &[2, 3]);
    let f = |x: &Tensor| {
        let p = lax::reduce_window(
            x,
            WindowKind::Max,
            &[2, 2],
            &[1, 1],
            &[(0, 0), (0, 1)],
            &[1, 1],
            &[1, 1],
        );
        (p.clone() * p).sum()
    };
    check_grads(f, &x, 3);
}
