//! Shape rules of the shape primitives (JAX/XLA's checks and messages).

use crate::core::{Aval, Avals, Shape};
use crate::prims::util::py_tuple;
use smallvec::smallvec;

/// The product of `dims`, or None on overflow.
pub(super) fn checked_product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

pub(super) fn broadcast_in_dim_rule(
    x: &Aval,
    shape: &Shape,
    bdims: &Shape,
) -> Result<Avals, String> {
    if bdims.len() != x.ndim() {
        return Err(format!(
            "broadcast_dimensions {} has length {} but the operand has rank {}",
            py_tuple(bdims),
            bdims.len(),
            x.ndim()
        ));
    }
    for (i, &d) in bdims.iter().enumerate() {
        if d >= shape.len() {
            return Err(format!(
                "broadcast_dimensions {}: entry {d} out of range for output shape {} (rank {})",
                py_tuple(bdims),
                py_tuple(shape),
                shape.len()
            ));
        }
        if i > 0 && bdims[i - 1] >= d {
            return Err(format!(
                "broadcast_dimensions {} must be strictly increasing",
                py_tuple(bdims)
            ));
        }
        if x.shape[i] != 1 && x.shape[i] != shape[d] {
            return Err(format!(
                "operand dim {i} has size {} but output dim {d} of shape {} has size {} \
                 (must be equal or the operand size 1; broadcast_dimensions {})",
                x.shape[i],
                py_tuple(shape),
                shape[d],
                py_tuple(bdims)
            ));
        }
    }
    checked_product(shape).ok_or_else(|| format!("shape {} overflows usize", py_tuple(shape)))?;
    Ok(smallvec![Aval {
        shape: shape.clone(),
        dtype: x.dtype
    }])
}

pub(super) fn pad_rule(
    x: &Aval,
    value: &Aval,
    config: &[(i64, i64, i64)],
) -> Result<Avals, String> {
    if value.dtype != x.dtype {
        return Err(format!(
            "padding_value dtype {} differs from operand dtype {}",
            value.dtype, x.dtype
        ));
    }
    if value.ndim() != 0 {
        return Err(format!(
            "padding_value must be a scalar, got shape {}",
            py_tuple(&value.shape)
        ));
    }
    let cfg_text = || {
        py_tuple(
            &config
                .iter()
                .map(|&(l, h, i)| py_tuple(&[l, h, i]))
                .collect::<Vec<_>>(),
        )
    };
    if config.len() != x.ndim() {
        return Err(format!(
            "padding_config {} has {} entries but the operand has rank {}",
            cfg_text(),
            config.len(),
            x.ndim()
        ));
    }
    let mut shape = Shape::new();
    for (d, (&n, &(lo, hi, interior))) in x.shape.iter().zip(config).enumerate() {
        if interior < 0 {
            return Err(format!(
                "padding_config {}: interior padding {interior} of dim {d} is negative",
                cfg_text()
            ));
        }
        let n = n as i128;
        let size = lo as i128 + hi as i128 + n + (n - 1).max(0) * interior as i128;
        if size < 0 {
            return Err(format!(
                "padding_config {}: dim {d} of operand shape {} would have negative size {size}",
                cfg_text(),
                py_tuple(&x.shape)
            ));
        }
        let size = usize::try_from(size).map_err(|_| {
            format!(
                "padding_config {}: dim {d} size {size} overflows usize",
                cfg_text()
            )
        })?;
        shape.push(size);
    }
    Ok(smallvec![Aval {
        shape,
        dtype: x.dtype
    }])
}

pub(super) fn concatenate_rule(inputs: &[Aval], dimension: usize) -> Result<Avals, String> {
    let first = inputs.first().ok_or("needs at least one operand, got 0")?;
    if dimension >= first.ndim() {
        return Err(format!(
            "dimension {dimension} out of range for operand rank {}",
            first.ndim()
        ));
    }
    let mut shape = first.shape.clone();
    for (k, x) in inputs.iter().enumerate().skip(1) {
        if x.dtype != first.dtype {
            return Err(format!(
                "operand {k} has dtype {} but operand 0 has dtype {}",
                x.dtype, first.dtype
            ));
        }
        let same_elsewhere = x.ndim() == first.ndim()
            && x.shape
                .iter()
                .zip(&first.shape)
                .enumerate()
                .all(|(d, (a, b))| d == dimension || a == b);
        if !same_elsewhere {
            return Err(format!(
                "operand {k} has shape {} but operand 0 has shape {}; shapes must match except along \
                 dimension {dimension}",
                py_tuple(&x.shape),
                py_tuple(&first.shape)
            ));
        }
        shape[dimension] = shape[dimension]
            .checked_add(x.shape[dimension])
            .ok_or_else(|| format!("size along dimension {dimension} overflows usize"))?;
    }
    Ok(smallvec![Aval {
        shape,
        dtype: first.dtype
    }])
}

pub(super) fn slice_rule(
    x: &Aval,
    start: &[usize],
    limit: &[usize],
    strides: Option<&[usize]>,
) -> Result<Avals, String> {
    let desc = || {
        format!(
            "start_indices={} limit_indices={} strides={}",
            py_tuple(start),
            py_tuple(limit),
            strides.map_or_else(|| "None".to_string(), py_tuple)
        )
    };
    let n = x.ndim();
    if start.len() != n || limit.len() != n || strides.is_some_and(|s| s.len() != n) {
        return Err(format!(
            "{}: each must have one entry per operand dim (rank {n})",
            desc()
        ));
    }
    let mut shape = Shape::new();
    for d in 0..n {
        let (s, l, size) = (start[d], limit[d], x.shape[d]);
        let step = strides.map_or(1, |st| st[d]);
        if step == 0 {
            return Err(format!("{}: stride of dim {d} must be at least 1", desc()));
        }
        if s > l || l > size {
            return Err(format!(
                "{}: dim {d} needs 0 <= start ({s}) <= limit ({l}) <= size ({size}) for operand shape {}",
                desc(),
                py_tuple(&x.shape)
            ));
        }
        shape.push((l - s).div_ceil(step));
    }
    Ok(smallvec![Aval {
        shape,
        dtype: x.dtype
    }])
}
