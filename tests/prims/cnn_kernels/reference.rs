//! Plain-Rust references for `tests/prims/cnn_kernels.rs`: convolution (any dimension numbers,
//! strides, padding, dilations, groups) and its cotangents by visiting every product term,
//! windows by listing every window's operand positions; plus the checks that compare
//! ferrax against them.

use ferrax::core::Shape;
use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, SelectPrim, WindowKind};
use ferrax::prelude::*;

// ---- Helpers ------------------------------------------------------------------------------

/// Deterministic values in [-1, 1).
pub fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 * 2.0 - 1.0
        })
        .collect()
}

pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Advances a row-major multi-index; false after the last one.
pub fn advance(idx: &mut [usize], dims: &[usize]) -> bool {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < dims[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
}

pub fn dilate(d: usize, k: usize) -> usize {
    if d == 0 {
        0
    } else {
        (d - 1) * k + 1
    }
}

/// Every element within `atol + rtol * |want|` (note the argument order: `atol` first).
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], atol: f64, rtol: f64, what: &str) {
    crate::common::close::assert_allclose(got, want, rtol, atol, what);
}

pub fn as_f64(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

// ---- Reference convolution ----------------------------------------------------------------

/// A convolution's params, with specs as JAX's ConvDimensionNumbers.
#[derive(Clone, Debug)]
pub struct Conv {
    pub strides: Vec<usize>,
    pub padding: Vec<(i64, i64)>,
    pub lhs_dil: Vec<usize>,
    pub rhs_dil: Vec<usize>,
    pub lhs_spec: Vec<usize>,
    pub rhs_spec: Vec<usize>,
    pub out_spec: Vec<usize>,
    pub fg: usize,
    pub bg: usize,
}

impl Conv {
    /// NHWC x HWIO -> NHWC, stride 1, VALID, no dilation or groups.
    pub fn nhwc() -> Conv {
        Conv {
            strides: vec![1, 1],
            padding: vec![(0, 0); 2],
            lhs_dil: vec![1, 1],
            rhs_dil: vec![1, 1],
            lhs_spec: vec![0, 3, 1, 2],
            rhs_spec: vec![3, 2, 0, 1],
            out_spec: vec![0, 3, 1, 2],
            fg: 1,
            bg: 1,
        }
    }

    pub fn params(&self) -> ConvParams {
        ConvParams {
            window_strides: self.strides.clone(),
            padding: self.padding.clone(),
            lhs_dilation: self.lhs_dil.clone(),
            rhs_dilation: self.rhs_dil.clone(),
            dimension_numbers: ConvDimensionNumbers {
                lhs_spec: Shape::from_slice(&self.lhs_spec),
                rhs_spec: Shape::from_slice(&self.rhs_spec),
                out_spec: Shape::from_slice(&self.out_spec),
            },
            feature_group_count: self.fg,
            batch_group_count: self.bg,
        }
    }

    /// A lhs shape with batch `n`, features `c`, spatial `sp` laid out per `lhs_spec`.
    pub fn lhs_shape(&self, n: usize, c: usize, sp: &[usize]) -> Vec<usize> {
        place(&self.lhs_spec, n, c, sp)
    }

    /// A rhs shape with `o` output and `i` input features, spatial `sp`.
    pub fn rhs_shape(&self, o: usize, i: usize, sp: &[usize]) -> Vec<usize> {
        place(&self.rhs_spec, o, i, sp)
    }

    /// Calls `visit(out index, lhs index, rhs index)` for every product term of the
    /// convolution (XLA semantics), returning the output shape.
    pub fn terms(
        &self,
        ls: &[usize],
        rs: &[usize],
        mut visit: impl FnMut(usize, usize, usize),
    ) -> Vec<usize> {
        let nsp = ls.len() - 2;
        let (n, _c) = (ls[self.lhs_spec[0]], ls[self.lhs_spec[1]]);
        let (o, ipg) = (rs[self.rhs_spec[0]], rs[self.rhs_spec[1]]);
        let in_sp: Vec<usize> = (0..nsp).map(|d| ls[self.lhs_spec[2 + d]]).collect();
        let k_sp: Vec<usize> = (0..nsp).map(|d| rs[self.rhs_spec[2 + d]]).collect();
        let out_sp: Vec<usize> = (0..nsp)
            .map(|d| {
                let padded = dilate(in_sp[d], self.lhs_dil[d]) as i64
                    + self.padding[d].0
                    + self.padding[d].1;
                let win = dilate(k_sp[d], self.rhs_dil[d]) as i64;
                ((padded - win).div_euclid(self.strides[d] as i64) + 1).max(0) as usize
            })
            .collect();
        let out_shape = place(&self.out_spec, n / self.bg, o, &out_sp);
        let (lst, rst, ost) = (strides(ls), strides(rs), strides(&out_shape));
        let mut canon = vec![n / self.bg, o];
        canon.extend_from_slice(&out_sp);
        if canon.contains(&0) || k_sp.contains(&0) || ipg == 0 {
            return out_shape;
        }
        let mut idx = vec![0usize; nsp + 2];
        loop {
            let (b, of) = (idx[0], idx[1]);
            let (lb, cbase) = if self.bg > 1 {
                ((of / (o / self.bg)) * (n / self.bg) + b, 0)
            } else {
                (b, (of / (o / self.fg)) * ipg)
            };
            let oi: usize = ost[self.out_spec[0]] * b
                + ost[self.out_spec[1]] * of
                + (0..nsp)
                    .map(|d| ost[self.out_spec[2 + d]] * idx[2 + d])
                    .sum::<usize>();
            let mut k = vec![0usize; nsp];
            loop {
                let mut li = lst[self.lhs_spec[0]] * lb;
                let mut ri = rst[self.rhs_spec[0]] * of;
                let mut inside = true;
                for d in 0..nsp {
                    let q = (idx[2 + d] * self.strides[d] + k[d] * self.rhs_dil[d]) as i64
                        - self.padding[d].0;
                    let ld = self.lhs_dil[d] as i64;
                    if q < 0 || q >= dilate(in_sp[d], self.lhs_dil[d]) as i64 || q % ld != 0 {
                        inside = false;
                        break;
                    }
                    li += lst[self.lhs_spec[2 + d]] * (q / ld) as usize;
                    ri += rst[self.rhs_spec[2 + d]] * k[d];
                }
                if inside {
                    for i in 0..ipg {
                        visit(
                            oi,
                            li + lst[self.lhs_spec[1]] * (cbase + i),
                            ri + rst[self.rhs_spec[1]] * i,
                        );
                    }
                }
                if !advance(&mut k, &k_sp) {
                    break;
                }
            }
            if !advance(&mut idx, &canon) {
                break;
            }
        }
        out_shape
    }

    /// The convolution of `l` (shape `ls`) and `r`, and its shape.
    pub fn reference(
        &self,
        l: &[f64],
        ls: &[usize],
        r: &[f64],
        rs: &[usize],
    ) -> (Vec<f64>, Vec<usize>) {
        let mut out: Vec<f64> = Vec::new();
        let shape = self.terms(ls, rs, |o, li, ri| {
            if o >= out.len() {
                out.resize(o + 1, 0.0);
            }
            out[o] += l[li] * r[ri];
        });
        out.resize(shape.iter().product(), 0.0);
        (out, shape)
    }

    /// The cotangents of lhs and rhs for an output cotangent `g`.
    pub fn reference_vjp(
        &self,
        l: &[f64],
        ls: &[usize],
        r: &[f64],
        rs: &[usize],
        g: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut gl, mut gr) = (vec![0.0; l.len()], vec![0.0; r.len()]);
        self.terms(ls, rs, |o, li, ri| {
            gl[li] += g[o] * r[ri];
            gr[ri] += g[o] * l[li];
        });
        (gl, gr)
    }
}

/// A shape with `a` at `spec[0]`, `b` at `spec[1]` and `sp[d]` at `spec[2 + d]`.
pub fn place(spec: &[usize], a: usize, b: usize, sp: &[usize]) -> Vec<usize> {
    let mut s = vec![0; spec.len()];
    s[spec[0]] = a;
    s[spec[1]] = b;
    for (d, &v) in sp.iter().enumerate() {
        s[spec[2 + d]] = v;
    }
    s
}

/// ferrax's convolution of `c` against the reference, in f64 and f32 (and i32 when `ints`).
pub fn check_conv(c: &Conv, ls: &[usize], rs: &[usize], seed: u64, ints: bool) {
    let l = values(ls.iter().product(), seed);
    let r = values(rs.iter().product(), seed + 1);
    let (want, shape) = c.reference(&l, ls, &r, rs);
    let what = format!("{c:?} lhs {ls:?} rhs {rs:?}");
    let p = c.params();
    let got = lax::conv_general_dilated(
        &Tensor::from_vec(l.clone(), ls),
        &Tensor::from_vec(r.clone(), rs),
        &p,
    );
    assert_eq!(got.shape(), shape.as_slice(), "{what}");
    assert_close(
        &got.to_vec::<f64>(),
        &want,
        1e-12,
        1e-10,
        &format!("f64 {what}"),
    );
    let l32: Vec<f32> = l.iter().map(|&v| v as f32).collect();
    let r32: Vec<f32> = r.iter().map(|&v| v as f32).collect();
    let got = lax::conv_general_dilated(&Tensor::from_vec(l32, ls), &Tensor::from_vec(r32, rs), &p);
    assert_close(&as_f64(&got), &want, 1e-4, 1e-4, &format!("f32 {what}"));
    if ints {
        let li: Vec<i32> = l.iter().map(|&v| (v * 5.0) as i32).collect();
        let ri: Vec<i32> = r.iter().map(|&v| (v * 5.0) as i32).collect();
        let lf: Vec<f64> = li.iter().map(|&v| v as f64).collect();
        let rf: Vec<f64> = ri.iter().map(|&v| v as f64).collect();
        let (want, _) = c.reference(&lf, ls, &rf, rs);
        let got =
            lax::conv_general_dilated(&Tensor::from_vec(li, ls), &Tensor::from_vec(ri, rs), &p);
        let got: Vec<f64> = got.to_vec::<i32>().iter().map(|&v| v as f64).collect();
        assert_eq!(got, want, "i32 {what}");
    }
}

/// `vjp` of ferrax's convolution (which runs the transpose convolutions) against the
/// reference cotangents, in f64 and f32.
pub fn check_conv_vjp(c: &Conv, ls: &[usize], rs: &[usize], seed: u64) {
    let l = values(ls.iter().product(), seed);
    let r = values(rs.iter().product(), seed + 1);
    let (_, shape) = c.reference(&l, ls, &r, rs);
    let g = values(shape.iter().product(), seed + 2);
    let (want_l, want_r) = c.reference_vjp(&l, ls, &r, rs, &g);
    let what = format!("vjp {c:?} lhs {ls:?} rhs {rs:?}");
    let p = c.params();
    for dtype in [DType::F64, DType::F32] {
        let t = |v: &[f64], s: &[usize]| Tensor::from_vec(v.to_vec(), s).cast(dtype);
        let (_, pull) = vjp(
            |(a, b): &(Tensor, Tensor)| lax::conv_general_dilated(a, b, &p),
            &(t(&l, ls), t(&r, rs)),
        );
        let (gl, gr) = pull(&t(&g, &shape));
        let tol = if dtype == DType::F64 { 1e-10 } else { 1e-4 };
        assert_close(
            &as_f64(&gl),
            &want_l,
            tol,
            tol,
            &format!("{dtype} lhs {what}"),
        );
        assert_close(
            &as_f64(&gr),
            &want_r,
            tol,
            tol,
            &format!("{dtype} rhs {what}"),
        );
    }
}

// ---- Windows ------------------------------------------------------------------------------

/// A window's params, per operand dim.
#[derive(Clone, Debug)]
pub struct Win {
    pub dims: Vec<usize>,
    pub strides: Vec<usize>,
    pub padding: Vec<(i64, i64)>,
    pub base_dil: Vec<usize>,
    pub win_dil: Vec<usize>,
}

impl Win {
    /// Per output window (row-major), the flat operand indices it covers in window order,
    /// and the output shape.
    pub fn windows(&self, shape: &[usize]) -> (Vec<Vec<usize>>, Vec<usize>) {
        let nd = shape.len();
        let out: Vec<usize> = (0..nd)
            .map(|d| {
                let padded = dilate(shape[d], self.base_dil[d]) as i64
                    + self.padding[d].0
                    + self.padding[d].1;
                let win = dilate(self.dims[d], self.win_dil[d]) as i64;
                ((padded - win).div_euclid(self.strides[d] as i64) + 1).max(0) as usize
            })
            .collect();
        let st = strides(shape);
        let mut all = Vec::new();
        if out.contains(&0) {
            return (all, out);
        }
        let mut o = vec![0usize; nd];
        loop {
            let mut taps = Vec::new();
            let mut k = vec![0usize; nd];
            loop {
                let mut flat = 0;
                let mut inside = true;
                for d in 0..nd {
                    let q = (o[d] * self.strides[d] + k[d] * self.win_dil[d]) as i64
                        - self.padding[d].0;
                    let bd = self.base_dil[d] as i64;
                    if q < 0 || q >= dilate(shape[d], self.base_dil[d]) as i64 || q % bd != 0 {
                        inside = false;
                        break;
                    }
                    flat += st[d] * (q / bd) as usize;
                }
                if inside {
                    taps.push(flat);
                }
                if !advance(&mut k, &self.dims) {
                    break;
                }
            }
            all.push(taps);
            if !advance(&mut o, &out) {
                break;
            }
        }
        (all, out)
    }

    pub fn pool(
        shape_len: usize,
        window: &[usize],
        strides: &[usize],
        padding: &[(i64, i64)],
    ) -> Win {
        assert_eq!(window.len(), shape_len);
        Win {
            dims: window.to_vec(),
            strides: strides.to_vec(),
            padding: padding.to_vec(),
            base_dil: vec![1; shape_len],
            win_dil: vec![1; shape_len],
        }
    }
}

/// Index of the first maximum (or minimum) of `x` over `taps` (NaN beats any number, the
/// first NaN wins).
pub fn choose(x: &[f64], taps: &[usize], max: bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &t in taps {
        best = match best {
            None => Some(t),
            Some(b) if x[b].is_nan() => Some(b),
            Some(_) if x[t].is_nan() => Some(t),
            Some(b) if (max && x[t] > x[b]) || (!max && x[t] < x[b]) => Some(t),
            keep => keep,
        };
    }
    best
}

/// reduce_window max/min, select_and_gather_add and select_and_scatter_add of `w` on an
/// operand of `shape` against the references, in f64 and f32 (exact: no arithmetic but the
/// scatter's additions, which the reference does in the same order).
pub fn check_window(w: &Win, shape: &[usize], x: &[f64], seed: u64) {
    let (wins, out_shape) = w.windows(shape);
    let what = format!("{w:?} on {shape:?}");
    let t = values(x.len(), seed);
    let s = values(wins.len(), seed + 1);
    for dtype in [DType::F64, DType::F32] {
        let x32: Vec<f64> = x
            .iter()
            .map(|&v| {
                if dtype == DType::F32 {
                    v as f32 as f64
                } else {
                    v
                }
            })
            .collect();
        let xt = Tensor::from_vec(x.to_vec(), shape).cast(dtype);
        let tt = Tensor::from_vec(t.clone(), shape).cast(dtype);
        let st = Tensor::from_vec(s.clone(), &out_shape).cast(dtype);
        let tq = as_f64(&tt);
        let sq = as_f64(&st);
        for max in [true, false] {
            let kind = if max {
                WindowKind::Max
            } else {
                WindowKind::Min
            };
            let got = lax::reduce_window(
                &xt,
                kind,
                &w.dims,
                &w.strides,
                &w.padding,
                &w.base_dil,
                &w.win_dil,
            );
            assert_eq!(got.shape(), out_shape.as_slice(), "{what}");
            let want: Vec<f64> = wins
                .iter()
                .map(|taps| match choose(&x32, taps, max) {
                    Some(i) => x32[i],
                    None if max => f64::NEG_INFINITY,
                    None => f64::INFINITY,
                })
                .collect();
            let got = as_f64(&got);
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!(
                    g == e || (g.is_nan() && e.is_nan()),
                    "{dtype} max={max} window {i}: got {g}, want {e}; {what}"
                );
            }
            let sel = if max { SelectPrim::Ge } else { SelectPrim::Le };
            let gathered = lax::select_and_gather_add(
                &tt,
                &xt,
                sel,
                &w.dims,
                &w.strides,
                &w.padding,
                &w.base_dil,
                &w.win_dil,
            );
            let want: Vec<f64> = wins
                .iter()
                .map(|taps| choose(&x32, taps, max).map_or(0.0, |i| tq[i]))
                .collect();
            assert_eq!(as_f64(&gathered), want, "{dtype} gather max={max} {what}");
            if w.base_dil.iter().chain(&w.win_dil).all(|&d| d == 1) {
                let scattered =
                    lax::select_and_scatter_add(&st, &xt, sel, &w.dims, &w.strides, &w.padding);
                let mut want = vec![0.0; x.len()];
                for (k, taps) in wins.iter().enumerate() {
                    if let Some(i) = choose(&x32, taps, max) {
                        want[i] += sq[k];
                    }
                }
                let got = as_f64(&scattered);
                let tol = if dtype == DType::F32 { 1e-6 } else { 1e-12 };
                assert_close(
                    &got,
                    &want,
                    tol,
                    tol,
                    &format!("{dtype} scatter max={max} {what}"),
                );
            }
        }
    }
}
