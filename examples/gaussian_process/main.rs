//! Fitting a Gaussian process's hyperparameters by gradient descent on its negative log
//! marginal likelihood: an RBF kernel (length-scale, signal variance) plus noise, all three
//! in log space, fitted with Adam (`ferrax::optim::adam`, as optax's) through a jitted
//! `value_and_grad` of a likelihood that goes through `linalg::cholesky` and
//! `linalg::cho_solve`. The data (60 noisy points of `sin(2x) + 0.5x`) is drawn from fixed
//! keys exactly as `jax.random` draws it, and `examples/reference/gaussian_process.py` does
//! the same fit in JAX, so the two outputs can be compared line by line.
//!
//! ```text
//! cargo run --release --example gaussian_process
//! ```

use ferrax::optim::{self, GradientTransformation};
use ferrax::prelude::*;

mod gp;
use gp::Hyper;

const N: usize = 60;
const STEPS: usize = 300;
const LEARNING_RATE: f64 = 0.05;

fn show(label: &str, h: &Hyper, nll: f64) {
    let (ell, sf2, sn2) = (h.0.item::<f64>(), h.1.item::<f64>(), h.2.item::<f64>());
    println!(
        "{label:8} length-scale {:.6}  signal variance {:.6}  noise variance {:.6}  nll {nll:.6}",
        ell.exp(),
        sf2.exp(),
        sn2.exp()
    );
}

fn main() {
    let (x, y) = gp::data(N);
    println!(
        "data: {N} points, sum(x) = {:.6}, sum(y) = {:.6}",
        x.sum().item::<f64>(),
        y.sum().item::<f64>()
    );
    let opt = optim::adam(LEARNING_RATE);
    let step = jit(|(h, s): &(Hyper, optim::StateOf<optim::Adam, Hyper>)| {
        let (loss, g) = value_and_grad(|h: &Hyper| gp::nll(h, &x, &y))(h);
        let (u, s) = opt.update(&g, s, h);
        (optim::apply_updates(h, &u), s, loss)
    });
    let mut h = gp::hyper(0.0, 0.0, 0.0);
    let mut state = opt.init(&h);
    show("initial", &h, gp::nll(&h, &x, &y).item::<f64>());
    for i in 0..STEPS {
        let (nh, ns, loss) = step(&(h, state));
        if i % 50 == 0 {
            println!("step {i:4}  nll {:.6}", loss.item::<f64>());
        }
        (h, state) = (nh, ns);
    }
    show("fitted", &h, gp::nll(&h, &x, &y).item::<f64>());
}
