//! Collectives over a named `vmap` axis: `psum`, `pmean` (a `psum` then a divide, as JAX),
//! `pmax`, `pmin`, and `axis_index`. Inside `vmap_with(.., VmapSpec::new().axis_name("i"))`
//! they reduce across the batch members. Outside any such vmap, an axis name may be bound to
//! a group of processes with [`with_axis_group`] (what `ferrax::dist::Dist::with_axis` does for
//! an MPI communicator): the collective then evaluates as that group's all-reduce, JAX's
//! `shard_map` model (the same program on every process, collectives by axis name).
//! Otherwise they are an error.

use super::util::{expect_arity, jvp_out, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind, bind1, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;
use std::sync::{Arc, RwLock};

/// The reduction a process group performs for a collective bound to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupReduce {
    /// Elementwise sum over the group (`psum`).
    Sum,
    /// Elementwise maximum over the group (`pmax`).
    Max,
    /// Elementwise minimum over the group (`pmin`).
    Min,
}

/// A group of processes an axis name can be bound to (an MPI communicator in `ferrax::dist`).
/// Every member runs the same program, so every member reaches each collective in the same
/// order; `reduce` must return the same array on every member. `Send + Sync`: a compiled
/// program may run the collective on a worker thread of the pool.
pub trait AxisGroup: Send + Sync {
    /// Number of members (the axis size).
    fn size(&self) -> usize;
    /// This process's position in the group (what `axis_index` returns).
    fn index(&self) -> usize;
    /// The elementwise reduction of `x` over the members (same shape and dtype as `x`).
    fn reduce(&self, op: GroupReduce, x: &ArrayData) -> ArrayData;
}

/// Axis names bound to process groups, innermost last. Process-wide, not per thread: `jit`'s
/// compiled programs may run on the thread pool's workers.
static AXIS_GROUPS: RwLock<Vec<(String, Arc<dyn AxisGroup>)>> = RwLock::new(Vec::new());

/// Runs `f` with `axis_name` bound to `group`: a collective over that name evaluated (eagerly
/// or inside `jit`, on any thread) while `f` runs becomes the group's reduction. The binding
/// is process-wide, as the group is (one program per process): bind from one thread at a
/// time. A `vmap` with the same axis name inside `f` shadows it, as an inner axis does in JAX.
///
/// ```
/// use ferrax::internals::prims::collective::{with_axis_group, AxisGroup, GroupReduce};
/// use ferrax::prelude::*;
/// use ferrax::tensor::ArrayData;
/// use std::sync::Arc;
/// // A pretend group of 3 processes that all hold the same value.
/// struct Three;
/// impl AxisGroup for Three {
///     fn size(&self) -> usize { 3 }
///     fn index(&self) -> usize { 0 }
///     fn reduce(&self, _: GroupReduce, x: &ArrayData) -> ArrayData {
///         let v: Vec<f32> = x.to_f64_vec().iter().map(|v| (v * 3.0) as f32).collect();
///         ArrayData::from_vec(v, x.shape())
///     }
/// }
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let y = with_axis_group("dp", Arc::new(Three), || ferrax::lax::psum(&x, "dp"));
/// assert_eq!(y.to_vec::<f32>(), vec![3.0, 6.0]);
/// ```
pub fn with_axis_group<R>(axis_name: &str, group: Arc<dyn AxisGroup>, f: impl FnOnce() -> R) -> R {
    /// Removes this binding (and only it) when `f` returns or unwinds.
    struct Unbind(Arc<dyn AxisGroup>);
    impl Drop for Unbind {
        fn drop(&mut self) {
            let mut groups = AXIS_GROUPS.write().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = groups.iter().rposition(|(_, g)| Arc::ptr_eq(g, &self.0)) {
                groups.remove(i);
            }
        }
    }
    AXIS_GROUPS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push((axis_name.to_string(), group.clone()));
    let _unbind = Unbind(group);
    f()
}

/// The process group bound to `axis_name`, if any (innermost binding).
fn bound_group(axis_name: &str) -> Option<Arc<dyn AxisGroup>> {
    AXIS_GROUPS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .rev()
        .find(|(n, _)| n == axis_name)
        .map(|(_, group)| group.clone())
}

/// A collective primitive and the axis name it reduces over.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Collective {
    Psum {
        axis_name: String,
    },
    Pmax {
        axis_name: String,
    },
    Pmin {
        axis_name: String,
    },
    /// The position of the batch member along the named axis (i32 scalar).
    AxisIndex {
        axis_name: String,
    },
}

impl Collective {
    /// The axis this collective refers to.
    pub fn axis_name(&self) -> &str {
        match self {
            Collective::Psum { axis_name }
            | Collective::Pmax { axis_name }
            | Collective::Pmin { axis_name }
            | Collective::AxisIndex { axis_name } => axis_name,
        }
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

fn collective(x: &Tensor, c: Collective) -> Tensor {
    bind1(&Prim::new(c), std::slice::from_ref(x))
}

/// Sum over the batch members of the vmapped axis `axis_name` (every member gets the sum).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let f = vmap_with(|x: &Tensor| x / ferrax::lax::psum(x, "i"), VmapSpec::new().axis_name("i"));
/// assert_eq!(f(&xs).to_vec::<f32>(), vec![1.0 / 6.0, 2.0 / 6.0, 0.5]);
/// ```
#[track_caller]
pub fn psum(x: &Tensor, axis_name: &str) -> Tensor {
    collective(
        x,
        Collective::Psum {
            axis_name: axis_name.to_string(),
        },
    )
}

/// Mean over the batch members of `axis_name` (`psum` divided by the axis size).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let f = vmap_with(|x: &Tensor| x - ferrax::lax::pmean(x, "i"), VmapSpec::new().axis_name("i"));
/// assert_eq!(f(&xs).to_vec::<f32>(), vec![-1.0, 1.0]);
/// ```
#[track_caller]
pub fn pmean(x: &Tensor, axis_name: &str) -> Tensor {
    let n = psum(&Tensor::ones(&[], x.dtype()), axis_name);
    lax::div(&psum(x, axis_name), &n)
}

/// Maximum over the batch members of `axis_name`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let f = vmap_with(|x: &Tensor| ferrax::lax::pmax(x, "i"), VmapSpec::new().axis_name("i"));
/// assert_eq!(f(&xs).to_vec::<f32>(), vec![3.0, 3.0]);
/// ```
#[track_caller]
pub fn pmax(x: &Tensor, axis_name: &str) -> Tensor {
    collective(
        x,
        Collective::Pmax {
            axis_name: axis_name.to_string(),
        },
    )
}

/// Minimum over the batch members of `axis_name`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let f = vmap_with(|x: &Tensor| ferrax::lax::pmin(x, "i"), VmapSpec::new().axis_name("i"));
/// assert_eq!(f(&xs).to_vec::<f32>(), vec![1.0, 1.0]);
/// ```
#[track_caller]
pub fn pmin(x: &Tensor, axis_name: &str) -> Tensor {
    collective(
        x,
        Collective::Pmin {
            axis_name: axis_name.to_string(),
        },
    )
}

/// This batch member's index along the vmapped axis `axis_name` (i32).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = Tensor::zeros(&[3], DType::F32);
/// let f = vmap_with(|_x: &Tensor| ferrax::lax::axis_index("i"), VmapSpec::new().axis_name("i"));
/// assert_eq!(f(&xs).to_vec::<i32>(), vec![0, 1, 2]);
/// ```
#[track_caller]
pub fn axis_index(axis_name: &str) -> Tensor {
    bind1(
        &Prim::new(Collective::AxisIndex {
            axis_name: axis_name.to_string(),
        }),
        &[],
    )
}

impl PrimRules for Collective {
    /// Collectives read the axis environment: evaluated by binding, never folded.
    fn constant_foldable(&self) -> bool {
        false
    }

    fn name(&self) -> &'static str {
        match self {
            Collective::Psum { .. } => "psum",
            Collective::Pmax { .. } => "pmax",
            Collective::Pmin { .. } => "pmin",
            Collective::AxisIndex { .. } => "axis_index",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let name = format!("'{}'", self.axis_name());
        match self {
            Collective::AxisIndex { .. } => vec![("axis_name", text(name))],
            _ => vec![
                ("axes", text(format!("({name},)"))),
                ("axis_index_groups", text("None")),
            ],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            Collective::AxisIndex { .. } => {
                expect_arity(inputs, 0)?;
                Ok(smallvec![Aval::new(&[], DType::I32)])
            }
            _ => {
                expect_arity(inputs, 1)?;
                if inputs[0].dtype == DType::Bool {
                    return Err("bool operands are not supported".into());
                }
                Ok(smallvec![inputs[0].clone()])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        let Some(group) = bound_group(self.axis_name()) else {
            panic!(
                "{}: unbound axis name '{}': collectives must run inside a vmap with that axis \
                 name (vmap_with(f, VmapSpec::new().axis_name(\"{}\"))) or, across processes, \
                 inside ferrax::dist's Dist::with_axis(\"{}\", ..)",
                self.name(),
                self.axis_name(),
                self.axis_name(),
                self.axis_name()
            )
        };
        let op = match self {
            Collective::AxisIndex { .. } => {
                return smallvec![ArrayData::scalar(group.index() as i32)];
            }
            Collective::Psum { .. } => GroupReduce::Sum,
            Collective::Pmax { .. } => GroupReduce::Max,
            Collective::Pmin { .. } => GroupReduce::Min,
        };
        smallvec![group.reduce(op, inputs[0])]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(self.clone());
        match self {
            Collective::AxisIndex { .. } => jvp_out(bind1(&prim, primals), None),
            Collective::Psum { .. } => {
                let t = tangents[0]
                    .as_ref()
                    .map(|t| bind1(&prim, std::slice::from_ref(t)));
                jvp_out(bind1(&prim, primals), t)
            }
            Collective::Pmax { .. } | Collective::Pmin { .. } => {
                // The tangent of the chosen member(s), averaged over ties, as reduce_max.
                let x = &primals[0];
                let ans = bind1(&prim, primals);
                let t = tangents[0].as_ref().map(|t| {
                    let hits = lax::convert_element_type(&lax::eq(x, &ans), x.dtype());
                    let psum = |v: &Tensor| {
                        bind1(
                            &Prim::new(Collective::Psum {
                                axis_name: self.axis_name().to_string(),
                            }),
                            std::slice::from_ref(v),
                        )
                    };
                    lax::div(&psum(&lax::mul(t, &hits)), &psum(&hits))
                });
                jvp_out(ans, t)
            }
        }
    }

    fn transpose(&self, cts: &[Option<Tensor>], _args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self {
            // Every member's output is the sum over members, so each input's cotangent is
            // the sum of the output cotangents: psum again.
            Collective::Psum { .. } => vec![cts[0]
                .as_ref()
                .map(|c| bind1(&Prim::new(self.clone()), std::slice::from_ref(c)))],
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        }
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let prim = Prim::new(self.clone());
        if axis.name.as_deref() != Some(self.axis_name()) {
            // A collective over an outer axis: apply it to the whole batched value.
            let outs = bind(&prim, args);
            return (outs, dims.to_vec());
        }
        let out = match self {
            Collective::AxisIndex { .. } => {
                return (
                    smallvec![lax::iota(DType::I32, &[axis.size], 0)],
                    vec![Some(0)],
                )
            }
            Collective::Psum { .. } => match dims[0] {
                Some(d) => lax::reduce_sum(&args[0], &[d]),
                None => lax::mul(
                    &args[0],
                    &Tensor::full(&[], axis.size as f64, args[0].dtype()),
                ),
            },
            Collective::Pmax { .. } => match dims[0] {
                Some(d) => lax::reduce_max(&args[0], &[d]),
                None => args[0].clone(),
            },
            Collective::Pmin { .. } => match dims[0] {
                Some(d) => lax::reduce_min(&args[0], &[d]),
                None => args[0].clone(),
            },
        };
        (smallvec![out], vec![None])
    }
}
