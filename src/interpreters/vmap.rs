//! Automatic batching: the Batch trace carries each value with the position of its batch
//! dimension (or none: the same for every batch member) and applies each primitive's
//! batching rule under its parent trace. No loop over examples: a rule rewrites the op
//! once for the whole batch.

use crate::core::{
    bind, current_trace, new_trace_id, with_trace, Avals, Outputs, Trace, TraceId, Tracer,
};
use crate::prims::{BatchAxis, Prim};
use crate::tensor::Tensor;
use crate::tree::{PyTree, Subtree, TreeDef};
use std::cell::RefCell;
use std::rc::Rc;

/// The batching trace.
pub(crate) struct BatchTrace {
    id: TraceId,
    parent: Option<Rc<dyn Trace>>,
    axis: BatchAxis,
    values: RefCell<Vec<(Tensor, usize)>>,
}

impl BatchTrace {
    pub(crate) fn new(axis: BatchAxis) -> Rc<BatchTrace> {
        Rc::new(BatchTrace {
            id: new_trace_id(),
            parent: current_trace(),
            axis,
            values: RefCell::default(),
        })
    }

    /// A tracer for `value` batched along `dim`; an unbatched value is returned as is.
    pub(crate) fn pack(&self, value: Tensor, dim: Option<usize>) -> Tensor {
        match dim {
            None => value,
            Some(d) => {
                let mut aval = value.aval();
                aval.shape.remove(d);
                let mut values = self.values.borrow_mut();
                values.push((value, d));
                Tensor::from_tracer(Tracer {
                    trace: self.id,
                    id: values.len() as u32 - 1,
                    aval,
                })
            }
        }
    }

    /// The value and batch dim of `x` (a constant of this trace is unbatched).
    pub(crate) fn unpack(&self, x: &Tensor) -> (Tensor, Option<usize>) {
        match x.tracer() {
            Some(t) if t.trace == self.id => {
                let (v, d) = self.values.borrow()[t.id as usize].clone();
                (v, Some(d))
            }
            _ => (x.clone(), None),
        }
    }
}

impl Trace for BatchTrace {
    crate::core::trace::trace_id_and_parent!();

    fn process_primitive(&self, prim: &Prim, inputs: &[Tensor], _out_avals: Avals) -> Outputs {
        let (vals, dims): (Vec<Tensor>, Vec<Option<usize>>) =
            inputs.iter().map(|x| self.unpack(x)).unzip();
        if dims.iter().all(Option::is_none) && !is_collective_on(prim, &self.axis) {
            return with_trace(self.parent.clone(), || bind(prim, &vals));
        }
        let (outs, out_dims) =
            with_trace(self.parent.clone(), || prim.batch(&vals, &dims, &self.axis));
        debug_assert_eq!(
            outs.len(),
            out_dims.len(),
            "{}: batching rule output count",
            prim.name()
        );
        outs.into_iter()
            .zip(out_dims)
            .map(|(v, d)| self.pack(v, d))
            .collect()
    }

    fn name(&self) -> &'static str {
        "vmap"
    }
}

/// Collectives over this trace's axis must see it even when their operand is unbatched.
fn is_collective_on(prim: &Prim, axis: &BatchAxis) -> bool {
    use crate::prims::collective::Collective;
    match (prim.downcast::<Collective>(), &axis.name) {
        (Some(c), Some(name)) => c.axis_name() == name,
        _ => false,
    }
}

/// Where each input leaf is mapped (or `NotMapped`), given as a tree prefix of the
/// arguments, as JAX's `in_axes`/`out_axes`: a single axis applies to a whole subtree;
/// `Tree` gives one spec per child of a container (tuple, list, struct field, map entry).
///
/// ```
/// use ferrax::transforms::AxisSpec;
/// let spec: AxisSpec = (0, AxisSpec::NotMapped).into();   // first argument mapped on axis 0
/// assert_eq!(spec, AxisSpec::Tree(vec![AxisSpec::Axis(0), AxisSpec::NotMapped]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AxisSpec {
    /// Mapped along this axis (negative counts from the end).
    Axis(isize),
    /// Not mapped: the same value for every batch member.
    NotMapped,
    /// One spec per child of a container.
    Tree(Vec<AxisSpec>),
}

from_variant!(AxisSpec::Axis, |a| isize => a, i32 => a as isize, usize => a as isize);
impl<T: Into<AxisSpec>> From<Option<T>> for AxisSpec {
    fn from(a: Option<T>) -> Self {
        a.map_or(AxisSpec::NotMapped, Into::into)
    }
}
impl<T: Into<AxisSpec>> From<Vec<T>> for AxisSpec {
    fn from(v: Vec<T>) -> Self {
        AxisSpec::Tree(v.into_iter().map(Into::into).collect())
    }
}
macro_rules! spec_from_tuple {
    ($($T:ident $i:tt),+) => {
        impl<$($T: Into<AxisSpec>),+> From<($($T,)+)> for AxisSpec {
            fn from(t: ($($T,)+)) -> Self {
                AxisSpec::Tree(vec![$(t.$i.into()),+])
            }
        }
    };
}
spec_from_tuple!(A 0);
spec_from_tuple!(A 0, B 1);
spec_from_tuple!(A 0, B 1, C 2);
spec_from_tuple!(A 0, B 1, C 2, D 3);
spec_from_tuple!(A 0, B 1, C 2, D 3, E 4);
spec_from_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);

impl AxisSpec {
    /// The spec of every leaf of `def`, expanding this prefix.
    #[track_caller]
    fn per_leaf(&self, def: &Subtree, what: &str, out: &mut Vec<Option<isize>>) {
        match self {
            AxisSpec::Axis(a) => out.extend(std::iter::repeat_n(Some(*a), def.num_leaves())),
            AxisSpec::NotMapped => out.extend(std::iter::repeat_n(None, def.num_leaves())),
            AxisSpec::Tree(specs) => {
                let children: Vec<&Subtree> = def.children().collect();
                assert!(
                    specs.len() == children.len(),
                    "vmap: {what} has {} entries but the tree node {} has {} children",
                    specs.len(),
                    def.to_treedef(),
                    children.len()
                );
                for (s, c) in specs.iter().zip(children) {
                    s.per_leaf(c, what, out);
                }
            }
        }
    }
}

/// Options of [`vmap_with`]: `in_axes`, `out_axes` (tree prefixes, default axis 0 for every
/// leaf), `axis_size` (needed when no input is mapped) and `axis_name` (for collectives such
/// as [`crate::lax::psum`]).
///
/// ```
/// use ferrax::transforms::{VmapSpec, AxisSpec};
/// let spec = VmapSpec::new().in_axes((0, AxisSpec::NotMapped)).out_axes(1).axis_name("batch");
/// assert_eq!(spec.axis_name.as_deref(), Some("batch"));
/// ```
#[derive(Clone, Debug)]
pub struct VmapSpec {
    pub in_axes: AxisSpec,
    pub out_axes: AxisSpec,
    pub axis_size: Option<usize>,
    pub axis_name: Option<String>,
}

impl Default for VmapSpec {
    fn default() -> Self {
        VmapSpec {
            in_axes: AxisSpec::Axis(0),
            out_axes: AxisSpec::Axis(0),
            axis_size: None,
            axis_name: None,
        }
    }
}

impl VmapSpec {
    /// Axis 0 in and out, no name.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `in_axes`.
    pub fn in_axes(mut self, spec: impl Into<AxisSpec>) -> Self {
        self.in_axes = spec.into();
        self
    }
    /// Sets `out_axes`.
    pub fn out_axes(mut self, spec: impl Into<AxisSpec>) -> Self {
        self.out_axes = spec.into();
        self
    }
    /// Sets the batch size (required when no input is mapped).
    pub fn axis_size(mut self, size: usize) -> Self {
        self.axis_size = Some(size);
        self
    }
    /// Names the mapped axis for collectives.
    pub fn axis_name(mut self, name: &str) -> Self {
        self.axis_name = Some(name.to_string());
        self
    }
}

fn normalize(axis: isize, ndim: usize, what: &str) -> usize {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    assert!(
        a >= 0 && (a as usize) < ndim,
        "vmap: {what} axis {axis} is out of range for rank {ndim}"
    );
    a as usize
}

/// Vectorizes `f` over axis 0 of every input leaf (`jax.vmap`): the result maps axis 0 of
/// every output leaf. One traced call runs the whole batch; no loop over examples.
///
/// ```
/// use ferrax::prelude::*;
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let norms = vmap(|x: &Tensor| (x * x).sum())(&xs);
/// assert_eq!(norms.to_vec::<f32>(), vec![5.0, 25.0]);
/// ```
pub fn vmap<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O) -> impl Fn(&P) -> O {
    vmap_with(f, VmapSpec::default())
}

/// [`vmap`] with `in_axes`, `out_axes`, `axis_size` and `axis_name`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec, AxisSpec};
/// let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// let v = Tensor::from_vec(vec![1.0f32, 1.0, 1.0], &[3]);
/// // Map the rows of m, share v: one dot_general, as in JAX.
/// let rows = vmap_with(|(m, v): &(Tensor, Tensor)| m.matmul(v), VmapSpec::new().in_axes((0, AxisSpec::NotMapped)));
/// assert_eq!(rows(&(m, v)).to_vec::<f32>(), vec![6.0, 15.0]);
/// ```
pub fn vmap_with<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O, spec: VmapSpec) -> impl Fn(&P) -> O {
    move |args: &P| {
        let (leaves, def) = args.flatten();
        let mut out_def = None;
        let results = vmap_flat(&spec, leaves, &def, &mut |inputs| {
            let (outs, d) = f(&P::unflatten(&def, inputs)).flatten();
            out_def = Some(d.clone());
            (outs, d)
        });
        O::unflatten(&out_def.expect("traced"), results)
    }
}

/// [`vmap_with`] on flat leaves, compiled once rather than per caller's function (the
/// crate's compile time): packs the inputs into a batch trace, runs `f` (the caller's
/// function on unflattened inputs, returning its flattened outputs) and moves each output's
/// batch dim where `out_axes` asks.
#[track_caller]
fn vmap_flat(
    spec: &VmapSpec,
    leaves: Vec<Tensor>,
    def: &TreeDef,
    f: &mut dyn FnMut(Vec<Tensor>) -> (Vec<Tensor>, TreeDef),
) -> Vec<Tensor> {
    let mut in_axes = Vec::with_capacity(leaves.len());
    spec.in_axes.per_leaf(def, "in_axes", &mut in_axes);
    let dims: Vec<Option<usize>> = leaves
        .iter()
        .zip(&in_axes)
        .map(|(x, a)| a.map(|a| normalize(a, x.ndim(), "in_axes")))
        .collect();
    let size = batch_size(def, &leaves, &dims, spec.axis_size);
    let axis = BatchAxis {
        size,
        name: spec.axis_name.clone(),
    };
    let trace = BatchTrace::new(axis);
    let inputs: Vec<Tensor> = leaves
        .into_iter()
        .zip(&dims)
        .map(|(x, d)| trace.pack(x, *d))
        .collect();
    let dyn_trace: Rc<dyn Trace> = trace.clone();
    let (outs, out_def) = with_trace(Some(dyn_trace), || f(inputs));
    let mut out_axes = Vec::with_capacity(outs.len());
    spec.out_axes.per_leaf(&out_def, "out_axes", &mut out_axes);
    outs.iter()
        .zip(&out_axes)
        .map(|(y, want)| {
            let (v, d) = trace.unpack(y);
            match want {
                None => {
                    assert!(
                        d.is_none(),
                        "vmap: an output with out_axes=NotMapped varies across the batch"
                    );
                    v
                }
                Some(a) => {
                    let to = normalize(*a, v.ndim() + d.is_none() as usize, "out_axes");
                    crate::prims::util::batch_at(&v, d, size, to)
                }
            }
        })
        .collect()
}

/// The common size of the mapped axes; mismatches panic naming the leaf paths and sizes.
#[track_caller]
fn batch_size(
    def: &TreeDef,
    leaves: &[Tensor],
    dims: &[Option<usize>],
    given: Option<usize>,
) -> usize {
    let paths = def.leaf_paths();
    let mut found: Option<(usize, String)> = given.map(|s| (s, "axis_size".to_string()));
    for ((x, d), path) in leaves.iter().zip(dims).zip(&paths) {
        if let Some(d) = d {
            let n = x.shape()[*d];
            let here = format!("argument{path} (axis {d} of {})", x.aval());
            match &found {
                Some((m, where_)) if *m != n => {
                    panic!(
                        "vmap: mapped axes have different sizes: {m} at {where_} but {n} at {here}"
                    )
                }
                Some(_) => {}
                None => found = Some((n, here)),
            }
        }
    }
    found.map(|(n, _)| n).unwrap_or_else(|| {
        panic!("vmap: no input is mapped; give the batch size with VmapSpec::axis_size")
    })
}
