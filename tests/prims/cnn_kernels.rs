//! The fast convolution and pooling kernels against plain-Rust references: every path of
//! `kernels::conv` (blocked im2col + gemm, serial and parallel; the reduction-major
//! weight-gradient form; 1x1 direct; small and large feature groups; batch groups; layouts
//! that need a copy) and of `kernels::window` (one-pass max/min, select_and_gather_add,
//! select_and_scatter_add), in f32, f64 and i32, with strides, padding, dilations and the
//! transposed dimension numbers the conv transpose rules emit; gradients of the CNN of
//! `benches/cnn.rs`, scaled down, through `check_grads`.

use ferrax::lax::{self, SelectPrim, WindowKind};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

mod reference;

use reference::*;

// ---- Convolution --------------------------------------------------------------------------

#[test]
fn nhwc_forward_strides_padding_dilation() {
    let base = Conv::nhwc();
    let cases: Vec<(Conv, [usize; 2], [usize; 2])> = vec![
        (base.clone(), [7, 6], [3, 3]),
        (
            Conv {
                strides: vec![2, 3],
                ..base.clone()
            },
            [9, 8],
            [3, 2],
        ),
        (
            Conv {
                padding: vec![(1, 2), (0, 1)],
                ..base.clone()
            },
            [5, 6],
            [3, 3],
        ),
        (
            Conv {
                padding: vec![(-1, 0), (2, -1)],
                ..base.clone()
            },
            [6, 5],
            [2, 2],
        ),
        (
            Conv {
                lhs_dil: vec![2, 1],
                padding: vec![(1, 1), (0, 0)],
                ..base.clone()
            },
            [4, 5],
            [3, 2],
        ),
        (
            Conv {
                rhs_dil: vec![2, 2],
                strides: vec![1, 2],
                ..base.clone()
            },
            [8, 9],
            [2, 3],
        ),
        (
            Conv {
                lhs_dil: vec![3, 2],
                rhs_dil: vec![2, 1],
                padding: vec![(2, 1), (1, 3)],
                strides: vec![2, 1],
                ..base.clone()
            },
            [4, 3],
            [3, 2],
        ),
    ];
    // 2048 output rows of 36: two blocks, serially (below the parallel threshold).
    check_conv(
        &base,
        &base.lhs_shape(8, 4, &[18, 18]),
        &base.rhs_shape(5, 4, &[3, 3]),
        17,
        false,
    );
    for (i, (c, sp, k)) in cases.iter().enumerate() {
        check_conv(
            c,
            &c.lhs_shape(3, 4, sp),
            &c.rhs_shape(5, 4, k),
            10 + i as u64,
            i < 3,
        );
    }
}

#[test]
fn one_by_one_and_one_dimensional() {
    let c = Conv::nhwc();
    check_conv(
        &c,
        &c.lhs_shape(2, 6, &[3, 4]),
        &c.rhs_shape(5, 6, &[1, 1]),
        1,
        true,
    );
    let c1 = Conv {
        strides: vec![2],
        padding: vec![(1, 0)],
        lhs_dil: vec![1],
        rhs_dil: vec![1],
        lhs_spec: vec![0, 2, 1],
        rhs_spec: vec![2, 1, 0],
        out_spec: vec![0, 2, 1],
        fg: 1,
        bg: 1,
    };
    check_conv(
        &c1,
        &c1.lhs_shape(2, 3, &[9]),
        &c1.rhs_shape(4, 3, &[3]),
        2,
        true,
    );
}

#[test]
fn nchw_oihw_layouts_copy_to_channels_last() {
    let c = Conv {
        lhs_spec: vec![0, 1, 2, 3],
        rhs_spec: vec![0, 1, 2, 3],
        out_spec: vec![0, 1, 2, 3],
        padding: vec![(1, 1), (1, 1)],
        ..Conv::nhwc()
    };
    check_conv(
        &c,
        &c.lhs_shape(2, 3, &[5, 6]),
        &c.rhs_shape(4, 3, &[3, 3]),
        3,
        true,
    );
    // Output in yet another layout.
    let c = Conv {
        out_spec: vec![3, 0, 2, 1],
        ..c
    };
    check_conv(
        &c,
        &c.lhs_shape(2, 3, &[5, 4]),
        &c.rhs_shape(4, 3, &[2, 3]),
        4,
        false,
    );
}

#[test]
fn feature_and_batch_groups() {
    let base = Conv {
        padding: vec![(1, 1), (0, 1)],
        ..Conv::nhwc()
    };
    // Depthwise (direct path), small groups (direct), larger groups (blocked im2col).
    for (fg, cin, cout) in [(4, 4, 4), (3, 6, 6), (2, 8, 12)] {
        let c = Conv { fg, ..base.clone() };
        check_conv(
            &c,
            &c.lhs_shape(2, cin, &[5, 4]),
            &c.rhs_shape(cout, cin / fg, &[3, 2]),
            20 + fg as u64,
            true,
        );
    }
    let c = Conv {
        bg: 3,
        strides: vec![2, 1],
        ..base.clone()
    };
    check_conv(
        &c,
        &c.lhs_shape(6, 4, &[6, 5]),
        &c.rhs_shape(6, 4, &[2, 2]),
        30,
        true,
    );
}

/// The dimension numbers `_conv_general_dilated_transpose_rhs` produces for an NHWC/HWIO
/// convolution (lhs `[C, H, W, N]`-major roles, out `HWIO`), called directly with padding
/// and dilations: the reduction-major kernel.
#[test]
fn weight_gradient_layout_direct() {
    let base = Conv {
        lhs_spec: vec![3, 0, 1, 2],
        rhs_spec: vec![3, 0, 1, 2],
        out_spec: vec![2, 3, 0, 1],
        ..Conv::nhwc()
    };
    let cases: Vec<(Conv, [usize; 2], [usize; 2])> = vec![
        (base.clone(), [8, 7], [6, 5]),
        (
            Conv {
                padding: vec![(1, 2), (0, 1)],
                ..base.clone()
            },
            [6, 6],
            [5, 4],
        ),
        (
            Conv {
                rhs_dil: vec![2, 2],
                ..base.clone()
            },
            [9, 8],
            [4, 3],
        ),
        (
            Conv {
                lhs_dil: vec![2, 1],
                rhs_dil: vec![1, 2],
                padding: vec![(0, 1), (1, 1)],
                strides: vec![1, 2],
                ..base.clone()
            },
            [4, 7],
            [3, 3],
        ),
    ];
    // A reduction of 40 x 12 x 12 over two blocks, serially.
    check_conv(
        &base,
        &base.lhs_shape(3, 40, &[13, 13]),
        &base.rhs_shape(4, 40, &[12, 12]),
        49,
        false,
    );
    for (i, (c, sp, k)) in cases.iter().enumerate() {
        // lhs: batch role = 3 (forward features), feature role = 5 (forward batch).
        check_conv(
            c,
            &c.lhs_shape(3, 5, sp),
            &c.rhs_shape(4, 5, k),
            40 + i as u64,
            i == 0,
        );
    }
}

/// Params, input features, output features, input size, kernel size.
type VjpCase = (Conv, usize, usize, [usize; 2], [usize; 2]);

#[test]
fn vjp_runs_both_transposes() {
    let base = Conv::nhwc();
    let cases: Vec<VjpCase> = vec![
        (base.clone(), 3, 2, [7, 6], [3, 3]),
        (
            Conv {
                strides: vec![2, 2],
                padding: vec![(1, 1), (0, 1)],
                ..base.clone()
            },
            4,
            3,
            [7, 8],
            [3, 2],
        ),
        (
            Conv {
                rhs_dil: vec![2, 1],
                ..base.clone()
            },
            5,
            3,
            [8, 6],
            [2, 3],
        ),
        (
            Conv {
                lhs_dil: vec![2, 2],
                padding: vec![(1, 0), (0, 0)],
                ..base.clone()
            },
            2,
            4,
            [4, 3],
            [2, 2],
        ),
        (
            Conv {
                fg: 2,
                padding: vec![(1, 1), (1, 1)],
                ..base.clone()
            },
            4,
            2,
            [5, 5],
            [3, 3],
        ),
        (
            Conv {
                fg: 4,
                ..base.clone()
            },
            4,
            4,
            [5, 6],
            [3, 2],
        ),
        (
            Conv {
                bg: 2,
                ..base.clone()
            },
            4,
            4,
            [5, 5],
            [2, 2],
        ),
        (
            Conv {
                lhs_spec: vec![0, 1, 2, 3],
                rhs_spec: vec![0, 1, 2, 3],
                out_spec: vec![0, 1, 2, 3],
                strides: vec![1, 2],
                ..base.clone()
            },
            3,
            3,
            [6, 7],
            [3, 3],
        ),
    ];
    for (i, (c, cin, cout, sp, k)) in cases.iter().enumerate() {
        let fg = c.fg;
        let n = 2 * c.bg;
        check_conv_vjp(
            c,
            &c.lhs_shape(n, *cin, sp),
            &c.rhs_shape(*cout, cin / fg, k),
            50 + i as u64,
        );
    }
}

/// Shapes above the parallel threshold (2^23 multiply-adds) with several blocks: forward
/// blocks shared by the threads, scatter-form images shared by the threads,
/// weight-gradient blocks split over per-thread accumulators.
#[test]
fn parallel_blocks() {
    let c = Conv::nhwc();
    check_conv(
        &c,
        &c.lhs_shape(6, 32, &[12, 12]),
        &c.rhs_shape(64, 32, &[3, 3]),
        60,
        false,
    );
    let w = Conv {
        lhs_spec: vec![3, 0, 1, 2],
        rhs_spec: vec![3, 0, 1, 2],
        out_spec: vec![2, 3, 0, 1],
        ..Conv::nhwc()
    };
    // Its input gradient: padded by 2, fewer input than output positions (scatter form),
    // images shared by the threads.
    let t = Conv {
        padding: vec![(2, 2), (2, 2)],
        ..Conv::nhwc()
    };
    check_conv(
        &t,
        &t.lhs_shape(6, 64, &[10, 10]),
        &t.rhs_shape(32, 64, &[3, 3]),
        62,
        false,
    );
    // The weight gradient of that convolution: batch role 32 features, reduction 6 x 10 x 10.
    check_conv(
        &w,
        &w.lhs_shape(32, 6, &[12, 12]),
        &w.rhs_shape(64, 6, &[10, 10]),
        61,
        false,
    );
}

#[test]
fn max_pool_nhwc_2x2() {
    let shape = [3, 6, 8, 5];
    let x = values(shape.iter().product(), 70);
    let w = Win::pool(4, &[1, 2, 2, 1], &[1, 2, 2, 1], &[(0, 0); 4]);
    check_window(&w, &shape, &x, 71);
    // Odd sizes: the last row/column is dropped.
    let shape = [2, 7, 5, 3];
    check_window(&w, &shape, &values(shape.iter().product(), 72), 73);
}

#[test]
fn overlapping_padded_and_dilated_windows() {
    let shape = [2, 7, 6, 3];
    let x = values(shape.iter().product(), 80);
    let cases = [
        Win::pool(
            4,
            &[1, 3, 3, 1],
            &[1, 1, 1, 1],
            &[(0, 0), (1, 1), (1, 1), (0, 0)],
        ),
        Win::pool(
            4,
            &[1, 3, 2, 1],
            &[1, 2, 1, 1],
            &[(0, 0), (2, 0), (0, 3), (0, 0)],
        ),
        Win::pool(4, &[2, 2, 1, 2], &[1, 1, 2, 1], &[(0, 0); 4]),
        Win {
            base_dil: vec![1, 2, 1, 1],
            win_dil: vec![1, 1, 2, 1],
            ..Win::pool(
                4,
                &[1, 2, 2, 1],
                &[1, 1, 1, 1],
                &[(0, 0), (1, 0), (0, 0), (0, 0)],
            )
        },
        // Windows entirely in the padding.
        Win::pool(
            4,
            &[1, 2, 2, 1],
            &[1, 3, 3, 1],
            &[(0, 0), (4, 4), (0, 0), (0, 0)],
        ),
    ];
    for (i, w) in cases.iter().enumerate() {
        check_window(w, &shape, &x, 81 + i as u64);
    }
    // NCHW: the channels are not innermost, one element per window tap.
    let w = Win::pool(
        4,
        &[1, 1, 2, 2],
        &[1, 1, 2, 2],
        &[(0, 0), (0, 0), (0, 1), (0, 1)],
    );
    check_window(&w, &shape, &x, 90);
    // 1-d and a window over every dim.
    check_window(
        &Win::pool(1, &[3], &[2], &[(1, 1)]),
        &[9],
        &values(9, 91),
        92,
    );
    check_window(
        &Win::pool(2, &[2, 3], &[2, 3], &[(0, 0), (0, 0)]),
        &[4, 6],
        &values(24, 93),
        94,
    );
}

#[test]
fn ties_nan_and_integers() {
    // Ties pick the first position in window order; NaN wins and propagates.
    let shape = [1, 4, 4, 2];
    let mut x: Vec<f64> = (0..32).map(|i| ((i / 3) % 3) as f64).collect();
    x[5] = f64::NAN;
    x[22] = f64::NAN;
    x[23] = f64::NAN;
    let w = Win::pool(4, &[1, 2, 2, 1], &[1, 2, 2, 1], &[(0, 0); 4]);
    check_window(&w, &shape, &x, 100);
    let w = Win::pool(
        4,
        &[1, 3, 3, 1],
        &[1, 1, 1, 1],
        &[(0, 0), (1, 1), (1, 1), (0, 0)],
    );
    check_window(&w, &shape, &x, 101);
    // i32: max-pool and its gradient.
    let xi = Tensor::from_vec(vec![1i32, 7, 7, 2, 3, 0, 9, 9], &[1, 2, 4, 1]);
    let y = lax::reduce_window(
        &xi,
        WindowKind::Max,
        &[1, 2, 2, 1],
        &[1, 2, 2, 1],
        &[(0, 0); 4],
        &[1; 4],
        &[1; 4],
    );
    assert_eq!(y.to_vec::<i32>(), vec![7, 9]);
    let g = Tensor::from_vec(vec![10i32, 20], &[1, 1, 2, 1]);
    let dx = lax::select_and_scatter_add(
        &g,
        &xi,
        SelectPrim::Ge,
        &[1, 2, 2, 1],
        &[1, 2, 2, 1],
        &[(0, 0); 4],
    );
    assert_eq!(dx.to_vec::<i32>(), vec![0, 10, 0, 0, 0, 0, 20, 0]);
}

/// The CNN's pool (64 x 26 x 26 x 32, above the parallel threshold) against the reference.
#[test]
fn parallel_pool() {
    let shape = [16, 26, 26, 32];
    let x = values(shape.iter().product(), 110);
    let w = Win::pool(4, &[1, 2, 2, 1], &[1, 2, 2, 1], &[(0, 0); 4]);
    check_window(&w, &shape, &x, 111);
}

// ---- Gradients ----------------------------------------------------------------------------

fn conv(x: &Tensor, w: &Tensor, c: &Conv) -> Tensor {
    lax::conv_general_dilated(x, w, &c.params())
}

fn max_pool(x: &Tensor) -> Tensor {
    lax::reduce_window(
        x,
        WindowKind::Max,
        &[1, 2, 2, 1],
        &[1, 2, 2, 1],
        &[(0, 0); 4],
        &[1; 4],
        &[1; 4],
    )
}

type Params = (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor);

/// The bench CNN scaled down: b2 12x12x1, conv3x3 1->3 + bias, relu, max-pool 2x2, conv3x3
/// 3->4 + bias, relu, flatten, dense 36->3, softmax cross-entropy.
fn cnn_loss(p: &Params, x: &Tensor, onehot: &Tensor) -> Tensor {
    let (w1, b1, w2, b2, w3, b3) = p;
    let c = Conv::nhwc();
    let h = max_pool(&(conv(x, w1, &c) + b1).relu());
    let h = (conv(&h, w2, &c) + b2).relu();
    let logits = h.reshape(&[2, 36]).matmul(w3) + b3;
    -(ferrax::nn::log_softmax(&logits, -1) * onehot).sum()
}

#[test]
fn cnn_gradients() {
    let t = |n: usize, seed: u64, shape: &[usize], scale: f64| {
        Tensor::from_vec(
            values(n, seed)
                .iter()
                .map(|v| v * scale)
                .collect::<Vec<_>>(),
            shape,
        )
    };
    let params: Params = (
        t(27, 120, &[3, 3, 1, 3], 0.6),
        t(3, 121, &[3], 0.1),
        t(108, 122, &[3, 3, 3, 4], 0.4),
        t(4, 123, &[4], 0.1),
        t(108, 124, &[36, 3], 0.3),
        t(3, 125, &[3], 0.1),
    );
    let x = t(288, 126, &[2, 12, 12, 1], 1.0);
    let onehot = Tensor::from_vec(vec![0.0f64, 1.0, 0.0, 0.0, 0.0, 1.0], &[2, 3]);
    check_grads(|p: &Params| cnn_loss(p, &x, &onehot), &params, 1);
    // Both conv operands at order 2, with stride and padding (transposes of transposes).
    let c = Conv {
        strides: vec![2, 1],
        padding: vec![(1, 0), (1, 1)],
        ..Conv::nhwc()
    };
    let xs = t(2 * 5 * 4 * 2, 127, &[2, 5, 4, 2], 1.0);
    let ws = t(3 * 2 * 2 * 3, 128, &[3, 2, 2, 3], 1.0);
    check_grads(
        move |(a, b): &(Tensor, Tensor)| conv(a, b, &c).tanh(),
        &(xs, ws),
        2,
    );
    // The pool's gradient (distinct values, so no window has a tie).
    let xp = Tensor::from_vec(
        (0..2 * 6 * 6 * 3)
            .map(|i| ((i * 37) % 109) as f64 * 0.1)
            .collect::<Vec<_>>(),
        &[2, 6, 6, 3],
    );
    check_grads(|x: &Tensor| max_pool(x).sin(), &xp, 2);
}

/// `jit` runs the same kernels: jitted forward and gradient equal eager.
#[test]
fn jit_matches_eager() {
    let params: Params = (
        Tensor::from_vec(values(27, 130), &[3, 3, 1, 3]),
        Tensor::from_vec(values(3, 131), &[3]),
        Tensor::from_vec(values(108, 132), &[3, 3, 3, 4]),
        Tensor::from_vec(values(4, 133), &[4]),
        Tensor::from_vec(values(108, 134), &[36, 3]),
        Tensor::from_vec(values(3, 135), &[3]),
    );
    let x = Tensor::from_vec(values(288, 136), &[2, 12, 12, 1]);
    let onehot = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 0.0, 0.0, 1.0], &[2, 3]);
    let f = |p: &Params| cnn_loss(p, &x, &onehot);
    let (v, g) = value_and_grad(f)(&params);
    let (jv, jg) = jit(value_and_grad(f))(&params);
    assert_close(&as_f64(&jv), &as_f64(&v), 1e-12, 1e-12, "jit loss");
    for (a, b) in jg.leaves().iter().zip(g.leaves()) {
        assert_close(&as_f64(a), &as_f64(&b), 1e-12, 1e-12, "jit grad");
    }
}
