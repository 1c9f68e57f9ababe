//! Conditionals: `cond` and `switch`, as `jax.lax.cond` / `jax.lax.switch`.
//!
//! Called eagerly with a concrete predicate, they just run the chosen branch (so the other
//! branches are neither run nor checked). Under a transformation every branch is traced once,
//! at the operands' types, into a sub-jaxpr of a single `cond` equation; the branches'
//! outputs must then agree in structure and types.
//! `cond` differentiates in forward and reverse mode (both branches' residuals are joined)
//! and batches; with a per-example (batched) predicate, `vmap` runs **every** branch on the
//! whole batch and selects each example's result (see [`crate::control_flow::cond`]).

use crate::control_flow::call::SubJaxpr;
use crate::control_flow::cond::{close_branches, BranchFn, CondOp};
use crate::core::{current_trace, Aval};
use crate::prims::Prim;
use crate::tensor::{DType, Tensor};
use crate::tree::{PyTree, TreeDef};
use std::cell::RefCell;

/// Runs `true_fn(operands)` if `pred` is true (nonzero, for an integer predicate), else
/// `false_fn(operands)` (`jax.lax.cond`). `pred` is a bool or integer scalar; operands and
/// outputs are pytrees.
///
/// Under a trace (`grad`, `vmap`, `jit`, `make_jaxpr`) both branches are traced into one
/// `cond` equation, so they must return the same structure with the same leaf types (a
/// mismatch panics naming the leaf path and both types). The predicate becomes an `i32`
/// index and the branches are ordered `(false_fn, true_fn)`, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::scalar(0.5f32);
/// let y = lax::cond(&Tensor::scalar(true), |x: &Tensor| x.sin(), |x: &Tensor| x.cos(), &x);
/// assert_eq!(y.item::<f32>(), 0.5f32.sin());
/// // Differentiable through the chosen branch:
/// let f = |x: &Tensor| lax::cond(&x.gt(0.0), |x: &Tensor| x * x, |x: &Tensor| -x, x);
/// assert_eq!(grad(f)(&Tensor::scalar(3.0f32)).item::<f32>(), 6.0);
/// assert_eq!(grad(f)(&Tensor::scalar(-3.0f32)).item::<f32>(), -1.0);
/// ```
#[track_caller]
pub fn cond<P: PyTree, O: PyTree>(
    pred: &Tensor,
    true_fn: impl Fn(&P) -> O,
    false_fn: impl Fn(&P) -> O,
    operands: &P,
) -> O {
    assert!(
        pred.ndim() == 0,
        "cond: the predicate must be a scalar, got {}",
        pred.aval()
    );
    let dtype = pred.dtype();
    assert!(
        dtype == DType::Bool || dtype.is_int(),
        "cond: the predicate must be a bool or integer scalar, got {}",
        pred.aval()
    );
    if current_trace().is_none() && pred.is_concrete() {
        let taken = match dtype {
            DType::U32 => pred.item::<u32>() != 0,
            _ => pred.item::<i32>() != 0,
        };
        return if taken {
            true_fn(operands)
        } else {
            false_fn(operands)
        };
    }
    let pred = if dtype == DType::Bool {
        pred.clone()
    } else {
        super::ne(pred, &Tensor::zeros(&[], dtype))
    };
    let index = super::convert_element_type(&pred, DType::I32);
    bind_branches(
        "cond",
        &["false_fn".to_string(), "true_fn".to_string()],
        &index,
        &[&false_fn, &true_fn],
        operands,
    )
}

/// Runs `branches[index](operands)` (`jax.lax.switch`). `index` is an integer scalar,
/// clamped to `[0, branches.len() - 1]`; operands and outputs are pytrees.
///
/// Under a trace every branch is traced into one `cond` equation (after
/// `convert_element_type` to `i32` and a `clamp`), so all branches must return the same
/// structure with the same leaf types.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::scalar(2.0f32);
/// let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&|x| x + 1.0, &|x| x * 10.0, &|x| -x];
/// let at = |i: i32| lax::switch(&Tensor::scalar(i), &branches, &x).item::<f32>();
/// assert_eq!((at(0), at(1), at(2)), (3.0, 20.0, -2.0));
/// assert_eq!((at(-5), at(7)), (3.0, -2.0)); // clamped
/// ```
#[track_caller]
pub fn switch<P: PyTree, O: PyTree>(
    index: &Tensor,
    branches: &[&dyn Fn(&P) -> O],
    operands: &P,
) -> O {
    assert!(!branches.is_empty(), "switch: needs at least one branch");
    assert!(
        index.ndim() == 0 && index.dtype().is_int(),
        "switch: the index must be an integer scalar, got {}",
        index.aval()
    );
    let last = branches.len() - 1;
    if branches.len() == 1 {
        return branches[0](operands);
    }
    if current_trace().is_none() && index.is_concrete() {
        let i = match index.dtype() {
            DType::U32 => (index.item::<u32>() as usize).min(last),
            _ => index.item::<i32>().clamp(0, last as i32) as usize,
        };
        return branches[i](operands);
    }
    let index = if index.dtype() == DType::U32 {
        // Keep large unsigned values large: clamp before the (wrapping) conversion.
        super::min(index, &Tensor::scalar(last as u32))
    } else {
        index.clone()
    };
    let index = super::convert_element_type(&index, DType::I32);
    let index = super::clamp(&Tensor::scalar(0i32), &index, &Tensor::scalar(last as i32));
    let names: Vec<String> = (0..branches.len()).map(|i| format!("branch {i}")).collect();
    bind_branches("switch", &names, &index, branches, operands)
}

/// Traces the branches, checks that their outputs agree, and binds the `cond`.
#[track_caller]
fn bind_branches<P: PyTree, O: PyTree>(
    what: &str,
    names: &[String],
    index: &Tensor,
    branches: &[&dyn Fn(&P) -> O],
    operands: &P,
) -> O {
    let (leaves, def) = operands.flatten();
    let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
    let out_defs: Vec<RefCell<Option<TreeDef>>> =
        branches.iter().map(|_| RefCell::new(None)).collect();
    let fns: Vec<BranchFn<'_>> = branches
        .iter()
        .zip(&out_defs)
        .map(|(b, slot)| -> BranchFn<'_> {
            let def = &def;
            Box::new(move |xs: &[Tensor]| {
                let out = b(&P::unflatten(def, xs.to_vec()));
                *slot.borrow_mut() = Some(out.treedef());
                out.leaves()
            })
        })
        .collect();
    let (jaxprs, consts) = close_branches(&avals, fns);
    let out_defs: Vec<TreeDef> = out_defs
        .into_iter()
        .map(|d| d.into_inner().expect("branch was traced"))
        .collect();
    check_outputs(what, names, &out_defs, &jaxprs);
    let op = Prim::new(CondOp {
        branches: jaxprs.into_iter().map(SubJaxpr).collect(),
    });
    let mut args = Vec::with_capacity(1 + consts.len() + leaves.len());
    args.push(index.clone());
    args.extend(consts);
    args.extend(leaves);
    let outs = crate::core::bind(&op, &args);
    O::unflatten(&out_defs[0], outs.into_vec())
}

/// Panics, naming the leaf path and both types, unless every branch returns the structure
/// and leaf types of the first.
#[track_caller]
fn check_outputs(
    what: &str,
    names: &[String],
    defs: &[TreeDef],
    jaxprs: &[std::sync::Arc<crate::core::Jaxpr>],
) {
    let want = jaxprs[0].out_avals();
    let paths = defs[0].leaf_paths();
    for i in 1..defs.len() {
        assert!(
            defs[i] == defs[0],
            "{what}: the branches must return the same structure, but {} returns {} and {} \
             returns {}",
            names[0],
            defs[0],
            names[i],
            defs[i]
        );
        let got = jaxprs[i].out_avals();
        for ((w, g), path) in want.iter().zip(&got).zip(&paths) {
            if w != g {
                let path = path.to_string();
                let at = if path.is_empty() {
                    "the output".to_string()
                } else {
                    format!("output{path}")
                };
                panic!(
                    "{what}: the branches must return the same types, but at {at}, {} returns \
                     {w} and {} returns {g}",
                    names[0], names[i]
                );
            }
        }
    }
}
