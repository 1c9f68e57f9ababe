//! Jaxpr → jaxpr optimization passes: dead-code elimination ([`dce`]), common-subexpression
//! elimination ([`cse`]), constant folding ([`constant_fold`]) and algebraic simplification
//! of what autodiff emits ([`simplify`]); [`optimize`] runs them to a fixed point.
//!
//! Every pass returns a new jaxpr that passes [`check_jaxpr`](crate::core::check_jaxpr),
//! with its variables renumbered densely in definition order. The passes keep a jaxpr's
//! interface (its invars, and for all but [`constant_fold`] its constvars) unchanged.
//!
//! The passes keep values bitwise (no reassociation) and keep `stop_gradient`, so an
//! optimized jaxpr still differentiates like the original; `x * 0` becomes `0` only for
//! integers and bools (a float `x` could be inf or NaN). `jit` runs optimized jaxprs but
//! hands the jaxpr as traced to other transformations. Sub-jaxprs of call, cond and
//! loop equations are left as they are by the single passes; [`optimize_sub_jaxprs`] (run by
//! [`optimize`]) optimizes them.
//!
//! ```
//! use ferrax::prelude::*;
//! let x = Tensor::zeros(&[3], DType::F32);
//! let f = |x: &Tensor| (x.sin() * x).sum();
//! let j = make_jaxpr(grad(f))(&x);
//! let o = ferrax::internals::passes::optimize(&j);
//! assert!(o.jaxpr.eqns.len() < j.jaxpr.eqns.len());
//! assert!(ferrax::core::check_jaxpr(&o.jaxpr).is_ok());
//! ```

mod cse;
mod dce;
mod fold;
mod fuse;
mod fused_prim;
mod inline;
mod simplify;
mod sub;

pub use cse::cse;
pub use dce::dce;
pub(crate) use dce::dce_for_outputs;
pub use fold::{constant_fold, FOLD_MAX_ELEMENTS};
pub use fuse::{fuse, fusible, fusible_reduction};
pub use fused_prim::FusedOp;
pub use inline::inline_calls;
pub use simplify::simplify;
pub use sub::optimize_sub_jaxprs;

use crate::core::Shape;
use crate::core::{Atom, Aval, ClosedJaxpr, Jaxpr, Var};
use crate::prims::{Prim, ShapeOp};
use crate::Tensor;
use smallvec::SmallVec;
use std::sync::Arc;

/// Builds a new jaxpr from an old one: old variables map to atoms of the new jaxpr, and new
/// variables are numbered in definition order (so the result is compact).
pub(crate) struct Rewriter<'a> {
    pub src: &'a Jaxpr,
    pub out: Jaxpr,
    map: Vec<Option<Atom>>,
    /// For each new variable, the index of its defining equation in `out.eqns`.
    def_of: Vec<Option<usize>>,
    /// How many times each old variable is read (by equations and outputs).
    old_uses: Vec<u32>,
    /// For each new variable made by `copy_eqn`, the old variable it replaces.
    origin: Vec<Option<Var>>,
    /// New variables that some other old variable was also mapped to by `set`.
    shared: std::collections::HashSet<Var>,
}

impl<'a> Rewriter<'a> {
    /// A rewriter whose constvars and invars are fresh copies of `src`'s.
    pub fn new(src: &'a Jaxpr) -> Self {
        let mut r = Rewriter {
            src,
            out: Jaxpr::default(),
            map: vec![None; src.var_avals.len()],
            def_of: Vec::new(),
            old_uses: vec![0; src.var_avals.len()],
            origin: Vec::new(),
            shared: Default::default(),
        };
        let reads = src.eqns.iter().flat_map(|e| &e.inputs).chain(&src.outvars);
        for a in reads {
            if let Atom::Var(v) = a {
                r.old_uses[v.0 as usize] += 1;
            }
        }
        for &v in &src.constvars {
            let nv = r.out.new_var(src.aval(v).clone());
            r.out.constvars.push(nv);
            r.map[v.0 as usize] = Some(Atom::Var(nv));
        }
        for &v in &src.invars {
            let nv = r.out.new_var(src.aval(v).clone());
            r.out.invars.push(nv);
            r.map[v.0 as usize] = Some(Atom::Var(nv));
        }
        r
    }

    /// The new atom standing for an old one.
    pub fn get(&self, a: &Atom) -> Atom {
        match a {
            Atom::Var(v) => self.map[v.0 as usize]
                .clone()
                .expect("passes: variable used before it is bound"),
            Atom::Lit(_) => a.clone(),
        }
    }

    /// Makes old variable `old` stand for the new atom `a`.
    pub fn set(&mut self, old: Var, a: Atom) {
        if let Atom::Var(v) = a {
            self.shared.insert(v);
        }
        self.map[old.0 as usize] = Some(a);
    }

    /// The aval of an atom of the new jaxpr.
    pub fn aval(&self, a: &Atom) -> Aval {
        self.out.atom_aval(a)
    }

    /// Appends `outs = prim inputs` (inputs are new atoms) and returns the new output vars.
    pub fn emit(
        &mut self,
        prim: Prim,
        inputs: SmallVec<[Atom; 3]>,
        avals: &[Aval],
    ) -> SmallVec<[Var; 1]> {
        self.emit_at(prim, inputs, avals, None)
    }

    /// [`Rewriter::emit`] for an equation the user's line `source` applied (a copy of one).
    pub fn emit_at(
        &mut self,
        prim: Prim,
        inputs: SmallVec<[Atom; 3]>,
        avals: &[Aval],
        source: Option<&'static std::panic::Location<'static>>,
    ) -> SmallVec<[Var; 1]> {
        let outputs: SmallVec<[Var; 1]> =
            avals.iter().map(|a| self.out.new_var(a.clone())).collect();
        self.def_of.resize(self.out.var_avals.len(), None);
        for v in &outputs {
            self.def_of[v.0 as usize] = Some(self.out.eqns.len());
        }
        self.out.eqns.push(crate::core::Eqn {
            prim,
            inputs,
            outputs: outputs.clone(),
            source,
        });
        outputs
    }

    /// Copies old equation `i` with new `inputs`, binding its old outputs to the new ones.
    pub fn copy_eqn(&mut self, i: usize, inputs: SmallVec<[Atom; 3]>) {
        let e = &self.src.eqns[i];
        let avals: Vec<Aval> = e
            .outputs
            .iter()
            .map(|v| self.src.aval(*v).clone())
            .collect();
        let outs = self.emit_at(e.prim.clone(), inputs, &avals, e.source);
        self.origin.resize(self.out.var_avals.len(), None);
        for (o, n) in e.outputs.iter().zip(outs) {
            self.map[o.0 as usize] = Some(Atom::Var(n));
            self.origin[n.0 as usize] = Some(*o);
        }
    }

    /// True if the new atom `a` is read exactly once, by the equation being rewritten (as far
    /// as is known; `false` when unsure).
    pub fn used_once(&self, a: &Atom) -> bool {
        match a {
            Atom::Var(v) => {
                !self.shared.contains(v)
                    && self
                        .origin
                        .get(v.0 as usize)
                        .copied()
                        .flatten()
                        .is_some_and(|o| self.old_uses[o.0 as usize] == 1)
            }
            Atom::Lit(_) => false,
        }
    }

    /// The equation of the new jaxpr that defines atom `a`, if it is a variable bound by one.
    pub fn def(&self, a: &Atom) -> Option<&crate::core::Eqn> {
        match a {
            Atom::Var(v) => self
                .def_of
                .get(v.0 as usize)
                .copied()
                .flatten()
                .map(|i| &self.out.eqns[i]),
            Atom::Lit(_) => None,
        }
    }

    /// The scalar every element of `a` equals, if `a` is a literal or a variable bound by
    /// `broadcast_in_dim` of a literal (a "splat").
    pub fn splat(&self, a: &Atom) -> Option<Tensor> {
        match a {
            Atom::Lit(t) => Some(t.clone()),
            Atom::Var(_) => {
                let e = self.def(a)?;
                match (e.prim.downcast::<ShapeOp>(), e.inputs.first()?) {
                    (
                        Some(ShapeOp::BroadcastInDim {
                            broadcast_dimensions,
                            ..
                        }),
                        Atom::Lit(t),
                    ) if broadcast_dimensions.is_empty() => Some(t.clone()),
                    _ => None,
                }
            }
        }
    }

    /// An atom of type `aval` every element of which is the scalar `lit` (of `aval`'s dtype):
    /// the literal itself for rank 0, else a new `broadcast_in_dim` equation.
    pub fn splat_atom(&mut self, lit: Tensor, aval: &Aval) -> Atom {
        debug_assert_eq!(lit.dtype(), aval.dtype);
        if aval.ndim() == 0 {
            return Atom::Lit(lit);
        }
        let prim = Prim::new(ShapeOp::BroadcastInDim {
            shape: aval.shape.clone(),
            broadcast_dimensions: Shape::new(),
        });
        let outs = self.emit(
            prim,
            smallvec::smallvec![Atom::Lit(lit)],
            std::slice::from_ref(aval),
        );
        Atom::Var(outs[0])
    }

    /// Finishes with the old jaxpr's outvars, mapped.
    pub fn finish(mut self) -> Jaxpr {
        self.out.outvars = self.src.outvars.iter().map(|a| self.get(a)).collect();
        self.out
    }
}

/// A scalar literal's identity for comparisons: its dtype and value bits (so `-0.0` and
/// `0.0` differ, and NaNs with equal bits are equal).
pub(crate) fn lit_key(t: &Tensor) -> (crate::DType, u64) {
    (t.dtype(), t.array().get_f64(0).to_bits())
}

/// Evaluates `prim` on concrete inputs now, outside any trace (the passes may run while a
/// transformation's trace is current).
pub(crate) fn eval_now(prim: &Prim, inputs: &[Tensor]) -> crate::core::Outputs {
    crate::core::with_trace(None, || crate::core::bind(prim, inputs))
}

/// A scalar of `dtype` with value `v`.
pub(crate) fn scalar(v: f64, dtype: crate::DType) -> Tensor {
    Tensor::from_f64_values(&[v], &[], dtype)
}

/// Removes constvars that no equation or output reads, with their values.
///
/// ```
/// use ferrax::prelude::*;
/// let c = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| { let _unused = x * &c; x.sin() })(&c);
/// let j = ferrax::internals::passes::prune_consts(&ClosedJaxpr { jaxpr: std::sync::Arc::new(
///     ferrax::internals::passes::dce(&j.jaxpr)), consts: j.consts });
/// assert!(j.consts.is_empty() && j.jaxpr.constvars.is_empty());
/// ```
pub fn prune_consts(j: &ClosedJaxpr) -> ClosedJaxpr {
    let mut used = vec![false; j.jaxpr.var_avals.len()];
    let mut mark = |a: &Atom| {
        if let Atom::Var(v) = a {
            used[v.0 as usize] = true;
        }
    };
    for e in &j.jaxpr.eqns {
        e.inputs.iter().for_each(&mut mark);
    }
    j.jaxpr.outvars.iter().for_each(&mut mark);
    if j.jaxpr.constvars.iter().all(|v| used[v.0 as usize]) {
        return j.clone();
    }
    let mut src = (*j.jaxpr).clone();
    let mut consts = Vec::new();
    let mut constvars = Vec::new();
    for (v, c) in j.jaxpr.constvars.iter().zip(&j.consts) {
        if used[v.0 as usize] {
            constvars.push(*v);
            consts.push(c.clone());
        }
    }
    src.constvars = constvars;
    let r = Rewriter::new(&src);
    let mut r = r;
    for i in 0..src.eqns.len() {
        let ins = src.eqns[i].inputs.iter().map(|a| r.get(a)).collect();
        r.copy_eqn(i, ins);
    }
    ClosedJaxpr {
        jaxpr: Arc::new(r.finish()),
        consts,
    }
}

/// True if two jaxprs are equal equation by equation (prims, inputs, outputs; literals by
/// bits). The passes number variables deterministically, so a round that changes nothing
/// gives an equal jaxpr.
fn same_structure(a: &Jaxpr, b: &Jaxpr) -> bool {
    let atom_eq = |x: &Atom, y: &Atom| match (x, y) {
        (Atom::Var(v), Atom::Var(w)) => v == w,
        (Atom::Lit(s), Atom::Lit(t)) => lit_key(s) == lit_key(t),
        _ => false,
    };
    let atoms_eq = |xs: &[Atom], ys: &[Atom]| {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| atom_eq(x, y))
    };
    a.var_avals == b.var_avals
        && a.constvars == b.constvars
        && a.invars == b.invars
        && atoms_eq(&a.outvars, &b.outvars)
        && a.eqns.len() == b.eqns.len()
        && a.eqns.iter().zip(&b.eqns).all(|(e, f)| {
            e.prim == f.prim && e.outputs == f.outputs && atoms_eq(&e.inputs, &f.inputs)
        })
}

/// Most rounds [`optimize`] runs before it stops even if the jaxpr still changes.
///
/// ```
/// assert!(ferrax::internals::passes::MAX_ROUNDS >= 2);
/// ```
pub const MAX_ROUNDS: usize = 8;

/// Optimizes sub-jaxprs ([`optimize_sub_jaxprs`]), then runs [`simplify`],
/// [`constant_fold`], [`cse`] and [`dce`] (with a [`dce`] first) in rounds until the jaxpr stops
/// changing (at most [`MAX_ROUNDS`]), then drops unused constants. The result computes the
/// same outputs from the same inputs (see the module docs for what "same" assumes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.5f32, 1.0], &[2]);
/// let f = |x: &Tensor| (x.sin() * 1.0 + x.sin()).sum();
/// let j = make_jaxpr(f)(&x);
/// let o = ferrax::internals::passes::optimize(&j);
/// assert_eq!(o.jaxpr.eqns.len(), 3); // sin, add, reduce_sum
/// let run = |j: &ClosedJaxpr| ferrax::internals::interp::eval_closed(j, &[x.clone()])[0].item::<f32>();
/// assert_eq!(run(&o), run(&j));
/// ```
pub fn optimize(j: &ClosedJaxpr) -> ClosedJaxpr {
    let mut cur = ClosedJaxpr {
        jaxpr: Arc::new(optimize_sub_jaxprs(&j.jaxpr)),
        consts: j.consts.clone(),
    };
    for _ in 0..MAX_ROUNDS {
        let before = cur.clone();
        let s = simplify(&dce(&cur.jaxpr));
        let (f, consts) = constant_fold(&s, &cur.consts);
        let c = cse(&f);
        let d = dce(&c);
        cur = ClosedJaxpr {
            jaxpr: Arc::new(d),
            consts,
        };
        if same_structure(&cur.jaxpr, &before.jaxpr) && cur.consts.len() == before.consts.len() {
            break;
        }
    }
    prune_consts(&cur)
}
