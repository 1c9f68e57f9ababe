//! Image-batch augmentation as compositions of ferrax ops: every function takes a PRNG key and
//! a float batch `x: [N, H, W, C]` (NHWC), draws its random parameters from the key as
//! documented (so a plain reference can redraw them), and is traceable, so it runs under
//! `jit`, `vmap` (e.g. over a batch of keys) and, where the output depends smoothly on `x`,
//! `grad` with respect to `x`.

use crate::numpy;
use crate::random;
use crate::tensor::{DType, Tensor};

#[track_caller]
fn check_nhwc(op: &str, x: &Tensor) -> (usize, usize, usize, usize) {
    let s = x.shape();
    assert!(
        s.len() == 4 && x.dtype().is_float(),
        "data::augment::{op}: expected a float batch [N, H, W, C], got {:?} {:?}",
        x.dtype(),
        s
    );
    (s[0], s[1], s[2], s[3])
}

/// Flips each image left-right with probability `p`: image `n` is flipped where
/// `random::bernoulli(key, p, &[N])[n]` is true.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 4.0, 1.0, DType::F32).reshape(&[2, 1, 2, 1]);
/// let y = ferrax::data::augment::flip_left_right(&ferrax::random::key(0), &x, 1.0);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.0, 3.0, 2.0]);
/// ```
#[track_caller]
pub fn flip_left_right(key: &Tensor, x: &Tensor, p: f64) -> Tensor {
    let (n, ..) = check_nhwc("flip_left_right", x);
    let flip = random::bernoulli(key, p, &[n]).reshape(&[n as isize, 1, 1, 1]);
    numpy::where_(&flip, numpy::flip(x, Some(&[2])), x)
}

/// Pads each image with `padding` zeros on every side and crops a random `H x W` window
/// back out (the CIFAR recipe): image `n`'s window starts at row `o[n, 0]`, column
/// `o[n, 1]` of the padded image, `o = random::randint(key, &[N, 2], 0, 2 * padding + 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::ones(&[3, 4, 4, 1], DType::F32);
/// let y = ferrax::data::augment::random_crop(&ferrax::random::key(1), &x, 2);
/// assert_eq!(y.shape(), &[3, 4, 4, 1]);
/// assert!(y.sum().item::<f32>() <= 48.0);
/// ```
#[track_caller]
pub fn random_crop(key: &Tensor, x: &Tensor, padding: usize) -> Tensor {
    let (n, h, w, c) = check_nhwc("random_crop", x);
    let p = padding;
    let xp = numpy::pad(x, &[(0, 0), (p, p), (p, p), (0, 0)]);
    let o = random::randint(key, &[n, 2], 0, 2 * p as i64 + 1);
    let oy = o.slice_axis(1, 0, 1).reshape(&[n as isize, 1]);
    let ox = o.slice_axis(1, 1, 2).reshape(&[n as isize, 1]);
    let rows = &oy + &Tensor::arange(0.0, h as f64, 1.0, DType::I32).reshape(&[1, h as isize]);
    let cols = &ox + &Tensor::arange(0.0, w as f64, 1.0, DType::I32).reshape(&[1, w as isize]);
    let rows = rows
        .reshape(&[n as isize, h as isize, 1, 1])
        .broadcast_to(&[n, h, w + 2 * p, c]);
    let xr = numpy::take_along_axis(&xp, &rows, 1);
    let cols = cols
        .reshape(&[n as isize, 1, w as isize, 1])
        .broadcast_to(&[n, h, w, c]);
    numpy::take_along_axis(&xr, &cols, 2)
}

/// Cutout (DeVries and Taylor, 2017): zeroes a `size x size` square in each image, centred
/// at row `cy[n]`, column `cx[n]` and clipped at the borders (rows
/// `cy - size/2 .. cy - size/2 + size`), where `cy = randint(fold_in(key, 0), &[N], 0, H)`
/// and `cx = randint(fold_in(key, 1), &[N], 0, W)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::ones(&[2, 8, 8, 3], DType::F32);
/// let y = ferrax::data::augment::cutout(&ferrax::random::key(0), &x, 4);
/// assert!(y.sum().item::<f32>() < 2.0 * 8.0 * 8.0 * 3.0);
/// ```
#[track_caller]
pub fn cutout(key: &Tensor, x: &Tensor, size: usize) -> Tensor {
    let (n, h, w, _) = check_nhwc("cutout", x);
    let half = (size / 2) as i64;
    let inside = |k: u32, len: usize| {
        let centre = random::randint(&random::fold_in(key, k), &[n], 0, len as i64);
        let start = (&centre - half).reshape(&[n as isize, 1]);
        let i = Tensor::arange(0.0, len as f64, 1.0, DType::I32).reshape(&[1, len as isize]);
        let stop = &start + size as i64;
        i.ge(&start).cast(x.dtype()) * i.lt(&stop).cast(x.dtype())
    };
    let my = inside(0, h).reshape(&[n as isize, h as isize, 1, 1]);
    let mx = inside(1, w).reshape(&[n as isize, 1, w as isize, 1]);
    x * &(1.0 - &my * &mx)
}

/// Mixup (Zhang et al., 2018) with one mixing weight per batch:
/// `lam = random::beta(fold_in(key, 0), alpha, alpha)` (an `x.dtype()` scalar) and a
/// partner order `perm = random::permutation(fold_in(key, 1), N)`, returns
/// `(lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm])` for images and targets
/// (one-hot or soft labels) of the same batch.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 4.0, 1.0, DType::F32).reshape(&[4, 1, 1, 1]);
/// let y = ferrax::nn::one_hot(&Tensor::from_vec(vec![0, 1, 0, 1], &[4]), 2);
/// let (xm, ym) = ferrax::data::augment::mixup(&ferrax::random::key(0), &x, &y, 0.4);
/// // Each mixed target still sums to one.
/// assert!(ym.sum_axes(&[1]).to_vec::<f32>().iter().all(|s| (s - 1.0).abs() < 1e-6));
/// assert_eq!(xm.shape(), x.shape());
/// ```
#[track_caller]
pub fn mixup(key: &Tensor, x: &Tensor, y: &Tensor, alpha: f64) -> (Tensor, Tensor) {
    let (n, ..) = check_nhwc("mixup", x);
    assert!(
        y.shape().first() == Some(&n) && y.dtype().is_float(),
        "data::augment::mixup: targets {:?} {:?} must be floats with the batch's {n} rows",
        y.dtype(),
        y.shape()
    );
    assert!(
        alpha > 0.0,
        "data::augment::mixup: alpha must be > 0, got {alpha}"
    );
    let a = Tensor::full(&[], alpha, x.dtype());
    let lam = random::beta(&random::fold_in(key, 0), &a, &a, Some(&[]), x.dtype());
    let perm = random::permutation(&random::fold_in(key, 1), n);
    let mix = |t: &Tensor| {
        let lam = lam.cast(t.dtype());
        &lam * t + (1.0 - &lam) * numpy::take(t, &perm, 0)
    };
    (mix(x), mix(y))
}

/// Adds Gaussian noise: `x + std * random::normal(key, x.shape())` (in `x`'s dtype).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[1, 16, 16, 1], DType::F32);
/// let y = ferrax::data::augment::gaussian_noise(&ferrax::random::key(0), &x, 0.1);
/// assert!(y.std().item::<f32>() > 0.05 && y.std().item::<f32>() < 0.15);
/// ```
#[track_caller]
pub fn gaussian_noise(key: &Tensor, x: &Tensor, std: f64) -> Tensor {
    check_nhwc("gaussian_noise", x);
    x + &(random::normal(key, x.shape()).cast(x.dtype()) * std)
}

/// Resamples each image through an affine map with bilinear interpolation and zeros outside
/// the image. `matrices: [N, 2, 3]` maps an output pixel's centred coordinates
/// `(u, v) = (col - (W-1)/2, row - (H-1)/2)` to the input's:
/// `u' = m00 u + m01 v + m02`, `v' = m10 u + m11 v + m12`; the output pixel is the bilinear
/// interpolation of the input at `(row, col) = (v' + (H-1)/2, u' + (W-1)/2)`.
/// Differentiable in `x` and in `matrices`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 6.0, 1.0, DType::F32).reshape(&[1, 2, 3, 1]);
/// // Sample one column to the right: the image moves left.
/// let m = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0], &[1, 2, 3]);
/// let y = ferrax::data::augment::affine(&x, &m);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 0.0, 4.0, 5.0, 0.0]);
/// ```
#[track_caller]
pub fn affine(x: &Tensor, matrices: &Tensor) -> Tensor {
    let (n, h, w, c) = check_nhwc("affine", x);
    assert!(
        matrices.shape() == [n, 2, 3],
        "data::augment::affine: matrices {:?} must be [{n}, 2, 3] for a batch {:?}",
        matrices.shape(),
        x.shape()
    );
    let dt = x.dtype();
    let m = matrices.cast(dt);
    let (hw, ni) = (h * w, n as isize);
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let rows = Tensor::arange(0.0, h as f64, 1.0, dt).reshape(&[h as isize, 1]);
    let cols = Tensor::arange(0.0, w as f64, 1.0, dt).reshape(&[1, w as isize]);
    let v = (&rows - cy)
        .broadcast_to(&[h, w])
        .reshape(&[1, hw as isize]);
    let u = (&cols - cx)
        .broadcast_to(&[h, w])
        .reshape(&[1, hw as isize]);
    let e = |i: isize, j: isize| m.index_axis(1, i).index_axis(1, j).reshape(&[ni, 1]);
    let src_col = &e(0, 0) * &u + &e(0, 1) * &v + e(0, 2) + cx; // [N, HW]
    let src_row = &e(1, 0) * &u + &e(1, 1) * &v + e(1, 2) + cy;
    let r0 = numpy::floor(&src_row);
    let c0 = numpy::floor(&src_col);
    let wr = &src_row - &r0;
    let wc = &src_col - &c0;
    let flat = x.reshape(&[ni, hw as isize, c as isize]);
    let corner = |dr: f64, dc: f64, weight: Tensor| {
        let r = &r0 + dr;
        let cc = &c0 + dc;
        let valid = r.ge(0.0).cast(dt)
            * r.le(h as f64 - 1.0).cast(dt)
            * cc.ge(0.0).cast(dt)
            * cc.le(w as f64 - 1.0).cast(dt);
        let idx = (r.clip(0.0, h as f64 - 1.0) * w as f64 + cc.clip(0.0, w as f64 - 1.0))
            .cast(DType::I32)
            .reshape(&[ni, hw as isize, 1])
            .broadcast_to(&[n, hw, c]);
        let vals = numpy::take_along_axis(&flat, &idx, 1);
        vals * (weight * valid).reshape(&[ni, hw as isize, 1])
    };
    let out = corner(0.0, 0.0, (1.0 - &wr) * (1.0 - &wc))
        + corner(0.0, 1.0, (1.0 - &wr) * &wc)
        + corner(1.0, 0.0, &wr * (1.0 - &wc))
        + corner(1.0, 1.0, &wr * &wc);
    out.reshape(&[ni, h as isize, w as isize, c as isize])
}

/// The affine matrices of rotations by `angles` (radians, `[N]`) about the image centre, as
/// [`affine`] takes them: the output at centred `(u, v)` samples the input at
/// `(cos a u - sin a v, sin a u + cos a v)`, so with rows growing downwards a positive angle
/// turns the content clockwise on screen.
///
/// ```
/// use ferrax::prelude::*;
/// let m = ferrax::data::augment::rotation_matrices(&Tensor::from_vec(vec![0.0f32], &[1]));
/// assert_eq!(m.to_vec::<f32>(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// ```
#[track_caller]
pub fn rotation_matrices(angles: &Tensor) -> Tensor {
    assert!(
        angles.ndim() == 1,
        "data::augment::rotation_matrices: angles must be [N], got {:?}",
        angles.shape()
    );
    let (cos, sin) = (angles.cos(), angles.sin());
    let zero = numpy::zeros_like(angles);
    numpy::stack(
        &[&cos, &(-&sin), &zero, &sin, &cos, &zero].map(Clone::clone),
        1,
    )
    .reshape(&[angles.shape()[0] as isize, 2, 3])
}

/// Rotates each image by a random angle, uniform in `[-max_radians, max_radians)`
/// (`random::uniform(key, &[N])` scaled, in `x`'s dtype), bilinearly with zeros outside
/// ([`affine`] of [`rotation_matrices`]).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::ones(&[2, 5, 5, 1], DType::F32);
/// let y = ferrax::data::augment::random_rotation(&ferrax::random::key(0), &x, 0.3);
/// assert_eq!(y.shape(), &[2, 5, 5, 1]);
/// // The centre pixel stays (every rotation keeps it).
/// assert!((y.to_vec::<f32>()[12] - 1.0).abs() < 1e-5);
/// ```
#[track_caller]
pub fn random_rotation(key: &Tensor, x: &Tensor, max_radians: f64) -> Tensor {
    let (n, ..) = check_nhwc("random_rotation", x);
    let u = random::uniform(key, &[n]).cast(x.dtype());
    let angles = (u * 2.0 - 1.0) * max_radians;
    affine(x, &rotation_matrices(&angles))
}
