//! `ferrax::fft` against JAX 0.10.2 (tests/golden/fft.txt, written by
//! tests/golden/make_fft.py): every golden call of every public function of `jnp.fft`, f32
//! and f64, real and complex, odd and even lengths, `n`/`s` padding and truncation, every
//! `norm`, several axes. The call is read from the line's name (`FUNCTION|INPUT|key=value..`),
//! dtype and shape must be exact, and values agree within a tolerance scaled to the dtype and
//! to the output's magnitude (rustfft's and ducc's roundings differ; bit-exact for the
//! frequency helpers and the shifts). `vjp.` lines check reverse mode (the transpose rules and
//! JAX's complex-cotangent convention) against `jax.vjp`.

use crate::common::golden::{dtype_name, parse_line, Golden};
use ferrax::fft::{self, Fft1d, FftFreq, FftNd, Norm};
use ferrax::prelude::*;
use std::collections::HashMap;

fn golden() -> Vec<(String, Golden)> {
    include_str!("../golden/fft.txt")
        .lines()
        .map(parse_line)
        .collect()
}

fn ints(v: &str) -> Vec<isize> {
    v.split(',').map(|x| x.parse().unwrap()).collect()
}

fn norm(v: &str) -> Norm {
    match v {
        "backward" => Norm::Backward,
        "ortho" => Norm::Ortho,
        "forward" => Norm::Forward,
        other => panic!("norm {other}"),
    }
}

/// The keyword arguments of a golden name.
fn kwargs(parts: &[&str]) -> HashMap<String, String> {
    parts
        .iter()
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// ferrax's output for golden call `name`.
fn run(name: &str, inputs: &HashMap<String, Tensor>) -> Tensor {
    let parts: Vec<&str> = name.split('|').collect();
    let (f, kw) = (parts[0], kwargs(&parts[2..]));
    if f == "fftfreq" || f == "rfftfreq" {
        let n: usize = parts[1].parse().unwrap();
        let o = FftFreq {
            d: kw["d"].parse().unwrap(),
            dtype: DType::from_name(&kw["dtype"]).unwrap(),
        };
        return if f == "fftfreq" {
            fft::fftfreq_with(n, o)
        } else {
            fft::rfftfreq_with(n, o)
        };
    }
    if let Some(g) = f.strip_prefix("vjp.") {
        let x = &inputs[parts[1]];
        let ct = &inputs[&format!("ct.{g}.{}", parts[1])];
        let (_, pull) = vjp(|x: &Tensor| apply(g, x, &kw), x);
        return pull(ct);
    }
    apply(f, &inputs[parts[1]], &kw)
}

/// `jnp.fft.f(x, **kw)`.
fn apply(f: &str, x: &Tensor, kw: &HashMap<String, String>) -> Tensor {
    let one = Fft1d {
        n: kw.get("n").map(|v| v.parse().unwrap()),
        axis: kw.get("axis").map_or(-1, |v| v.parse().unwrap()),
        norm: kw.get("norm").map_or(Norm::Backward, |v| norm(v)),
    };
    let many = FftNd {
        s: kw
            .get("s")
            .map(|v| ints(v).into_iter().map(|x| x as usize).collect()),
        axes: kw.get("axes").map(|v| ints(v)),
        norm: one.norm,
    };
    let axes = kw.get("axes").map(|v| ints(v));
    match f {
        "fft" => fft::fft_with(x, one),
        "ifft" => fft::ifft_with(x, one),
        "rfft" => fft::rfft_with(x, one),
        "irfft" => fft::irfft_with(x, one),
        "hfft" => fft::hfft_with(x, one),
        "ihfft" => fft::ihfft_with(x, one),
        "fft2" => fft::fft2_with(x, many),
        "ifft2" => fft::ifft2_with(x, many),
        "rfft2" => fft::rfft2_with(x, many),
        "irfft2" => fft::irfft2_with(x, many),
        "fftn" => fft::fftn_with(x, many),
        "ifftn" => fft::ifftn_with(x, many),
        "rfftn" => fft::rfftn_with(x, many),
        "irfftn" => fft::irfftn_with(x, many),
        "fftshift" => fft::fftshift(x, axes.as_deref()),
        "ifftshift" => fft::ifftshift(x, axes.as_deref()),
        other => panic!("no golden function {other}"),
    }
}

/// The values of `t` as the golden file holds them (complex as interleaved parts).
fn values(t: &Tensor) -> Vec<f64> {
    if t.dtype().is_complex() {
        let re = ferrax::lax::real(t).cast(DType::F64).to_vec::<f64>();
        let im = ferrax::lax::imag(t).cast(DType::F64).to_vec::<f64>();
        re.into_iter().zip(im).flat_map(|(a, b)| [a, b]).collect()
    } else {
        t.cast(DType::F64).to_vec::<f64>()
    }
}

#[test]
fn every_function_matches_jax() {
    let all = golden();
    let inputs: HashMap<String, Tensor> = all
        .iter()
        .filter_map(|(n, g)| n.strip_prefix("in.").map(|k| (k.to_string(), g.tensor())))
        .collect();
    let mut checked = HashMap::<String, usize>::new();
    for (name, want) in all.iter().filter(|(n, _)| !n.starts_with("in.")) {
        let got = run(name, &inputs);
        assert_eq!(dtype_name(got.dtype()), want.dtype, "{name}: dtype");
        assert_eq!(got.shape(), &want.shape[..], "{name}: shape");
        let got = values(&got);
        let exact = !name.starts_with("vjp") && (name.contains("freq") || name.contains("shift"));
        let eps = if want.dtype.ends_with("32") || want.dtype == "c64" {
            4e-6
        } else {
            1e-13
        };
        let scale = 1.0 + want.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(&want.values).enumerate() {
            let ok = if exact {
                g == w
            } else {
                (g - w).abs() <= eps * scale
            };
            assert!(ok, "{name}: value {i}: got {g}, JAX {w}");
        }
        *checked
            .entry(name.split('|').next().unwrap().into())
            .or_default() += 1;
    }
    // Every public function of jnp.fft has golden calls, and 9 of them golden vjps.
    assert_eq!(checked.len(), 18 + 9, "{checked:?}");
}
