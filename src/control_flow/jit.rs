//! `jit`: trace a function once per input signature, cache its jaxpr, and run the cached
//! jaxpr on later calls.
//!
//! A *signature* is the input's tree structure ([`TreeDef`], which includes static fields)
//! plus every leaf's shape and dtype. The first call with a signature runs the Rust function
//! under a staging trace (so its side effects happen only then) and closure-converts the
//! result: tensors the function captures become constants of the cached jaxpr. Later calls
//! with the same signature only evaluate the jaxpr.
//!
//! Outside any transformation the cached jaxpr is evaluated directly. Under a trace (`grad`,
//! `vmap`, `make_jaxpr`, an outer `jit`) a jitted function is one `jit` call equation, whose
//! rules (in `prims::call`) make it compose with every transformation: `grad(jit(f))`,
//! `jit(grad(f))`, `vmap(jit(f))` and `jit(vmap(f))` all work.
//!
//! Set `FERRAX_LOG_COMPILES=1` to have every trace reported on stderr, with the reason for
//! a cache miss (which leaf's shape or dtype changed, or where the structure or a static
//! field changed) — see [`compile_log_message`].
//!
//! ```
//! use ferrax::prelude::*;
//! let f = |x: &Tensor| (x.sin() * x).sum();
//! let fast = jit(f);
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
//! assert_eq!(fast(&x).item::<f32>(), f(&x).item::<f32>());
//! let g = grad(jit(f))(&x);
//! assert_eq!(g.shape(), &[3]);
//! ```

use super::call::jit_call;
use crate::core::{current_trace, trace_to_jaxpr, with_trace, Aval, ClosedJaxpr, Jaxpr};
use crate::interp::Program;
use crate::interpreters::convert_constvars;
use crate::prims::Prim;
use crate::tensor::Tensor;
use crate::tree::{KeyPath, PyTree, Subtree, TreeDef};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// Options of [`jit_with`].
#[derive(Clone, Debug, Default)]
pub struct JitOptions {
    /// The name printed in `jit[name=..]` equations and compile logs. `None`: the function's
    /// name if it is a `fn` item, `<lambda>` for a closure (as JAX prints lambdas).
    pub name: Option<String>,
    /// Let [`Jitted::call_owned`] reuse the input buffers for intermediates and outputs
    /// (JAX's `donate_argnums`, for the whole argument): a training step that takes the old
    /// parameters by value then updates them in place. Safe by construction: a buffer is only
    /// overwritten when the program holds its last reference, so tensors the caller still
    /// holds are never changed. Without it, `call_owned` behaves like `call`.
    pub donate: bool,
}

/// What a jitted function is specialized on: the input's tree structure (including static
/// fields) and each leaf's shape and dtype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    pub tree: TreeDef,
    pub leaves: Vec<Aval>,
}

impl Signature {
    /// The signature of an input.
    pub fn of<P: PyTree>(x: &P) -> Signature {
        let (leaves, tree) = x.flatten();
        Signature {
            tree,
            leaves: leaves.iter().map(Tensor::aval).collect(),
        }
    }
}

impl fmt::Display for Signature {
    /// `f32[3]` for a single tensor, else the structure then `path:type` per leaf, e.g.
    /// `PyTreeDef((*, *)) [0]:f32[3] [1]:i32[]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paths = self.tree.leaf_paths();
        if paths.len() == 1 && paths[0].is_root() {
            return write!(f, "{}", self.leaves[0]);
        }
        write!(f, "{}", self.tree)?;
        for (p, a) in paths.iter().zip(&self.leaves) {
            write!(f, " {p}:{a}")?;
        }
        Ok(())
    }
}

/// The message `FERRAX_LOG_COMPILES=1` prints when `name` is traced for `sig`; `previous` is
/// the most recent signature it was traced for, if any, and the second line says what
/// changed from it.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{compile_log_message, Signature};
/// let a = Signature::of(&Tensor::zeros(&[3], DType::F32));
/// let b = Signature::of(&Tensor::zeros(&[4], DType::F32));
/// assert_eq!(
///     compile_log_message("f", &b, Some(&a)),
///     "jit(f): compiling for f32[4]\n  cache miss: the input's shape/dtype changed from f32[3] to f32[4]"
/// );
/// ```
pub fn compile_log_message(name: &str, sig: &Signature, previous: Option<&Signature>) -> String {
    let mut msg = format!("jit({name}): compiling for {sig}");
    let Some(prev) = previous else {
        return msg;
    };
    if prev.tree != sig.tree {
        match first_difference(&prev.tree, &sig.tree, &mut KeyPath::root()) {
            Some((path, was, now)) => {
                let at = place(&path, || format!("at {path} the"));
                msg.push_str(&format!(
                    "\n  cache miss: {at} tree structure or a static field changed from {was} to {now}"
                ));
            }
            None => msg.push_str(&format!(
                "\n  cache miss: the tree structure or a static field changed from {} to {}",
                prev.tree, sig.tree
            )),
        }
        return msg;
    }
    let paths = sig.tree.leaf_paths();
    for ((p, was), now) in paths.iter().zip(&prev.leaves).zip(&sig.leaves) {
        if was != now {
            let which = place(p, || format!("leaf {p}"));
            msg.push_str(&format!(
                "\n  cache miss: {which} shape/dtype changed from {was} to {now}"
            ));
        }
    }
    msg
}

/// How a cache-miss line names the place at `path`: "the input's" at the root, else what
/// `elsewhere` says.
fn place(path: &KeyPath, elsewhere: impl FnOnce() -> String) -> String {
    if path.is_root() {
        "the input's".to_string()
    } else {
        elsewhere()
    }
}

/// Where two structures first differ: the path and the two subtrees there (the deepest node
/// whose own kind or static fields differ, or whose children do not line up).
fn first_difference<'a>(
    a: &'a Subtree,
    b: &'a Subtree,
    path: &mut KeyPath,
) -> Option<(KeyPath, &'a Subtree, &'a Subtree)> {
    if a == b {
        return None;
    }
    let n = a.num_children();
    let aligned = !a.is_leaf()
        && !b.is_leaf()
        && n == b.num_children()
        && (0..n).all(|i| a.child_key(i) == b.child_key(i));
    if aligned {
        for (i, (ca, cb)) in a.children().zip(b.children()).enumerate() {
            if ca == cb {
                continue;
            }
            let key = a.child_key(i);
            let pushed = key.is_some();
            if let Some(k) = key {
                path.push(k);
            }
            let d = first_difference(ca, cb, path);
            if pushed {
                path.pop();
            }
            return d;
        }
    }
    Some((path.clone(), a, b))
}

/// Whether `FERRAX_LOG_COMPILES` is set (to anything but `0`/empty); read once.
fn log_compiles() -> bool {
    static LOG: OnceLock<bool> = OnceLock::new();
    *LOG.get_or_init(|| {
        std::env::var("FERRAX_LOG_COMPILES").is_ok_and(|v| !v.is_empty() && v != "0")
    })
}

/// The optimization hook: every traced jaxpr passes through here before it is cached
/// ([`crate::passes::inline_calls`], then [`crate::passes::optimize`]: simplification,
/// constant folding, CSE, DCE). Jaxprs that
/// captured an enclosing transformation's tracers are used once and left as traced. The
/// passes run with no trace active, so folding computes constants now.
fn optimize_for_jit(closed: ClosedJaxpr) -> ClosedJaxpr {
    if !closed.consts.iter().all(Tensor::is_concrete) {
        return closed;
    }
    let inlined = ClosedJaxpr {
        jaxpr: Arc::new(crate::passes::inline_calls(&closed.jaxpr)),
        consts: closed.consts,
    };
    with_trace(None, || crate::passes::optimize(&inlined))
}

/// One cached specialization.
struct Entry {
    /// The `jit` equation other transformations see: the jaxpr as traced, taking
    /// `consts ++ leaves`.
    prim: Prim,
    consts: Vec<Tensor>,
    /// The optimized jaxpr (before fusion), with its constants as constvars.
    closed: ClosedJaxpr,
    /// What eager calls run: the optimized jaxpr fused and compiled; its leading inputs are
    /// `closed.consts`.
    program: Arc<Program>,
    /// The jaxpr the program was compiled from: optimized, then fused, with the constants as
    /// leading invars.
    fused: Arc<Jaxpr>,
    out_def: TreeDef,
}

/// Entries are shared by every thread calling one [`Jitted`]: a compile-time check that
/// everything they hold may be.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Entry>();
    assert_send_sync::<Prim>();
    assert_send_sync::<Program>();
    assert_send_sync::<ClosedJaxpr>();
    assert_send_sync::<TreeDef>();
    assert_send_sync::<Tensor>();
    assert_send_sync::<Signature>();
};

/// The most recently used entry with its signature (see [`Jitted`]'s `hot` field).
type Hot = Option<(Signature, Arc<Entry>)>;

/// A jitted function with its cache: what [`jit`] returns wraps one. Use it directly to
/// inspect the cache or the jaxpr it runs.
///
/// It is `Send + Sync` when `F` is: the cache sits behind locks (never held while the
/// function is traced), so one compiled step can be shared by threads through an `Arc`.
/// Two threads missing the same signature at once may both trace it; the first to finish
/// is cached and both then run that entry.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{JitOptions, Jitted};
/// use std::sync::Arc;
/// let f = Arc::new(Jitted::new(|x: &Tensor| (x * x).sum(), JitOptions::default()));
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         let (f, x) = (Arc::clone(&f), &x);
///         s.spawn(move || assert_eq!(f.call(x).item::<f32>(), 5.0));
///     }
/// });
/// assert_eq!(f.cache_size(), 1);
/// ```
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{Jitted, JitOptions};
/// let f = Jitted::new(|x: &Tensor| x * 2.0, JitOptions { name: Some("double".into()), ..Default::default() });
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(f.call(&x).to_vec::<f32>(), vec![2.0, 4.0]);
/// assert_eq!(f.jaxpr(&x).to_string(), "{ lambda ; a:f32[2]. let b:f32[2] = mul a 2.0:f32[] in (b,) }");
/// assert_eq!(f.cache_size(), 1);
/// ```
pub struct Jitted<P, O, F> {
    f: F,
    name: String,
    donate: bool,
    cache: RwLock<HashMap<Signature, Arc<Entry>>>,
    last: Mutex<Option<Signature>>,
    /// The most recently used entry with its signature: most programs call a jitted
    /// function with one signature, so a call checks it without hashing or allocating
    /// (under a read lock, which threads share).
    hot: RwLock<Hot>,
    traces: AtomicUsize,
    _types: PhantomData<fn(&P) -> O>,
}

fn default_name<F>() -> String {
    let full = std::any::type_name::<F>();
    // Drop generic arguments, then keep the last path segment.
    let base = full.split('<').next().unwrap_or(full);
    match base.rsplit("::").next() {
        Some(last) if !last.is_empty() && !full.contains("{{closure}}") => last.to_string(),
        _ => "<lambda>".to_string(),
    }
}

impl<P: PyTree, O: PyTree, F: Fn(&P) -> O> Jitted<P, O, F> {
    /// Wraps `f`; nothing is traced until the first call.
    pub fn new(f: F, options: JitOptions) -> Self {
        Jitted {
            f,
            name: options.name.unwrap_or_else(default_name::<F>),
            donate: options.donate,
            cache: RwLock::default(),
            last: Mutex::default(),
            hot: RwLock::default(),
            traces: AtomicUsize::new(0),
            _types: PhantomData,
        }
    }

    /// The name printed in `jit[name=..]`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether donation was requested (see [`JitOptions::donate`]).
    pub fn donates(&self) -> bool {
        self.donate
    }

    /// How many times the function has been traced (from any thread).
    pub fn trace_count(&self) -> usize {
        self.traces.load(Ordering::Relaxed)
    }

    /// How many signatures are cached.
    pub fn cache_size(&self) -> usize {
        read(&self.cache).len()
    }

    /// The cached entry for `x`'s signature, tracing on a miss. No lock is held while `f` is
    /// traced: tracing may call this `Jitted` again (e.g. under `grad`), and a panic in `f`
    /// leaves the cache as it was.
    fn entry(&self, sig: Signature) -> Arc<Entry> {
        if let Some(e) = read(&self.cache).get(&sig) {
            return e.clone();
        }
        if log_compiles() {
            let last = self
                .last
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            eprintln!("{}", compile_log_message(&self.name, &sig, last.as_ref()));
        }
        self.traces.fetch_add(1, Ordering::Relaxed);
        let mut out_def = None;
        let closed = trace_to_jaxpr(&sig.leaves, |args| {
            let out = (self.f)(&P::unflatten(&sig.tree, args.to_vec()));
            out_def = Some(out.treedef());
            out.leaves()
        });
        // Transformations see the jaxpr as traced (so derivatives are those of `f`, op for
        // op); the program that runs is optimized and fused.
        let optimized = optimize_for_jit(closed.clone());
        let fused = Arc::new(crate::passes::fuse(&convert_constvars(&optimized.jaxpr)));
        let program = Arc::new(Program::new(&fused));
        let entry = Arc::new(Entry {
            program,
            fused,
            prim: jit_call(&self.name, Arc::new(convert_constvars(&closed.jaxpr))),
            // Captured tracers of an enclosing transformation are only valid during this call:
            // such an entry is used once and not cached.
            consts: closed.consts,
            closed: optimized,
            out_def: out_def.expect("function was traced"),
        });
        // Another thread may have traced the same signature meanwhile: the first entry
        // cached wins, so every caller runs the same program.
        let entry = if entry.consts.iter().all(Tensor::is_concrete) {
            let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
            cache.entry(sig.clone()).or_insert(entry).clone()
        } else {
            entry
        };
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(sig);
        entry
    }

    /// Calls the jitted function: evaluates the cached jaxpr with no trace active, binds a
    /// `jit` equation under one.
    pub fn call(&self, x: &P) -> O {
        let (leaves, tree) = x.flatten();
        self.call_leaves(leaves, tree)
    }

    /// Calls the jitted function on an input it may consume: with
    /// [`donate`](JitOptions::donate) set, buffers of `x` that the caller does not also hold
    /// elsewhere are reused by the program (in-place updates); otherwise the same as
    /// [`Jitted::call`].
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::transforms::{JitOptions, Jitted};
    /// let step = Jitted::new(
    ///     |(w, g): &(Tensor, Tensor)| w * 0.5 - g,
    ///     JitOptions { donate: true, ..Default::default() },
    /// );
    /// let mut w = Tensor::ones(&[3], DType::F32);
    /// let g = Tensor::ones(&[3], DType::F32);
    /// for _ in 0..2 {
    ///     w = step.call_owned((w, g.clone())); // w's buffer is updated in place
    /// }
    /// assert_eq!(w.to_vec::<f32>(), vec![-1.25; 3]);
    /// assert_eq!(g.to_vec::<f32>(), vec![1.0; 3]); // held by the caller: untouched
    /// ```
    pub fn call_owned(&self, x: P) -> O {
        if !self.donate {
            return self.call(&x);
        }
        let (leaves, tree) = x.flatten();
        drop(x);
        self.call_leaves(leaves, tree)
    }

    fn call_leaves(&self, leaves: Vec<Tensor>, tree: TreeDef) -> O {
        let e = match self.hot_entry(&tree, &leaves) {
            Some(e) => e,
            None => {
                let sig = Signature {
                    tree,
                    leaves: leaves.iter().map(Tensor::aval).collect(),
                };
                let e = self.entry(sig.clone());
                if e.consts.iter().all(Tensor::is_concrete) {
                    *self.hot.write().unwrap_or_else(PoisonError::into_inner) =
                        Some((sig, e.clone()));
                }
                e
            }
        };
        let outs = if current_trace().is_none() {
            let mut args = Vec::with_capacity(e.closed.consts.len() + leaves.len());
            args.extend(e.closed.consts.iter().cloned());
            args.extend(leaves);
            e.program.run(args)
        } else {
            let mut args = Vec::with_capacity(e.consts.len() + leaves.len());
            args.extend(e.consts.iter().cloned());
            args.extend(leaves);
            crate::core::bind(&e.prim, &args).into_vec()
        };
        O::unflatten(&e.out_def, outs)
    }

    /// The hot entry if `tree` and `leaves` match its signature.
    fn hot_entry(&self, tree: &TreeDef, leaves: &[Tensor]) -> Option<Arc<Entry>> {
        let hot = read(&self.hot);
        let (sig, e) = hot.as_ref()?;
        let same = sig.tree == *tree
            && sig.leaves.len() == leaves.len()
            && sig
                .leaves
                .iter()
                .zip(leaves)
                .all(|(a, t)| a.dtype == t.dtype() && a.shape.as_slice() == t.shape());
        same.then(|| e.clone())
    }

    /// The jaxpr the compiled program runs for `x`'s signature: optimized, then fused
    /// (`fused[...]` equations are elementwise groups run in one chunked pass), with the
    /// captured constants as leading invars. Traces on a cache miss.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::transforms::{JitOptions, Jitted};
    /// let f = Jitted::new(|x: &Tensor| (x.sin() * 2.0).exp(), JitOptions::default());
    /// let text = f.compiled_jaxpr(&Tensor::zeros(&[4], DType::F32)).to_string();
    /// assert!(text.contains("fused[") && text.contains("sin") && text.contains("exp"), "{text}");
    /// ```
    pub fn compiled_jaxpr(&self, x: &P) -> Jaxpr {
        (*self.entry(Signature::of(x)).fused).clone()
    }

    /// The (optimized) jaxpr this function runs for `x`'s signature, with the captured
    /// values as constants; traces on a cache miss.
    pub fn jaxpr(&self, x: &P) -> ClosedJaxpr {
        self.entry(Signature::of(x)).closed.clone()
    }
}

/// Compiles `f`: it is traced once per input signature (tree structure with static fields,
/// leaf shapes and dtypes) and the cached jaxpr runs on later calls. Captured tensors become
/// constants. Composes with every transformation (see the module docs). The returned
/// closure is `Send + Sync` when `f` is (see [`Jitted`]), so one compiled step can be shared
/// by a thread pool through an `Arc`; each thread's transformations stay its own.
///
/// ```
/// use ferrax::prelude::*;
/// let fast = jit(|(w, x): &(Tensor, Tensor)| x.matmul(w).tanh().sum());
/// let w = Tensor::ones(&[3, 2], DType::F32);
/// let x = Tensor::ones(&[4, 3], DType::F32);
/// let y = fast(&(w, x));
/// assert!((y.item::<f32>() - 8.0 * 3.0f32.tanh()).abs() < 1e-5);
/// ```
pub fn jit<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O) -> impl Fn(&P) -> O {
    jit_with(f, JitOptions::default())
}

/// [`jit`] with options: a name for printing and logs, and donation (a no-op for now).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{jit_with, JitOptions};
/// let f = jit_with(|x: &Tensor| x * 2.0, JitOptions { name: Some("double".into()), donate: true });
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// let text = make_jaxpr(|x: &Tensor| f(x) + 1.0)(&x).to_string();
/// assert!(text.contains("name=double"), "{text}");
/// ```
pub fn jit_with<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    options: JitOptions,
) -> impl Fn(&P) -> O {
    let j = Jitted::new(f, options);
    move |x: &P| j.call(x)
}

/// Reads a lock, ignoring poisoning: the cache is only written by this module's own code,
/// never while user code runs, so a panic elsewhere cannot leave it half-updated.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// The jaxpr `jit(f)` would run for an input (after optimization), with its constants.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::jit_jaxpr;
/// let j = jit_jaxpr(|x: &Tensor| x.sin())(&Tensor::zeros(&[2], DType::F32));
/// assert_eq!(j.to_string(), "{ lambda ; a:f32[2]. let b:f32[2] = sin a in (b,) }");
/// ```
pub fn jit_jaxpr<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O) -> impl Fn(&P) -> ClosedJaxpr {
    let j = Jitted::new(f, JitOptions::default());
    move |x: &P| j.jaxpr(x)
}
