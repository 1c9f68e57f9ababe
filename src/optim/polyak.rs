//! Polyak's step size (optax's `scale_by_polyak` and `polyak_sgd`), which needs the loss value
//! at each step besides the gradient.

use super::{flatten_updates, leaves_global_norm, sgd, GradientTransformation, Sgd, StateOf};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// SGD with the Polyak step size `min((f(x) - f_min) / ‖g‖², max_learning_rate)`; made by
/// [`polyak_sgd`]. Its `update` takes the loss value too, so it is not a
/// [`GradientTransformation`] (optax passes the value as an extra argument).
///
/// ```
/// let opt: ferrax::optim::PolyakSgd = ferrax::optim::polyak_sgd(1.0, 1.0, 0.0, 0.0, false);
/// # let _ = opt;
/// ```
#[derive(Clone, Debug)]
pub struct PolyakSgd {
    sgd: Sgd,
    max_learning_rate: f64,
    f_min: f64,
    eps: f64,
    plus: bool,
}

/// SGD with Polyak's step size (optax's `polyak_sgd`: `chain(sgd(scaling),
/// scale_by_polyak(max_learning_rate, f_min, eps, variant))`; defaults `1, 1, 0, 0`, variant
/// `sps`, or `sps+` with `plus`, which clips a negative gap `f(x) - f_min` at 0).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::polyak_sgd(10.0, 1.0, 0.0, 0.0, false);
/// let p = Tensor::from_vec(vec![2.0f32], &[1]);
/// let loss = |p: &Tensor| p.square().sum();
/// let (u, _) = opt.update(&grad(loss)(&p), &opt.init(&p), &p, &loss(&p));
/// // f = 4, g = 4: the step 4 / 16 sends p to 2 - 0.25 * 4 = 1.
/// assert_eq!(u.to_vec::<f32>(), vec![-1.0]);
/// ```
pub fn polyak_sgd(
    max_learning_rate: f64,
    scaling: f64,
    f_min: f64,
    eps: f64,
    plus: bool,
) -> PolyakSgd {
    PolyakSgd {
        sgd: sgd(scaling, None, false),
        max_learning_rate,
        f_min,
        eps,
        plus,
    }
}

impl PolyakSgd {
    /// The initial state (SGD's).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::polyak_sgd(1.0, 1.0, 0.0, 0.0, false).init(&Tensor::scalar(1.0f32));
    /// assert!(s.0.is_none());
    /// ```
    pub fn init<P: PyTree + Clone>(&self, params: &P) -> StateOf<Sgd, P> {
        self.sgd.init(params)
    }

    /// The updates for `grads` at loss `value` (a scalar), and the new state.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let opt = ferrax::optim::polyak_sgd(0.1, 1.0, 0.0, 0.0, false);
    /// let p = Tensor::scalar(1.0f32);
    /// let (u, _) = opt.update(&p, &opt.init(&p), &p, &Tensor::scalar(100.0f32));
    /// assert!((u.item::<f32>() + 0.1).abs() < 1e-7); // capped at max_learning_rate
    /// ```
    #[track_caller]
    pub fn update<P: PyTree + Clone>(
        &self,
        grads: &P,
        state: &StateOf<Sgd, P>,
        params: &P,
        value: &Tensor,
    ) -> (P, StateOf<Sgd, P>) {
        let (u, state) = self.sgd.update(grads, state, params);
        let (u, def) = flatten_updates("polyak_sgd", &u, params);
        let sq = leaves_global_norm(&u).square();
        let mut gap = (value - self.f_min).cast(sq.dtype());
        if self.plus {
            gap = jnp::maximum(gap, 0.0);
        }
        let denom = &sq + self.eps;
        let tiny = denom.le(f64::EPSILON);
        let step = jnp::where_(
            &tiny,
            0.0,
            jnp::minimum(gap / &denom, self.max_learning_rate),
        );
        let u = u.iter().map(|u| u * step.cast(u.dtype())).collect();
        (P::unflatten(&def, u), state)
    }
}
