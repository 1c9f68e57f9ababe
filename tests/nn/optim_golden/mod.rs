//! The optax values of tests/golden/optim.txt (made by tests/golden/make_optim.py), shared
//! by tests/nn/losses.rs and tests/nn/optim.rs. One line per case: `name dtype shape values...`.

pub mod reference;

use ferrax::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

pub struct Case {
    pub shape: Vec<usize>,
    pub vals: Vec<f64>,
}

fn golden() -> &'static HashMap<String, Case> {
    static G: OnceLock<HashMap<String, Case>> = OnceLock::new();
    G.get_or_init(|| {
        include_str!("../../golden/optim.txt")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut it = l.split_whitespace();
                let name = it.next().unwrap().to_string();
                let _dtype = it.next().unwrap();
                let shape = match it.next().unwrap() {
                    "-" => vec![],
                    s => s.split('x').map(|d| d.parse().unwrap()).collect(),
                };
                let vals = it.map(|v| v.parse::<f64>().unwrap()).collect();
                (name, Case { shape, vals })
            })
            .collect()
    })
}

/// The golden case `name`; panics if it is missing.
pub fn g(name: &str) -> &'static Case {
    golden()
        .get(name)
        .unwrap_or_else(|| panic!("golden case {name} missing"))
}

/// The golden case `name` as a tensor of `dtype`.
pub fn tensor(name: &str, dtype: DType) -> Tensor {
    let c = g(name);
    Tensor::from_f64_values(&c.vals, &c.shape, dtype)
}
