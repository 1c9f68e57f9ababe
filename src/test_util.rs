//! `check_grads`: test a function's derivatives against central finite differences, in
//! forward and reverse mode, up to any order. Public so users test their own code with it
//! (inside their proptest tests, for instance), as with `jax.test_util.check_grads`.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::test_util::check_grads;
//! let x = Tensor::from_vec(vec![0.3f64, -1.2, 2.0], &[3]);
//! check_grads(|x: &Tensor| (x.sin() * x).sum(), &x, 2);
//! ```

use crate::core::with_trace;
use crate::interpreters::{jvp_flat as jvp_leaves, linearize_flat, zeros_like, zeros_of};
use crate::lax;
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;
use std::fmt;
use std::rc::Rc;

/// A function on flattened leaves (the form the checker recurses on).
type FlatFn<'a> = Rc<dyn Fn(&[Tensor]) -> Vec<Tensor> + 'a>;

/// Which modes to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modes {
    /// Forward mode only.
    Fwd,
    /// Reverse mode only.
    Rev,
    /// Both (the default).
    Both,
}

/// Settings for [`check_grads_with`].
#[derive(Clone, Debug)]
pub struct GradCheckOptions {
    /// Highest derivative order to check (1 = first derivatives).
    pub order: usize,
    /// Forward, reverse or both.
    pub modes: Modes,
    /// Finite-difference step (applied in f64; Richardson-extrapolated with half of it).
    pub eps: f64,
    /// Absolute tolerance; `None` picks by dtype (f32: 2e-3, f64: 1e-5, as JAX).
    pub atol: Option<f64>,
    /// Relative tolerance; `None` picks by dtype (f32: 2e-3, f64: 1e-5).
    pub rtol: Option<f64>,
    /// Seed of the random tangent/cotangent directions.
    pub seed: u64,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        GradCheckOptions {
            order: 1,
            modes: Modes::Both,
            eps: 1e-4,
            atol: None,
            rtol: None,
            seed: 0,
        }
    }
}

/// The worst disagreement found by a check.
#[derive(Clone, Debug)]
pub struct GradCheckFailure {
    /// Which check: e.g. `"order 1 jvp"`, `"order 2 (rev) vjp"`.
    pub check: String,
    /// Output leaf and flat element index of the worst mismatch.
    pub leaf: usize,
    pub index: usize,
    /// The value from autodiff and the reference (finite differences or inner product).
    pub got: f64,
    pub expected: f64,
    /// |got - expected| / (atol + rtol |expected|): above 1 fails.
    pub ratio: f64,
}

impl fmt::Display for GradCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: output leaf {} element {}: autodiff gives {:e}, reference {:e} (error {:.3}x the tolerance)",
            self.check, self.leaf, self.index, self.got, self.expected, self.ratio
        )
    }
}

/// Checks derivatives of `f` at `args` up to `order`, in forward and reverse mode, against
/// central finite differences computed in f64; panics with the worst mismatch (which check,
/// which output leaf and element, both values). Float leaves are perturbed; integer leaves
/// are held fixed.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::test_util::check_grads;
/// let w = Tensor::from_vec(vec![0.5f64, -0.25, 1.0, 2.0], &[2, 2]);
/// let x = Tensor::from_vec(vec![1.0f64, -1.0], &[2]);
/// check_grads(|(w, x): &(Tensor, Tensor)| w.matmul(x).tanh(), &(w, x), 2);
/// ```
#[track_caller]
pub fn check_grads<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O, args: &P, order: usize) {
    let opts = GradCheckOptions {
        order,
        ..Default::default()
    };
    if let Err(e) = check_grads_with(f, args, &opts) {
        panic!("check_grads failed: {e}");
    }
}

/// [`check_grads`] with options; returns the worst mismatch instead of panicking.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::test_util::{check_grads_with, GradCheckOptions, Modes};
/// let x = Tensor::from_vec(vec![0.5f32, 1.5], &[2]);
/// let opts = GradCheckOptions { order: 1, modes: Modes::Rev, ..Default::default() };
/// assert!(check_grads_with(|x: &Tensor| x.exp(), &x, &opts).is_ok());
/// ```
pub fn check_grads_with<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    args: &P,
    opts: &GradCheckOptions,
) -> Result<(), GradCheckFailure> {
    let def = args.treedef();
    let flat: FlatFn<'_> =
        Rc::new(move |leaves: &[Tensor]| f(&P::unflatten(&def, leaves.to_vec())).leaves());
    let mut rng = SplitMix(opts.seed);
    check_flat(&flat, &args.leaves(), opts, opts.order, "", &mut rng)
}

fn check_flat<'a>(
    f: &FlatFn<'a>,
    xs: &[Tensor],
    opts: &GradCheckOptions,
    order: usize,
    label: &str,
    rng: &mut SplitMix,
) -> Result<(), GradCheckFailure> {
    let depth = opts.order - order + 1;
    if matches!(opts.modes, Modes::Fwd | Modes::Both) {
        let m = measure_jvp(f, xs, opts.eps, rng);
        compare(&m, opts, &format!("order {depth}{label} jvp"))?;
        if order > 1 {
            let n = xs.len();
            let inner = f.clone();
            let g: FlatFn<'a> = Rc::new(move |both: &[Tensor]| {
                let (ys, ts) = jvp_flat(&inner, &both[..n], &both[n..]);
                ys.into_iter().chain(ts).collect()
            });
            let mut both: Vec<Tensor> = xs.to_vec();
            both.extend(random_like(xs, rng));
            check_flat(&g, &both, opts, order - 1, &format!("{label} (fwd)"), rng)?;
        }
    }
    if matches!(opts.modes, Modes::Rev | Modes::Both) {
        let m = measure_vjp(f, xs, opts.eps, rng);
        compare(&m, opts, &format!("order {depth}{label} vjp"))?;
        if order > 1 {
            let inner = f.clone();
            // As JAX: differentiate x ↦ vjp(f, x)(f(x)), the pullback of the output itself.
            let g: FlatFn<'a> = Rc::new(move |x: &[Tensor]| {
                let (ys, lin) = linearize_flat(x, |xs| inner(xs));
                pull_back_flat(&lin, &ys)
            });
            check_flat(&g, xs, opts, order - 1, &format!("{label} (rev)"), rng)?;
        }
    }
    Ok(())
}

/// Forward mode (the Jvp trace) on flat leaves.
fn jvp_flat(f: &FlatFn<'_>, xs: &[Tensor], ts: &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>) {
    jvp_leaves(xs, ts, |xs| f(xs))
}

/// Reverse mode on flat leaves.
fn pull_back_flat(lin: &crate::transforms::LinearJaxpr, cts: &[Tensor]) -> Vec<Tensor> {
    let cts: Vec<Option<Tensor>> = cts.iter().map(|c| Some(c.clone())).collect();
    let mut float_cts =
        crate::transforms::backward_pass(&lin.jaxpr.jaxpr, &lin.jaxpr.consts, &cts).into_iter();
    lin.in_avals
        .iter()
        .zip(&lin.in_is_float)
        .map(|(aval, f)| {
            let c = if *f { float_cts.next().flatten() } else { None };
            c.unwrap_or_else(|| zeros_of(aval))
        })
        .collect()
}

fn tolerances(opts: &GradCheckOptions, dtype: DType) -> (f64, f64) {
    let default = if dtype == DType::F64 { 1e-5 } else { 2e-3 };
    (opts.atol.unwrap_or(default), opts.rtol.unwrap_or(default))
}

/// `f` evaluated on `xs + s·v` in f64 (float leaves only).
fn eval_shifted_f64(f: &FlatFn<'_>, xs: &[Tensor], v: &[Tensor], s: f64) -> Vec<Vec<f64>> {
    let shifted: Vec<Tensor> = xs
        .iter()
        .zip(v)
        .map(|(x, d)| {
            if x.dtype().is_float() {
                lax::convert_element_type(x, DType::F64)
                    + lax::convert_element_type(d, DType::F64) * s
            } else {
                x.clone()
            }
        })
        .collect();
    with_trace(None, || f(&shifted))
        .iter()
        .map(|y| y.to_vec::<f64>())
        .collect()
}

/// Central differences of `f` at `xs` along `v`, with one Richardson extrapolation step
/// (steps `eps` and `eps/2`), so the truncation error is O(eps⁴) rather than O(eps²).
fn numerical_jvp(f: &FlatFn<'_>, xs: &[Tensor], v: &[Tensor], eps: f64) -> Vec<Vec<f64>> {
    let central = |h: f64| -> Vec<Vec<f64>> {
        let plus = eval_shifted_f64(f, xs, v, h);
        let minus = eval_shifted_f64(f, xs, v, -h);
        plus.iter()
            .zip(&minus)
            .map(|(p, m)| p.iter().zip(m).map(|(a, b)| (a - b) / (2.0 * h)).collect())
            .collect()
    };
    let (coarse, fine) = (central(eps), central(eps / 2.0));
    coarse
        .iter()
        .zip(&fine)
        .map(|(c, f)| c.iter().zip(f).map(|(c, f)| (4.0 * f - c) / 3.0).collect())
        .collect()
}

/// Derivative values from autodiff (`got`) and from finite differences (`expected`), one
/// list per leaf, with the leaves' dtypes (which set the tolerances).
struct Measured {
    got: Vec<Vec<f64>>,
    expected: Vec<Vec<f64>>,
    dtypes: Vec<DType>,
}

fn compare(m: &Measured, opts: &GradCheckOptions, check: &str) -> Result<(), GradCheckFailure> {
    let mut worst: Option<GradCheckFailure> = None;
    let leaves = m.got.iter().zip(&m.expected).zip(&m.dtypes);
    for (leaf, ((g, e), d)) in leaves.enumerate() {
        if !d.is_float() {
            continue;
        }
        let (atol, rtol) = tolerances(opts, *d);
        for (index, (&a, &b)) in g.iter().zip(e).enumerate() {
            let ratio = if a == b {
                0.0
            } else {
                (a - b).abs() / (atol + rtol * b.abs())
            };
            let ratio = if ratio.is_nan() { f64::INFINITY } else { ratio };
            if worst.as_ref().is_none_or(|w| ratio > w.ratio) {
                worst = Some(GradCheckFailure {
                    check: check.to_string(),
                    leaf,
                    index,
                    got: a,
                    expected: b,
                    ratio,
                });
            }
        }
    }
    match worst {
        Some(w) if w.ratio > 1.0 => Err(w),
        _ => Ok(()),
    }
}

/// Forward mode along a random direction `v` against the finite differences along `v`.
fn measure_jvp(f: &FlatFn<'_>, xs: &[Tensor], eps: f64, rng: &mut SplitMix) -> Measured {
    let v = random_like(xs, rng);
    let (ys, dys) = jvp_flat(f, xs, &v);
    Measured {
        expected: numerical_jvp(f, xs, &v, eps),
        got: dys.iter().map(|t| t.to_vec::<f64>()).collect(),
        dtypes: ys.iter().map(|y| y.dtype()).collect(),
    }
}

/// Reverse mode: `<v, J^T u>` for random `v` and `u` against `<Jv, u>` from finite
/// differences.
fn measure_vjp(f: &FlatFn<'_>, xs: &[Tensor], eps: f64, rng: &mut SplitMix) -> Measured {
    let (ys, lin) = linearize_flat(xs, |xs| f(xs));
    let v = random_like(xs, rng);
    let u = random_like(&ys, rng);
    let ct_in = pull_back_flat(&lin, &u);
    let tangent_out = numerical_jvp(f, xs, &v, eps);
    // ⟨v, Jᵀu⟩ (autodiff) against ⟨Jv, u⟩ (finite differences), over float leaves.
    let dot = |a: &[Tensor], b: &[Tensor]| -> f64 {
        a.iter()
            .zip(b)
            .filter(|(x, _)| x.dtype().is_float())
            .map(|(x, y)| {
                x.to_vec::<f64>()
                    .iter()
                    .zip(y.to_vec::<f64>())
                    .map(|(p, q)| p * q)
                    .sum::<f64>()
            })
            .sum()
    };
    let got = dot(&v, &ct_in);
    let expected: f64 = tangent_out
        .iter()
        .zip(&u)
        .filter(|(_, uu)| uu.dtype().is_float())
        .map(|(t, uu)| {
            t.iter()
                .zip(uu.to_vec::<f64>())
                .map(|(p, q)| p * q)
                .sum::<f64>()
        })
        .sum();
    let dtype = if xs.iter().chain(&ys).any(|x| x.dtype() == DType::F32) {
        DType::F32
    } else {
        DType::F64
    };
    Measured {
        got: vec![vec![got]],
        expected: vec![vec![expected]],
        dtypes: vec![dtype],
    }
}

/// Random directions shaped like `xs` (standard normal-ish values; zeros for non-floats).
fn random_like(xs: &[Tensor], rng: &mut SplitMix) -> Vec<Tensor> {
    xs.iter()
        .map(|x| {
            if x.dtype().is_float() {
                let vals: Vec<f64> = (0..x.size()).map(|_| rng.normal()).collect();
                Tensor::from_f64_values(&vals, x.shape(), x.dtype())
            } else {
                with_trace(None, || zeros_like(x))
            }
        })
        .collect()
}

/// A tiny deterministic generator for test directions (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Box–Muller.
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}
