//! Reader for tests/golden/lax.txt (written by tests/golden/make_lax.py with JAX 0.10.2):
//! array lines `name dtype shape values...` and text blocks from `## name` to `## end`.

use crate::common::golden::parse_line;
use ferrax::prelude::*;
use std::collections::HashMap;

pub use crate::common::golden::{dtype_name, Golden};

/// The arrays (in file order) and the text blocks of lax.txt.
pub fn golden() -> (Vec<(String, Golden)>, HashMap<String, String>) {
    let mut arrays = Vec::new();
    let mut texts = HashMap::new();
    let mut lines = include_str!("../golden/lax.txt").lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("## ") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "## end").collect();
            texts.insert(name.to_string(), body.join("\n"));
            continue;
        }
        arrays.push(parse_line(line));
    }
    (arrays, texts)
}

/// The `in.X` inputs as tensors.
pub fn inputs() -> HashMap<String, Tensor> {
    crate::common::golden::inputs_of(golden().0)
}

pub use crate::common::golden::values;

/// Compares `got` with `want`: dtype and shape exactly, values bit for bit (NaN with NaN,
/// signed zeros by sign) or within `ulps` units in the last place of `want`'s dtype.
pub fn compare(name: &str, got: &Tensor, want: &Golden, ulps: f64) -> Result<(), String> {
    if dtype_name(got.dtype()) != want.dtype || got.shape() != want.shape.as_slice() {
        return Err(format!(
            "{name}: got {} {:?}, JAX {} {:?}",
            dtype_name(got.dtype()),
            got.shape(),
            want.dtype,
            want.shape
        ));
    }
    let eps = if want.dtype == "f64" || want.dtype == "c128" {
        f64::EPSILON
    } else {
        f32::EPSILON as f64
    };
    let gv = values(got);
    for (k, (&g, &w)) in gv.iter().zip(&want.values).enumerate() {
        let ok = if g.is_nan() || w.is_nan() {
            g.is_nan() && w.is_nan()
        } else if ulps == 0.0 {
            g == w && g.is_sign_negative() == w.is_sign_negative()
        } else {
            g == w || (g - w).abs() <= ulps * eps * w.abs().max(1e-30)
        };
        if !ok {
            return Err(format!(
                "{name}[{k}]: got {g:e}, JAX {w:e} (all: {gv:?} vs {:?})",
                want.values
            ));
        }
    }
    Ok(())
}
