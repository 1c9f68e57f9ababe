//! Collectives over a named `vmap` axis: `psum`, `pmean` (a `psum` then a divide, as JAX),
//! `pmax`, `pmin`, and `axis_index`. Inside `vmap_with(.., VmapSpec::new().axis_name("i"))`
//! they reduce across the batch members; outside any such vmap they are an error.

use super::util::{expect_arity, jvp_out, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind, bind1, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;

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

    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        panic!(
            "{}: unbound axis name '{}': collectives must run inside a vmap with that axis name \
             (vmap_with(f, VmapSpec::new().axis_name(\"{}\")))",
            self.name(),
            self.axis_name(),
            self.axis_name()
        )
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
