//! ferrax's buffer pool seen from outside: jitted programs give their dead buffers back and
//! reuse them, with results bitwise equal to eager evaluation and to runs without the pool;
//! `runtime::release_buffers` and `set_buffer_pool_limit` control it. One test changes the
//! process-wide limit, so everything that depends on it runs in that single test.

use ferrax::lax;
use ferrax::prelude::*;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A relu layer's loss: its gradient runs `select_n` on a dot's (reshaped) cotangent and a
/// broadcast zero, the in-place and pooled paths of the compiled program. Sizes above the
/// pool's 64 KiB threshold.
fn loss(w: &Tensor, x: &Tensor, v: &Tensor) -> Tensor {
    let h = x.matmul(w).reshape(&[64, 20, 15]).relu();
    (h.reshape(&[64, 300]).matmul(v)).tanh().sum()
}

fn inputs() -> (Tensor, Tensor, Tensor) {
    (
        Tensor::from_vec(values(300 * 300, 1), &[300, 300]),
        Tensor::from_vec(values(64 * 300, 2), &[64, 300]),
        Tensor::from_vec(values(300 * 8, 3), &[300, 8]),
    )
}

#[test]
fn jitted_steps_reuse_buffers_and_match_eager_and_unpooled_runs() {
    let (w, x, v) = inputs();
    let f = {
        let (x, v) = (x.clone(), v.clone());
        move |w: &Tensor| loss(w, &x, &v)
    };
    let eager = value_and_grad(f.clone())(&w);
    let jitted = jit(value_and_grad(f));
    let before = ferrax::runtime::buffer_pool_limit();
    let mut runs = Vec::new();
    for limit in [before, 0, before] {
        ferrax::runtime::set_buffer_pool_limit(limit);
        for _ in 0..3 {
            runs.push(jitted(&w));
        }
    }
    assert!(
        ferrax::runtime::pooled_bytes() > 0,
        "a step's dead intermediates are kept"
    );
    ferrax::runtime::release_buffers();
    assert_eq!(ferrax::runtime::pooled_bytes(), 0);
    ferrax::runtime::set_buffer_pool_limit(before);
    for (value, grad) in runs {
        assert_eq!(value.to_vec::<f32>(), eager.0.to_vec::<f32>());
        assert_eq!(grad.to_vec::<f32>(), eager.1.to_vec::<f32>());
    }
}

/// `select_n` written into whichever case dies, with a full or a scalar selector, or a case
/// that lives on (not overwritten), f32 and f64: all equal to eager.
#[test]
fn select_n_in_place_matches_eager() {
    let (w, x, _) = inputs();
    let mask = Tensor::from_vec(
        values(64 * 300, 4).iter().map(|&v| v > 0.0).collect(),
        &[64, 300],
    );
    // Cases made by products and a selector from outside, so no elementwise neighbour fuses
    // with the select_n: it runs as its own step.
    let pick = |which_full: bool, swap: bool, keep_case: bool| {
        let mask = mask.clone();
        move |(w, x): &(Tensor, Tensor)| {
            let a = x.matmul(w); // dies at select_n unless kept
            let b = x.matmul(&w.transpose(&[1, 0]));
            let which = if which_full {
                mask.clone()
            } else {
                Tensor::scalar(true)
            };
            let cases = if swap {
                [b.clone(), a.clone()]
            } else {
                [a.clone(), b.clone()]
            };
            let s = lax::select_n(&which, &cases);
            if keep_case {
                vec![s, a]
            } else {
                vec![s]
            }
        }
    };
    for i in 0..16 {
        let (which_full, swap, keep_case) = (i & 1 == 0, i & 2 == 0, i & 4 == 0);
        let dtype = if i & 8 == 0 { DType::F32 } else { DType::F64 };
        let f = pick(which_full, swap, keep_case);
        let cast = |t: &Tensor| lax::convert_element_type(t, dtype);
        let args = (cast(&w), cast(&x));
        let want = f(&args);
        let j = ferrax::transforms::Jitted::new(f, Default::default());
        let program = j.compiled_jaxpr(&args).to_string();
        assert!(program.contains("= select_n"), "{program}");
        let got = j.call(&args);
        for (g, e) in got.iter().zip(&want) {
            assert_eq!(g.dtype(), dtype);
            assert_eq!(g.to_vec::<f64>(), e.to_vec::<f64>());
        }
    }
}
