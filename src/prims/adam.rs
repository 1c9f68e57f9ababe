//! `adam_update`: one Adam/AdamW step over a group of leaves of one float dtype, as one
//! primitive. Internal to ferrax (JAX runs optax's chain of elementwise ops and lets XLA fuse
//! them); `ferrax::optim::fused` binds it. Eagerly and under `jit` it is one memory-bound pass
//! per element (`kernels::adam`): under `jit` the interpreter runs it in place on the
//! parameter and moment buffers when the step owns them (donated state), so the update
//! allocates nothing.
//!
//! Operands: four rank-0 scalars of the leaves' dtype, `[1 - b1^t, 1 - b2^t, -lr,
//! weight_decay]`, then the `n` parameters, the `n` gradients, the `n` first moments and the
//! `n` second moments. Outputs: the `n` new parameters, first moments, second moments. The
//! arithmetic is optax's chain op for op (`scale_by_adam`, `add_decayed_weights` when
//! `decay`, `scale_by_learning_rate`, `apply_updates`), so the values equal the chain's bit
//! for bit.
//!
//! Rules: the JVP is written with ops (the tangent of the chain's formula, linear in the
//! tangents, so `grad` through an update transposes it as it would the chain); the batching
//! rule binds the primitive on leaves with their batch dims first when the scalars are
//! shared, and runs the chain's formula with ops when they are batched too.

use super::util::{py_bool, text};
use super::Param;
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Prim, PrimRules};
use crate::core::{bind, Aval, Avals, Outputs};
use crate::kernels::adam::{adam_update_leaves, AdamCoeffs, AdamFloat, AdamLeaf};
use crate::prims::lax;
use crate::tensor::{array_from_vec, ArrayData, ArrayElement, DType, Tensor};
use ndarray::ArrayD;

/// Number of leading scalar operands.
pub const SCALARS: usize = 4;

/// The primitive: Adam's hyperparameters (as f64 bits, so it hashes) and whether the update
/// adds decayed weights (AdamW).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdamUpdate {
    b1: u64,
    b2: u64,
    eps: u64,
    eps_root: u64,
    decay: bool,
}

impl AdamUpdate {
    /// The update with decays `b1`, `b2`, `eps` outside and `eps_root` inside the square
    /// root, adding `weight_decay * p` when `decay` (AdamW).
    ///
    /// ```
    /// use ferrax::internals::prims::adam::AdamUpdate;
    /// let a = AdamUpdate::new(0.9, 0.999, 1e-8, 0.0, false);
    /// assert_eq!(a.hyper(), [0.9, 0.999, 1e-8, 0.0]);
    /// ```
    pub fn new(b1: f64, b2: f64, eps: f64, eps_root: f64, decay: bool) -> AdamUpdate {
        AdamUpdate {
            b1: b1.to_bits(),
            b2: b2.to_bits(),
            eps: eps.to_bits(),
            eps_root: eps_root.to_bits(),
            decay,
        }
    }

    /// `[b1, b2, eps, eps_root]`.
    pub fn hyper(&self) -> [f64; 4] {
        [self.b1, self.b2, self.eps, self.eps_root].map(f64::from_bits)
    }
}

/// The new parameters, first moments and second moments of one group of leaves.
pub type AdamOutputs = (Vec<Tensor>, Vec<Tensor>, Vec<Tensor>);

/// Binds one [`AdamUpdate`] over the leaves `params`, `grads`, `mu`, `nu` (one float dtype,
/// matching shapes) with the step's `scalars` `[1 - b1^t, 1 - b2^t, -lr, weight_decay]`
/// (rank 0, the leaves' dtype).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::internals::prims::adam::{adam_update, AdamUpdate};
/// let s = [0.1f32, 0.001, -0.1, 0.0].map(Tensor::scalar);
/// let p = [Tensor::from_vec(vec![1.0f32, 1.0], &[2])];
/// let g = [Tensor::from_vec(vec![2.0f32, -2.0], &[2])];
/// let z = [Tensor::zeros(&[2], DType::F32)];
/// let (p, mu, _) = adam_update(AdamUpdate::new(0.9, 0.999, 1e-8, 0.0, false), &s, &p, &g, &z, &z);
/// assert_eq!(mu[0].to_vec::<f32>(), vec![0.2, -0.2]);
/// let v = p[0].to_vec::<f32>();
/// assert!((v[0] - 0.9).abs() < 1e-6 && (v[1] - 1.1).abs() < 1e-6);
/// ```
#[track_caller]
pub fn adam_update(
    op: AdamUpdate,
    scalars: &[Tensor; SCALARS],
    params: &[Tensor],
    grads: &[Tensor],
    mu: &[Tensor],
    nu: &[Tensor],
) -> AdamOutputs {
    let ins: Vec<Tensor> = scalars
        .iter()
        .chain(params)
        .chain(grads)
        .chain(mu)
        .chain(nu)
        .cloned()
        .collect();
    split_outputs(bind(&Prim::new(op), &ins), params.len())
}

fn split_outputs(outs: Outputs, n: usize) -> AdamOutputs {
    let mut it = outs.into_iter();
    let p = it.by_ref().take(n).collect();
    let mu = it.by_ref().take(n).collect();
    (p, mu, it.collect())
}

/// The operands split into scalars and the four leaf lists.
struct Operands<'a, T> {
    scalars: &'a [T],
    p: &'a [T],
    g: &'a [T],
    mu: &'a [T],
    nu: &'a [T],
}

fn operands<T>(ins: &[T]) -> Operands<'_, T> {
    let n = (ins.len() - SCALARS) / 4;
    let (scalars, rest) = ins.split_at(SCALARS);
    let (p, rest) = rest.split_at(n);
    let (g, rest) = rest.split_at(n);
    let (mu, nu) = rest.split_at(n);
    Operands {
        scalars,
        p,
        g,
        mu,
        nu,
    }
}

impl AdamUpdate {
    /// The chain's formula with ops, on operands that broadcast against each other (the
    /// scalars may be `[B, 1, ..]` under `vmap`): the reference the kernel equals, and the
    /// batching rule's path when the scalars are batched.
    pub(crate) fn reference(
        &self,
        s: &[Tensor],
        p: &Tensor,
        g: &Tensor,
        mu: &Tensor,
        nu: &Tensor,
    ) -> [Tensor; 3] {
        let [b1, b2, eps, eps_root] = self.hyper();
        let c = |v: f64| Tensor::full(&[], v, p.dtype());
        let m = lax::add(&lax::mul(g, &c(1.0 - b1)), &lax::mul(mu, &c(b1)));
        let v = lax::add(
            &lax::mul(&lax::mul(g, g), &c(1.0 - b2)),
            &lax::mul(nu, &c(b2)),
        );
        let mh = lax::div(&m, &s[0]);
        let vh = lax::div(&v, &s[1]);
        let mut u = lax::div(
            &mh,
            &lax::add(&lax::sqrt(&lax::add(&vh, &c(eps_root))), &c(eps)),
        );
        if self.decay {
            u = lax::add(&u, &lax::mul(p, &s[3]));
        }
        let p_new = lax::add(p, &lax::mul(&u, &s[2]));
        [p_new, m, v]
    }
}

/// `a + b` over optional (symbolically zero) tangents.
fn add_opt(a: Option<Tensor>, b: Option<Tensor>) -> Option<Tensor> {
    match (a, b) {
        (Some(a), Some(b)) => Some(lax::add_any(&a, &b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `t * k` over an optional tangent.
fn mul_opt(t: &Option<Tensor>, k: &Tensor) -> Option<Tensor> {
    t.as_ref().map(|t| lax::mul(t, k))
}

/// A tangent (of the same or a broadcastable shape) stretched to `like`'s shape.
fn stretch(t: Option<Tensor>, like: &Tensor) -> Option<Tensor> {
    t.map(|t| {
        if t.shape() == like.shape() {
            t
        } else {
            super::util::broadcast_to_shape(&t, like.shape())
        }
    })
}

/// The element types the kernel runs in, with mutable access to their arrays.
trait AdamArray: AdamFloat + ArrayElement {
    fn view_mut(a: &mut ArrayData) -> Option<&mut ArrayD<Self>>;
}

impl AdamArray for f32 {
    fn view_mut(a: &mut ArrayData) -> Option<&mut ArrayD<f32>> {
        match a {
            ArrayData::F32(a) => Some(a),
            _ => None,
        }
    }
}

impl AdamArray for f64 {
    fn view_mut(a: &mut ArrayData) -> Option<&mut ArrayD<f64>> {
        match a {
            ArrayData::F64(a) => Some(a),
            _ => None,
        }
    }
}

fn float_view<F: AdamArray>(a: &ArrayData) -> std::borrow::Cow<'_, [F]> {
    super::util::flat(F::view(a).expect("adam_update: operand dtypes are checked"))
}

impl AdamUpdate {
    /// Runs the kernel on owned operands: a parameter or moment whose buffer is held only
    /// here (and contiguous) is updated in place, any other is copied first.
    fn run_owned<F: AdamArray>(&self, ins: Vec<Tensor>) -> Outputs {
        let n = (ins.len() - SCALARS) / 4;
        let mut it = ins.into_iter();
        let scalars: Vec<Tensor> = it.by_ref().take(SCALARS).collect();
        let mut p: Vec<Tensor> = it.by_ref().take(n).collect();
        let g: Vec<Tensor> = it.by_ref().take(n).collect();
        let mut mu: Vec<Tensor> = it.by_ref().take(n).collect();
        let mut nu: Vec<Tensor> = it.collect();
        let step: [F; SCALARS] = std::array::from_fn(|i| float_view::<F>(scalars[i].array())[0]);
        let coeffs = AdamCoeffs::new(self.hyper(), step, self.decay);
        for t in p.iter_mut().chain(mu.iter_mut()).chain(nu.iter_mut()) {
            make_unique::<F>(t);
        }
        {
            let gs: Vec<std::borrow::Cow<'_, [F]>> =
                g.iter().map(|g| float_view::<F>(g.array())).collect();
            let leaves: Vec<AdamLeaf<'_, F>> = p
                .iter_mut()
                .zip(&gs)
                .zip(mu.iter_mut())
                .zip(nu.iter_mut())
                .map(|(((p, g), mu), nu)| AdamLeaf {
                    p: unique_slice::<F>(p),
                    g,
                    mu: unique_slice::<F>(mu),
                    nu: unique_slice::<F>(nu),
                })
                .collect();
            adam_update_leaves(&coeffs, leaves);
        }
        g.into_iter().for_each(crate::kernels::pool::recycle);
        p.into_iter().chain(mu).chain(nu).collect()
    }

    /// The in-place evaluation the jit interpreter runs (`interp::inplace`): takes the
    /// operands, so buffers the step owns are overwritten.
    pub(crate) fn eval_owned(&self, ins: Vec<Tensor>) -> Outputs {
        match ins[0].dtype() {
            DType::F32 => self.run_owned::<f32>(ins),
            _ => self.run_owned::<f64>(ins),
        }
    }
}

/// Replaces `t` by a contiguous copy unless it is the only handle on contiguous data.
fn make_unique<F: AdamArray>(t: &mut Tensor) {
    let ok = t
        .unique_array_mut()
        .and_then(|a| F::view_mut(a))
        .is_some_and(|a| a.is_standard_layout());
    if !ok {
        let data = float_view::<F>(t.array()).into_owned();
        *t = Tensor::from_array(F::wrap(array_from_vec(t.shape(), data)));
    }
}

/// The data of a tensor [`make_unique`] made unique, mutably.
fn unique_slice<F: AdamArray>(t: &mut Tensor) -> &mut [F] {
    let a = t.unique_array_mut().expect("made unique");
    F::view_mut(a)
        .and_then(|a| a.as_slice_mut())
        .expect("made contiguous")
}

impl PrimRules for AdamUpdate {
    fn name(&self) -> &'static str {
        "adam_update"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let [b1, b2, eps, eps_root] = self.hyper();
        vec![
            ("b1", text(format!("{b1:?}"))),
            ("b2", text(format!("{b2:?}"))),
            ("eps", text(format!("{eps:?}"))),
            ("eps_root", text(format!("{eps_root:?}"))),
            ("decay", text(py_bool(self.decay))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        if inputs.len() < SCALARS + 4 || !(inputs.len() - SCALARS).is_multiple_of(4) {
            return Err(format!(
                "takes {SCALARS} scalars and four operands per leaf, got {} operands",
                inputs.len()
            ));
        }
        let o = operands(inputs);
        let dtype = o.scalars[0].dtype;
        if !matches!(dtype, DType::F32 | DType::F64) {
            return Err(format!("operands must be f32 or f64, got {}", o.scalars[0]));
        }
        if let Some(bad) = o.scalars.iter().find(|s| s.ndim() != 0 || s.dtype != dtype) {
            return Err(format!(
                "the scalars must be rank 0 of one dtype, got {} and {bad}",
                o.scalars[0]
            ));
        }
        let mut outs = Avals::new();
        for k in 0..o.p.len() {
            let p = &o.p[k];
            if p.dtype != dtype {
                return Err(format!("leaf {k} is {p}, the scalars {}", o.scalars[0]));
            }
            for (what, x) in [("gradient", &o.g[k]), ("mu", &o.mu[k]), ("nu", &o.nu[k])] {
                if x != p {
                    return Err(format!("leaf {k}: the parameter is {p} but its {what} {x}"));
                }
            }
            outs.push(p.clone());
        }
        let ps = outs.clone();
        outs.extend(ps.iter().cloned());
        outs.extend(ps);
        Ok(outs)
    }

    /// Eagerly: the gradients are read where they are; the parameters and moments are
    /// copied once (the caller holds them) and updated in the copies.
    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let avals: Vec<Aval> = inputs.iter().map(Tensor::aval).collect();
        self.abstract_eval(&avals).ok()?;
        Some(self.eval_owned(inputs.to_vec()))
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        // Out of place: the operands are borrowed, so the kernel runs on copies.
        let ins: Vec<Tensor> = inputs
            .iter()
            .map(|&a| Tensor::from_array(a.clone()))
            .collect();
        self.eval_owned(ins)
            .into_iter()
            .map(|t| t.into_unique_array().expect("fresh outputs"))
            .collect()
    }

    /// The tangent of the chain's formula, with ops (see the module docs).
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let [b1, b2, eps, eps_root] = self.hyper();
        let outs = bind(&Prim::new(*self), primals);
        let n = (primals.len() - SCALARS) / 4;
        let (x, dx) = (operands(primals), operands(tangents));
        let s = x.scalars;
        let ds = dx.scalars;
        let mut t_p = Vec::with_capacity(n);
        let mut t_mu = Vec::with_capacity(n);
        let mut t_nu = Vec::with_capacity(n);
        for k in 0..n {
            let (p, g) = (&x.p[k], &x.g[k]);
            let (m, v) = (&outs[n + k], &outs[2 * n + k]);
            let c = |val: f64| Tensor::full(&[], val, p.dtype());
            let dg = &dx.g[k];
            let dm = add_opt(mul_opt(dg, &c(1.0 - b1)), mul_opt(&dx.mu[k], &c(b1)));
            let two_g = lax::mul(g, &c(2.0));
            let dv = add_opt(
                mul_opt(&mul_opt(dg, &two_g), &c(1.0 - b2)),
                mul_opt(&dx.nu[k], &c(b2)),
            );
            // d(m / bc) = (dm - (m / bc) dbc) / bc.
            let mh = lax::div(m, &s[0]);
            let vh = lax::div(v, &s[1]);
            let neg = |t: Option<Tensor>| t.map(|t| lax::neg(&t));
            let dmh = add_opt(dm.clone(), neg(stretch(mul_opt(&ds[0], &mh), p)))
                .map(|t| lax::div(&t, &s[0]));
            let dvh = add_opt(dv.clone(), neg(stretch(mul_opt(&ds[1], &vh), p)))
                .map(|t| lax::div(&t, &s[1]));
            let root = lax::sqrt(&lax::add(&vh, &c(eps_root)));
            let den = lax::add(&root, &c(eps));
            let r = lax::div(&mh, &den);
            // d sqrt(w) = dw / (2 sqrt(w)); d(a / den) = (da - r dden) / den.
            let dden = dvh.map(|t| lax::div(&t, &lax::mul(&root, &c(2.0))));
            let dr = add_opt(dmh, neg(dden.map(|t| lax::mul(&t, &r)))).map(|t| lax::div(&t, &den));
            let (w, dw) = if self.decay {
                let w = lax::add(&r, &lax::mul(p, &s[3]));
                let dw = add_opt(
                    add_opt(dr, mul_opt(&dx.p[k], &s[3])),
                    stretch(mul_opt(&ds[3], p), p),
                );
                (w, dw)
            } else {
                (r, dr)
            };
            let du = add_opt(mul_opt(&dw, &s[2]), stretch(mul_opt(&ds[2], &w), p));
            t_p.push(add_opt(dx.p[k].clone(), du));
            t_mu.push(dm);
            t_nu.push(dv);
        }
        let tangents = t_p.into_iter().chain(t_mu).chain(t_nu).collect();
        (outs, tangents)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let size = axis.size;
        let x = operands(args);
        let d = operands(dims);
        let n = x.p.len();
        // Every leaf operand with its batch dim first, broadcast when unbatched.
        let front = |t: &[Tensor], dd: &[Option<usize>]| -> Vec<Tensor> {
            t.iter()
                .zip(dd)
                .map(|(t, dim)| super::util::batch_at(t, *dim, size, 0))
                .collect()
        };
        let (p, g, mu, nu) = (
            front(x.p, d.p),
            front(x.g, d.g),
            front(x.mu, d.mu),
            front(x.nu, d.nu),
        );
        let outs: Outputs = if d.scalars.iter().all(Option::is_none) {
            let scalars: [Tensor; SCALARS] = std::array::from_fn(|i| x.scalars[i].clone());
            let (p, mu, nu) = adam_update(*self, &scalars, &p, &g, &mu, &nu);
            p.into_iter().chain(mu).chain(nu).collect()
        } else {
            // Per-member scalars: the chain's formula with ops, each scalar as `[B, 1, ..]`.
            let mut res: [Vec<Tensor>; 3] = Default::default();
            for k in 0..n {
                let rank = p[k].ndim();
                let s: Vec<Tensor> = x
                    .scalars
                    .iter()
                    .zip(d.scalars)
                    .map(|(s, dim)| match dim {
                        None => s.clone(),
                        Some(_) => {
                            let mut shape = vec![size];
                            shape.extend(std::iter::repeat_n(1, rank - 1));
                            lax::reshape(s, &shape)
                        }
                    })
                    .collect();
                let out = self.reference(&s, &p[k], &g[k], &mu[k], &nu[k]);
                for (r, o) in res.iter_mut().zip(out) {
                    r.push(o);
                }
            }
            let [a, b, c] = res;
            a.into_iter().chain(b).chain(c).collect()
        };
        (outs, vec![Some(0); 3 * n])
    }
}
