//! Keys: construction, `split`, `fold_in`, per-leaf splitting, and the raw threefry bits
//! every sampler starts from.

use crate::lax;
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;

/// A key from an integer seed, equal to `jax.random.PRNGKey(seed)` in JAX's default 32-bit
/// mode: `u32[2] = [0, seed mod 2^32]`.
///
/// ```
/// use ferrax::random;
/// assert_eq!(random::key(0).to_vec::<u32>(), vec![0, 0]);
/// assert_eq!(random::key(-1).to_vec::<u32>(), vec![0, u32::MAX]);
/// assert_eq!(random::key(42).shape(), &[2]);
/// ```
pub fn key(seed: i64) -> Tensor {
    Tensor::from_vec(vec![0u32, seed as u32], &[2])
}

/// `jax.random.PRNGKey`: the same as [`key`].
///
/// ```
/// use ferrax::random;
/// assert_eq!(random::prng_key(7).to_vec::<u32>(), random::key(7).to_vec::<u32>());
/// ```
pub fn prng_key(seed: i64) -> Tensor {
    key(seed)
}

/// A key from a 64-bit seed as JAX builds it with `jax_enable_x64`: `[seed >> 32, seed mod
/// 2^32]` (equal to [`key`] for seeds in `0..2^32`).
///
/// ```
/// use ferrax::random;
/// assert_eq!(random::key_x64(1 << 33 | 5).to_vec::<u32>(), vec![2, 5]);
/// ```
pub fn key_x64(seed: i64) -> Tensor {
    Tensor::from_vec(vec![(seed as u64 >> 32) as u32, seed as u32], &[2])
}

/// Checks that `key` is a `u32[2]` key and returns its two words as rank-0 tensors.
#[track_caller]
pub(crate) fn key_words(key: &Tensor, what: &str) -> (Tensor, Tensor) {
    assert!(
        key.dtype() == DType::U32 && key.shape() == [2],
        "random::{what}: expected a key of type u32[2], got {}[{}] (use random::key(seed); \
         to sample with a batch of keys, vmap over them)",
        key.dtype(),
        key.shape()
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let k0 = lax::reshape(&lax::slice(key, &[0], &[1], None), &[]);
    let k1 = lax::reshape(&lax::slice(key, &[1], &[2], None), &[]);
    (k0, k1)
}

/// JAX's `iota_2x32_shape`: the row-major flat index of every element of `shape` as two
/// u32 words `(hi, lo)`. `hi` is a rank-0 zero whenever the size fits in 32 bits.
pub(crate) fn iota_2x32(shape: &[usize]) -> (Tensor, Tensor) {
    let n: usize = shape.iter().product();
    assert!(
        n as u64 <= u32::MAX as u64 + 1,
        "random: arrays of more than 2^32 elements are not supported (shape {shape:?})"
    );
    let lo = if shape.len() == 1 {
        lax::iota(DType::U32, shape, 0)
    } else {
        lax::reshape(&lax::iota(DType::U32, &[n], 0), shape)
    };
    (Tensor::scalar(0u32), lo)
}

/// The two threefry output words for every element of `shape` (partitionable mode: the
/// element with flat index `i` hashes counter `(i >> 32, i & 0xffffffff)`).
#[track_caller]
pub(crate) fn threefry_words(key: &Tensor, shape: &[usize], what: &str) -> (Tensor, Tensor) {
    let (k0, k1) = key_words(key, what);
    if shape.is_empty() {
        let z = Tensor::scalar(0u32);
        return lax::threefry2x32(&k0, &k1, &z, &z);
    }
    let (hi, lo) = iota_2x32(shape);
    lax::threefry2x32(&k0, &k1, &hi, &lo)
}

/// Splits a key into `num` new keys, `u32[num, 2]` (`jax.random.split`, partitionable
/// mode): key `i` is `threefry2x32(key, (0, i))`, so `split(k, n)[i] == fold_in(k, i)`.
///
/// ```
/// use ferrax::random;
/// let keys = random::split(&random::key(0), 4);
/// assert_eq!(keys.shape(), &[4, 2]);
/// assert_eq!(keys.to_vec::<u32>()[..2], [1797259609, 2579123966]);
/// ```
#[track_caller]
pub fn split(key: &Tensor, num: usize) -> Tensor {
    split_shape(key, &[num])
}

/// Splits a key into an array of keys of shape `shape + [2]` (`jax.random.split(key,
/// shape)`).
///
/// ```
/// use ferrax::random;
/// let keys = random::split_shape(&random::key(0), &[2, 3]);
/// assert_eq!(keys.shape(), &[2, 3, 2]);
/// ```
#[track_caller]
pub fn split_shape(key: &Tensor, shape: &[usize]) -> Tensor {
    let (y0, y1) = threefry_words(key, shape, "split");
    let mut s = shape.to_vec();
    s.push(1);
    lax::concatenate(&[lax::reshape(&y0, &s), lax::reshape(&y1, &s)], shape.len())
}

/// Splits a key into `N` keys returned as an array of `u32[2]` tensors (row `i` of
/// [`split`]), convenient for destructuring: `let [k1, k2] = split_n(&key);`.
///
/// ```
/// use ferrax::random;
/// let [a, b] = random::split_n(&random::key(0));
/// assert_eq!(a.to_vec::<u32>(), random::fold_in(&random::key(0), 0).to_vec::<u32>());
/// assert_eq!(b.shape(), &[2]);
/// ```
#[track_caller]
pub fn split_n<const N: usize>(key: &Tensor) -> [Tensor; N] {
    let keys = split(key, N);
    std::array::from_fn(|i| lax::reshape(&lax::slice(&keys, &[i, 0], &[i + 1, 2], None), &[2]))
}

/// Row `i` of an array of keys `u32[n, 2]`, as a `u32[2]` key.
///
/// ```
/// use ferrax::random;
/// let keys = random::split(&random::key(0), 3);
/// assert_eq!(random::key_at(&keys, 2).to_vec::<u32>(),
///            random::fold_in(&random::key(0), 2).to_vec::<u32>());
/// ```
#[track_caller]
pub fn key_at(keys: &Tensor, i: usize) -> Tensor {
    assert!(
        keys.ndim() == 2 && keys.shape()[1] == 2 && keys.dtype() == DType::U32,
        "random::key_at: expected keys of type u32[n,2], got {}",
        keys.aval()
    );
    lax::reshape(&lax::slice(keys, &[i, 0], &[i + 1, 2], None), &[2])
}

/// Folds an integer into a key (`jax.random.fold_in`): `threefry2x32(key, (0, data))`.
///
/// ```
/// use ferrax::random;
/// let k = random::fold_in(&random::key(0), 4);
/// assert_eq!(k.to_vec::<u32>(), vec![2285895361, 433833334]);
/// ```
#[track_caller]
pub fn fold_in(key: &Tensor, data: u32) -> Tensor {
    fold_in_tensor(key, &Tensor::scalar(data))
}

/// [`fold_in`] with the data as a rank-0 `u32` or `i32` tensor, which may be traced (e.g. a
/// loop index or a vmapped step number).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::random;
/// let k = random::fold_in_tensor(&random::key(0), &Tensor::scalar(4i32));
/// assert_eq!(k.to_vec::<u32>(), vec![2285895361, 433833334]);
/// ```
#[track_caller]
pub fn fold_in_tensor(key: &Tensor, data: &Tensor) -> Tensor {
    assert!(
        data.ndim() == 0 && data.dtype().is_int(),
        "random::fold_in: data must be a rank-0 integer, got {}",
        data.aval()
    );
    let d = if data.dtype() == DType::U32 {
        data.clone()
    } else {
        lax::convert_element_type(data, DType::U32)
    };
    let (k0, k1) = key_words(key, "fold_in");
    let (y0, y1) = lax::threefry2x32(&k0, &k1, &Tensor::scalar(0u32), &d);
    lax::concatenate(&[lax::reshape(&y0, &[1]), lax::reshape(&y1, &[1])], 0)
}

/// One key per leaf of `tree`, in a tree of the same structure (leaf `i` in flattening order
/// gets `split(key, n_leaves)[i]`): how initialisers give every parameter its own stream.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::random;
/// let params = (Tensor::zeros(&[3], DType::F32), Tensor::zeros(&[2, 2], DType::F32));
/// let keys: (Tensor, Tensor) = random::split_like(&random::key(0), &params);
/// assert_eq!(keys.1.to_vec::<u32>(), random::fold_in(&random::key(0), 1).to_vec::<u32>());
/// ```
#[track_caller]
pub fn split_like<T: PyTree>(key: &Tensor, tree: &T) -> T {
    let (leaves, def) = crate::tree::tree_flatten(tree);
    let keys = split(key, leaves.len());
    let per_leaf = (0..leaves.len()).map(|i| key_at(&keys, i)).collect();
    crate::tree::tree_unflatten(&def, per_leaf)
}
