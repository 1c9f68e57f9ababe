//! Collectives over a named vmap axis.

use crate::core::bind1;
use crate::prims::collective::Collective;
use crate::prims::Prim;
use crate::tensor::Tensor;

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
    crate::lax::div(&psum(x, axis_name), &n)
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
