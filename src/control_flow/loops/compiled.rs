//! Loop bodies and `cond` branches compiled once into [`Program`]s.
//!
//! A body is compiled the way `jit` compiles a function ([`crate::passes::inline_calls`],
//! [`crate::passes::optimize`], [`crate::passes::fuse`], then [`Program::new`]), so its
//! elementwise chains fuse, its intermediates die at their last use and a carry no one else
//! holds is updated in place. The compiled form is cached by the identity of the body's
//! `Arc<Jaxpr>` (the same identity the primitive's `Eq`/`Hash` use): an equation that runs
//! again — every call of a jitted function, every iteration of an enclosing loop, every eager
//! evaluation of a traced jaxpr — reuses it. An entry holds the jaxpr weakly; entries whose
//! jaxpr is gone are dropped as the cache grows.

use crate::core::{ClosedJaxpr, Jaxpr};
use crate::interp::{Program, ScalarCode};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, Weak};

/// A body compiled for evaluation.
#[derive(Debug)]
pub struct CompiledBody {
    /// Runs `consts ++ body inputs`.
    pub program: Program,
    /// Constants the optimization folded out of the body: the program's leading inputs.
    pub consts: Vec<Tensor>,
    /// The register form with outputs fed back into inputs (for a scalar loop), made on first
    /// use for the pairs stored beside it.
    feedback: OnceLock<Feedback>,
}

/// Output-to-input pairs, and the register code that feeds them back (if the body is scalar).
type Feedback = (Vec<(usize, usize)>, Option<ScalarCode>);

impl CompiledBody {
    /// The program's register form followed by `input[i] = output[o]` for each `(o, i)` of
    /// `pairs` (indices of the program, constants included), if the body is scalar.
    pub fn scalar_feedback(&self, pairs: &[(usize, usize)]) -> Option<&ScalarCode> {
        let (stored, code) = self.feedback.get_or_init(|| {
            let code = self.program.scalar_code().map(|c| c.with_feedback(pairs));
            (pairs.to_vec(), code)
        });
        // One body is one loop's body; other pairs take the tensor path.
        (stored.as_slice() == pairs)
            .then_some(code.as_ref())
            .flatten()
    }

    /// Runs the program on `self.consts ++ args`, without re-checking types (the equation's
    /// shape rule did). Must be called with no trace active.
    pub fn run(&self, args: impl IntoIterator<Item = Tensor>) -> Vec<Tensor> {
        let mut inputs = Vec::with_capacity(self.program.num_inputs());
        inputs.extend(self.consts.iter().cloned());
        inputs.extend(args);
        self.program.run_unchecked(inputs)
    }
}

struct Entry {
    jaxpr: Weak<Jaxpr>,
    body: Arc<CompiledBody>,
    compiles: usize,
}

struct Cache {
    entries: HashMap<usize, Entry>,
    /// Size at which dead entries are next swept out.
    sweep_at: usize,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| {
    Mutex::new(Cache {
        entries: HashMap::new(),
        sweep_at: 64,
    })
});

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The live entry for `j`, if any. An entry's `Weak` keeps the allocation, so while it is in
/// the cache its address is not reused: a live jaxpr at that address is this one.
fn live<'a>(cache: &'a mut Cache, j: &Arc<Jaxpr>) -> Option<&'a mut Entry> {
    cache
        .entries
        .get_mut(&(Arc::as_ptr(j) as usize))
        .filter(|e| e.jaxpr.strong_count() > 0)
}

/// The compiled form of body `j`, compiling it on first use.
pub fn compiled(j: &Arc<Jaxpr>) -> Arc<CompiledBody> {
    if let Some(e) = live(&mut lock(), j) {
        return e.body.clone();
    }
    // Compiled outside the lock: compiling may evaluate (constant folding) and so reach
    // nested loops, which look themselves up here.
    let body = Arc::new(compile(j));
    let mut cache = lock();
    if let Some(e) = live(&mut cache, j) {
        // Another thread compiled it meanwhile; keep one.
        e.compiles += 1;
        return e.body.clone();
    }
    if cache.entries.len() >= cache.sweep_at {
        cache.entries.retain(|_, e| e.jaxpr.strong_count() > 0);
        cache.sweep_at = (2 * cache.entries.len()).max(64);
    }
    cache.entries.insert(
        Arc::as_ptr(j) as usize,
        Entry {
            jaxpr: Arc::downgrade(j),
            body: body.clone(),
            compiles: 1,
        },
    );
    body
}

/// How many times body `j` has been compiled (0 if never, 1 once cached).
pub fn compile_count(j: &Arc<Jaxpr>) -> usize {
    live(&mut lock(), j).map_or(0, |e| e.compiles)
}

/// `jit`'s pipeline on a body (no constvars: bodies are closed over their inputs).
fn compile(j: &Jaxpr) -> CompiledBody {
    assert!(
        j.constvars.is_empty(),
        "loop and branch bodies take their constants as inputs"
    );
    crate::core::with_trace(None, || {
        let closed = ClosedJaxpr {
            jaxpr: Arc::new(crate::passes::inline_calls(j)),
            consts: Vec::new(),
        };
        let opt = crate::passes::optimize(&closed);
        let flat = crate::interpreters::convert_constvars(&opt.jaxpr);
        let fused = crate::passes::fuse(&flat);
        CompiledBody {
            program: Program::new(&fused),
            consts: opt.consts,
            feedback: OnceLock::new(),
        }
    })
}
