//! A jaxpr compiled for repeated evaluation: what `jit` runs.
//!
//! [`Program::new`] does the per-jaxpr work once — variable slots, each value's last use, which
//! equations may run side by side, and which kernel runs each equation — so that
//! [`Program::run`] only moves buffers and calls kernels:
//!
//! - **Liveness.** A value is dropped right after its last use, its buffer going to
//!   ferrax's buffer pool (`kernels::pool`) for the next kernel that allocates that size
//!   (no fresh pages to fault in), and an equation that is the last reader of an
//!   operand *owns* it: elementwise kernels then write their result into that operand's
//!   buffer instead of allocating (in place, when no one else holds the buffer).
//! - **Direct kernels.** Shapes were checked when the jaxpr was built, so equations call the
//!   primitive's kernel with the output types computed here, skipping the tracing machinery.
//!   Calls and control flow evaluate their bodies as usual.
//! - **Parallelism.** Two adjacent independent equations that are each large enough (tens of
//!   microseconds) run on both cores with `rayon::join`; large kernels split themselves. A
//!   program with such work runs inside the rayon pool (one wake-up per call, not per
//!   kernel); small programs stay on the calling thread.
//! - **Scalar programs.** A program whose every value is a number (rank 0) and whose
//!   equations are exactly rounded arithmetic or comparisons runs on register files
//!   ([`ScalarCode`]), building no tensor; a scalar loop body compiled this way runs its whole
//!   recurrence on registers ([`Program::scalar_code`]).
//! - **NaN checking.** With [`crate::debug::debug_nans`] on, steps run one at a time and each
//!   step's outputs are checked; a fused group that made a NaN is re-run op by op, so the
//!   panic names the primitive.
//!
//! Compiling a program changes no process-wide setting; the glibc allocator tuning that
//! suits it is opt-in ([`crate::runtime::tune_allocator`], `FERRAX_TUNE_MALLOC=1`).

use super::fused::FusedKernel;
use super::scalar::ScalarCode;
use crate::core::{bind, Atom, Aval, Avals, Jaxpr, Outputs};
use crate::kernels::parallel::{elementwise_ns, gemm_ns, PAIR_MIN_NS, POOL_MIN_NS};
use crate::kernels::pool::recycle;
use crate::passes::FusedOp;
use crate::prims::{family, Family, Prim};
use crate::tensor::{ArrayData, Tensor};
use smallvec::SmallVec;
use std::sync::Arc;

/// An operand of a step: a slot of the environment or a literal.
#[derive(Clone, Debug)]
enum Operand {
    Slot(u32),
    Lit(Tensor),
}

/// How a step is evaluated.
#[derive(Clone, Debug)]
enum StepKind {
    /// `prim.eval` on the operands' arrays (shape rule already applied at compile time).
    Direct,
    /// Through `bind` (calls, control flow, collectives: they run sub-programs).
    Bind,
    /// A nested `jit`: its own compiled program.
    Sub(Arc<Program>),
    /// A fused elementwise group run chunk by chunk.
    Fused(Arc<FusedKernel>),
}

#[derive(Clone, Debug)]
struct Step {
    prim: Prim,
    kind: StepKind,
    inputs: SmallVec<[Operand; 3]>,
    /// For each input: this step is the slot's last reader, so it takes the value.
    consume: SmallVec<[bool; 3]>,
    /// The slot of each output, `None` if nothing reads it.
    outputs: SmallVec<[Option<u32>; 1]>,
    out_avals: Avals,
    /// Estimated single-thread time in ns.
    cost: f64,
    /// Runs together with the next step (`rayon::join`).
    pair_with_next: bool,
}

/// A compiled jaxpr. Build once with [`Program::new`], run many times with
/// [`Program::run`]; `Send + Sync`, so it can run on any thread.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::internals::interp::Program;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| (x * 3.0).exp())(&x);
/// let p = Program::new(&j.jaxpr);
/// let y = p.run(j.consts.iter().cloned().chain([x.clone()]).collect());
/// assert_eq!(y[0].to_vec::<f32>(), (x * 3.0).exp().to_vec::<f32>());
/// ```
#[derive(Debug)]
pub struct Program {
    n_slots: usize,
    /// Slots of the jaxpr's constvars then invars, in order.
    input_slots: Vec<u32>,
    input_avals: Vec<Aval>,
    steps: Vec<Step>,
    outputs: Vec<Operand>,
    /// Estimated single-thread time of one run, in ns.
    cost: f64,
    /// The register form, when every value is a number.
    scalar: Option<ScalarCode>,
}

impl Program {
    /// Compiles `jaxpr` (its constvars become the leading inputs of [`Program::run`]).
    pub fn new(jaxpr: &Jaxpr) -> Program {
        crate::runtime::tune_allocator_if_requested();
        let slot_of = |v: crate::core::Var| v.0;
        let operand = |a: &Atom| match a {
            Atom::Var(v) => Operand::Slot(slot_of(*v)),
            Atom::Lit(t) => Operand::Lit(t.clone()),
        };
        // Last reader of every slot; program outputs are read "after the end".
        let never = usize::MAX;
        let mut last_use = vec![None::<usize>; jaxpr.var_avals.len()];
        for (i, e) in jaxpr.eqns.iter().enumerate() {
            for a in &e.inputs {
                if let Atom::Var(v) = a {
                    last_use[v.0 as usize] = Some(i);
                }
            }
        }
        for a in &jaxpr.outvars {
            if let Atom::Var(v) = a {
                last_use[v.0 as usize] = Some(never);
            }
        }
        let mut steps: Vec<Step> = jaxpr
            .eqns
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let inputs: SmallVec<[Operand; 3]> = e.inputs.iter().map(operand).collect();
                // Consume on the last occurrence within the last reading equation only.
                let consume = e
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(k, a)| match a {
                        Atom::Var(v) => {
                            last_use[v.0 as usize] == Some(i)
                                && !e.inputs[k + 1..]
                                    .iter()
                                    .any(|b| matches!(b, Atom::Var(w) if w == v))
                        }
                        Atom::Lit(_) => false,
                    })
                    .collect();
                let outputs = e
                    .outputs
                    .iter()
                    .map(|v| last_use[v.0 as usize].map(|_| v.0))
                    .collect();
                let in_avals: Vec<Aval> = e
                    .inputs
                    .iter()
                    .map(|a| match a {
                        Atom::Var(v) => jaxpr.aval(*v).clone(),
                        Atom::Lit(t) => t.aval(),
                    })
                    .collect();
                let out_avals: Avals = e.outputs.iter().map(|v| jaxpr.aval(*v).clone()).collect();
                Step {
                    kind: step_kind(&e.prim),
                    cost: estimate_cost(&e.prim, &in_avals, &out_avals),
                    prim: e.prim.clone(),
                    inputs,
                    consume,
                    outputs,
                    out_avals,
                    pair_with_next: false,
                }
            })
            .collect();
        // Pair adjacent independent large steps.
        let mut i = 0;
        while i + 1 < steps.len() {
            let (a, b) = (&steps[i], &steps[i + 1]);
            let independent = !b.inputs.iter().any(|o| match o {
                Operand::Slot(s) => a.outputs.contains(&Some(*s)),
                Operand::Lit(_) => false,
            });
            if independent
                && a.cost >= PAIR_MIN_NS
                && b.cost >= PAIR_MIN_NS
                && matches!(a.kind, StepKind::Direct | StepKind::Fused(_))
                && matches!(b.kind, StepKind::Direct | StepKind::Fused(_))
            {
                steps[i].pair_with_next = true;
                i += 2;
            } else {
                i += 1;
            }
        }
        let input_vars: Vec<_> = jaxpr.constvars.iter().chain(&jaxpr.invars).collect();
        Program {
            n_slots: jaxpr.var_avals.len(),
            input_slots: input_vars.iter().map(|v| v.0).collect(),
            input_avals: input_vars.iter().map(|v| jaxpr.aval(**v).clone()).collect(),
            cost: steps.iter().map(|s| s.cost).sum(),
            scalar: ScalarCode::new(jaxpr),
            steps,
            outputs: jaxpr.outvars.iter().map(operand).collect(),
        }
    }

    /// Estimated single-thread time of one run, in ns (what decides whether the run moves
    /// into the rayon pool).
    pub fn estimated_cost_ns(&self) -> f64 {
        self.cost
    }

    /// The register form of the program, if every value in it is a number (rank 0) and every
    /// equation is exactly rounded arithmetic or a comparison: what [`Program::run`] runs then,
    /// and what a caller iterating the program many times can drive directly (with
    /// [`ScalarCode::with_feedback`]), building no tensor per run.
    pub fn scalar_code(&self) -> Option<&ScalarCode> {
        self.scalar.as_ref()
    }

    /// The number of inputs (constants then arguments).
    pub fn num_inputs(&self) -> usize {
        self.input_slots.len()
    }

    /// [`Program::run`] without the check of the inputs' types, for a caller that checked them
    /// once and runs the program many times on values of the same types (a loop body on its
    /// carries). Inputs are still taken by value: a carry no one else holds is updated in
    /// place. Must be called with no trace active.
    pub fn run_unchecked(&self, inputs: Vec<Tensor>) -> Vec<Tensor> {
        debug_assert_eq!(inputs.len(), self.input_slots.len());
        in_pool_if(self.cost, || self.run_here(inputs))
    }

    /// Runs the program on its inputs (constants first, then arguments), taking them by
    /// value: an input whose buffer no one else holds can be reused for an output (this is
    /// how donation works). Must be called with no trace active; panics if the inputs do not
    /// match the jaxpr's types.
    #[track_caller]
    pub fn run(&self, inputs: Vec<Tensor>) -> Vec<Tensor> {
        assert!(
            inputs.len() == self.input_slots.len(),
            "jit: the compiled program takes {} inputs, got {}",
            self.input_slots.len(),
            inputs.len()
        );
        for (t, want) in inputs.iter().zip(&self.input_avals) {
            assert!(
                t.is_concrete() && t.shape() == want.shape.as_slice() && t.dtype() == want.dtype,
                "jit: input of type {} where the compiled program expects {}",
                t.aval(),
                want
            );
        }
        self.run_unchecked(inputs)
    }

    fn run_here(&self, inputs: Vec<Tensor>) -> Vec<Tensor> {
        // One relaxed load per run; when on, steps run one at a time with their outputs checked.
        let check_nans = crate::core::nan_check::debug_nans();
        if let (Some(code), false) = (&self.scalar, check_nans) {
            return code.run_tensors(&inputs);
        }
        let mut env: Vec<Option<Tensor>> = vec![None; self.n_slots];
        for (&s, t) in self.input_slots.iter().zip(inputs) {
            env[s as usize] = Some(t);
        }
        let mut i = 0;
        while i < self.steps.len() {
            let step = &self.steps[i];
            if step.pair_with_next && !check_nans {
                let next = &self.steps[i + 1];
                let a = gather(step, &mut env);
                let b = gather(next, &mut env);
                let (oa, ob) = rayon::join(|| execute(step, a), || execute(next, b));
                scatter(step, oa, &mut env);
                scatter(next, ob, &mut env);
                i += 2;
            } else {
                let ins = gather(step, &mut env);
                let outs = if check_nans {
                    execute_checked(step, ins)
                } else {
                    execute(step, ins)
                };
                scatter(step, outs, &mut env);
                i += 1;
            }
        }
        let outs = self
            .outputs
            .iter()
            .map(|o| match o {
                Operand::Slot(s) => env[*s as usize]
                    .clone()
                    .expect("outputs are defined by the program"),
                Operand::Lit(t) => t.clone(),
            })
            .collect();
        // What is left besides the outputs (inputs nothing read) is dead.
        env.into_iter().flatten().for_each(recycle);
        outs
    }
}

/// Runs `f` inside the rayon pool when `cost_ns` (its estimated single-thread time) is large
/// enough that parallel kernels inside it pay off, so each of them is a cheap `join` instead of
/// a wake-up of the pool; on a pool thread already, or for small work, runs it here. A caller
/// that runs a program many times (a loop) moves the whole loop in once this way.
pub fn in_pool_if<R: Send>(cost_ns: f64, f: impl FnOnce() -> R + Send) -> R {
    if cost_ns >= POOL_MIN_NS && rayon::current_thread_index().is_none() {
        let mut out = None;
        rayon::scope(|_| out = Some(f()));
        return out.expect("scope ran");
    }
    f()
}

fn step_kind(prim: &Prim) -> StepKind {
    if let Some(fused) = prim.downcast::<FusedOp>() {
        StepKind::Fused(Arc::new(FusedKernel::new(&fused.jaxpr.0)))
    } else if let Some(body) = prim.inlinable_body() {
        StepKind::Sub(Arc::new(Program::new(body)))
    } else if !prim.constant_foldable() {
        StepKind::Bind
    } else {
        StepKind::Direct
    }
}

/// A step's estimated single-thread time on the crate's one cost model
/// ([`crate::kernels::parallel`]): products and convolutions by their multiply-adds,
/// everything else by the elements it reads and writes. Loops and calls count 0 here (their
/// bodies decide for themselves).
fn estimate_cost(prim: &Prim, ins: &[Aval], outs: &[Aval]) -> f64 {
    let size = |a: &Aval| a.shape.iter().product::<usize>();
    match family(prim) {
        _ if !prim.sub_jaxprs().is_empty() => 0.0,
        Family::Dot(d) => {
            let contracted: usize = d.lhs_contracting.iter().map(|&i| ins[0].shape[i]).product();
            gemm_ns(size(&outs[0]).saturating_mul(contracted))
        }
        Family::Conv(_) => {
            // Each output element sums over the kernel's taps for one output feature.
            let out_features = outs[0].shape.last().copied().unwrap_or(1).max(1);
            gemm_ns(size(&outs[0]).saturating_mul(size(&ins[1]) / out_features))
        }
        _ => elementwise_ns(ins.iter().chain(outs).map(size).sum()),
    }
}

/// Collects a step's operands: taken from the environment at their last use, cloned before.
fn gather(step: &Step, env: &mut [Option<Tensor>]) -> SmallVec<[Tensor; 3]> {
    step.inputs
        .iter()
        .zip(&step.consume)
        .map(|(o, &consume)| match o {
            Operand::Slot(s) => {
                let slot = &mut env[*s as usize];
                let t = if consume { slot.take() } else { slot.clone() };
                t.expect("operands are defined before use")
            }
            Operand::Lit(t) => t.clone(),
        })
        .collect()
}

/// Stores a step's outputs; one nothing reads is dead at once, its buffer recycled.
fn scatter(step: &Step, outs: Outputs, env: &mut [Option<Tensor>]) {
    for (slot, t) in step.outputs.iter().zip(outs) {
        match slot {
            Some(s) => env[*s as usize] = Some(t),
            None => recycle(t),
        }
    }
}

/// Runs a step. Operands it consumed die here: their buffers go to the buffer pool (a
/// later kernel's allocation of that size then reuses them instead of faulting fresh
/// pages in); operands still held elsewhere are only released.
fn execute(step: &Step, mut ins: SmallVec<[Tensor; 3]>) -> Outputs {
    let outs = match &step.kind {
        StepKind::Direct => {
            match super::inplace::try_inplace(&step.prim, &mut ins, &step.out_avals) {
                Some(out) => out,
                None => {
                    let arrays: SmallVec<[&ArrayData; 3]> = ins.iter().map(Tensor::array).collect();
                    step.prim
                        .eval(&arrays, &step.out_avals)
                        .into_iter()
                        .map(Tensor::from_array)
                        .collect()
                }
            }
        }
        StepKind::Bind => bind(&step.prim, &ins),
        // These recycle their operands themselves.
        StepKind::Sub(p) => return Outputs::from_vec(p.run_here(ins.into_vec())),
        StepKind::Fused(k) => return Outputs::from_vec(k.run(ins.into_vec())),
    };
    ins.into_iter().for_each(recycle);
    outs
}

/// [`execute`] with the `debug_nans` check of the step's outputs. A fused group that made a
/// NaN is re-run un-fused, op by op (also checked), so the panic names the primitive inside
/// the group that made it.
#[cold]
fn execute_checked(step: &Step, ins: SmallVec<[Tensor; 3]>) -> Outputs {
    use crate::core::nan_check::{first_nan, nan_message, Where};
    // Holding the operands keeps in-place kernels off them: they stay intact for the message
    // and the re-run.
    let kept = ins.clone();
    let outs = execute(step, ins);
    let Some(k) = first_nan(&outs) else {
        return outs;
    };
    let mut name = step.prim.name().to_string();
    if let (StepKind::Fused(_), Some(call)) = (&step.kind, step.prim.downcast::<FusedOp>()) {
        Program::new(&call.jaxpr.0).run_here(kept.to_vec());
        // Unreached unless the fused kernel's arithmetic differs from the ops' kernels.
        let ops: Vec<&str> = call.jaxpr.0.eqns.iter().map(|e| e.prim.name()).collect();
        name = format!("a fused group ({})", ops.join(", "));
    }
    panic!(
        "{}",
        nan_message(&name, &kept, &step.out_avals[k], k, Where::Jit)
    )
}
