//! ferrax::random against JAX 0.10.2: the issue's known answers, golden values written by
//! tests/golden/make_random.py (never run from here), statistical tests of every sampler,
//! and the samplers under make_jaxpr/eval_jaxpr, vmap and grad.

use ferrax::internals::interp::eval_jaxpr;
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::random;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::random_stats::{check_moments, N_BASIC};

// ---- golden file -------------------------------------------------------------------------

pub(super) struct Case {
    pub(super) dtype: String,
    pub(super) shape: Vec<usize>,
    pub(super) vals: Vec<String>,
}

fn golden() -> &'static HashMap<String, Case> {
    static G: OnceLock<HashMap<String, Case>> = OnceLock::new();
    G.get_or_init(|| {
        let text = include_str!("../golden/random.txt");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut it = l.split_whitespace();
                let name = it.next().unwrap().to_string();
                let dtype = it.next().unwrap().to_string();
                let shape = match it.next().unwrap() {
                    "-" => vec![],
                    s => s.split('x').map(|d| d.parse().unwrap()).collect(),
                };
                let vals = it.map(|s| s.to_string()).collect();
                (name, Case { dtype, shape, vals })
            })
            .collect()
    })
}

pub(super) fn case(name: &str) -> &'static Case {
    golden()
        .get(name)
        .unwrap_or_else(|| panic!("golden case {name} missing"))
}

fn g_u32(name: &str) -> (Vec<usize>, Vec<u32>) {
    let c = case(name);
    assert_eq!(c.dtype, "u32");
    (
        c.shape.clone(),
        c.vals.iter().map(|v| v.parse().unwrap()).collect(),
    )
}

pub(super) fn g_i32(name: &str) -> (Vec<usize>, Vec<i32>) {
    let c = case(name);
    assert_eq!(c.dtype, "i32");
    (
        c.shape.clone(),
        c.vals.iter().map(|v| v.parse().unwrap()).collect(),
    )
}

fn g_bool(name: &str) -> (Vec<usize>, Vec<bool>) {
    let c = case(name);
    assert_eq!(c.dtype, "bool");
    (c.shape.clone(), c.vals.iter().map(|v| v == "1").collect())
}

pub(super) fn g_f32(name: &str) -> (Vec<usize>, Vec<f32>) {
    let c = case(name);
    assert_eq!(c.dtype, "f32");
    let v = c
        .vals
        .iter()
        .map(|v| f32::from_bits(u32::from_str_radix(v, 16).unwrap()))
        .collect();
    (c.shape.clone(), v)
}

pub(super) fn g_f64(name: &str) -> (Vec<usize>, Vec<f64>) {
    let c = case(name);
    assert_eq!(c.dtype, "f64");
    let v = c
        .vals
        .iter()
        .map(|v| f64::from_bits(u64::from_str_radix(v, 16).unwrap()))
        .collect();
    (c.shape.clone(), v)
}

fn g_tensor_f32(name: &str) -> Tensor {
    let (s, v) = g_f32(name);
    Tensor::from_vec(v, &s)
}

fn assert_u32(t: &Tensor, name: &str) {
    let (s, v) = g_u32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    assert_eq!(t.to_vec::<u32>(), v, "{name}");
}

fn assert_i32(t: &Tensor, name: &str) {
    let (s, v) = g_i32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    assert_eq!(t.to_vec::<i32>(), v, "{name}");
}

pub(super) fn ulps32(a: f32, b: f32) -> u32 {
    if a == b {
        return 0;
    }
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            i32::MIN.wrapping_sub(i) as i64
        } else {
            i as i64
        }
    };
    (key(a) - key(b)).unsigned_abs() as u32
}

/// Max ulp distance to the golden f32 values.
fn max_ulps_f32(t: &Tensor, name: &str) -> u32 {
    let (s, v) = g_f32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    t.to_vec::<f32>()
        .iter()
        .zip(&v)
        .map(|(&a, &b)| ulps32(a, b))
        .max()
        .unwrap_or(0)
}

fn assert_close_f32(t: &Tensor, name: &str, atol: f32, rtol: f32) {
    let (s, v) = g_f32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    for (i, (a, b)) in t.to_vec::<f32>().iter().zip(&v).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{name}[{i}]: got {a}, JAX {b}"
        );
    }
}

// ---- the issue's known answers -----------------------------------------------------------

#[test]
fn threefry_known_answers() {
    let cases = [
        ([0u32, 0], [0u32, 0], [0x6b200159u32, 0x99ba4efe]),
        (
            [0xffffffff, 0xffffffff],
            [0xffffffff, 0xffffffff],
            [0x1cb996fc, 0xbb002be7],
        ),
        (
            [0x13198a2e, 0x03707344],
            [0x243f6a88, 0x85a308d3],
            [0xc4923a9c, 0x483df7a0],
        ),
    ];
    for (k, x, want) in cases {
        assert_eq!(
            ferrax::internals::prims::bits::threefry2x32_scalar(k, x),
            want
        );
        let t = |v: u32| Tensor::scalar(v);
        let (y0, y1) = lax::threefry2x32(&t(k[0]), &t(k[1]), &t(x[0]), &t(x[1]));
        assert_eq!([y0.item::<u32>(), y1.item::<u32>()], want);
    }
    // Broadcasting: vector counters with scalar keys, and all four as vectors.
    let x1 = Tensor::from_vec(vec![0u32, 0x85a308d3], &[2]);
    let x0 = Tensor::from_vec(vec![0u32, 0x243f6a88], &[2]);
    let k0 = Tensor::from_vec(vec![0u32, 0x13198a2e], &[2]);
    let k1 = Tensor::from_vec(vec![0u32, 0x03707344], &[2]);
    let (y0, y1) = lax::threefry2x32(&k0, &k1, &x0, &x1);
    assert_eq!(y0.to_vec::<u32>(), vec![0x6b200159, 0xc4923a9c]);
    assert_eq!(y1.to_vec::<u32>(), vec![0x99ba4efe, 0x483df7a0]);
}

#[test]
fn issue_known_answers() {
    let k0 = random::key(0);
    assert_eq!(
        random::split(&k0, 4).to_vec::<u32>(),
        vec![
            1797259609, 2579123966, 928981903, 3453687069, 4146024105, 2718843009, 2467461003,
            3840466878
        ]
    );
    assert_eq!(
        random::fold_in(&k0, 4).to_vec::<u32>(),
        vec![2285895361, 433833334]
    );
    assert_eq!(
        random::bits(&random::key(1701), &[3]).to_vec::<u32>(),
        vec![1111271205, 2679469115, 974515252]
    );
    let u = random::uniform(&random::key(42), &[5]).to_vec::<f32>();
    #[allow(clippy::excessive_precision)] // the issue's decimal text
    let want_u = [0.48870957f32, 0.67979717, 0.6162715, 0.56101608, 0.45064461];
    for (a, b) in u.iter().zip(want_u) {
        assert!(ulps32(*a, b) <= 1, "uniform {a} vs {b}"); // decimal text in the issue
    }
    assert_eq!(
        max_ulps_f32(&random::uniform(&random::key(42), &[5]), "uniform_42_5"),
        0
    );
    let n = random::normal(&random::key(42), &[3]).to_vec::<f32>();
    for (a, b) in n.iter().zip([-0.028304616f32, 0.46713185, 0.29570296]) {
        assert!(ulps32(*a, b) <= 4, "normal {a} vs {b}");
    }
    assert_eq!(
        random::randint(&random::key(5), &[8], 0, 10).to_vec::<i32>(),
        vec![1, 8, 3, 6, 4, 1, 9, 3]
    );
    assert_eq!(
        random::bernoulli(&random::key(5), 0.3, &[8]).to_vec::<bool>(),
        vec![false, false, false, true, false, false, true, true]
    );
}

#[test]
fn keys_and_seeds() {
    assert_eq!(random::key(0).to_vec::<u32>(), vec![0, 0]);
    assert_eq!(random::key(-1).to_vec::<u32>(), vec![0, u32::MAX]);
    assert_eq!(random::key((1i64 << 32) + 3).to_vec::<u32>(), vec![0, 3]);
    assert_eq!(
        random::key_x64((1i64 << 32) + 3).to_vec::<u32>(),
        vec![1, 3]
    );
    assert_eq!(random::prng_key(5).dtype(), DType::U32);
}

// ---- golden values (JAX 0.10.2) ----------------------------------------------------------

#[test]
fn golden_keys_and_bits() {
    assert_u32(&random::split(&random::key(0), 4), "split_0_4");
    assert_u32(
        &random::split_shape(&random::key(3), &[2, 3]),
        "split_3_2x3",
    );
    assert_u32(&random::fold_in(&random::key(0), 4), "fold_in_0_4");
    assert_u32(
        &random::fold_in(&random::key(42), 123456789),
        "fold_in_42_123456789",
    );
    assert_u32(&random::bits(&random::key(1701), &[3]), "bits_1701_3");
    assert_u32(&random::bits(&random::key(7), &[4, 5]), "bits_7_4x5");
    assert_u32(&random::bits(&random::key(7), &[]), "bits_7_scalar");
}

#[test]
fn golden_uniform_exact() {
    assert_eq!(
        max_ulps_f32(&random::uniform(&random::key(0), &[1000]), "uniform_0_1000"),
        0
    );
    let u = random::uniform_with(&random::key(1), &[100], DType::F32, -3.0, 5.0);
    assert_eq!(max_ulps_f32(&u, "uniform_1_m3_5"), 0);
    let (_, want) = g_f64("uniform_f64_0_100");
    let got = random::uniform_with(&random::key(0), &[100], DType::F64, 0.0, 1.0);
    assert_eq!(got.to_vec::<f64>(), want);
    let (_, want) = g_f64("uniform_f64_1_m3_5");
    let got = random::uniform_with(&random::key(1), &[100], DType::F64, -3.0, 5.0);
    assert_eq!(got.to_vec::<f64>(), want);
}

#[test]
fn golden_normal_ulps() {
    let n = random::normal(&random::key(0), &[20000]);
    let (_, want) = g_f32("normal_0_20000");
    let got = n.to_vec::<f32>();
    let ulps: Vec<u32> = got.iter().zip(&want).map(|(&a, &b)| ulps32(a, b)).collect();
    let max = *ulps.iter().max().unwrap();
    let exact = ulps.iter().filter(|&&u| u == 0).count();
    eprintln!("normal vs JAX over 20000 draws: {exact} bit-identical, max {max} ulp");
    // Bit for bit where the CPU has FMA (XLA's erf_inv and log1p contract into FMA; the
    // golden values were made on such a CPU), within 4 ulp otherwise.
    let fma = ferrax::internals::kernels::simd::SimdLevel::detect()
        != ferrax::internals::kernels::simd::SimdLevel::Portable;
    assert!(
        max <= if fma { 0 } else { 4 },
        "normal: max ulp distance to JAX {max}"
    );
    assert_eq!(
        max_ulps_f32(&random::normal(&random::key(42), &[3]), "normal_42_3").min(4),
        max_ulps_f32(&random::normal(&random::key(42), &[3]), "normal_42_3")
    );
    // f64: ferrax's erf_inv vs XLA's f64 polynomial agree to a few ulp.
    let (_, want) = g_f64("normal_f64_0_200");
    let got = random::normal_with(&random::key(0), &[200], DType::F64).to_vec::<f64>();
    for (a, b) in got.iter().zip(&want) {
        assert!(
            (a - b).abs() <= 1e-14 * b.abs().max(1.0),
            "normal f64 {a} vs {b}"
        );
    }
}

#[test]
fn golden_integers_and_bools() {
    assert_i32(
        &random::randint(&random::key(5), &[8], 0, 10),
        "randint_5_0_10",
    );
    assert_i32(
        &random::randint(&random::key(1), &[100], -5, 5),
        "randint_1_m5_5",
    );
    assert_i32(
        &random::randint(&random::key(2), &[50], i32::MIN as i64, i32::MAX as i64),
        "randint_2_full",
    );
    assert_i32(
        &random::randint(&random::key(3), &[10], 5, 5),
        "randint_3_empty",
    );
    assert_i32(
        &random::randint(&random::key(3), &[10], 7, -3),
        "randint_3_reversed",
    );
    assert_i32(
        &random::randint(&random::key(4), &[60], -1000, -990),
        "randint_4_neg",
    );
    assert_i32(
        &random::randint(&random::key(6), &[60], 0, 1000003),
        "randint_6_big",
    );
    let (_, b) = g_bool("bernoulli_0_05");
    assert_eq!(
        random::bernoulli(&random::key(0), 0.5, &[100]).to_vec::<bool>(),
        b
    );
    let (_, b) = g_bool("bernoulli_5_03");
    assert_eq!(
        random::bernoulli(&random::key(5), 0.3, &[8]).to_vec::<bool>(),
        b
    );
    assert_i32(
        &random::rademacher(&random::key(0), &[20], DType::I32),
        "rademacher_0",
    );
}

#[test]
fn golden_continuous_samplers() {
    let k = random::key(0);
    // gumbel, exponential, laplace and logistic are bit-exact (tests/nn/random_exact.rs
    // asserts it over 2000 draws); truncated_normal's erf is not XLA's.
    for (t, name) in [
        (random::gumbel(&k, &[100], DType::F32), "gumbel_0"),
        (random::exponential(&k, &[100], DType::F32), "exponential_0"),
        (random::laplace(&k, &[100], DType::F32), "laplace_0"),
        (random::logistic(&k, &[100], DType::F32), "logistic_0"),
        (
            random::truncated_normal(&k, -1.0, 2.0, &[100], DType::F32),
            "truncated_normal_0",
        ),
    ] {
        let u = max_ulps_f32(&t, name);
        eprintln!("{name}: max {u} ulp from JAX");
        assert_close_f32(&t, name, 2e-6, 2e-6);
    }
}

#[test]
fn golden_discrete_samplers() {
    let logits = g_tensor_f32("categorical_logits");
    assert_i32(
        &random::categorical(&random::key(0), &logits, -1, None),
        "categorical_0",
    );
    assert_i32(
        &random::categorical(&random::key(0), &logits, -1, Some(&[4, 3])),
        "categorical_0_4x3",
    );
    assert_i32(
        &random::categorical(&random::key(1), &logits, 0, None),
        "categorical_1_axis0",
    );
    assert_i32(
        &random::permutation(&random::key(0), 10),
        "permutation_0_10",
    );
    assert_i32(
        &random::permutation(&random::key(1), 2000),
        "permutation_1_2000",
    );
    let x = Tensor::arange(0, 12, 1, DType::I32).reshape(&[4, 3]);
    assert_i32(
        &random::permutation_of(&random::key(2), &x, 0, false),
        "permutation_2_rows",
    );
    assert_i32(
        &random::permutation_of(&random::key(2), &x, 1, true),
        "permutation_2_indep1",
    );
    assert_i32(
        &random::choice(&random::key(0), 10, &[4], false, None),
        "choice_0_noreplace",
    );
    assert_i32(
        &random::choice(&random::key(0), 10, &[5], true, None),
        "choice_0_replace",
    );
    let p = g_tensor_f32("choice_p");
    assert_i32(
        &random::choice(&random::key(1), 4, &[10], true, Some(&p)),
        "choice_1_p_replace",
    );
    assert_i32(
        &random::choice(&random::key(1), 4, &[3], false, Some(&p)),
        "choice_1_p_noreplace",
    );
}

#[test]
fn golden_orthogonal() {
    let q = random::orthogonal(&random::key(0), 4, &[], DType::F32);
    assert_close_f32(&q, "orthogonal_0_4", 2e-5, 0.0);
    let q = random::orthogonal(&random::key(1), 3, &[2], DType::F32);
    assert_close_f32(&q, "orthogonal_1_2x3", 2e-5, 0.0);
    let q = random::orthogonal_nm(&random::key(2), 3, 5, &[], DType::F32);
    assert_close_f32(&q, "orthogonal_2_3x5", 2e-5, 0.0);
    // Orthonormal rows.
    let qqt = q.matmul(&q.t()).to_vec::<f32>();
    for i in 0..3 {
        for j in 0..3 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((qqt[i * 3 + j] - want).abs() < 1e-5);
        }
    }
    // A bigger one stays orthogonal.
    let q = random::orthogonal(&random::key(3), 64, &[], DType::F32);
    let qtq = q.t().matmul(&q).to_vec::<f32>();
    for i in 0..64 {
        for j in 0..64 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((qtq[i * 64 + j] - want).abs() < 1e-4, "QᵀQ[{i},{j}]");
        }
    }
}

// ---- transformations ---------------------------------------------------------------------

#[test]
fn vmap_over_keys_matches_loop_and_jax() {
    let keys = random::split(&random::key(9), 3);
    assert_u32(&keys, "split_vmap_keys");
    let split2 = vmap(|k: &Tensor| random::split(k, 2))(&keys);
    assert_u32(&split2, "split_vmap");
    let us = vmap(|k: &Tensor| random::uniform(k, &[4]))(&keys);
    assert_eq!(max_ulps_f32(&us, "uniform_vmap"), 0);
    // Against a loop, for several samplers.
    let keys = random::split(&random::key(11), 5);
    let f = |k: &Tensor| {
        (
            random::normal(k, &[3, 2]),
            random::randint(k, &[4], -3, 9),
            random::fold_in(k, 17),
            random::permutation(k, 6),
        )
    };
    let (n, r, fk, p) = vmap(f)(&keys);
    for i in 0..5 {
        let k = random::key_at(&keys, i);
        let (n1, r1, fk1, p1) = f(&k);
        assert_eq!(
            n.index_axis(0, i as isize).to_vec::<f32>(),
            n1.to_vec::<f32>()
        );
        assert_eq!(
            r.index_axis(0, i as isize).to_vec::<i32>(),
            r1.to_vec::<i32>()
        );
        assert_eq!(
            fk.index_axis(0, i as isize).to_vec::<u32>(),
            fk1.to_vec::<u32>()
        );
        assert_eq!(
            p.index_axis(0, i as isize).to_vec::<i32>(),
            p1.to_vec::<i32>()
        );
    }
    // Batch dim not first: keys as u32[2, B] with in_axes 1.
    let kt = keys.transpose(&[1, 0]);
    let us = vmap_with(
        |k: &Tensor| random::uniform(k, &[3]),
        VmapSpec::new().in_axes(1),
    )(&kt);
    for i in 0..5 {
        let u1 = random::uniform(&random::key_at(&keys, i), &[3]);
        assert_eq!(
            us.index_axis(0, i as isize).to_vec::<f32>(),
            u1.to_vec::<f32>()
        );
    }
}

#[test]
fn make_jaxpr_then_eval_matches_eager() {
    let key = random::key(123);
    type Outs = (
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
    );
    let f = |k: &Tensor| -> Outs {
        (
            random::split(k, 3),
            random::uniform(k, &[7]),
            random::normal(k, &[2, 3]),
            random::randint(k, &[5], -4, 100),
            random::bernoulli(k, 0.25, &[6]),
            random::truncated_normal(k, -0.5, 1.5, &[4], DType::F32),
            random::categorical(
                k,
                &Tensor::from_vec(vec![0.1f32, 0.5, 0.2], &[3]),
                -1,
                Some(&[5]),
            ),
            random::uniform_with(k, &[3], DType::F64, -1.0, 2.0),
        )
    };
    let j = make_jaxpr(f)(&key);
    let text = j.to_string();
    assert!(text.contains("threefry2x32"), "{text}");
    assert!(
        text.contains("bitcast_convert_type[new_dtype=float32]"),
        "{text}"
    );
    assert!(text.contains("shift_right_logical"), "{text}");
    let staged = eval_jaxpr(&j.jaxpr, &j.consts, std::slice::from_ref(&key));
    let eager = f(&key);
    assert_eq!(staged[0].to_vec::<u32>(), eager.0.to_vec::<u32>());
    assert_eq!(staged[1].to_vec::<f32>(), eager.1.to_vec::<f32>());
    assert_eq!(staged[2].to_vec::<f32>(), eager.2.to_vec::<f32>());
    assert_eq!(staged[3].to_vec::<i32>(), eager.3.to_vec::<i32>());
    assert_eq!(staged[4].to_vec::<bool>(), eager.4.to_vec::<bool>());
    assert_eq!(staged[5].to_vec::<f32>(), eager.5.to_vec::<f32>());
    assert_eq!(staged[6].to_vec::<i32>(), eager.6.to_vec::<i32>());
    assert_eq!(staged[7].to_vec::<f64>(), eager.7.to_vec::<f64>());
    // Another key through the same jaxpr.
    let k2 = random::key(7);
    let staged = eval_jaxpr(&j.jaxpr, &j.consts, std::slice::from_ref(&k2));
    assert_eq!(
        staged[2].to_vec::<f32>(),
        random::normal(&k2, &[2, 3]).to_vec::<f32>()
    );
}

#[test]
fn grad_through_samplers() {
    let key = random::key(0);
    let u = random::uniform(&key, &[10]);
    // d/dscale sum(u * scale) = sum(u)
    let g = grad(|s: &Tensor| (random::uniform(&key, &[10]) * s).sum())(&Tensor::scalar(2.0f32));
    assert!((g.item::<f32>() - u.sum().item::<f32>()).abs() < 1e-5);
    // Reparameterised normal: d/dmu mean(mu + sigma n) = 1, d/dsigma = mean(n).
    let n = random::normal(&key, &[100]);
    let (gm, gs) =
        grad(|(mu, sigma): &(Tensor, Tensor)| (random::normal(&key, &[100]) * sigma + mu).mean())(
            &(Tensor::scalar(0.5f32), Tensor::scalar(3.0f32)),
        );
    assert!((gm.item::<f32>() - 1.0).abs() < 1e-6);
    assert!((gs.item::<f32>() - n.mean().item::<f32>()).abs() < 1e-5);
    // A key that is a function's argument gets a zero (symbolic) tangent: jvp through a
    // function of a float and a key drawn from inside.
    let (y, ty) = jvp(
        |x: &Tensor| x * random::normal(&random::fold_in(&key, 3), &[4]),
        &Tensor::ones(&[4], DType::F32),
        &Tensor::ones(&[4], DType::F32),
    );
    assert_eq!(y.to_vec::<f32>(), ty.to_vec::<f32>());
    // The bits primitives have zero JVPs.
    let (_, t) = jvp(
        |x: &Tensor| {
            lax::bitcast_convert_type(&lax::bitcast_convert_type(x, DType::U32), DType::F32)
        },
        &Tensor::ones(&[2], DType::F32),
        &Tensor::ones(&[2], DType::F32),
    );
    assert_eq!(t.to_vec::<f32>(), vec![0.0, 0.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn split_row_is_fold_in(seed in any::<i64>(), n in 1usize..40, salt in any::<u32>()) {
        let k = random::fold_in(&random::key(seed), salt);
        let keys = random::split(&k, n);
        let rows = keys.to_vec::<u32>();
        for i in 0..n {
            let f = random::fold_in(&k, i as u32).to_vec::<u32>();
            prop_assert_eq!(&rows[2 * i..2 * i + 2], f.as_slice());
        }
    }

    #[test]
    fn randint_in_range(seed in any::<i64>(), lo in -1000i64..1000, span in -5i64..3000) {
        let hi = lo + span;
        let v = random::randint(&random::key(seed), &[64], lo, hi).to_vec::<i32>();
        for x in v {
            if hi <= lo {
                prop_assert_eq!(x as i64, lo);
            } else {
                prop_assert!((lo..hi).contains(&(x as i64)));
            }
        }
    }
}

#[test]
fn randint_edges() {
    let k = random::key(1);
    // hi <= lo gives lo.
    assert!(random::randint(&k, &[10], 3, 3)
        .to_vec::<i32>()
        .iter()
        .all(|&x| x == 3));
    assert!(random::randint(&k, &[10], 3, -7)
        .to_vec::<i32>()
        .iter()
        .all(|&x| x == 3));
    // Negative ranges.
    let v = random::randint(&k, &[1000], -20, -10).to_vec::<i32>();
    assert!(v.iter().all(|x| (-20..-10).contains(x)));
    for want in -20..-10 {
        assert!(v.contains(&want), "randint(-20, -10) never drew {want}");
    }
    // Full range and a maxval of 2^31 (clipped, span widened by one as in JAX).
    let v = random::randint(&k, &[1000], i32::MIN as i64, 1i64 << 31).to_vec::<i32>();
    assert!(v.iter().any(|&x| x < 0) && v.iter().any(|&x| x > 0));
    // Bounds beyond i32 are clipped.
    let v = random::randint(&k, &[100], -(1i64 << 40), -(1i64 << 40) + 5).to_vec::<i32>();
    assert!(v.iter().all(|&x| x == i32::MIN));
    // Span 1 and 2.
    assert!(random::randint(&k, &[10], 4, 5)
        .to_vec::<i32>()
        .iter()
        .all(|&x| x == 4));
    let v = random::randint(&k, &[100], 0, 2).to_vec::<i32>();
    assert!(v.contains(&0) && v.contains(&1));
    // Scalar shape.
    assert_eq!(random::randint(&k, &[], 0, 10).shape(), &[] as &[usize]);
}

#[test]
fn key_rng_bridge() {
    use rand_core::Rng;
    use rand_distr::{Distribution, Gamma, Poisson};
    let key = random::key(0);
    let mut rng = random::KeyRng::new(&key);
    // The stream is the threefry words of counters 0, 1, ...: the rows of split(key, n).
    let words: Vec<u32> = (0..8).map(|_| rng.next_u32()).collect();
    assert_eq!(words, random::split(&key, 4).to_vec::<u32>());
    // Deterministic, and independent of how it is read.
    let mut a = random::KeyRng::new(&key);
    let mut b = random::KeyRng::new(&key);
    let x = a.next_u64();
    let (lo, hi) = (b.next_u32() as u64, b.next_u32() as u64);
    assert_eq!(x, lo | hi << 32);
    let mut bytes = [0u8; 7];
    a.fill_bytes(&mut bytes);
    assert_eq!(bytes[..4], b.next_u32().to_le_bytes());
    // Long streams cross block boundaries.
    let mut r = random::KeyRng::new(&key);
    let long: Vec<u32> = (0..1000).map(|_| r.next_u32()).collect();
    assert_eq!(long, random::split(&key, 500).to_vec::<u32>());
    // Gamma(3, 2): mean 6, variance 12.
    let mut rng = random::KeyRng::new(&random::key(42));
    let g = Gamma::new(3.0f64, 2.0).unwrap();
    let xs: Vec<f64> = (0..N_BASIC).map(|_| g.sample(&mut rng)).collect();
    check_moments(&xs, 6.0, 12.0, "Gamma via KeyRng");
    let p = Poisson::new(4.0f64).unwrap();
    let xs: Vec<f64> = (0..N_BASIC).map(|_| p.sample(&mut rng)).collect();
    check_moments(&xs, 4.0, 4.0, "Poisson via KeyRng");
    // Reproducible.
    let mut r1 = random::KeyRng::new(&random::key(42));
    let mut r2 = random::KeyRng::new(&random::key(42));
    assert_eq!(g.sample(&mut r1), g.sample(&mut r2));
}

// ---- bit primitives ----------------------------------------------------------------------

#[test]
fn shifts_and_bitcasts() {
    let x = Tensor::from_vec(vec![1u32, 0x8000_0000, 0xffff_ffff], &[3]);
    let s = |v: u32| Tensor::scalar(v);
    assert_eq!(
        lax::shift_left(&x, &s(31)).to_vec::<u32>(),
        vec![0x8000_0000, 0, 0x8000_0000]
    );
    assert_eq!(lax::shift_left(&x, &s(32)).to_vec::<u32>(), vec![0, 0, 0]);
    assert_eq!(
        lax::shift_right_logical(&x, &s(31)).to_vec::<u32>(),
        vec![0, 1, 1]
    );
    assert_eq!(
        lax::shift_right_logical(&x, &s(40)).to_vec::<u32>(),
        vec![0, 0, 0]
    );
    assert_eq!(
        lax::shift_right_arithmetic(&x, &s(31)).to_vec::<u32>(),
        vec![0, 0xffff_ffff, 0xffff_ffff]
    );
    assert_eq!(
        lax::shift_right_arithmetic(&x, &s(99)).to_vec::<u32>(),
        vec![0, 0xffff_ffff, 0xffff_ffff]
    );
    let y = Tensor::from_vec(vec![-8i32, 8], &[2]);
    let sh = Tensor::from_vec(vec![1i32, -1], &[2]);
    assert_eq!(
        lax::shift_right_arithmetic(&y, &sh).to_vec::<i32>(),
        vec![-4, 0]
    );
    assert_eq!(lax::shift_left(&y, &sh).to_vec::<i32>(), vec![-16, 0]);
    assert_eq!(
        lax::shift_right_logical(&y, &Tensor::scalar(28i32)).to_vec::<i32>(),
        vec![15, 0]
    );
    // Bitcasts round-trip.
    let f = Tensor::from_vec(vec![1.5f32, -0.0, f32::INFINITY], &[3]);
    let u = lax::bitcast_convert_type(&f, DType::U32);
    assert_eq!(
        u.to_vec::<u32>(),
        vec![0x3fc0_0000, 0x8000_0000, 0x7f80_0000]
    );
    let i = lax::bitcast_convert_type(&f, DType::I32);
    assert_eq!(i.to_vec::<i32>()[1], i32::MIN);
    let back = lax::bitcast_convert_type(&i, DType::F32).to_vec::<f32>();
    assert_eq!(back[0], 1.5);
    let d = Tensor::from_vec(vec![std::f64::consts::PI, -2.0], &[2]);
    let w = lax::bitcast_convert_type(&d, DType::U32);
    assert_eq!(w.shape(), &[2, 2]);
    let back = lax::bitcast_convert_type(&w, DType::F64);
    assert_eq!(back.to_vec::<f64>(), vec![std::f64::consts::PI, -2.0]);
    // Printed like JAX.
    let j = make_jaxpr(|x: &Tensor| lax::bitcast_convert_type(x, DType::F32))(&u);
    assert!(
        j.to_string()
            .contains("bitcast_convert_type[new_dtype=float32] a"),
        "{j}"
    );
    let j = make_jaxpr(|x: &Tensor| lax::shift_right_logical(x, &Tensor::scalar(9u32)))(&u);
    assert!(
        j.to_string().contains("shift_right_logical a 9:u32[]"),
        "{j}"
    );
}

#[test]
fn bits_primitives_batch_like_a_loop() {
    let xs = Tensor::from_vec(
        (0..12u32).map(|v| v.wrapping_mul(0x9e37_79b9)).collect(),
        &[4, 3],
    );
    let shifts = Tensor::from_vec(vec![0u32, 5, 31, 33], &[4]);
    let f = |(x, s): &(Tensor, Tensor)| {
        let a = lax::shift_left(x, s);
        let b = lax::shift_right_logical(x, s);
        let c = lax::bitcast_convert_type(&lax::shift_right_arithmetic(x, s), DType::F32);
        let (y0, y1) = lax::threefry2x32(s, &Tensor::scalar(7u32), x, &b);
        (a, b, c, y0, y1)
    };
    let out = vmap(f)(&(xs.clone(), shifts.clone()));
    for i in 0..4 {
        let xi = xs.index_axis(0, i);
        let si = shifts.index_axis(0, i);
        let o = f(&(xi, si));
        assert_eq!(out.0.index_axis(0, i).to_vec::<u32>(), o.0.to_vec::<u32>());
        assert_eq!(out.1.index_axis(0, i).to_vec::<u32>(), o.1.to_vec::<u32>());
        let (c1, c2) = (out.2.index_axis(0, i).to_vec::<f32>(), o.2.to_vec::<f32>());
        assert_eq!(
            c1.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            c2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(out.3.index_axis(0, i).to_vec::<u32>(), o.3.to_vec::<u32>());
        assert_eq!(out.4.index_axis(0, i).to_vec::<u32>(), o.4.to_vec::<u32>());
    }
    // Width-changing bitcast under vmap.
    let d = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
    let w = vmap(|x: &Tensor| lax::bitcast_convert_type(x, DType::U32))(&d);
    assert_eq!(w.shape(), &[2, 2, 2]);
    let back = vmap(|x: &Tensor| lax::bitcast_convert_type(x, DType::F64))(&w);
    assert_eq!(back.to_vec::<f64>(), vec![1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn split_like_gives_one_key_per_leaf() {
    let params = (
        Tensor::zeros(&[3], DType::F32),
        vec![
            Tensor::zeros(&[2], DType::F32),
            Tensor::zeros(&[4, 4], DType::F32),
        ],
    );
    let keys = random::split_like(&random::key(1), &params);
    let all = random::split(&random::key(1), 3).to_vec::<u32>();
    assert_eq!(keys.0.to_vec::<u32>(), all[0..2].to_vec());
    assert_eq!(keys.1[0].to_vec::<u32>(), all[2..4].to_vec());
    assert_eq!(keys.1[1].to_vec::<u32>(), all[4..6].to_vec());
    let [a, b, c] = random::split_n::<3>(&random::key(1));
    assert_eq!(
        [a.to_vec::<u32>(), b.to_vec::<u32>(), c.to_vec::<u32>()].concat(),
        all
    );
    // fold_in with a traced index inside vmap.
    let idx = Tensor::from_vec(vec![0i32, 1, 2], &[3]);
    let ks = vmap(|i: &Tensor| random::fold_in_tensor(&random::key(1), i))(&idx);
    assert_eq!(ks.to_vec::<u32>(), all);
}

#[test]
fn fused_eager_paths_equal_the_op_compositions() {
    // Eager bits/uniform/normal with a concrete key run fused kernels; through a jaxpr the
    // op-by-op compositions run. They must agree bit for bit (sizes cross the parallel and
    // vector-block boundaries).
    for (seed, n) in [(0i64, 1usize), (1, 17), (2, 40_000), (3, 100_003)] {
        let key = random::key(seed);
        let f = |k: &Tensor| {
            (
                random::bits(k, &[n]),
                random::uniform(k, &[n]),
                random::uniform_with(k, &[n], DType::F32, -3.0, 5.5),
                random::uniform_with(k, &[n], DType::F64, 0.0, 1.0),
                random::uniform_with(k, &[n], DType::F64, -1.0, 2.0),
                random::normal(k, &[n]),
            )
        };
        let j = make_jaxpr(f)(&key);
        let staged = eval_jaxpr(&j.jaxpr, &j.consts, std::slice::from_ref(&key));
        let eager = f(&key);
        assert_eq!(staged[0].to_vec::<u32>(), eager.0.to_vec::<u32>());
        let bits32 = |t: &Tensor| {
            t.to_vec::<f32>()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        let bits64 = |t: &Tensor| {
            t.to_vec::<f64>()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits32(&staged[1]), bits32(&eager.1), "uniform n={n}");
        assert_eq!(
            bits32(&staged[2]),
            bits32(&eager.2),
            "uniform(-3, 5.5) n={n}"
        );
        assert_eq!(bits64(&staged[3]), bits64(&eager.3), "uniform f64 n={n}");
        assert_eq!(
            bits64(&staged[4]),
            bits64(&eager.4),
            "uniform f64 (-1, 2) n={n}"
        );
        assert_eq!(bits32(&staged[5]), bits32(&eager.5), "normal n={n}");
    }
}
