//! `ferrax::data::augment`: each transform against a plain-Rust reference that redraws the
//! random parameters the documentation names, jit against eager, vmap over a batch of keys
//! against a loop, and derivatives in `x` (and the affine matrices) against finite
//! differences.

use ferrax::data::augment::{
    affine, cutout, flip_left_right, gaussian_noise, mixup, random_crop, random_rotation,
    rotation_matrices,
};
use ferrax::numpy;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;

const N: usize = 3;
const H: usize = 5;
const W: usize = 4;
const C: usize = 2;

/// A batch with distinct values, in `dtype`.
fn batch(dtype: DType) -> Tensor {
    let v: Vec<f64> = (0..N * H * W * C)
        .map(|i| ((i * 37) % 101) as f64 / 10.0 - 3.0)
        .collect();
    Tensor::from_f64_values(&v, &[N, H, W, C], dtype)
}

fn at(v: &[f64], (h, w, c): (usize, usize, usize), n: usize, i: usize, j: usize, k: usize) -> f64 {
    v[((n * h + i) * w + j) * c + k]
}

fn values(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}: element {i}: {x} vs {y}");
    }
}

/// Builds `[N, H, W, C]` values from a per-element function.
fn build(f: impl Fn(usize, usize, usize, usize) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(N * H * W * C);
    for n in 0..N {
        for i in 0..H {
            for j in 0..W {
                for k in 0..C {
                    out.push(f(n, i, j, k));
                }
            }
        }
    }
    out
}

#[test]
fn flip_matches_reference() {
    let x = batch(DType::F32);
    let xv = values(&x);
    for seed in 0..4 {
        let key = random::key(seed);
        let flips = random::bernoulli(&key, 0.5, &[N]).to_vec::<bool>();
        let want = build(|n, i, j, k| {
            let j = if flips[n] { W - 1 - j } else { j };
            at(&xv, (H, W, C), n, i, j, k)
        });
        assert_eq!(values(&flip_left_right(&key, &x, 0.5)), want);
    }
}

#[test]
fn random_crop_matches_reference() {
    let x = batch(DType::F32);
    let xv = values(&x);
    let p = 2;
    for seed in 0..4 {
        let key = random::key(seed);
        let o = random::randint(&key, &[N, 2], 0, 2 * p as i64 + 1).to_vec::<i32>();
        let want = build(|n, i, j, k| {
            let r = i as i64 + o[2 * n] as i64 - p as i64;
            let c = j as i64 + o[2 * n + 1] as i64 - p as i64;
            if (0..H as i64).contains(&r) && (0..W as i64).contains(&c) {
                at(&xv, (H, W, C), n, r as usize, c as usize, k)
            } else {
                0.0
            }
        });
        assert_eq!(values(&random_crop(&key, &x, p)), want, "seed {seed}");
    }
}

#[test]
fn cutout_matches_reference() {
    let x = batch(DType::F32);
    let xv = values(&x);
    for (seed, size) in [(0, 2), (1, 3), (2, 4), (3, 1)] {
        let key = random::key(seed);
        let cy = random::randint(&random::fold_in(&key, 0), &[N], 0, H as i64).to_vec::<i32>();
        let cx = random::randint(&random::fold_in(&key, 1), &[N], 0, W as i64).to_vec::<i32>();
        let half = (size / 2) as i64;
        let want = build(|n, i, j, k| {
            let (y0, x0) = (cy[n] as i64 - half, cx[n] as i64 - half);
            let inside = (y0..y0 + size as i64).contains(&(i as i64))
                && (x0..x0 + size as i64).contains(&(j as i64));
            if inside {
                0.0
            } else {
                at(&xv, (H, W, C), n, i, j, k)
            }
        });
        assert_eq!(
            values(&cutout(&key, &x, size)),
            want,
            "seed {seed} size {size}"
        );
    }
}

#[test]
fn mixup_matches_reference() {
    let x = batch(DType::F64);
    let xv = values(&x);
    let y = ferrax::nn::one_hot(&Tensor::from_vec(vec![0, 2, 1], &[N]), 3).cast(DType::F64);
    let yv = values(&y);
    let key = random::key(4);
    let a = Tensor::full(&[], 0.4, DType::F64);
    let lam = random::beta(&random::fold_in(&key, 0), &a, &a, Some(&[]), DType::F64).item::<f64>();
    let perm = random::permutation(&random::fold_in(&key, 1), N).to_vec::<i32>();
    assert!((0.0..=1.0).contains(&lam));
    let (xm, ym) = mixup(&key, &x, &y, 0.4);
    let want_x = build(|n, i, j, k| {
        lam * at(&xv, (H, W, C), n, i, j, k)
            + (1.0 - lam) * at(&xv, (H, W, C), perm[n] as usize, i, j, k)
    });
    close(&values(&xm), &want_x, 1e-12, "mixup x");
    let want_y: Vec<f64> = (0..N * 3)
        .map(|e| lam * yv[e] + (1.0 - lam) * yv[perm[e / 3] as usize * 3 + e % 3])
        .collect();
    close(&values(&ym), &want_y, 1e-12, "mixup y");
}

#[test]
fn gaussian_noise_matches_reference() {
    let x = batch(DType::F32);
    let key = random::key(8);
    let z = values(&random::normal(&key, &[N, H, W, C]));
    let want: Vec<f64> = values(&x)
        .iter()
        .zip(&z)
        .map(|(a, b)| a + 0.25 * b)
        .collect();
    close(
        &values(&gaussian_noise(&key, &x, 0.25)),
        &want,
        1e-6,
        "noise",
    );
}

/// Plain bilinear resampling with zeros outside, as `affine` documents it.
fn affine_reference(xv: &[f64], (n, h, w, c): (usize, usize, usize, usize), m: &[f64]) -> Vec<f64> {
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let mut out = Vec::new();
    for b in 0..n {
        let m = &m[6 * b..6 * b + 6];
        for i in 0..h {
            for j in 0..w {
                let (u, v) = (j as f64 - cx, i as f64 - cy);
                let sc = m[0] * u + m[1] * v + m[2] + cx;
                let sr = m[3] * u + m[4] * v + m[5] + cy;
                let (r0, c0) = (sr.floor(), sc.floor());
                let (wr, wc) = (sr - r0, sc - c0);
                for k in 0..c {
                    let mut acc = 0.0;
                    for (dr, dc, wt) in [
                        (0.0, 0.0, (1.0 - wr) * (1.0 - wc)),
                        (0.0, 1.0, (1.0 - wr) * wc),
                        (1.0, 0.0, wr * (1.0 - wc)),
                        (1.0, 1.0, wr * wc),
                    ] {
                        let (r, cc) = (r0 + dr, c0 + dc);
                        if r >= 0.0 && r <= h as f64 - 1.0 && cc >= 0.0 && cc <= w as f64 - 1.0 {
                            acc += wt * at(xv, (h, w, c), b, r as usize, cc as usize, k);
                        }
                    }
                    out.push(acc);
                }
            }
        }
    }
    out
}

fn some_matrices(dtype: DType) -> Tensor {
    let m = [
        0.9, 0.2, 0.3, -0.15, 1.1, -0.45, //
        1.0, 0.0, 0.0, 0.0, 1.0, 0.0, //
        0.7, -0.6, 1.3, 0.6, 0.7, 0.2,
    ];
    Tensor::from_f64_values(&m, &[N, 2, 3], dtype)
}

#[test]
fn affine_matches_reference_and_rotations_by_a_right_angle_are_exact() {
    let x = batch(DType::F64);
    let m = some_matrices(DType::F64);
    let got = values(&affine(&x, &m));
    let want = affine_reference(&values(&x), (N, H, W, C), &values(&m));
    close(&got, &want, 1e-12, "affine f64");
    // The identity rows of batch element 1 give the input back.
    let xv = values(&x);
    close(
        &got[H * W * C..2 * H * W * C],
        &xv[H * W * C..2 * H * W * C],
        1e-12,
        "identity",
    );
    // f32 agrees with the f64 reference to f32 rounding.
    let got32 = values(&affine(&x.cast(DType::F32), &m.cast(DType::F32)));
    close(&got32, &want, 1e-4, "affine f32");
    // A quarter turn of a square image moves pixels exactly: out[r][c] = in[c][S-1-r].
    let s = 5;
    let sq: Vec<f64> = (0..s * s).map(|i| i as f64).collect();
    let img = Tensor::from_f64_values(&sq, &[1, s, s, 1], DType::F64);
    let rot = values(&affine(
        &img,
        &rotation_matrices(&Tensor::from_vec(vec![std::f64::consts::FRAC_PI_2], &[1])),
    ));
    for r in 0..s {
        for c in 0..s {
            let want = sq[c * s + (s - 1 - r)];
            assert!(
                (rot[r * s + c] - want).abs() < 1e-9,
                "({r}, {c}): {} vs {want}",
                rot[r * s + c]
            );
        }
    }
}

#[test]
fn jit_equals_eager() {
    let x = batch(DType::F32);
    let key = random::key(3);
    let y = ferrax::nn::one_hot(&Tensor::from_vec(vec![0, 1, 1], &[N]), 2);
    type F = fn(&Tensor, &Tensor) -> Tensor;
    let cases: [(&str, F); 6] = [
        ("flip", |k, x| flip_left_right(k, x, 0.5)),
        ("crop", |k, x| random_crop(k, x, 1)),
        ("cutout", |k, x| cutout(k, x, 2)),
        ("noise", |k, x| gaussian_noise(k, x, 0.1)),
        ("rotation", |k, x| random_rotation(k, x, 0.5)),
        ("affine", |_, x| affine(x, &some_matrices(DType::F32))),
    ];
    for (name, f) in cases {
        let eager = values(&f(&key, &x));
        let jitted = jit(move |(k, x): &(Tensor, Tensor)| f(k, x));
        close(
            &values(&jitted(&(key.clone(), x.clone()))),
            &eager,
            1e-6,
            name,
        );
    }
    let eager = mixup(&key, &x, &y, 0.3);
    let jitted = jit(|(k, x, y): &(Tensor, Tensor, Tensor)| mixup(k, x, y, 0.3));
    let (a, b) = jitted(&(key.clone(), x.clone(), y.clone()));
    close(&values(&a), &values(&eager.0), 1e-6, "mixup x");
    close(&values(&b), &values(&eager.1), 1e-6, "mixup y");
}

#[test]
fn vmap_over_keys_equals_a_loop() {
    let g = 2;
    let keys = random::split(&random::key(11), g);
    let xs = numpy::stack(&[batch(DType::F32), batch(DType::F32) * 0.5], 0);
    type F = fn(&Tensor, &Tensor) -> Tensor;
    let cases: [(&str, F); 5] = [
        ("flip", |k, x| flip_left_right(k, x, 0.5)),
        ("crop", |k, x| random_crop(k, x, 2)),
        ("cutout", |k, x| cutout(k, x, 3)),
        ("noise", |k, x| gaussian_noise(k, x, 0.1)),
        ("rotation", |k, x| random_rotation(k, x, 0.7)),
    ];
    for (name, f) in cases {
        let batched = vmap(move |(k, x): &(Tensor, Tensor)| f(k, x))(&(keys.clone(), xs.clone()));
        for i in 0..g {
            let one = f(
                &keys.index_axis(0, i as isize),
                &xs.index_axis(0, i as isize),
            );
            close(
                &values(&batched.index_axis(0, i as isize)),
                &values(&one),
                1e-6,
                name,
            );
        }
    }
}

#[test]
fn gradients_in_x_and_the_matrices() {
    let x = batch(DType::F64);
    let key = random::key(2);
    check_grads(|x: &Tensor| random_crop(&key, x, 1), &x, 1);
    check_grads(|x: &Tensor| cutout(&key, x, 2), &x, 1);
    check_grads(|x: &Tensor| gaussian_noise(&key, x, 0.3).sin(), &x, 1);
    check_grads(|x: &Tensor| flip_left_right(&key, x, 0.5), &x, 1);
    let y = ferrax::nn::one_hot(&Tensor::from_vec(vec![0, 1, 1], &[N]), 2).cast(DType::F64);
    check_grads(
        |(x, y): &(Tensor, Tensor)| mixup(&key, x, y, 0.5),
        &(x.clone(), y),
        1,
    );
    // Affine: in x (linear) and in the matrices (away from integer sample positions, where
    // bilinear interpolation has kinks).
    let m = some_matrices(DType::F64) + 0.0137;
    check_grads(|(x, m): &(Tensor, Tensor)| affine(x, m), &(x, m), 1);
}

#[test]
#[should_panic(expected = "data::augment::affine: expected a float batch [N, H, W, C]")]
fn non_nhwc_input_panics() {
    let _ = affine(
        &Tensor::zeros(&[2, 3], DType::F32),
        &Tensor::zeros(&[2, 2, 3], DType::F32),
    );
}
