//! Learning-rate schedules: functions of the (traced) `i32` step count returning an `f32`
//! scalar, with optax's definitions and op order (so values agree with optax's to rounding).

use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// A schedule: step count (an `i32` scalar tensor, possibly traced) to value (an `f32` scalar
/// tensor). Cheap to clone. Because it is a function of a tensor, a jitted training step that
/// evaluates it is traced once, not once per step.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::Schedule;
/// let halving = Schedule::new(|count: &Tensor| Tensor::scalar(0.5f32).pow(count.cast(DType::F32)));
/// assert_eq!(halving.at(3), 0.125);
/// ```
#[derive(Clone)]
pub struct Schedule(Arc<dyn Fn(&Tensor) -> Tensor + Send + Sync>);

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schedule { .. }")
    }
}

impl Schedule {
    /// Wraps a function of the step count.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::Schedule::new(|c: &Tensor| c.cast(DType::F32) * 0.1);
    /// assert_eq!(s.at(2), 0.2);
    /// ```
    pub fn new(f: impl Fn(&Tensor) -> Tensor + Send + Sync + 'static) -> Schedule {
        Schedule(Arc::new(f))
    }

    /// The value at `count` (an integer scalar tensor, possibly traced).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::constant_schedule(0.1);
    /// assert_eq!(s.call(&Tensor::scalar(7i32)).item::<f32>(), 0.1);
    /// ```
    #[track_caller]
    pub fn call(&self, count: &Tensor) -> Tensor {
        (self.0)(count)
    }

    /// The value at step `step`, evaluated now.
    ///
    /// ```
    /// assert_eq!(ferrax::optim::linear_schedule(0.0, 1.0, 4, 0).at(1), 0.25);
    /// ```
    #[track_caller]
    pub fn at(&self, step: i32) -> f32 {
        self.call(&Tensor::scalar(step))
            .cast(DType::F32)
            .item::<f32>()
    }
}

/// A learning rate: a constant or a [`Schedule`]. Optimizers take `impl Into<LearningRate>`,
/// so both `adam(1e-3)` and `adam(schedule)` work.
///
/// ```
/// use ferrax::optim::{self, LearningRate};
/// let a: LearningRate = 1e-3.into();
/// let b: LearningRate = optim::constant_schedule(1e-3).into();
/// assert!(matches!(a, LearningRate::Constant(_)) && matches!(b, LearningRate::Schedule(_)));
/// ```
#[derive(Clone, Debug)]
pub enum LearningRate {
    /// A fixed step size.
    Constant(f64),
    /// A step size that depends on the step count.
    Schedule(Schedule),
    /// A step size held in a scalar tensor, possibly traced: how
    /// [`inject_hyperparams`](super::inject_hyperparams) passes a learning rate kept in the
    /// optimizer state (stateless, as a constant).
    Tensor(Tensor),
}

from_variant!(LearningRate::Constant, |v| f64 => v, f32 => v as f64);
from_variant!(LearningRate::Schedule, |s| Schedule => s, &Schedule => s.clone());
from_variant!(LearningRate::Tensor, |t| Tensor => t, &Tensor => t.clone());

fn f32_scalar(v: f64) -> Tensor {
    Tensor::full(&[], v, DType::F32)
}

/// The same value at every step (optax's `constant_schedule`).
///
/// ```
/// assert_eq!(ferrax::optim::constant_schedule(0.5).at(1000), 0.5);
/// ```
pub fn constant_schedule(value: f64) -> Schedule {
    Schedule::new(move |_count: &Tensor| f32_scalar(value))
}

/// `(init - end) * (1 - t/steps)^power + end` with `t = clip(count - begin, 0, steps)`
/// (optax's `polynomial_schedule`); `transition_steps <= 0` gives the constant `init_value`.
///
/// ```
/// let s = ferrax::optim::polynomial_schedule(1.0, 0.0, 2.0, 10, 0);
/// assert!((s.at(5) - 0.25).abs() < 1e-7);
/// assert_eq!(s.at(20), 0.0);
/// ```
pub fn polynomial_schedule(
    init_value: f64,
    end_value: f64,
    power: f64,
    transition_steps: i32,
    transition_begin: i32,
) -> Schedule {
    if transition_steps <= 0 {
        return constant_schedule(init_value);
    }
    let begin = transition_begin.max(0);
    Schedule::new(move |count: &Tensor| {
        let c = count.cast(DType::I32) - begin;
        let c = c.maximum(0).minimum(transition_steps);
        let frac = 1.0 - c.cast(DType::F32) / f32_scalar(transition_steps as f64);
        let p = if power.fract() == 0.0 && power.abs() < 64.0 {
            frac.powi(power as i32)
        } else {
            frac.pow(power)
        };
        p * (init_value - end_value) + end_value
    })
}

/// Linear interpolation from `init_value` to `end_value` over `transition_steps` steps after
/// `transition_begin` (optax's `linear_schedule`).
///
/// ```
/// let s = ferrax::optim::linear_schedule(0.0, 0.1, 10, 0);
/// assert!((s.at(5) - 0.05).abs() < 1e-8);
/// ```
pub fn linear_schedule(
    init_value: f64,
    end_value: f64,
    transition_steps: i32,
    transition_begin: i32,
) -> Schedule {
    polynomial_schedule(
        init_value,
        end_value,
        1.0,
        transition_steps,
        transition_begin,
    )
}

/// `init * decay_rate^((count - begin) / transition_steps)` (the exponent floored when
/// `staircase`), `init` before `transition_begin`, and bounded by `end_value` if given (a
/// floor when decaying, a ceiling when growing): optax's `exponential_decay`.
///
/// ```
/// let s = ferrax::optim::exponential_decay(1.0, 10, 0.5, 0, true, None);
/// assert_eq!((s.at(9), s.at(10), s.at(25)), (1.0, 0.5, 0.25));
/// let floor = ferrax::optim::exponential_decay(1.0, 1, 0.5, 0, false, Some(0.1));
/// assert!((floor.at(100) - 0.1).abs() < 1e-8);
/// ```
pub fn exponential_decay(
    init_value: f64,
    transition_steps: i32,
    decay_rate: f64,
    transition_begin: i32,
    staircase: bool,
    end_value: Option<f64>,
) -> Schedule {
    if transition_steps <= 0 || decay_rate == 0.0 {
        return constant_schedule(init_value);
    }
    let begin = transition_begin.max(0);
    Schedule::new(move |count: &Tensor| {
        let dc = count.cast(DType::I32) - begin;
        let mut p = dc.cast(DType::F32) / f32_scalar(transition_steps as f64);
        if staircase {
            p = p.floor();
        }
        let decayed = f32_scalar(decay_rate).pow(&p) * init_value;
        let v = jnp::where_(&dc.le(0), f32_scalar(init_value), &decayed);
        match end_value {
            Some(e) if decay_rate < 1.0 => v.maximum(e),
            Some(e) => v.minimum(e),
            None => v,
        }
    })
}

/// `init * ((1 - alpha) * (0.5 (1 + cos(π min(t, steps) / steps)))^exponent + alpha)`
/// (optax's `cosine_decay_schedule`). Panics if `decay_steps <= 0`.
///
/// ```
/// let s = ferrax::optim::cosine_decay_schedule(1.0, 100, 0.0, 1.0);
/// assert_eq!(s.at(0), 1.0);
/// assert!((s.at(50) - 0.5).abs() < 1e-6);
/// assert!(s.at(100).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cosine_decay_schedule(
    init_value: f64,
    decay_steps: i32,
    alpha: f64,
    exponent: f64,
) -> Schedule {
    assert!(
        decay_steps > 0,
        "cosine_decay_schedule: decay_steps must be positive, got {decay_steps}"
    );
    Schedule::new(move |count: &Tensor| {
        let steps = decay_steps as f64;
        let t = count.cast(DType::F32).minimum(steps);
        let cd = ((t * std::f64::consts::PI / steps).cos() + 1.0) * 0.5;
        let cd = if exponent == 1.0 {
            cd
        } else {
            cd.pow(exponent)
        };
        (cd * (1.0 - alpha) + alpha) * init_value
    })
}

/// Runs `schedules[0]` until `boundaries[0]`, then `schedules[1]` with the count restarted
/// from 0, and so on (optax's `join_schedules`). Panics unless there is one boundary fewer
/// than schedules.
///
/// ```
/// use ferrax::optim::{constant_schedule, join_schedules};
/// let s = join_schedules(vec![constant_schedule(1.0), constant_schedule(2.0)], vec![5]);
/// assert_eq!((s.at(4), s.at(5)), (1.0, 2.0));
/// ```
#[track_caller]
pub fn join_schedules(schedules: Vec<Schedule>, boundaries: Vec<i32>) -> Schedule {
    assert!(
        !schedules.is_empty() && boundaries.len() + 1 == schedules.len(),
        "join_schedules: needs one boundary fewer than schedules, got {} schedules and {} \
         boundaries",
        schedules.len(),
        boundaries.len()
    );
    Schedule::new(move |count: &Tensor| {
        let count = count.cast(DType::I32);
        let mut out = schedules[0].call(&count);
        for (b, s) in boundaries.iter().zip(&schedules[1..]) {
            out = jnp::where_(&count.lt(*b), &out, s.call(&(&count - *b)));
        }
        out
    })
}

/// Linear warmup from `init_value` to `peak_value` over `warmup_steps`, then cosine decay to
/// `end_value` at step `decay_steps` (which counts the warmup), as optax's
/// `warmup_cosine_decay_schedule`.
///
/// ```
/// let s = ferrax::optim::warmup_cosine_decay_schedule(0.0, 1.0, 10, 110, 0.0, 1.0);
/// assert!((s.at(5) - 0.5).abs() < 1e-7);
/// assert_eq!(s.at(10), 1.0);
/// assert!((s.at(60) - 0.5).abs() < 1e-6);
/// ```
#[track_caller]
pub fn warmup_cosine_decay_schedule(
    init_value: f64,
    peak_value: f64,
    warmup_steps: i32,
    decay_steps: i32,
    end_value: f64,
    exponent: f64,
) -> Schedule {
    let alpha = if peak_value == 0.0 {
        0.0
    } else {
        end_value / peak_value
    };
    join_schedules(
        vec![
            linear_schedule(init_value, peak_value, warmup_steps, 0),
            cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent),
        ],
        vec![warmup_steps],
    )
}
