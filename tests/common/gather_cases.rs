//! Random valid gathers for the property tests of gather and scatter (`prims_index`,
//! `ad_index`, `vmap_index`), drawn from a [`Rng`] so one proptest seed describes a case.

use super::rng::Rng;
use ferrax::lax::{GatherDimensionNumbers as Gdn, ScatterDimensionNumbers as Sdn};
use ferrax::prelude::*;

pub fn sh(xs: &[usize]) -> smallvec::SmallVec<[usize; 4]> {
    xs.iter().copied().collect()
}

pub fn gdn(
    offset: &[usize],
    collapsed: &[usize],
    sim: &[usize],
    obd: &[usize],
    sibd: &[usize],
) -> Gdn {
    Gdn {
        offset_dims: sh(offset),
        collapsed_slice_dims: sh(collapsed),
        start_index_map: sh(sim),
        operand_batching_dims: sh(obd),
        start_indices_batching_dims: sh(sibd),
    }
}

/// The scatter dimension numbers that undo a gather's (as `_gather_transpose_rule` maps them).
pub fn mirror(d: &Gdn) -> Sdn {
    Sdn {
        update_window_dims: d.offset_dims.clone(),
        inserted_window_dims: d.collapsed_slice_dims.clone(),
        scatter_dims_to_operand_dims: d.start_index_map.clone(),
        operand_batching_dims: d.operand_batching_dims.clone(),
        scatter_indices_batching_dims: d.start_indices_batching_dims.clone(),
    }
}

/// A random valid gather: operand shape, dimension numbers (collapsed, indexed, plain window
/// and operand batching dims), slice sizes and indices shape. Small bounds make duplicate
/// indices common.
#[derive(Debug)]
pub struct GatherCase {
    pub oshape: Vec<usize>,
    pub d: Gdn,
    pub slice: Vec<usize>,
    pub ishape: Vec<usize>,
}

/// A random gather case; the free batch dims of the indices (those not matched with an
/// operand batching dim) have sizes in `min_free_size..=3`.
pub fn random_gather(r: &mut Rng, min_free_size: i64) -> GatherCase {
    let rank = r.range(0, 3) as usize;
    let oshape: Vec<usize> = (0..rank).map(|_| r.range(1, 4) as usize).collect();
    // Role per operand dim: 0 collapsed (indexed), 1 indexed window, 2 plain window, 3 batching.
    let roles: Vec<i64> = (0..rank).map(|_| r.range(0, 3)).collect();
    let mut sim: Vec<usize> = (0..rank).filter(|&d| roles[d] <= 1).collect();
    r.shuffle(&mut sim);
    let collapsed: Vec<usize> = (0..rank).filter(|&d| roles[d] == 0).collect();
    let obd: Vec<usize> = (0..rank).filter(|&d| roles[d] == 3).collect();
    let slice: Vec<usize> = (0..rank)
        .map(|d| {
            if roles[d] == 0 || roles[d] == 3 {
                1
            } else {
                r.range(0, oshape[d] as i64) as usize
            }
        })
        .collect();
    // Batch dims of the indices: some free ones plus one per operand batching dim, shuffled.
    let n_free = r.range(0, 2) as usize;
    let mut batch: Vec<(Option<usize>, usize)> = (0..n_free)
        .map(|_| (None, r.range(min_free_size, 3) as usize))
        .collect();
    batch.extend(obd.iter().enumerate().map(|(j, &d)| (Some(j), oshape[d])));
    r.shuffle(&mut batch);
    let mut sibd = vec![0; obd.len()];
    for (pos, &(j, _)) in batch.iter().enumerate() {
        if let Some(j) = j {
            sibd[j] = pos;
        }
    }
    let mut ishape: Vec<usize> = batch.iter().map(|&(_, n)| n).collect();
    ishape.push(sim.len());
    let n_offset = (0..rank)
        .filter(|&d| roles[d] == 1 || roles[d] == 2)
        .count();
    let out_rank = n_offset + batch.len();
    let mut positions: Vec<usize> = (0..out_rank).collect();
    r.shuffle(&mut positions);
    let mut offset: Vec<usize> = positions[..n_offset].to_vec();
    offset.sort_unstable();
    GatherCase {
        oshape,
        d: gdn(&offset, &collapsed, &sim, &obd, &sibd),
        slice,
        ishape,
    }
}

/// Index values for a case: in bounds, or anywhere in `[-3, size + 3]`.
pub fn random_indices(r: &mut Rng, c: &GatherCase, in_bounds: bool) -> Vec<i64> {
    let sim = &c.d.start_index_map;
    let n: usize = c.ishape.iter().product();
    (0..n)
        .map(|f| {
            let d = sim[f % sim.len()];
            if in_bounds {
                r.range(0, (c.oshape[d] - c.slice[d]) as i64)
            } else {
                r.range(-3, c.oshape[d] as i64 + 3)
            }
        })
        .collect()
}

/// A gather case with its index values, drawn right after the case.
pub struct IndexedGather {
    pub case: GatherCase,
    pub idx: Vec<i64>,
}

impl std::ops::Deref for IndexedGather {
    type Target = GatherCase;
    fn deref(&self) -> &GatherCase {
        &self.case
    }
}

/// A random gather case (free batch dims of sizes `0..=3`) and its index values (in bounds, or
/// anywhere in `[-3, size + 3]`).
pub fn random_indexed_gather(r: &mut Rng, in_bounds: bool) -> IndexedGather {
    let case = random_gather(r, 0);
    let idx = random_indices(r, &case, in_bounds);
    IndexedGather { case, idx }
}

/// Index values as i32, or as u32 (negative values wrap to huge, out-of-bounds ones).
pub fn indices(v: &[i64], shape: &[usize], unsigned: bool) -> Tensor {
    if unsigned {
        Tensor::from_vec(v.iter().map(|&x| x as i32 as u32).collect(), shape)
    } else {
        Tensor::from_vec(v.iter().map(|&x| x as i32).collect(), shape)
    }
}

/// One index value as an i32 or u32 scalar.
pub fn scalar_index(v: i64, unsigned: bool) -> Tensor {
    if unsigned {
        Tensor::scalar(v as i32 as u32)
    } else {
        Tensor::scalar(v as i32)
    }
}
