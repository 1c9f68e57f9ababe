//! The Gaussian-process likelihood of examples/gaussian_process/ (its `gp.rs`, included
//! here): the negative log marginal likelihood and its gradient with respect to the three
//! log-hyperparameters, eager and jitted, against a plain-Rust f64 reference written from
//! the textbook formulas (Rasmussen & Williams eq. 2.30 and 5.9:
//! `dNLL/dθ = ½ tr((K⁻¹ − ααᵀ) ∂K/∂θ)`), with its own Cholesky and substitutions.

use ferrax::prelude::*;

#[path = "../../examples/gaussian_process/gp.rs"]
mod gp;

/// `a = l lᵀ` by the Cholesky–Banachiewicz loops.
fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            l[i * n + j] = if i == j {
                (a[i * n + i] - s).sqrt()
            } else {
                (a[i * n + j] - s) / l[j * n + j]
            };
        }
    }
    l
}

/// `(l lᵀ)⁻¹ b` by forward then backward substitution.
fn cho_solve(l: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| l[i * n + k] * y[k]).sum::<f64>()) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| l[k * n + i] * x[k]).sum::<f64>()) / l[i * n + i];
    }
    x
}

/// The NLL and its gradient in (log ell, log sf2, log sn2), from the formulas.
fn reference(x: &[f64], y: &[f64], h: [f64; 3]) -> (f64, [f64; 3]) {
    let n = x.len();
    let (ell2, sf2, sn2) = ((2.0 * h[0]).exp(), h[1].exp(), h[2].exp());
    let mut rbf = vec![0.0; n * n];
    let mut d_ell = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d2 = (x[i] - x[j]).powi(2);
            rbf[i * n + j] = sf2 * (-0.5 * d2 / ell2).exp();
            d_ell[i * n + j] = rbf[i * n + j] * d2 / ell2;
        }
    }
    let mut k = rbf.clone();
    for i in 0..n {
        k[i * n + i] += sn2;
    }
    let l = cholesky(&k, n);
    let alpha = cho_solve(&l, y, n);
    let quad: f64 = y.iter().zip(&alpha).map(|(a, b)| a * b).sum();
    let logdet: f64 = (0..n).map(|i| l[i * n + i].ln()).sum();
    let nll = 0.5 * quad + logdet + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
    // K⁻¹ column by column.
    let mut kinv = vec![0.0; n * n];
    for c in 0..n {
        let e: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == c))).collect();
        for (i, v) in cho_solve(&l, &e, n).into_iter().enumerate() {
            kinv[i * n + c] = v;
        }
    }
    // ½ tr((K⁻¹ − ααᵀ) D) for symmetric D.
    let half_trace = |dk: &dyn Fn(usize, usize) -> f64| -> f64 {
        let mut t = 0.0;
        for i in 0..n {
            for j in 0..n {
                t += (kinv[i * n + j] - alpha[i] * alpha[j]) * dk(j, i);
            }
        }
        0.5 * t
    };
    let g = [
        half_trace(&|i, j| d_ell[i * n + j]),
        half_trace(&|i, j| rbf[i * n + j]),
        half_trace(&|i, j| if i == j { sn2 } else { 0.0 }),
    ];
    (nll, g)
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
        "{what}: ferrax {got}, reference {want}"
    );
}

#[test]
fn gp_nll_and_gradient_match_the_reference() {
    let (x, y) = gp::data(24);
    let (xs, ys) = (x.to_vec::<f64>(), y.to_vec::<f64>());
    let point = [0.3, -0.2, -1.5];
    let h = gp::hyper(point[0], point[1], point[2]);
    let (want_nll, want_g) = reference(&xs, &ys, point);
    let vg = value_and_grad(|h: &gp::Hyper| gp::nll(h, &x, &y));
    let jitted = jit(|h: &gp::Hyper| value_and_grad(|h: &gp::Hyper| gp::nll(h, &x, &y))(h));
    for (label, (nll, g)) in [("eager", vg(&h)), ("jit", jitted(&h))] {
        close(nll.item::<f64>(), want_nll, &format!("{label} nll"));
        let got = [g.0.item::<f64>(), g.1.item::<f64>(), g.2.item::<f64>()];
        for (i, (a, b)) in got.iter().zip(want_g).enumerate() {
            close(*a, b, &format!("{label} d nll / d h[{i}]"));
        }
    }
}

#[test]
fn gp_data_is_the_documented_draw() {
    // The sums JAX 0.10.2 prints for the same draw (examples/reference/gaussian_process.py:
    // "sum(x) = 7.796971, sum(y) = 8.024287"): the example and the JAX fit see one data set.
    let (x, y) = gp::data(60);
    assert!((x.sum().item::<f64>() - 7.796971).abs() < 1e-6);
    assert!((y.sum().item::<f64>() - 8.024287).abs() < 1e-6);
    // The inputs lie in [-3, 3) and the targets stay within the noise of sin(2x) + 0.5x.
    for (xi, yi) in x.to_vec::<f64>().into_iter().zip(y.to_vec::<f64>()) {
        assert!((-3.0..3.0).contains(&xi));
        assert!(
            (yi - ((2.0 * xi).sin() + 0.5 * xi)).abs() < 1.0,
            "{xi} {yi}"
        );
    }
}
