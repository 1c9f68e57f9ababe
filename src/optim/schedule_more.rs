//! More schedules with optax's definitions and op order: piecewise constant and interpolated,
//! one-cycle, SGDR restarts and the warmup variants.

use super::schedule::{
    exponential_decay, join_schedules, linear_schedule, warmup_cosine_decay_schedule,
};
use super::Schedule;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

fn f32_scalar(v: f64) -> Tensor {
    Tensor::full(&[], v, DType::F32)
}

/// Panics unless the boundaries increase and the scales are non-negative (optax sorts a dict;
/// here the caller lists them in order).
#[track_caller]
fn check_boundaries(op: &str, b: &[(i32, f64)]) {
    assert!(
        b.windows(2).all(|w| w[0].0 < w[1].0),
        "{op}: boundaries must increase, got {:?}",
        b.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    assert!(
        b.iter().all(|x| x.1 >= 0.0),
        "{op}: expects non-negative scale factors, got {:?}",
        b.iter().map(|x| x.1).collect::<Vec<_>>()
    );
}

/// `init_value` multiplied by each `scale` whose `boundary` the count has reached (optax's
/// `piecewise_constant_schedule`; `boundaries_and_scales` in increasing boundary order).
///
/// ```
/// let s = ferrax::optim::piecewise_constant_schedule(1.0, vec![(10, 0.5), (20, 0.1)]);
/// assert_eq!((s.at(9), s.at(10), s.at(25)), (1.0, 0.5, 0.05));
/// ```
#[track_caller]
pub fn piecewise_constant_schedule(
    init_value: f64,
    boundaries_and_scales: Vec<(i32, f64)>,
) -> Schedule {
    check_boundaries("piecewise_constant_schedule", &boundaries_and_scales);
    Schedule::new(move |count: &Tensor| {
        let count = count.cast(DType::I32);
        let mut v = f32_scalar(init_value);
        for &(threshold, scale) in &boundaries_and_scales {
            let ind = (-&count + threshold).sign().cast(DType::F32).maximum(0.0);
            v = &v * &ind + (-&ind + 1.0) * scale * &v;
        }
        v
    })
}

/// How [`piecewise_interpolate_schedule`] moves between its values.
///
/// ```
/// use ferrax::optim::Interpolation;
/// assert_ne!(Interpolation::Linear, Interpolation::Cosine);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// A straight line.
    Linear,
    /// Half a cosine wave (flat at both ends).
    Cosine,
}

/// Interpolates (linearly or along a cosine) between `init_value` and its running products with
/// the scales, reaching each at its boundary (optax's `piecewise_interpolate_schedule`;
/// boundaries in increasing order).
///
/// ```
/// use ferrax::optim::{piecewise_interpolate_schedule, Interpolation};
/// let s = piecewise_interpolate_schedule(Interpolation::Linear, 1.0, vec![(10, 0.5)]);
/// assert_eq!((s.at(0), s.at(5), s.at(10), s.at(50)), (1.0, 0.75, 0.5, 0.5));
/// ```
#[track_caller]
pub fn piecewise_interpolate_schedule(
    interpolate_type: Interpolation,
    init_value: f64,
    boundaries_and_scales: Vec<(i32, f64)>,
) -> Schedule {
    check_boundaries("piecewise_interpolate_schedule", &boundaries_and_scales);
    let mut bounds = vec![0i32];
    // optax's cumprod of the values, in f32.
    let mut values = vec![init_value as f32];
    for &(b, s) in &boundaries_and_scales {
        bounds.push(b);
        values.push(values[values.len() - 1] * s as f32);
    }
    Schedule::new(move |count: &Tensor| {
        let count = count.cast(DType::I32);
        let mut out = f32_scalar(0.0);
        for i in 0..bounds.len() - 1 {
            let (lo, hi) = (bounds[i], bounds[i + 1]);
            let inside = jnp::logical_and(count.ge(lo), count.lt(hi));
            let size = (hi - lo).max(1);
            let pct = (&count - lo).cast(DType::F32) / f32_scalar(size as f64);
            let (start, end) = (values[i] as f64, values[i + 1] as f64);
            let v = match interpolate_type {
                Interpolation::Linear => pct * (end - start) + start,
                Interpolation::Cosine => {
                    ((pct * std::f64::consts::PI).cos() + 1.0) * ((start - end) as f32 / 2.0) as f64
                        + end
                }
            };
            out = jnp::where_(&inside, v, &out);
        }
        let last = *values.last().expect("init value") as f64;
        out + count.ge(*bounds.last().expect("bound 0")).cast(DType::F32) * last
    })
}

/// One cycle: a cosine rise from `peak / div_factor` to `peak` over the first `pct_start` of
/// `transition_steps`, then a cosine fall to `peak / (div_factor * final_div_factor)` (optax's
/// `cosine_onecycle_schedule`; defaults `0.3`, `25`, `1e4`). Panics if `transition_steps <= 0`.
///
/// ```
/// let s = ferrax::optim::cosine_onecycle_schedule(100, 1.0, 0.3, 25.0, 1e4);
/// assert!((s.at(0) - 0.04).abs() < 1e-7 && (s.at(30) - 1.0).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cosine_onecycle_schedule(
    transition_steps: i32,
    peak_value: f64,
    pct_start: f64,
    div_factor: f64,
    final_div_factor: f64,
) -> Schedule {
    assert!(
        transition_steps > 0,
        "cosine_onecycle_schedule: transition_steps must be positive, got {transition_steps}"
    );
    piecewise_interpolate_schedule(
        Interpolation::Cosine,
        peak_value / div_factor,
        vec![
            ((pct_start * transition_steps as f64) as i32, div_factor),
            (transition_steps, 1.0 / (div_factor * final_div_factor)),
        ],
    )
}

/// One cycle with straight lines: up from `peak / div_factor` to `peak` by `pct_start`, down to
/// `peak / div_factor` by `pct_final`, then to `peak / (div_factor * final_div_factor)` (optax's
/// `linear_onecycle_schedule`; defaults `0.3`, `0.85`, `25`, `1e4`).
///
/// ```
/// let s = ferrax::optim::linear_onecycle_schedule(100, 1.0, 0.3, 0.85, 25.0, 1e4);
/// assert!((s.at(30) - 1.0).abs() < 1e-6 && (s.at(85) - 0.04).abs() < 1e-7);
/// ```
#[track_caller]
pub fn linear_onecycle_schedule(
    transition_steps: i32,
    peak_value: f64,
    pct_start: f64,
    pct_final: f64,
    div_factor: f64,
    final_div_factor: f64,
) -> Schedule {
    assert!(
        transition_steps > 0,
        "linear_onecycle_schedule: transition_steps must be positive, got {transition_steps}"
    );
    let t = transition_steps as f64;
    piecewise_interpolate_schedule(
        Interpolation::Linear,
        peak_value / div_factor,
        vec![
            ((pct_start * t) as i32, div_factor),
            ((pct_final * t) as i32, 1.0 / div_factor),
            (transition_steps, 1.0 / final_div_factor),
        ],
    )
}

/// The arguments of one [`warmup_cosine_decay_schedule`] cycle of [`sgdr_schedule`].
///
/// ```
/// let c = ferrax::optim::WarmupCosine { init_value: 0.0, peak_value: 1.0, warmup_steps: 10, decay_steps: 100, end_value: 0.0, exponent: 1.0 };
/// # let _ = c;
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmupCosine {
    /// The value at the cycle's start.
    pub init_value: f64,
    /// The value after warmup.
    pub peak_value: f64,
    /// Warmup length.
    pub warmup_steps: i32,
    /// Cycle length (warmup included).
    pub decay_steps: i32,
    /// The value at the cycle's end.
    pub end_value: f64,
    /// Exponent of the cosine decay.
    pub exponent: f64,
}

/// Warm restarts (optax's `sgdr_schedule`): warmup-cosine cycles one after another, each
/// starting its count at 0.
///
/// ```
/// use ferrax::optim::{sgdr_schedule, WarmupCosine};
/// let c = WarmupCosine { init_value: 0.0, peak_value: 1.0, warmup_steps: 2, decay_steps: 10, end_value: 0.0, exponent: 1.0 };
/// let s = sgdr_schedule(vec![c, c]);
/// assert_eq!((s.at(2), s.at(10), s.at(12)), (1.0, 0.0, 1.0));
/// ```
#[track_caller]
pub fn sgdr_schedule(cycles: Vec<WarmupCosine>) -> Schedule {
    let mut boundaries = vec![];
    let mut step = 0;
    let schedules = cycles
        .iter()
        .map(|c| {
            step += c.decay_steps;
            boundaries.push(step);
            warmup_cosine_decay_schedule(
                c.init_value,
                c.peak_value,
                c.warmup_steps,
                c.decay_steps,
                c.end_value,
                c.exponent,
            )
        })
        .collect();
    boundaries.pop();
    join_schedules(schedules, boundaries)
}

/// Linear warmup from `init_value` to `peak_value` over `warmup_steps`, then constant (optax's
/// `warmup_constant_schedule`).
///
/// ```
/// let s = ferrax::optim::warmup_constant_schedule(0.0, 1.0, 10);
/// assert_eq!((s.at(5), s.at(100)), (0.5, 1.0));
/// ```
pub fn warmup_constant_schedule(init_value: f64, peak_value: f64, warmup_steps: i32) -> Schedule {
    linear_schedule(init_value, peak_value, warmup_steps, 0)
}

/// Linear warmup to `peak_value`, then [`exponential_decay`](super::exponential_decay) from it
/// (optax's `warmup_exponential_decay_schedule`).
///
/// ```
/// let s = ferrax::optim::warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5, 0, true, None);
/// assert_eq!((s.at(5), s.at(10), s.at(20)), (0.5, 1.0, 0.5));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn warmup_exponential_decay_schedule(
    init_value: f64,
    peak_value: f64,
    warmup_steps: i32,
    transition_steps: i32,
    decay_rate: f64,
    transition_begin: i32,
    staircase: bool,
    end_value: Option<f64>,
) -> Schedule {
    join_schedules(
        vec![
            linear_schedule(init_value, peak_value, warmup_steps, 0),
            exponential_decay(
                peak_value,
                transition_steps,
                decay_rate,
                transition_begin,
                staircase,
                end_value,
            ),
        ],
        vec![warmup_steps],
    )
}
