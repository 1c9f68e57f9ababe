//! Regression with mean squared error and SGD with momentum, on synthetic data whose best
//! possible error is known: the noise variance.
//!
//! 1. A linear model `y = X w* + b* + noise` (8 features, noise sd 0.1): SGD must recover
//!    `w*` and `b*`, and reach the test error of the exact least-squares fit (computed here
//!    by solving the normal equations in f64), about 0.01.
//! 2. A noisy nonlinear function `y = sin(2x) + 0.3x + noise` (sd 0.1) fitted by an MLP
//!    1-32-32-1 (tanh): the test MSE should approach the noise floor 0.01.
//!
//! ```text
//! cargo run --release --example regression
//! ```

use ferrax::data::Batches;
use ferrax::nn::{self, Ctx, Module};
use ferrax::optim;
use ferrax::prelude::*;
use ferrax::train::Trainer;
use ferrax::{losses, random};

const NOISE_SD: f32 = 0.1;

/// The MLP 1-32-32-1 (tanh), a tuple of modules.
type Mlp = (nn::Linear, nn::Tanh, nn::Linear, nn::Tanh, nn::Linear);

/// A model's predictions (no dropout or batch norm here: inference mode throughout).
fn predict<M: Module>(model: &M, x: &Tensor) -> Tensor {
    model.forward(x, &mut Ctx::eval())
}

/// The batch MSE: `losses::mse` per example, averaged.
fn mse(predictions: &Tensor, targets: &Tensor) -> Tensor {
    losses::mse(predictions, targets).mean()
}

/// Trains any module `P` by minibatch SGD with momentum on MSE; returns the final
/// parameters.
fn fit<P: Module + PyTree + Clone>(
    params: P,
    data: &(Tensor, Tensor),
    lr: f64,
    epochs: usize,
    key: &Tensor,
) -> P {
    let opt = optim::sgd(lr, 0.9, false);
    let state = opt.init(&params);
    let step = jit(
        |(p, s, (x, y)): &(P, optim::SgdState<P>, (Tensor, Tensor))| {
            let (loss, g) = value_and_grad(|p: &P| mse(&predict(p, x), y))(p);
            let (u, s) = opt.update(&g, s, p);
            (optim::apply_updates(p, &u), s, loss)
        },
    );
    let batches = Batches::new(data, 32).shuffle(key);
    let ((params, _), h) = Trainer::new(epochs).fit(
        (params, state),
        &batches,
        |(p, s), b| {
            let (p, s, loss) = step(&(p, s, b));
            ((p, s), loss)
        },
        |_, _| vec![],
    );
    let loss = h.metric("loss");
    println!(
        "  train MSE by epoch: first {:.4}, last {:.4} ({} epochs, {:.2} s in steps)",
        loss[0],
        loss[loss.len() - 1],
        epochs,
        h.train_seconds()
    );
    params
}

/// Least squares with an intercept, by the normal equations in f64 (Gauss-Jordan with
/// partial pivoting): the best linear fit, to compare SGD with.
fn least_squares(x: &[f32], y: &[f32], d: usize) -> Vec<f64> {
    let m = d + 1; // features + intercept
                   // The augmented normal equations [XᵀX | Xᵀy], X with a column of ones.
    let mut a = vec![vec![0.0f64; m + 1]; m];
    for (xi, &yi) in x.chunks(d).zip(y) {
        let r: Vec<f64> = xi.iter().map(|&v| v as f64).chain([1.0]).collect();
        for (aj, &rj) in a.iter_mut().zip(&r) {
            for (ajk, &rk) in aj.iter_mut().zip(&r) {
                *ajk += rj * rk;
            }
            aj[m] += rj * yi as f64;
        }
    }
    for c in 0..m {
        let p = (c..m)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        let pivot = a[c].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot[c];
                for (v, pv) in row.iter_mut().zip(&pivot).skip(c) {
                    *v -= f * pv;
                }
            }
        }
    }
    a.iter()
        .enumerate()
        .map(|(j, row)| row[m] / row[j])
        .collect()
}

fn main() {
    let keys = random::split(&random::key(0), 8);
    let k = |i| random::key_at(&keys, i);

    // ---------------------------------------------------------------- linear
    let (d, n_train, n_test) = (8usize, 1000usize, 1000usize);
    let w_true: Vec<f32> = vec![1.5, -2.0, 0.7, 0.0, 3.0, -0.5, 1.0, -1.2];
    let b_true = 0.5f32;
    let w_t = Tensor::from_vec(w_true.clone(), &[d, 1]);
    let make = |key: &Tensor, n: usize| {
        let [kx, ke] = random::split_n(key);
        let x = random::normal(&kx, &[n, d]);
        let y = x.matmul(&w_t) + b_true + random::normal(&ke, &[n, 1]) * NOISE_SD;
        (x, y)
    };
    let train = make(&k(0), n_train);
    let test = make(&k(1), n_test);
    println!("linear model, {d} features, {n_train} examples, noise sd {NOISE_SD}:");
    let init = nn::Linear {
        kernel: Tensor::zeros(&[d, 1], DType::F32),
        bias: Some(Tensor::zeros(&[1], DType::F32)),
    };
    let fitted = fit(init, &train, 0.01, 20, &k(2));
    let lin_mse = mse(&predict(&fitted, &test.0), &test.1).item::<f64>();
    let (w, b) = (fitted.kernel, fitted.bias.expect("the layer has a bias"));

    let ols = least_squares(&train.0.to_vec::<f32>(), &train.1.to_vec::<f32>(), d);
    let ols_w = Tensor::from_vec(ols[..d].iter().map(|&v| v as f32).collect(), &[d, 1]);
    let ols_b = Tensor::from_vec(vec![ols[d] as f32], &[1]);
    let ols = nn::Linear {
        kernel: ols_w,
        bias: Some(ols_b),
    };
    let ols_mse = mse(&predict(&ols, &test.0), &test.1).item::<f64>();
    let learned = w.to_vec::<f32>();
    let max_err = learned
        .iter()
        .zip(&w_true)
        .map(|(a, b)| (a - b).abs())
        .fold((b.item::<f32>() - b_true).abs(), f32::max);
    println!("  w learned: {learned:.3?}");
    println!("  w true:    {w_true:.3?}");
    println!(
        "  b learned {:.3}, true {b_true}; largest coefficient error {max_err:.4}",
        b.item::<f32>()
    );
    println!(
        "  test MSE {lin_mse:.5}; exact least squares {ols_mse:.5}; noise variance {:.5}",
        NOISE_SD * NOISE_SD
    );

    // ---------------------------------------------------------------- nonlinear
    let n = 2000;
    let f = |x: &Tensor| (x * 2.0).sin() + x * 0.3;
    let make = |key: &Tensor, n: usize| {
        let [kx, ke] = random::split_n(key);
        let x = random::uniform(&kx, &[n, 1]) * (2.0 * std::f32::consts::PI) - std::f32::consts::PI;
        let y = f(&x) + random::normal(&ke, &[n, 1]) * NOISE_SD;
        (x, y)
    };
    let train = make(&k(3), n);
    let test = make(&k(4), n);
    println!(
        "\nnonlinear: y = sin(2x) + 0.3x + noise on [-pi, pi], MLP 1-32-32-1 (tanh), {n} examples:"
    );
    let [k1, k2, k3] = random::split_n(&k(5));
    let mlp: Mlp = (
        nn::Linear::new(&k1, 1, 32),
        nn::Tanh,
        nn::Linear::new(&k2, 32, 32),
        nn::Tanh,
        nn::Linear::new(&k3, 32, 1),
    );
    let mlp = fit(mlp, &train, 0.02, 150, &k(6));
    let test_mse = mse(&predict(&mlp, &test.0), &test.1).item::<f64>();
    let clean_mse = mse(&predict(&mlp, &test.0), &f(&test.0)).item::<f64>();
    println!(
        "  test MSE {test_mse:.5} (should approach the noise variance {:.5}); error against the noiseless function {clean_mse:.5}",
        NOISE_SD * NOISE_SD
    );
    println!(
        "final test MSE: linear {lin_mse:.5} (least squares {ols_mse:.5}), nonlinear {test_mse:.5}; \
         both should be near the noise variance {:.5}",
        NOISE_SD * NOISE_SD
    );
}
