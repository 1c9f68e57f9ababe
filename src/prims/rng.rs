//! `rng_bit_generator` (JAX's `lax.rng_bit_generator_p`): random bits from a `u32[4]` key,
//! as XLA computes them on CPU, and the advanced key.
//!
//! JAX 0.10.2 on CPU lowers `RNG_DEFAULT` to XLA's Philox4x32-10 (the same bits as
//! `RNG_PHILOX`), which is what ferrax implements, bit for bit (checked against JAX in
//! tests/prims/lax_more.rs): the key words `k0, k1` are the Philox key; the 128-bit counter is
//! `(k2, k3)` low and `(k0, k1)` high, as little-endian u64s; block `i` hashes the counter plus
//! `i` (a carry out of the low half bumps the high half); each block's four words fill four
//! consecutive outputs (row-major); the new key is `(k0, k1)` with the low counter advanced by
//! the number of blocks (wrapping). `RNG_THREE_FRY` is not implemented. Outputs are integers:
//! no tangents; a batched key is split per example (one call each), as the bits depend on the
//! whole key.

use super::util::expect_arity;
use super::util::{py_tuple, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// Which bit generator (`lax.RandomAlgorithm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RandomAlgorithm {
    /// The backend's default: Philox on CPU.
    #[default]
    RngDefault,
    /// Philox4x32 with 10 rounds.
    RngPhilox,
    /// Threefry2x32 (not implemented: binding it is an error).
    RngThreeFry,
}

impl RandomAlgorithm {
    fn name(self) -> &'static str {
        match self {
            RandomAlgorithm::RngDefault => "RNG_DEFAULT",
            RandomAlgorithm::RngPhilox => "RNG_PHILOX",
            RandomAlgorithm::RngThreeFry => "RNG_THREE_FRY",
        }
    }
}

/// The primitive: `shape` u32 bits from a `u32[4]` key with `algorithm`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RngBitGenerator {
    /// The shape of the bits.
    pub shape: Vec<usize>,
    /// The generator.
    pub algorithm: RandomAlgorithm,
}

/// Random `u32` bits of `shape` from the `u32[4]` `key` and the next key
/// (`lax.rng_bit_generator(key, shape, algorithm=...)`, dtype uint32); `RNG_DEFAULT` is
/// Philox, as XLA on CPU.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{rng_bit_generator, RandomAlgorithm};
/// let key = Tensor::from_vec(vec![1u32, 2, 3, 4], &[4]);
/// let (next, bits) = rng_bit_generator(&key, &[6], RandomAlgorithm::RngDefault);
/// assert_eq!(next.to_vec::<u32>(), vec![1, 2, 5, 4]);
/// assert_eq!(bits.to_vec::<u32>()[0], 0x1e8fe864); // what JAX 0.10.2 gives on CPU
/// ```
#[track_caller]
pub fn rng_bit_generator(
    key: &Tensor,
    shape: &[usize],
    algorithm: RandomAlgorithm,
) -> (Tensor, Tensor) {
    let out = bind(
        &Prim::new(RngBitGenerator {
            shape: shape.to_vec(),
            algorithm,
        }),
        std::slice::from_ref(key),
    );
    (out[0].clone(), out[1].clone())
}

fn philox_block(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    const M0: u64 = 0xD251_1F53;
    const M1: u64 = 0xCD9E_8D57;
    let (mut c, mut k) = (c, k);
    for _ in 0..10 {
        let p0 = M0 * c[0] as u64;
        let p1 = M1 * c[2] as u64;
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k[1],
            p0 as u32,
        ];
        k = [
            k[0].wrapping_add(0x9E37_79B9),
            k[1].wrapping_add(0xBB67_AE85),
        ];
    }
    c
}

/// The bits and the next key for one `u32[4]` key.
fn philox_bits(key: [u32; 4], n: usize) -> ([u32; 4], Vec<u32>) {
    let low = key[2] as u64 | (key[3] as u64) << 32;
    let high = key[0] as u64 | (key[1] as u64) << 32;
    let blocks = n.div_ceil(4);
    let mut out = Vec::with_capacity(blocks * 4);
    for i in 0..blocks as u64 {
        let (lo, carry) = low.overflowing_add(i);
        let hi = high.wrapping_add(carry as u64);
        out.extend_from_slice(&philox_block(
            [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32],
            [key[0], key[1]],
        ));
    }
    out.truncate(n);
    let next = low.wrapping_add(blocks as u64);
    ([key[0], key[1], next as u32, (next >> 32) as u32], out)
}

impl PrimRules for RngBitGenerator {
    fn name(&self) -> &'static str {
        "rng_bit_generator"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("algorithm", text(self.algorithm.name())),
            ("dtype", text("uint32")),
            ("shape", text(py_tuple(&self.shape))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let k = &inputs[0];
        if k.dtype != DType::U32 || k.shape.as_slice() != [4] {
            return Err(format!("needs a u32[4] key, got {k}"));
        }
        if self.algorithm == RandomAlgorithm::RngThreeFry {
            return Err("RNG_THREE_FRY is not implemented (RNG_DEFAULT and RNG_PHILOX are XLA CPU's Philox)".into());
        }
        Ok(smallvec![k.clone(), Aval::new(&self.shape, DType::U32)])
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        let ArrayData::U32(k) = inputs[0] else {
            unreachable!("checked by abstract_eval")
        };
        let kv: Vec<u32> = k.iter().copied().collect();
        let n: usize = self.shape.iter().product();
        let (next, bits) = philox_bits([kv[0], kv[1], kv[2], kv[3]], n);
        smallvec![
            ArrayData::U32(ArrayD::from_shape_vec(IxDyn(&[4]), next.to_vec()).expect("4 words")),
            ArrayData::U32(ArrayD::from_shape_vec(IxDyn(&self.shape), bits).expect("shape")),
        ]
    }

    fn jvp(&self, primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        (bind(&Prim::new(self.clone()), primals), vec![None, None])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        // The bits depend on the whole key: one call per example, stacked on axis 0.
        let d = dims[0].expect("the key is batched");
        let keys = super::util::move_batch_dim(&args[0], d, 0);
        let (mut ks, mut bs) = (Vec::new(), Vec::new());
        for b in 0..axis.size {
            let k = lax::reshape(&lax::slice(&keys, &[b, 0], &[b + 1, 4], None), &[4]);
            let out = bind(&Prim::new(self.clone()), &[k]);
            let mut kshape = vec![1];
            kshape.extend_from_slice(out[0].shape());
            let mut bshape = vec![1];
            bshape.extend_from_slice(out[1].shape());
            ks.push(lax::reshape(&out[0], &kshape));
            bs.push(lax::reshape(&out[1], &bshape));
        }
        (
            smallvec![lax::concatenate(&ks, 0), lax::concatenate(&bs, 0)],
            vec![Some(0), Some(0)],
        )
    }
}
