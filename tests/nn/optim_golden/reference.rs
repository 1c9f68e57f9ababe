//! Optax's update rules written out in plain f64, one optimizer at a time, for
//! tests/nn/optim.rs (ferrax's optimizers with f64 moments must follow them to ~1e-12).

/// One reference update: (step, gradient, params) -> new params.
pub type ReferenceStep = Box<dyn FnMut(usize, &[f64], &[f64]) -> Vec<f64>>;

/// Optax's update rules written out in plain f64, one optimizer at a time.
pub struct Reference {
    pub step: ReferenceStep,
}

fn ema(m: &mut [f64], g: &[f64], decay: f64, pow: i32) {
    for (m, g) in m.iter_mut().zip(g) {
        *m = (1.0 - decay) * g.powi(pow) + decay * *m;
    }
}

pub fn ref_sgd(lr: fn(usize) -> f64, momentum: Option<f64>, nesterov: bool, n: usize) -> Reference {
    let mut tr = vec![0.0; n];
    Reference {
        step: Box::new(move |t, g, _p| {
            let mut u = g.to_vec();
            if let Some(m) = momentum {
                for i in 0..n {
                    tr[i] = g[i] + m * tr[i];
                    u[i] = if nesterov { g[i] + m * tr[i] } else { tr[i] };
                }
            }
            u.iter().map(|u| -lr(t) * u).collect()
        }),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn ref_adam(
    lr: fn(usize) -> f64,
    b1: f64,
    b2: f64,
    eps: f64,
    eps_root: f64,
    nesterov: bool,
    wd: Option<(f64, Vec<bool>)>,
    clip: Option<f64>,
) -> Reference {
    let (mut mu, mut nu) = (vec![], vec![]);
    Reference {
        step: Box::new(move |t, g, p| {
            let mut g = g.to_vec();
            if let Some(c) = clip {
                let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
                if norm >= c {
                    g.iter_mut().for_each(|x| *x = *x / norm * c);
                }
            }
            if mu.is_empty() {
                mu = vec![0.0; g.len()];
                nu = vec![0.0; g.len()];
            }
            ema(&mut mu, &g, b1, 1);
            ema(&mut nu, &g, b2, 2);
            let c = (t + 1) as i32;
            (0..g.len())
                .map(|i| {
                    let m_hat = if nesterov {
                        b1 * mu[i] / (1.0 - b1.powi(c + 1)) + (1.0 - b1) * g[i] / (1.0 - b1.powi(c))
                    } else {
                        mu[i] / (1.0 - b1.powi(c))
                    };
                    let v_hat = nu[i] / (1.0 - b2.powi(c));
                    let mut u = m_hat / ((v_hat + eps_root).sqrt() + eps);
                    if let Some((w, mask)) = &wd
                        && mask[i]
                    {
                        u += w * p[i];
                    }
                    -lr(t) * u
                })
                .collect()
        }),
    }
}

pub fn ref_rmsprop(
    lr: f64,
    decay: f64,
    eps: f64,
    centered: bool,
    momentum: Option<f64>,
) -> Reference {
    let (mut mu, mut nu, mut tr) = (vec![], vec![], vec![]);
    Reference {
        step: Box::new(move |_t, g, _p| {
            if nu.is_empty() {
                mu = vec![0.0; g.len()];
                nu = vec![0.0; g.len()];
                tr = vec![0.0; g.len()];
            }
            ema(&mut mu, g, decay, 1);
            ema(&mut nu, g, decay, 2);
            (0..g.len())
                .map(|i| {
                    let var = if centered {
                        nu[i] - mu[i] * mu[i]
                    } else {
                        nu[i]
                    };
                    let u = -lr * g[i] / (var + eps).sqrt();
                    match momentum {
                        Some(m) => {
                            tr[i] = u + m * tr[i];
                            tr[i]
                        }
                        None => u,
                    }
                })
                .collect()
        }),
    }
}

pub fn ref_adagrad(lr: f64, init: f64, eps: f64) -> Reference {
    let mut sos = vec![];
    Reference {
        step: Box::new(move |_t, g, _p| {
            if sos.is_empty() {
                sos = vec![init; g.len()];
            }
            (0..g.len())
                .map(|i| {
                    sos[i] += g[i] * g[i];
                    let s = if sos[i] > 0.0 {
                        1.0 / (sos[i] + eps).sqrt()
                    } else {
                        0.0
                    };
                    -lr * s * g[i]
                })
                .collect()
        }),
    }
}

pub fn const_lr<const MILLI: u32>(_: usize) -> f64 {
    MILLI as f64 / 1000.0
}

/// optax.warmup_cosine_decay_schedule(0, 0.01, 2, 5, 0.001) in f64.
pub fn warmup_cosine(t: usize) -> f64 {
    let (peak, warm, decay, end) = (0.01, 2.0, 5.0, 0.001);
    let t = t as f64;
    if t < warm {
        peak * t / warm
    } else {
        let steps = decay - warm;
        let c = (t - warm).min(steps);
        let alpha = end / peak;
        peak * ((1.0 - alpha) * 0.5 * (1.0 + (std::f64::consts::PI * c / steps).cos()) + alpha)
    }
}
