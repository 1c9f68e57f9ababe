//! Shape-changing primitives: `broadcast_in_dim reshape transpose squeeze rev pad concatenate
//! slice iota`.
//!
//! Shape rules follow JAX/XLA. Kernels are generic over every dtype (iota excepts bool) and
//! always return arrays in standard (row-major) layout.

mod kernels;
mod shape_rules;

use super::util::{
    batch_at, check_axes, expect_arity, linear_jvp, move_batch_dim, py_tuple, sh, text,
};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Shape};
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use kernels::{
    broadcast_kernel, concatenate_kernel, iota_kernel, own, pad_kernel, reshape_kernel,
    transpose_kernel,
};
use ndarray::{ArrayD, Axis, Slice};
use shape_rules::{broadcast_in_dim_rule, checked_product, concatenate_rule, pad_rule, slice_rule};
use smallvec::smallvec;

/// A shape primitive with its params (JAX's names and meanings).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ShapeOp {
    /// Operand dim `i` becomes output dim `broadcast_dimensions[i]` (size equal or 1).
    BroadcastInDim {
        shape: Shape,
        broadcast_dimensions: Shape,
    },
    /// Row-major reshape to `new_sizes`.
    Reshape { new_sizes: Shape },
    /// Output dim `i` is operand dim `permutation[i]`.
    Transpose { permutation: Shape },
    /// Removes the listed size-1 dims.
    Squeeze { dimensions: Shape },
    /// Reverses the listed dims.
    Rev { dimensions: Shape },
    /// `pad(operand, padding_value)`: per dim (low, high, interior); negative low/high crop.
    Pad {
        padding_config: Vec<(i64, i64, i64)>,
    },
    /// Joins operands along `dimension`.
    Concatenate { dimension: usize },
    /// Static slice; `strides` None means all ones.
    Slice {
        start_indices: Shape,
        limit_indices: Shape,
        strides: Option<Shape>,
    },
    /// `0, 1, 2, ...` along `dimension` of an array of `shape`.
    Iota {
        dtype: DType,
        shape: Shape,
        dimension: usize,
    },
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

#[track_caller]
fn shape1(x: &Tensor, op: ShapeOp) -> Tensor {
    bind1(&Prim::new(op), std::slice::from_ref(x))
}

/// Broadcasts `x` to `shape`: operand dim `i` becomes output dim `broadcast_dimensions[i]`.
///
/// ```
/// use ferrax::prelude::*;
/// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let y = ferrax::lax::broadcast_in_dim(&b, &[2, 3], &[1]);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn broadcast_in_dim(x: &Tensor, shape: &[usize], broadcast_dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::BroadcastInDim {
            shape: sh(shape),
            broadcast_dimensions: sh(broadcast_dimensions),
        },
    )
}

/// Row-major reshape.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::lax::reshape(&x, &[2, 3]).shape(), &[2, 3]);
/// ```
#[track_caller]
pub fn reshape(x: &Tensor, new_sizes: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Reshape {
            new_sizes: sh(new_sizes),
        },
    )
}

/// Permutes dims: output dim `i` is operand dim `permutation[i]`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
/// assert_eq!(ferrax::lax::transpose(&x, &[1, 0]).to_vec::<i32>(), vec![1, 4, 2, 5, 3, 6]);
/// ```
#[track_caller]
pub fn transpose(x: &Tensor, permutation: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Transpose {
            permutation: sh(permutation),
        },
    )
}

/// Removes the listed size-1 dims.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[1, 3, 1], DType::F32);
/// assert_eq!(ferrax::lax::squeeze(&x, &[0, 2]).shape(), &[3]);
/// ```
#[track_caller]
pub fn squeeze(x: &Tensor, dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Squeeze {
            dimensions: sh(dimensions),
        },
    )
}

/// Inserts size-1 dims at the listed output positions (a `broadcast_in_dim`, as in JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// assert_eq!(ferrax::lax::expand_dims(&x, &[0, 2]).shape(), &[1, 3, 1]);
/// ```
#[track_caller]
pub fn expand_dims(x: &Tensor, dimensions: &[usize]) -> Tensor {
    let ndim = x.ndim() + dimensions.len();
    let mut out = vec![0usize; ndim];
    let mut is_new = vec![false; ndim];
    for &d in dimensions {
        assert!(
            d < ndim && !is_new[d],
            "expand_dims: bad dimensions {dimensions:?} for rank {}",
            x.ndim()
        );
        is_new[d] = true;
        out[d] = 1;
    }
    let kept: Vec<usize> = (0..ndim).filter(|&i| !is_new[i]).collect();
    for (src, &dst) in kept.iter().enumerate() {
        out[dst] = x.shape()[src];
    }
    broadcast_in_dim(x, &out, &kept)
}

/// Reverses the listed dims.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// assert_eq!(ferrax::lax::rev(&x, &[0]).to_vec::<i32>(), vec![3, 2, 1]);
/// ```
#[track_caller]
pub fn rev(x: &Tensor, dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Rev {
            dimensions: sh(dimensions),
        },
    )
}

/// Pads with `padding_value` (a scalar of `x`'s dtype): per dim `(low, high, interior)`;
/// negative low/high crop.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// let y = ferrax::lax::pad(&x, &Tensor::scalar(0i32), &[(1, 2, 1)]);
/// assert_eq!(y.to_vec::<i32>(), vec![0, 1, 0, 2, 0, 0]);
/// ```
#[track_caller]
pub fn pad(x: &Tensor, padding_value: &Tensor, padding_config: &[(i64, i64, i64)]) -> Tensor {
    bind1(
        &Prim::new(ShapeOp::Pad {
            padding_config: padding_config.to_vec(),
        }),
        &[x.clone(), padding_value.clone()],
    )
}

/// Joins tensors along `dimension`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::lax::concatenate(&[a.clone(), a], 0).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// ```
#[track_caller]
pub fn concatenate(xs: &[Tensor], dimension: usize) -> Tensor {
    bind1(&Prim::new(ShapeOp::Concatenate { dimension }), xs)
}

/// Static slice `[start, limit)` with optional strides.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::lax::slice(&x, &[1], &[6], Some(&[2])).to_vec::<i32>(), vec![1, 3, 5]);
/// ```
#[track_caller]
pub fn slice(
    x: &Tensor,
    start_indices: &[usize],
    limit_indices: &[usize],
    strides: Option<&[usize]>,
) -> Tensor {
    shape1(
        x,
        ShapeOp::Slice {
            start_indices: sh(start_indices),
            limit_indices: sh(limit_indices),
            strides: strides.map(sh),
        },
    )
}

/// `0, 1, 2, ...` along `dimension` of an array of `shape`.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::lax::iota(DType::I32, &[3], 0).to_vec::<i32>(), vec![0, 1, 2]);
/// ```
#[track_caller]
pub fn iota(dtype: DType, shape: &[usize], dimension: usize) -> Tensor {
    bind1(
        &Prim::new(ShapeOp::Iota {
            dtype,
            shape: sh(shape),
            dimension,
        }),
        &[],
    )
}

impl PrimRules for ShapeOp {
    fn name(&self) -> &'static str {
        match self {
            ShapeOp::BroadcastInDim { .. } => "broadcast_in_dim",
            ShapeOp::Reshape { .. } => "reshape",
            ShapeOp::Transpose { .. } => "transpose",
            ShapeOp::Squeeze { .. } => "squeeze",
            ShapeOp::Rev { .. } => "rev",
            ShapeOp::Pad { .. } => "pad",
            ShapeOp::Concatenate { .. } => "concatenate",
            ShapeOp::Slice { .. } => "slice",
            ShapeOp::Iota { .. } => "iota",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            ShapeOp::BroadcastInDim {
                broadcast_dimensions,
                ..
            } => {
                if broadcast_dimensions.is_empty() {
                    Vec::new()
                } else {
                    vec![("broadcast_dimensions", text(py_tuple(broadcast_dimensions)))]
                }
            }
            ShapeOp::Reshape { new_sizes } => {
                vec![
                    ("dimensions", text("None")),
                    ("new_sizes", text(py_tuple(new_sizes))),
                ]
            }
            ShapeOp::Transpose { permutation } => {
                vec![("permutation", text(py_tuple(permutation)))]
            }
            ShapeOp::Squeeze { dimensions } | ShapeOp::Rev { dimensions } => {
                vec![("dimensions", text(py_tuple(dimensions)))]
            }
            ShapeOp::Pad { padding_config } => {
                let dims: Vec<String> = padding_config
                    .iter()
                    .map(|&(lo, hi, int)| py_tuple(&[lo, hi, int]))
                    .collect();
                vec![("padding_config", text(py_tuple(&dims)))]
            }
            ShapeOp::Concatenate { dimension } => vec![("dimension", text(dimension.to_string()))],
            ShapeOp::Slice {
                start_indices,
                limit_indices,
                strides,
            } => vec![
                ("start_indices", text(py_tuple(start_indices))),
                ("limit_indices", text(py_tuple(limit_indices))),
                (
                    "strides",
                    text(
                        strides
                            .as_ref()
                            .map_or_else(|| "None".to_string(), |s| py_tuple(s)),
                    ),
                ),
            ],
            ShapeOp::Iota {
                dtype,
                shape,
                dimension,
            } => vec![
                ("dtype", text(dtype.numpy_name())),
                ("shape", text(py_tuple(shape))),
                ("dimension", text(dimension.to_string())),
            ],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            ShapeOp::BroadcastInDim {
                shape,
                broadcast_dimensions,
            } => {
                expect_arity(inputs, 1)?;
                broadcast_in_dim_rule(&inputs[0], shape, broadcast_dimensions)
            }
            ShapeOp::Reshape { new_sizes } => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                let new_size = checked_product(new_sizes)
                    .ok_or_else(|| format!("new_sizes {} overflow usize", py_tuple(new_sizes)))?;
                if new_size != x.size() {
                    return Err(format!(
                        "new_sizes {} ({new_size} elements) do not match operand shape {} ({} elements)",
                        py_tuple(new_sizes),
                        py_tuple(&x.shape),
                        x.size()
                    ));
                }
                Ok(smallvec![Aval {
                    shape: new_sizes.clone(),
                    dtype: x.dtype
                }])
            }
            ShapeOp::Transpose { permutation } => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                if permutation.len() != x.ndim() {
                    return Err(format!(
                        "permutation {} has length {} but the operand has rank {}",
                        py_tuple(permutation),
                        permutation.len(),
                        x.ndim()
                    ));
                }
                check_axes(permutation, x.ndim(), "permutation entry").map_err(|m| {
                    format!(
                        "permutation {} is not a permutation: {m}",
                        py_tuple(permutation)
                    )
                })?;
                let shape = permutation.iter().map(|&p| x.shape[p]).collect();
                Ok(smallvec![Aval {
                    shape,
                    dtype: x.dtype
                }])
            }
            ShapeOp::Squeeze { dimensions } => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                check_axes(dimensions, x.ndim(), "dimension")
                    .map_err(|m| format!("bad dimensions {}: {m}", py_tuple(dimensions)))?;
                if let Some(&d) = dimensions.iter().find(|&&d| x.shape[d] != 1) {
                    return Err(format!(
                        "dimensions {}: dimension {d} has size {}, not 1, in shape {}",
                        py_tuple(dimensions),
                        x.shape[d],
                        py_tuple(&x.shape)
                    ));
                }
                let shape = (0..x.ndim())
                    .filter(|i| !dimensions.contains(i))
                    .map(|i| x.shape[i])
                    .collect();
                Ok(smallvec![Aval {
                    shape,
                    dtype: x.dtype
                }])
            }
            ShapeOp::Rev { dimensions } => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                check_axes(dimensions, x.ndim(), "dimension")
                    .map_err(|m| format!("bad dimensions {}: {m}", py_tuple(dimensions)))?;
                Ok(smallvec![x.clone()])
            }
            ShapeOp::Pad { padding_config } => {
                expect_arity(inputs, 2)?;
                pad_rule(&inputs[0], &inputs[1], padding_config)
            }
            ShapeOp::Concatenate { dimension } => concatenate_rule(inputs, *dimension),
            ShapeOp::Slice {
                start_indices,
                limit_indices,
                strides,
            } => {
                expect_arity(inputs, 1)?;
                slice_rule(&inputs[0], start_indices, limit_indices, strides.as_deref())
            }
            ShapeOp::Iota {
                dtype,
                shape,
                dimension,
            } => {
                expect_arity(inputs, 0)?;
                if *dtype == DType::Bool {
                    return Err("dtype bool is not supported (iota needs a numeric dtype)".into());
                }
                if *dimension >= shape.len() {
                    return Err(format!(
                        "dimension {dimension} out of range for shape {} (rank {})",
                        py_tuple(shape),
                        shape.len()
                    ));
                }
                checked_product(shape)
                    .ok_or_else(|| format!("shape {} overflows usize", py_tuple(shape)))?;
                Ok(smallvec![Aval {
                    shape: shape.clone(),
                    dtype: *dtype
                }])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        if !matches!(self, ShapeOp::Iota { .. })
            && let Some(r) = super::util::eval_on_base_types(inputs, out, &|i, o| self.eval(i, o))
        {
            return r;
        }
        let out_shape: &[usize] = &out[0].shape;
        let result = match self {
            ShapeOp::BroadcastInDim {
                broadcast_dimensions,
                ..
            } => {
                crate::dispatch_base_array!(inputs[0], a, T => T::wrap(broadcast_kernel(a, out_shape, broadcast_dimensions)))
            }
            ShapeOp::Reshape { .. } | ShapeOp::Squeeze { .. } => {
                // Row-major order is unchanged; only the dims differ.
                crate::dispatch_base_array!(inputs[0], a, T => T::wrap(reshape_kernel(a, out_shape)))
            }
            ShapeOp::Transpose { permutation } => crate::dispatch_base_array!(inputs[0], a, T => {
                T::wrap(transpose_kernel(a, permutation))
            }),
            ShapeOp::Rev { dimensions } => crate::dispatch_base_array!(inputs[0], a, T => {
                let mut v = a.view();
                for &d in dimensions {
                    v.invert_axis(Axis(d));
                }
                T::wrap(own(v))
            }),
            ShapeOp::Pad { padding_config } => crate::dispatch_base_array!(inputs[0], a, T => {
                let value = T::view(inputs[1]).expect("abstract_eval checked the padding dtype");
                let value = *value.iter().next().expect("padding value is a scalar");
                T::wrap(pad_kernel(a, value, padding_config, out_shape))
            }),
            ShapeOp::Concatenate { dimension } => crate::dispatch_base_array!(inputs[0], a, T => {
                let parts: Vec<&ArrayD<T>> = std::iter::once(a)
                    .chain(inputs[1..].iter().map(|x| T::view(x).expect("abstract_eval checked dtypes")))
                    .collect();
                T::wrap(concatenate_kernel(&parts, *dimension, out_shape))
            }),
            ShapeOp::Slice {
                start_indices,
                limit_indices,
                strides,
            } => crate::dispatch_base_array!(inputs[0], a, T => {
                let v = a.slice_each_axis(|ax| {
                    let d = ax.axis.index();
                    let step = strides.as_ref().map_or(1, |s| s[d]);
                    Slice::new(start_indices[d] as isize, Some(limit_indices[d] as isize), step as isize)
                });
                T::wrap(own(v))
            }),
            ShapeOp::Iota {
                dtype,
                shape,
                dimension,
            } => iota_kernel(*dtype, shape, *dimension),
        };
        smallvec![result]
    }

    /// Every shape op is linear in its array operands (pad also in its padding value).
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        linear_jvp(&Prim::new(self.clone()), primals, tangents)
    }

    /// JAX's rules (`_broadcast_in_dim_batch_rule`, `_reshape_batch_rule`, ...), written to
    /// avoid transposes where the batch dim can stay put: broadcast_in_dim places it between
    /// the neighbouring operand dims, transpose/squeeze/rev/slice/pad keep it, concatenate
    /// and sort line every operand up on the first batched one's dim. Only reshape moves it
    /// to the front (row-major order needs it there).
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let one = |t: Tensor, d: usize| -> BatchResult { (smallvec![t], vec![Some(d)]) };
        // A logical axis of the operand as an axis of the batched operand (batch dim at b).
        let shift = |a: usize, b: usize| if a < b { a } else { a + 1 };
        match self {
            ShapeOp::BroadcastInDim {
                shape,
                broadcast_dimensions: bd,
            } => {
                let x = &args[0];
                let b = dims[0].expect("broadcast_in_dim: the only operand is batched");
                // Put the batch dim right after the output dim of the operand dim before it:
                // broadcast_dimensions stay increasing and the data order is unchanged.
                let p = if b == 0 { 0 } else { bd[b - 1] + 1 };
                let mut new_shape = shape.to_vec();
                new_shape.insert(p, x.shape()[b]);
                let new_bd: Vec<usize> = (0..x.ndim())
                    .map(|i| match i.cmp(&b) {
                        std::cmp::Ordering::Less => bd[i],
                        std::cmp::Ordering::Equal => p,
                        std::cmp::Ordering::Greater => bd[i - 1] + 1,
                    })
                    .collect();
                one(lax::broadcast_in_dim(x, &new_shape, &new_bd), p)
            }
            ShapeOp::Reshape { new_sizes } => {
                let b = dims[0].expect("reshape: the only operand is batched");
                let x = move_batch_dim(&args[0], b, 0);
                let mut shape = vec![x.shape()[0]];
                shape.extend_from_slice(new_sizes);
                one(lax::reshape(&x, &shape), 0)
            }
            ShapeOp::Transpose { permutation } => {
                // The batch dim stays at b; the other dims permute around it.
                let b = dims[0].expect("transpose: the only operand is batched");
                let mut perm: Vec<usize> = permutation.iter().map(|&p| shift(p, b)).collect();
                perm.insert(b, b);
                one(lax::transpose(&args[0], &perm), b)
            }
            ShapeOp::Squeeze { dimensions } => {
                let b = dims[0].expect("squeeze: the only operand is batched");
                let new: Vec<usize> = dimensions.iter().map(|&d| shift(d, b)).collect();
                let out_b = b - dimensions.iter().filter(|&&d| d < b).count();
                one(lax::squeeze(&args[0], &new), out_b)
            }
            ShapeOp::Rev { dimensions } => {
                let b = dims[0].expect("rev: the only operand is batched");
                let new: Vec<usize> = dimensions.iter().map(|&d| shift(d, b)).collect();
                one(lax::rev(&args[0], &new), b)
            }
            ShapeOp::Pad { padding_config } => {
                let (operand, value) = (&args[0], &args[1]);
                // An unbatched operand with a batched padding value: broadcast it (batch first).
                let (operand, b) = match dims[0] {
                    Some(b) => (operand.clone(), b),
                    None => (batch_at(operand, None, axis.size, 0), 0),
                };
                let mut config = padding_config.clone();
                config.insert(b, (0, 0, 0));
                match dims[1] {
                    None => one(lax::pad(&operand, value, &config), b),
                    Some(vb) => {
                        // A padding value per batch member: pad with zeros, and select the
                        // value where a padded mask of trues says "padding".
                        debug_assert_eq!(vb, 0, "a batched scalar has its batch dim at 0");
                        let dtype = operand.dtype();
                        let x = lax::pad(&operand, &Tensor::zeros(&[], dtype), &config);
                        let trues =
                            lax::broadcast_in_dim(&Tensor::scalar(true), operand.shape(), &[]);
                        let mask = lax::pad(&trues, &Tensor::scalar(false), &config);
                        let fill = lax::broadcast_in_dim(value, x.shape(), &[b]);
                        one(lax::select_n(&mask, &[fill, x]), b)
                    }
                }
            }
            ShapeOp::Concatenate { dimension } => {
                // Line every operand up on the first batched operand's batch dim (no
                // transposes when they agree); unbatched operands are broadcast there.
                let target = dims
                    .iter()
                    .find_map(|d| *d)
                    .expect("concatenate: some operand is batched");
                let parts: Vec<Tensor> = args
                    .iter()
                    .zip(dims)
                    .map(|(a, d)| batch_at(a, *d, axis.size, target))
                    .collect();
                one(lax::concatenate(&parts, shift(*dimension, target)), target)
            }
            ShapeOp::Slice {
                start_indices,
                limit_indices,
                strides,
            } => {
                let x = &args[0];
                let b = dims[0].expect("slice: the only operand is batched");
                let mut start = start_indices.to_vec();
                start.insert(b, 0);
                let mut limit = limit_indices.to_vec();
                limit.insert(b, x.shape()[b]);
                let steps = strides.as_ref().map(|s| {
                    let mut s = s.to_vec();
                    s.insert(b, 1);
                    s
                });
                one(lax::slice(x, &start, &limit, steps.as_deref()), b)
            }
            ShapeOp::Iota { .. } => unreachable!("iota has no operands, so it is never batched"),
        }
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let Some(ct) = &cts[0] else {
            return vec![None; args.len()];
        };
        let in_aval = args[0].aval();
        let ct_operand = match self {
            ShapeOp::BroadcastInDim {
                broadcast_dimensions,
                ..
            } => {
                // Sum over the new dims and over operand dims of size 1 that were stretched.
                let stretched: Vec<usize> = (0..in_aval.ndim())
                    .filter(|&i| in_aval.shape[i] == 1 && ct.shape()[broadcast_dimensions[i]] != 1)
                    .collect();
                let mut axes: Vec<usize> = (0..ct.ndim())
                    .filter(|d| !broadcast_dimensions.contains(d))
                    .collect();
                axes.extend(stretched.iter().map(|&i| broadcast_dimensions[i]));
                axes.sort_unstable();
                let summed = if axes.is_empty() {
                    ct.clone()
                } else {
                    lax::reduce_sum(ct, &axes)
                };
                if summed.shape() == in_aval.shape.as_slice() {
                    summed
                } else {
                    lax::reshape(&summed, &in_aval.shape)
                }
            }
            ShapeOp::Reshape { .. } | ShapeOp::Squeeze { .. } => lax::reshape(ct, &in_aval.shape),
            ShapeOp::Transpose { permutation } => {
                let mut inverse = vec![0; permutation.len()];
                for (i, &p) in permutation.iter().enumerate() {
                    inverse[p] = i;
                }
                lax::transpose(ct, &inverse)
            }
            ShapeOp::Rev { dimensions } => lax::rev(ct, dimensions),
            ShapeOp::Pad { padding_config } => {
                // Undo the low/high padding (cropping what was added, re-adding what was
                // cropped), then drop the interior padding with a strided slice.
                let unpad: Vec<(i64, i64, i64)> = padding_config
                    .iter()
                    .map(|&(lo, hi, _)| (-lo, -hi, 0))
                    .collect();
                let zero = Tensor::zeros(&[], ct.dtype());
                let unpadded = lax::pad(ct, &zero, &unpad);
                let steps: Vec<usize> = padding_config
                    .iter()
                    .map(|&(_, _, interior)| interior as usize + 1)
                    .collect();
                let t_operand = lax::slice(
                    &unpadded,
                    &vec![0; ct.ndim()],
                    unpadded.shape(),
                    Some(&steps),
                );
                let all: Vec<usize> = (0..ct.ndim()).collect();
                let ct_value = args[1].is_linear().then(|| {
                    let total = lax::reduce_sum(ct, &all);
                    lax::sub(&total, &lax::reduce_sum(&t_operand, &all))
                });
                return vec![args[0].is_linear().then_some(t_operand), ct_value];
            }
            ShapeOp::Concatenate { dimension } => {
                let mut start = 0;
                return args
                    .iter()
                    .map(|a| {
                        let aval = a.aval();
                        let size = aval.shape[*dimension];
                        let (mut lo, mut hi) = (vec![0; ct.ndim()], ct.shape().to_vec());
                        lo[*dimension] = start;
                        hi[*dimension] = start + size;
                        start += size;
                        a.is_linear().then(|| lax::slice(ct, &lo, &hi, None))
                    })
                    .collect();
            }
            ShapeOp::Slice {
                start_indices,
                strides,
                ..
            } => {
                // Scatter the slice back with a pad: low = start, interior = stride - 1.
                let steps: Vec<usize> = strides.as_ref().map_or(vec![1; ct.ndim()], |s| s.to_vec());
                let config: Vec<(i64, i64, i64)> = (0..ct.ndim())
                    .map(|d| {
                        let n = ct.shape()[d];
                        let covered = if n == 0 { 0 } else { 1 + (n - 1) * steps[d] };
                        let lo = start_indices[d] as i64;
                        let hi = in_aval.shape[d] as i64 - lo - covered as i64;
                        (lo, hi, steps[d] as i64 - 1)
                    })
                    .collect();
                lax::pad(ct, &Tensor::zeros(&[], ct.dtype()), &config)
            }
            ShapeOp::Iota { .. } => unreachable!("iota has no operands to transpose"),
        };
        vec![Some(ct_operand)]
    }
}
