//! `sort`: sorts one or more same-shaped operands along `dimension`, ordered by the first
//! `num_keys` of them (lexicographically), carrying the rest along.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals};
use crate::tensor::ArrayData;

/// The `sort` primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sort {
    pub dimension: usize,
    pub is_stable: bool,
    pub num_keys: usize,
}

impl PrimRules for Sort {
    fn name(&self) -> &'static str {
        "sort"
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
