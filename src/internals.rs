//! **Unstable.** The machinery under ferrax's public API, exposed for ferrax's own tests and
//! benches and for the curious: first-order primitives and their rules ([`prims`]), the
//! higher-order ones ([`control_flow`]), the transformation interpreters ([`interpreters`]),
//! the CPU kernels ([`kernels`]), the compiled programs ([`interp`]), the jaxpr optimization
//! passes ([`passes`]) and the trace mechanism ([`trace`]).
//!
//! Nothing here is covered by semver: names, signatures and behaviour may change in any
//! release. Programs should use the public modules (`prelude`, `lax`, `numpy`, `nn`, `optim`,
//! `losses`, `random`, `tree`, `data`, `train`, `test_util`, `transforms`, `core`'s jaxpr
//! types). Every function here is still sound to call: an unchecked kernel is an `unsafe fn`
//! with its contract written down.
//!
//! ```
//! use ferrax::internals::prims::UnaryOp;
//! assert_eq!(format!("{:?}", UnaryOp::Sin), "Sin");
//! ```

/// Each `pub mod name = crate::name;` re-exports everything of one crate-private module under
/// `internals::name`, with the doc written above it.
macro_rules! reexport_modules {
    ($($(#[$doc:meta])+ pub mod $name:ident = $($path:ident)::+;)*) => {$(
        $(#[$doc])+
        pub mod $name {
            pub use $($path)::+::*;
        }
    )*};
}
reexport_modules! {
    /// The primitive set: one family file per group of primitives, each primitive's rules
    /// (shape, eval, JVP, transpose, batching) beside it.
    pub mod prims = crate::prims;

    /// Higher-order primitives (calls, `cond`, loops), `jit` and the custom-derivative calls.
    pub mod control_flow = crate::control_flow;

    /// The transformation interpreters (jvp, linearize, transpose, vmap) and jaxpr-level
    /// transforms.
    pub mod interpreters = crate::interpreters;

    /// What the ops compute, as plain data and scalar functions; the element traits.
    pub mod ops = crate::ops;

    /// The arithmetic: gemm-backed products, SIMD elementwise loops, reductions, windows.
    pub mod kernels = crate::kernels;

    /// Jaxpr evaluation: the reference interpreter and the compiled, fused programs `jit` runs.
    pub mod interp = crate::interp;

    /// Jaxpr-to-jaxpr optimization passes (DCE, CSE, folding, simplification, fusion).
    pub mod passes = crate::passes;
}

/// The trace mechanism: the current trace, `bind`, tracers and their ids.
pub mod trace {
    pub use crate::core::staging::StagingTrace;
    pub use crate::core::trace::*;
}
