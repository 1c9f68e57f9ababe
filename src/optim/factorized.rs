//! Adafactor: factored second moments (optax's `scale_by_factored_rms`) and the `adafactor`
//! alias built from it.

use super::{
    add_decayed_weights, chain, clip_by_block_rms, ema, flatten_updates, safe_increment, scale,
    scale_by_learning_rate, scale_by_param_block_rms, zero_count, AddDecayedWeights, Chain,
    ClipByBlockRms, Ema, GradientTransformation, LearningRate, Mask, Scale, ScaleByLearningRate,
    ScaleByParamBlock, Schedule,
};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;

/// The state of [`ScaleByFactoredRms`] (optax's `FactoredState`): per parameter leaf, in leaf
/// order, the row and column averages of a factored leaf (`[1]` placeholders otherwise) and the
/// full average of an unfactored one (a `[1]` placeholder otherwise).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByFactoredRms};
/// let t = ScaleByFactoredRms { min_dim_size_to_factor: 2, ..Default::default() };
/// let s = t.init(&Tensor::zeros(&[2, 3], DType::F32));
/// assert_eq!((s.v_row[0].shape(), s.v_col[0].shape()), (&[2usize][..], &[3usize][..]));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct FactoredState {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// Per leaf: the average over the largest axis (factored leaves).
    pub v_row: Vec<Tensor>,
    /// Per leaf: the average over the second-largest axis (factored leaves).
    pub v_col: Vec<Tensor>,
    /// Per leaf: the full average (unfactored leaves).
    pub v: Vec<Tensor>,
}

/// Adafactor's scaling (optax's `scale_by_factored_rms`): divides by the root of a moving
/// average of squared gradients, kept for a matrix (or larger) leaf as its row and column
/// averages over the two largest axes, with decay `1 - (t + 1)^-decay_rate`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByFactoredRms};
/// let t = ScaleByFactoredRms::default();
/// let g = Tensor::from_vec(vec![2.0f32, -4.0], &[2]);
/// // The first step's decay is 0: the update is g / |g|.
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert_eq!(u.to_vec::<f32>(), vec![1.0, -1.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByFactoredRms {
    /// Factor the second moments of leaves of rank ≥ 2.
    pub factored: bool,
    /// The decay exponent.
    pub decay_rate: f64,
    /// Subtracted from the step count in the decay.
    pub step_offset: i32,
    /// Leaves whose second-largest axis is shorter are not factored.
    pub min_dim_size_to_factor: usize,
    /// Added to the squared gradients.
    pub epsilon: f64,
}

impl Default for ScaleByFactoredRms {
    fn default() -> Self {
        ScaleByFactoredRms {
            factored: true,
            decay_rate: 0.8,
            step_offset: 0,
            min_dim_size_to_factor: 128,
            epsilon: 1e-30,
        }
    }
}

impl ScaleByFactoredRms {
    /// `(d1, d0)`: the second-largest and the largest axis (later axes win ties, as a stable
    /// argsort), if the leaf is factored.
    fn factored_dims(&self, shape: &[usize]) -> Option<(usize, usize)> {
        if !self.factored || shape.len() < 2 {
            return None;
        }
        let last_max = |skip: Option<usize>| {
            (0..shape.len())
                .filter(|&i| Some(i) != skip)
                .fold(None, |best: Option<usize>, i| match best {
                    Some(b) if shape[b] > shape[i] => Some(b),
                    _ => Some(i),
                })
                .expect("rank >= 2")
        };
        let d0 = last_max(None);
        let d1 = last_max(Some(d0));
        (shape[d1] >= self.min_dim_size_to_factor).then_some((d1, d0))
    }
}

fn without_axis(shape: &[usize], axis: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s.remove(axis);
    s
}

impl GradientTransformation for ScaleByFactoredRms {
    type State<P: PyTree + Clone> = FactoredState;
    fn init<P: PyTree + Clone>(&self, params: &P) -> FactoredState {
        let (mut v_row, mut v_col, mut v) = (vec![], vec![], vec![]);
        for p in params.leaves() {
            let (s, d) = (p.shape(), p.dtype());
            let one = || Tensor::zeros(&[1], d);
            match self.factored_dims(s) {
                Some((d1, d0)) => {
                    v_row.push(Tensor::zeros(&without_axis(s, d0), d));
                    v_col.push(Tensor::zeros(&without_axis(s, d1), d));
                    v.push(one());
                }
                None => {
                    v_row.push(one());
                    v_col.push(one());
                    v.push(Tensor::zeros(s, d));
                }
            }
        }
        FactoredState {
            count: zero_count(),
            v_row,
            v_col,
            v,
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &FactoredState,
        params: &P,
    ) -> (P, FactoredState) {
        const OP: &str = "scale_by_factored_rms";
        let (g, def) = flatten_updates(OP, updates, params);
        assert!(
            state.v.len() == g.len()
                && state.v_row.len() == g.len()
                && state.v_col.len() == g.len(),
            "optim::{OP}: the state has {} leaves, the params {}",
            state.v.len(),
            g.len()
        );
        let t = (&state.count - self.step_offset + 1).cast(DType::F32);
        let decay = -t.pow(Tensor::full(&[], -self.decay_rate, DType::F32)) + 1.0;
        let mut out = FactoredState {
            count: safe_increment(&state.count),
            v_row: vec![],
            v_col: vec![],
            v: vec![],
        };
        let mut u = vec![];
        for (i, g) in g.iter().enumerate() {
            let dt = g.dtype();
            let decay = decay.cast(dt);
            let keep = -&decay + 1.0;
            let g2 = g.square() + self.epsilon;
            let one = || Tensor::zeros(&[1], dt);
            match self.factored_dims(g.shape()) {
                Some((d1, d0)) => {
                    let row =
                        &decay * &state.v_row[i] + &keep * jnp::mean(&g2, Some(&[d0 as isize]));
                    let col =
                        &decay * &state.v_col[i] + &keep * jnp::mean(&g2, Some(&[d1 as isize]));
                    let rd1 = if d1 > d0 { d1 - 1 } else { d1 };
                    let row_mean =
                        jnp::expand_dims(&jnp::mean(&row, Some(&[rd1 as isize])), rd1 as isize);
                    let row_factor = (&row / row_mean).pow(-0.5);
                    let col_factor = col.pow(-0.5);
                    u.push(
                        g * jnp::expand_dims(&row_factor, d0 as isize)
                            * jnp::expand_dims(&col_factor, d1 as isize),
                    );
                    out.v_row.push(row);
                    out.v_col.push(col);
                    out.v.push(one());
                }
                None => {
                    let v = &decay * &state.v[i] + &keep * g2;
                    u.push(g * v.pow(-0.5));
                    out.v_row.push(one());
                    out.v_col.push(one());
                    out.v.push(v);
                }
            }
        }
        (P::unflatten(&def, u), out)
    }
}

/// The type of [`adafactor`]: the factored scaling, then the optional block clipping,
/// learning rate, parameter-scale multiplication, momentum and weight decay, then `scale(-1)`.
pub type Adafactor = Chain<(
    ScaleByFactoredRms,
    Option<ClipByBlockRms>,
    Option<ScaleByLearningRate>,
    Option<ScaleByParamBlock>,
    Option<Ema>,
    Option<AddDecayedWeights>,
    Scale,
)>;

/// Adafactor's options besides the learning rate (optax's defaults:
/// `min_dim_size_to_factor = 128`, `decay_rate = 0.8`, `decay_offset = 0`,
/// `multiply_by_parameter_scale = true`, `clipping_threshold = Some(1.0)`, no momentum, no
/// weight decay, `eps = 1e-30`, `factored = true`).
///
/// ```
/// let o = ferrax::optim::AdafactorOptions::default();
/// assert_eq!(o.clipping_threshold, Some(1.0));
/// ```
#[derive(Clone, Debug)]
pub struct AdafactorOptions {
    /// Leaves whose second-largest axis is shorter keep a full second moment.
    pub min_dim_size_to_factor: usize,
    /// The decay exponent.
    pub decay_rate: f64,
    /// Subtracted from the step count in the decay.
    pub decay_offset: i32,
    /// Scale updates by the parameters' RMS (relative step size).
    pub multiply_by_parameter_scale: bool,
    /// Block-RMS clipping of the scaled updates.
    pub clipping_threshold: Option<f64>,
    /// Momentum (an un-debiased moving average of the updates).
    pub momentum: Option<f64>,
    /// Decoupled weight decay.
    pub weight_decay_rate: Option<f64>,
    /// The leaves decayed (`None`: all).
    pub weight_decay_mask: Option<Mask>,
    /// Added to the squared gradients.
    pub eps: f64,
    /// Factor the second moments.
    pub factored: bool,
}

impl Default for AdafactorOptions {
    fn default() -> Self {
        AdafactorOptions {
            min_dim_size_to_factor: 128,
            decay_rate: 0.8,
            decay_offset: 0,
            multiply_by_parameter_scale: true,
            clipping_threshold: Some(1.0),
            momentum: None,
            weight_decay_rate: None,
            weight_decay_mask: None,
            eps: 1e-30,
            factored: true,
        }
    }
}

/// Adafactor with optax's defaults (optax's `adafactor`); `learning_rate` may be `None`, as in
/// optax (the relative step size then comes from the parameter scale alone).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adafactor(Some(0.1.into()));
/// let p = Tensor::from_vec(vec![3.0f32, -3.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// // sign(g), times lr, times rms(p) = 3, negated.
/// assert!((u.to_vec::<f32>()[0] + 0.3).abs() < 1e-5);
/// ```
pub fn adafactor(learning_rate: Option<LearningRate>) -> Adafactor {
    adafactor_with(learning_rate, AdafactorOptions::default())
}

/// Adafactor with explicit options.
///
/// ```
/// use ferrax::optim::{self, AdafactorOptions};
/// let o = AdafactorOptions { momentum: Some(0.9), weight_decay_rate: Some(1e-3), ..Default::default() };
/// let opt = optim::adafactor_with(Some(1e-2.into()), o);
/// # let _ = opt;
/// ```
pub fn adafactor_with(learning_rate: Option<LearningRate>, o: AdafactorOptions) -> Adafactor {
    // optax scales by +learning_rate here (flip_sign=False) and negates at the end.
    let lr = learning_rate.map(|lr| {
        scale_by_learning_rate(match lr {
            LearningRate::Constant(c) => LearningRate::Constant(-c),
            LearningRate::Tensor(t) => LearningRate::Tensor(-t),
            LearningRate::Schedule(s) => LearningRate::Schedule(Schedule::new(move |c| -s.call(c))),
        })
    });
    chain((
        ScaleByFactoredRms {
            factored: o.factored,
            decay_rate: o.decay_rate,
            step_offset: o.decay_offset,
            min_dim_size_to_factor: o.min_dim_size_to_factor,
            epsilon: o.eps,
        },
        o.clipping_threshold.map(clip_by_block_rms),
        lr,
        o.multiply_by_parameter_scale
            .then(|| scale_by_param_block_rms(1e-3)),
        o.momentum.map(|m| ema(m, false)),
        o.weight_decay_rate
            .map(|w| add_decayed_weights(w, o.weight_decay_mask.clone())),
        scale(-1.0),
    ))
}
