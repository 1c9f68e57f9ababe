//! The staging trace: records every primitive applied to its tracers as a jaxpr equation.
//! `make_jaxpr` runs a function under it.

use super::aval::Aval;
use super::jaxpr::{Atom, ClosedJaxpr, Eqn, Jaxpr, Var};
use super::trace::{
    current_trace, new_trace_id, with_trace, Avals, Outputs, Trace, TraceId, Tracer,
};
use super::Prim;
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Records equations into a jaxpr under construction. Tracer ids are its variable ids.
///
/// In *partial* mode (used by `linearize`) an op none of whose inputs are this trace's
/// tracers is not recorded but handed to the parent trace: known values are computed now and
/// only the ops that depend on the staged inputs (the tangents) are recorded; the known values
/// they read become the jaxpr's constvars (the residuals).
pub struct StagingTrace {
    id: TraceId,
    parent: Option<Rc<dyn Trace>>,
    partial: bool,
    state: RefCell<Builder>,
}

#[derive(Default)]
struct Builder {
    jaxpr: Jaxpr,
    /// Constants captured so far, with the constvar each became.
    consts: Vec<(Var, Tensor)>,
    /// Dedup of captured constants by the identity of their storage.
    const_by_ptr: HashMap<usize, Var>,
}

impl StagingTrace {
    /// A new staging trace whose parent is the current trace.
    pub fn new() -> Rc<StagingTrace> {
        Rc::new(StagingTrace {
            id: new_trace_id(),
            parent: current_trace(),
            partial: false,
            state: RefCell::default(),
        })
    }

    /// A new partial-evaluation staging trace whose parent is the current trace.
    pub fn new_partial() -> Rc<StagingTrace> {
        Rc::new(StagingTrace {
            id: new_trace_id(),
            parent: current_trace(),
            partial: true,
            state: RefCell::default(),
        })
    }

    /// True if `t` is one of this trace's tracers.
    pub fn owns(&self, t: &Tensor) -> bool {
        t.tracer().is_some_and(|tr| tr.trace == self.id)
    }

    /// Adds an input variable and returns its tracer.
    pub fn new_arg(&self, aval: Aval) -> Tensor {
        let v = self.state.borrow_mut().jaxpr.new_var(aval.clone());
        self.jaxpr_invar_push(v);
        Tensor::from_tracer(Tracer {
            trace: self.id,
            id: v.0,
            aval,
        })
    }

    fn jaxpr_invar_push(&self, v: Var) {
        self.state.borrow_mut().jaxpr.invars.push(v);
    }

    /// The atom standing for `t` in this trace's jaxpr: its own variable, a literal for a
    /// concrete scalar, or a constvar for anything else (concrete arrays, outer tracers).
    fn atom_for(&self, t: &Tensor) -> Atom {
        if let Some(tr) = t.tracer() {
            if tr.trace == self.id {
                return Atom::Var(Var(tr.id));
            }
        } else if t.ndim() == 0 {
            return Atom::Lit(t.clone());
        }
        let key = match &t.repr {
            crate::tensor::Repr::Concrete(a) => Arc::as_ptr(a) as *const u8 as usize,
            crate::tensor::Repr::Traced(a) => Arc::as_ptr(a) as *const u8 as usize,
        };
        let mut st = self.state.borrow_mut();
        if let Some(v) = st.const_by_ptr.get(&key) {
            return Atom::Var(*v);
        }
        let v = st.jaxpr.new_var(t.aval());
        st.const_by_ptr.insert(key, v);
        st.consts.push((v, t.clone()));
        Atom::Var(v)
    }

    /// Finishes the jaxpr with `outputs` as its results.
    pub fn finish(&self, outputs: &[Tensor]) -> ClosedJaxpr {
        let outvars: Vec<Atom> = outputs.iter().map(|t| self.atom_for(t)).collect();
        let mut st = self.state.borrow_mut();
        let mut jaxpr = std::mem::take(&mut st.jaxpr);
        let consts = std::mem::take(&mut st.consts);
        jaxpr.outvars = outvars;
        jaxpr.constvars = consts.iter().map(|(v, _)| *v).collect();
        let closed = ClosedJaxpr {
            jaxpr: Arc::new(jaxpr),
            consts: consts.into_iter().map(|(_, t)| t).collect(),
        };
        if cfg!(debug_assertions)
            && let Err(e) = super::check_jaxpr(&closed.jaxpr)
        {
            panic!(
                "internal error: staged jaxpr fails its type check: {e}\n{}",
                closed.jaxpr
            );
        }
        closed
    }
}

impl Trace for StagingTrace {
    super::trace::trace_id_and_parent!();

    fn process_primitive(&self, prim: &Prim, inputs: &[Tensor], out_avals: Avals) -> Outputs {
        if self.partial && !inputs.iter().any(|t| self.owns(t)) {
            return with_trace(self.parent.clone(), || super::bind(prim, inputs));
        }
        let atoms = inputs.iter().map(|t| self.atom_for(t)).collect();
        let mut st = self.state.borrow_mut();
        let outputs: smallvec::SmallVec<[Var; 1]> = out_avals
            .iter()
            .map(|a| st.jaxpr.new_var(a.clone()))
            .collect();
        let tracers = outputs
            .iter()
            .zip(out_avals)
            .map(|(v, aval)| {
                Tensor::from_tracer(Tracer {
                    trace: self.id,
                    id: v.0,
                    aval,
                })
            })
            .collect();
        st.jaxpr.eqns.push(Eqn {
            prim: prim.clone(),
            inputs: atoms,
            outputs,
            source: super::nan_check::user_line(),
        });
        tracers
    }

    fn name(&self) -> &'static str {
        "make_jaxpr"
    }
}

/// Traces `f` on abstract arguments of the given types into a closed jaxpr over the
/// flattened inputs and outputs.
pub fn trace_to_jaxpr(in_avals: &[Aval], f: impl FnOnce(&[Tensor]) -> Vec<Tensor>) -> ClosedJaxpr {
    trace_dyn(in_avals, Box::new(f))
}

/// A function traced once on flat tensors, boxed so the code tracing it is compiled once.
pub(crate) type FlatFn<'a> = Box<dyn FnOnce(&[Tensor]) -> Vec<Tensor> + 'a>;

/// [`trace_to_jaxpr`]'s body, compiled once (not per caller's closure).
fn trace_dyn(in_avals: &[Aval], f: FlatFn<'_>) -> ClosedJaxpr {
    let trace = StagingTrace::new();
    let args: Vec<Tensor> = in_avals.iter().map(|a| trace.new_arg(a.clone())).collect();
    let dyn_trace: Rc<dyn Trace> = trace.clone();
    let outs = with_trace(Some(dyn_trace), || f(&args));
    trace.finish(&outs)
}

/// Returns a function that traces `f` and returns its jaxpr (JAX's `jax.make_jaxpr`).
/// Arguments and results are pytrees; the jaxpr's inputs are the argument leaves in order.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// let f = |(x, y): &(Tensor, Tensor)| ((x.sin() * 2.0 + y) * x).sum();
/// let text = make_jaxpr(f)(&(x.clone(), x)).to_string();
/// assert!(text.starts_with("{ lambda ; a:f32[3] b:f32[3]. let"));
/// ```
pub fn make_jaxpr<P: PyTree, O: PyTree, F: Fn(&P) -> O>(f: F) -> impl Fn(&P) -> ClosedJaxpr {
    move |args: &P| {
        let def = args.treedef();
        let leaves = args.leaves();
        let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
        trace_to_jaxpr(&avals, |tracers| {
            let p = P::unflatten(&def, tracers.to_vec());
            f(&p).leaves()
        })
    }
}

/// The shapes and dtypes of a function's outputs, as [`eval_shape`] finds them: the output
/// pytree's structure and one [`Aval`] per leaf, in flatten order (JAX returns the same
/// structure with `ShapeDtypeStruct` leaves; Rust's output types hold tensors only, so the
/// structure comes as a [`TreeDef`]).
#[derive(Clone, Debug, PartialEq)]
pub struct OutputShapes {
    /// The output's tree structure.
    pub treedef: TreeDef,
    /// Each output leaf's shape and dtype.
    pub avals: Vec<Aval>,
}

impl std::fmt::Display for OutputShapes {
    /// As JAX prints `ShapeDtypeStruct`s: one, or a tuple of them in flatten order.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let one = |a: &Aval| {
            let dims: Vec<String> = a.shape.iter().map(|d| d.to_string()).collect();
            let shape = match dims.len() {
                1 => format!("({},)", dims[0]),
                _ => format!("({})", dims.join(", ")),
            };
            format!(
                "ShapeDtypeStruct(shape={shape}, dtype={})",
                a.dtype.numpy_name()
            )
        };
        match self.avals.as_slice() {
            [a] => f.write_str(&one(a)),
            avals => {
                let all: Vec<String> = avals.iter().map(one).collect();
                write!(f, "({})", all.join(", "))
            }
        }
    }
}

/// The shapes and dtypes `f` would return on `args`, found by tracing it, without computing
/// anything (JAX's `jax.eval_shape`): a way to size buffers or check a model's output type
/// before running it.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[8, 3], DType::F32);
/// let s = ferrax::eval_shape(|x: &Tensor| (x.matmul(&x.transpose(&[1, 0])), x.sum()), &x);
/// assert_eq!(s.avals[0].shape.as_slice(), &[8, 8]);
/// assert_eq!(
///     s.to_string(),
///     "(ShapeDtypeStruct(shape=(8, 8), dtype=float32), ShapeDtypeStruct(shape=(), dtype=float32))"
/// );
/// ```
pub fn eval_shape<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O, args: &P) -> OutputShapes {
    let def = args.treedef();
    let avals: Vec<Aval> = args.leaves().iter().map(|t| t.aval()).collect();
    let out_def = RefCell::new(None);
    let closed = trace_to_jaxpr(&avals, |tracers| {
        let out = f(&P::unflatten(&def, tracers.to_vec()));
        *out_def.borrow_mut() = Some(out.treedef());
        out.leaves()
    });
    OutputShapes {
        treedef: out_def.into_inner().expect("traced"),
        avals: closed
            .jaxpr
            .outvars
            .iter()
            .map(|a| closed.jaxpr.atom_aval(a))
            .collect(),
    }
}
