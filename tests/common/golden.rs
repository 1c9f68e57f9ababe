//! Reads the golden array lines that `tests/golden/golden_format.py` writes (numpy.txt,
//! indexing.txt, lax.txt): `name dtype shape v1 v2 ...`, floats as hex bit patterns.

use ferrax::prelude::*;
use std::collections::HashMap;

/// Every array line of a golden file (`include_str!`'d by the caller).
pub fn arrays(text: &str) -> Vec<(String, Golden)> {
    text.lines().map(parse_line).collect()
}

/// The `in.X` arrays of a golden file's lines, as tensors keyed by `X`.
pub fn inputs_of(arrays: Vec<(String, Golden)>) -> HashMap<String, Tensor> {
    arrays
        .into_iter()
        .filter_map(|(n, g)| n.strip_prefix("in.").map(|k| (k.to_string(), g.tensor())))
        .collect()
}

/// One golden array: dtype name, shape, values (floats exact as f64; a complex array's
/// values are its elements' real and imaginary parts, interleaved).
pub struct Golden {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

impl Golden {
    /// The array as a tensor of its dtype.
    pub fn tensor(&self) -> Tensor {
        let d = dtype(&self.dtype);
        if d.is_complex() {
            let part =
                |k: usize| -> Vec<f64> { self.values.iter().skip(k).step_by(2).copied().collect() };
            let real = d.real_dtype();
            return ferrax::lax::complex(
                &Tensor::from_f64_values(&part(0), &self.shape, real),
                &Tensor::from_f64_values(&part(1), &self.shape, real),
            );
        }
        Tensor::from_f64_values(&self.values, &self.shape, d)
    }
}

/// The dtype of a golden dtype name.
pub fn dtype(name: &str) -> DType {
    match name {
        "f32" => DType::F32,
        "f64" => DType::F64,
        "i32" => DType::I32,
        "u32" => DType::U32,
        "u8" => DType::U8,
        "bool" => DType::Bool,
        "c64" => DType::C64,
        "c128" => DType::C128,
        d => panic!("bad dtype {d}"),
    }
}

/// The golden dtype name of a dtype ("other" for the ones the files never hold).
pub fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::I32 => "i32",
        DType::U32 => "u32",
        DType::U8 => "u8",
        DType::Bool => "bool",
        DType::C64 => "c64",
        DType::C128 => "c128",
        _ => "other",
    }
}

/// One array line: its name and array.
pub fn parse_line(line: &str) -> (String, Golden) {
    let mut it = line.split_whitespace();
    let name = it.next().expect("a name").to_string();
    let dtype = it.next().expect("a dtype").to_string();
    let shape = match it.next().expect("a shape") {
        "-" => vec![],
        s => s.split('x').map(|d| d.parse().unwrap()).collect(),
    };
    let f32_bits = |v: &str| f32::from_bits(u32::from_str_radix(v, 16).unwrap()) as f64;
    let f64_bits = |v: &str| f64::from_bits(u64::from_str_radix(v, 16).unwrap());
    let values = it
        .flat_map(|v| match dtype.as_str() {
            "f32" => vec![f32_bits(v)],
            "f64" => vec![f64_bits(v)],
            "c64" | "c128" => {
                let (re, im) = v.split_once(':').expect("a re:im pair");
                let bits = if dtype == "c64" { f32_bits } else { f64_bits };
                vec![bits(re), bits(im)]
            }
            _ => vec![v.parse::<f64>().unwrap()],
        })
        .collect();
    (
        name,
        Golden {
            dtype,
            shape,
            values,
        },
    )
}

/// Every array of a golden file by name (outputs and `in:` inputs alike).
pub fn by_name(text: &str) -> HashMap<String, Golden> {
    arrays(text).into_iter().collect()
}

/// A golden file parsed once, on first use: `static G: GoldenFile =
/// GoldenFile::new(include_str!("../golden/x.txt"));` then `G.tensor("name")`.
#[allow(dead_code)] // each test binary uses a different part of the shared helpers
pub struct GoldenFile {
    text: &'static str,
    arrays: std::sync::OnceLock<HashMap<String, Golden>>,
}

#[allow(dead_code)]
impl GoldenFile {
    pub const fn new(text: &'static str) -> GoldenFile {
        GoldenFile {
            text,
            arrays: std::sync::OnceLock::new(),
        }
    }

    /// The array `name` as a tensor (panics naming it if the file lacks it).
    pub fn tensor(&self, name: &str) -> Tensor {
        self.arrays
            .get_or_init(|| by_name(self.text))
            .get(name)
            .unwrap_or_else(|| panic!("no golden array {name}"))
            .tensor()
    }
}

/// Values of `t` as f64 (exact for every dtype here; complex: real and imaginary parts
/// interleaved, as `Golden` holds them).
pub fn values(t: &Tensor) -> Vec<f64> {
    if t.dtype().is_complex() {
        let re = ferrax::lax::real(t).cast(DType::F64).to_vec::<f64>();
        let im = ferrax::lax::imag(t).cast(DType::F64).to_vec::<f64>();
        return re.iter().zip(&im).flat_map(|(&r, &i)| [r, i]).collect();
    }
    t.cast(DType::F64).to_vec::<f64>()
}
