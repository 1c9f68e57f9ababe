//! The `jax.numpy` twins of the second batch (issue [5/11], breadth part 2): the golden cases
//! (tests/golden/numpy.txt, made by tests/golden/make_numpy.py) that `numpy_surface.rs`'s
//! checker does not know are run here; plus `check_grads` on every differentiable new
//! function, vmap/jit agreement on a handful, and error messages.

use std::collections::HashMap;

use ferrax::numpy::{self as jnp, *};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

use crate::common::panics::panic_message;
use crate::numpy_surface::{check_vmap_and_jit, f64_tensor, Unary};

/// Functions of this batch whose values may differ from XLA's in the last bits.
pub(crate) const INEXACT: &[&str] = &[
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "atan2",
    "pow",
    "dot",
    "vdot",
    "inner",
    "tensordot",
    "matvec",
    "vecmat",
    "vecdot",
    "nansum",
    "nanprod",
    "nanmean",
    "nanvar",
    "nanstd",
    "nancumsum",
    "nancumprod",
    "cumulative_sum",
    "cumulative_prod",
    "trapezoid",
    "vander",
    "polyval",
    "polymul",
    "quantile",
    "percentile",
    "angle",
    "hamming",
    "hanning",
    "blackman",
    "unwrap",
    "poly",
    "convolve",
    "correlate",
    "cov",
    "corrcoef",
    "histogram",
    "histogram_bin_edges",
    "nanquantile",
    "nanpercentile",
];

fn pair(t: (Tensor, Tensor)) -> Vec<Tensor> {
    vec![t.0, t.1]
}

/// ferrax's output for golden case `name`, or `None` if this batch does not have it.
pub(crate) fn run(name: &str, i: &HashMap<String, Tensor>) -> Option<Vec<Tensor>> {
    let x = |k: &str| i[k].clone();
    let r = x("R");
    let (a, b, g, h, u, s, k2, m, t, v, w, ii, jj, l, p, z) = (
        x("A"),
        x("B"),
        x("G"),
        x("H"),
        x("U"),
        x("S"),
        x("K2"),
        x("M"),
        x("T"),
        x("V"),
        x("W"),
        x("I"),
        x("J"),
        x("L"),
        x("P"),
        x("Z"),
    );
    let (n, q, q2, ss, sv, xi, xp, fp, bi, pp, pq) = (
        x("N"),
        x("Q"),
        x("Q2"),
        x("SS"),
        x("SV"),
        x("XI"),
        x("XP"),
        x("FP"),
        x("BI"),
        x("PP"),
        x("PQ"),
    );
    let (xx, _yy) = (x("X").cast(DType::F64), x("Y").cast(DType::F64));
    let z22 = jnp::reshape(&z, &[2, 2]);
    let j23 = jnp::reshape(&jj, &[2, 3]);
    let mt = jnp::transpose(&m, &[1, 0]);
    let mrev = flip(&m, Some(&[0]));
    let one = |t: Tensor| vec![t];
    let qm = |method| Quantile { method };
    let pad_mode = |x: &Tensor, w: &[(usize, usize)], mode| pad_with(x, w, Pad { mode });
    Some(match name {
        "acos.U" => one(acos(&u)),
        "acosh.G" => one(acosh(&g)),
        "asin.U" => one(asin(&u)),
        "asinh.A" => one(asinh(&a)),
        "atan.A" => one(atan(&a)),
        "atanh.U" => one(atanh(&u)),
        "atan2.AB" => one(atan2(&a, &b)),
        "around.H" => one(around(&h)),
        "pow.PB" => one(jnp::pow(&p, &b)),
        "amax.ax1" => one(amax(&m, Some(&[1]))),
        "amin.M" => one(amin(&m, None)),
        "concat.ax1" => one(concat(&[m.clone(), m.clone()], 1)),
        "permute_dims.T" => one(permute_dims(&t, &[2, 0, 1])),
        "matrix_transpose.T" => one(matrix_transpose(&t)),
        "fabs.A" => one(fabs(&a)),
        "fabs.I" => one(fabs(&ii)),
        "fmax.SK" => one(fmax(&s, &k2)),
        "fmin.SK" => one(fmin(&s, &k2)),
        "copy.A" => one(jnp::copy(&a)),
        "empty.23" => one(empty(&[2, 3])),
        "rollaxis.T20" => one(rollaxis(&t, 2, 0)),
        "rollaxis.T03" => one(rollaxis(&t, 0, 3)),
        "rollaxis.Tm1" => one(rollaxis(&t, -1, 1)),
        "unstack.T1" => unstack(&t, 1),
        "hsplit.M" => hsplit(&m, 2),
        "vsplit.M" => vsplit(&m, 3),
        "dsplit.T" => dsplit(&t, 2),
        "broadcast_arrays.VW" => broadcast_arrays(&[jnp::reshape(&v, &[3, 1]), w.clone()]),
        "divmod.IJ" => pair(divmod(&ii, &jj)),
        "divmod.AB" => pair(divmod(&a, &b)),
        "modf.A" => pair(modf(&a)),
        "ldexp.AJ" => one(ldexp(&a, &j23)),
        "dot.MW" => one(dot(&m, &w)),
        "dot.MtT" => one(dot(&mt, &t)),
        "dot.s" => one(dot(&Tensor::scalar(2.0f32), &v)),
        "vdot.MM" => one(vdot(&m, &m)),
        "inner.MT" => one(inner(&m, &t)),
        "outer.VW" => one(outer(&v, &w)),
        "kron.VW" => one(kron(&v, &w)),
        "kron.ZB" => one(kron(&z22, &b)),
        "tensordot.N1" => one(tensordot(&t, &mt, TensordotAxes::N(1))),
        "tensordot.N2" => one(tensordot(&t, &m, TensordotAxes::N(2))),
        "tensordot.pairs" => one(tensordot(&t, &m, TensordotAxes::Pairs(&[1, 2], &[0, 1]))),
        "tensordot.neg" => one(tensordot(&t, &m, TensordotAxes::Pairs(&[-1], &[1]))),
        "matvec.TW" => one(matvec(&t, &w)),
        "vecmat.VT" => one(vecmat(&v, &t)),
        "vecdot.M0" => one(vecdot(&m, &m, 0)),
        "vecdot.TW" => one(vecdot(&t, &w, -1)),
        "nansum.N" => one(nansum(&n, None)),
        "nansum.ax1" => one(nansum(&n, Some(&[1]))),
        "nanprod.ax0" => one(nanprod(&n, Some(&[0]))),
        "nanmax.ax1" => one(nanmax(&n, Some(&[1]))),
        "nanmin.N" => one(nanmin(&n, None)),
        "nanmean.ax1" => one(nanmean(&n, Some(&[1]))),
        "nanmean.N" => one(nanmean(&n, None)),
        "nanvar.ax1" => one(nanvar(&n, Some(&[1]))),
        "nanvar.ddof" => one(nanvar_with(&n, Some(&[0]), Ddof { ddof: 1 })),
        "nanstd.ax0" => one(nanstd(&n, Some(&[0]))),
        "nanargmax.ax1" => one(nanargmax(&n, Some(1))),
        "nanargmin.ax0" => one(nanargmin(&n, Some(0))),
        "nanargmax.flat" => one(nanargmax(&n, None)),
        "nancumsum.ax1" => one(nancumsum(&n, Some(1))),
        "nancumprod.flat" => one(nancumprod(&n, None)),
        "cumulative_sum.ax0" => one(cumulative_sum(&m, Some(0))),
        "cumulative_sum.init" => one(cumulative_sum_with(
            &v,
            None,
            Cumulative {
                include_initial: true,
            },
        )),
        "cumulative_sum.L" => one(cumulative_sum(&l, None)),
        "cumulative_prod.ax1" => one(cumulative_prod(&m, Some(1))),
        "cumulative_prod.init" => one(cumulative_prod_with(
            &m,
            Some(-1),
            Cumulative {
                include_initial: true,
            },
        )),
        "diff.M" => one(diff(&m, 1, -1)),
        "diff.n2ax0" => one(diff(&t, 2, -2)),
        "diff.L" => one(diff(&l, 1, -1)),
        "diff.I" => one(diff(&ii, 3, -1)),
        "ediff1d.M" => one(ediff1d(&m)),
        "gradient.G" => gradient(&g, None),
        "gradient.M" => gradient(&m, None),
        "gradient.ax" => gradient(&t, Some(-1)),
        "gradient.h" => gradient_with(&g, None, Gradient { spacing: 0.5 }),
        "trapezoid.M" => one(trapezoid(&m, -1)),
        "trapezoid.dx" => one(trapezoid_with(
            &m,
            0,
            Trapezoid {
                dx: 0.5,
                ..Default::default()
            },
        )),
        "trapezoid.x" => one(trapezoid_with(
            &m,
            -1,
            Trapezoid {
                x: Some(w.clone()),
                ..Default::default()
            },
        )),
        "interp.XI" => one(interp(&xi, &xp, &fp)),
        "interp.lr" => one(interp_with(
            &xi,
            &xp,
            &fp,
            Interp {
                left: Some(-5.0),
                right: Some(7.0),
            },
        )),
        "sort.Q" => one(jnp::sort(&q, Some(-1))),
        "sort.S" => one(jnp::sort(&s, Some(-1))),
        "sort.ax0" => one(jnp::sort(&n, Some(0))),
        "sort.flat" => one(jnp::sort(&mrev, None)),
        "argsort.Q" => one(argsort(&q, Some(-1))),
        "argsort.S" => one(argsort(&s, Some(-1))),
        "argsort.ax0" => one(argsort(&n, Some(0))),
        "lexsort.QQ2" => one(lexsort(&[q.clone(), q2.clone()], -1)),
        "partition.Q" => one(partition(&q, 2, -1)),
        "partition.ax0" => one(partition(&mrev, 1, 0)),
        "searchsorted.left" => one(searchsorted(&ss, &sv)),
        "searchsorted.right" => one(searchsorted_with(
            &ss,
            &sv,
            SearchSorted { side: Side::Right },
        )),
        "searchsorted.M" => one(searchsorted(&ss, &m)),
        "digitize.SV" => one(digitize(&sv, &ss)),
        "digitize.right" => one(digitize_with(&sv, &ss, Digitize { right: true })),
        "digitize.dec" => one(digitize(&sv, &flip(&ss, None))),
        "select.M" => one(select(
            &[m.lt(0.0), m.lt(1.0)],
            &[m.clone(), multiply(&m, 2.0)],
            -1.0,
        )),
        "quantile.M" => one(quantile(&m, 0.3, None)),
        "quantile.ax1" => one(quantile(&m, 0.25, Some(&[1]))),
        "quantile.exact" => one(quantile(&m, 0.5, Some(&[0]))),
        "quantile.N" => one(quantile(&n, 0.5, Some(&[1]))),
        "quantile.lower" => one(quantile_with(
            &m,
            0.4,
            Some(&[1]),
            qm(QuantileMethod::Lower),
        )),
        "quantile.higher" => one(quantile_with(
            &m,
            0.4,
            Some(&[1]),
            qm(QuantileMethod::Higher),
        )),
        "quantile.midpoint" => one(quantile_with(
            &m,
            0.4,
            Some(&[1]),
            qm(QuantileMethod::Midpoint),
        )),
        "quantile.nearest" => one(quantile_with(
            &m,
            0.4,
            Some(&[1]),
            qm(QuantileMethod::Nearest),
        )),
        "quantile.axes" => one(quantile(&t, 0.7, Some(&[0, 2]))),
        "percentile.M" => one(percentile(&m, 25.0, Some(&[0]))),
        "median.M" => one(median(&m, None)),
        "median.ax0" => one(median(&m, Some(&[0]))),
        "median.T" => one(median(&t, Some(&[0, 2]))),
        "median.I" => one(median(&ii, None)),
        "nanmedian.N" => one(nanmedian(&n, Some(&[1]))),
        "nanquantile.N" => one(nanquantile(&n, 0.3, Some(&[1]))),
        "nanpercentile.N" => one(nanpercentile(&n, 75.0, Some(&[0]))),
        "pad.const" => one(jnp::pad(&m, &[(1, 0), (2, 1)])),
        "pad.cval" => one(pad_mode(&v, &[(1, 2)], PadMode::Constant(9.0))),
        "pad.edge" => one(pad_mode(&m, &[(2, 2)], PadMode::Edge)),
        "pad.reflect" => one(pad_mode(&v, &[(2, 4)], PadMode::Reflect)),
        "pad.reflectM" => one(pad_mode(&m, &[(1, 1)], PadMode::Reflect)),
        "pad.symmetric" => one(pad_mode(&v, &[(4, 2)], PadMode::Symmetric)),
        "pad.wrap" => one(pad_mode(&m, &[(1, 5), (2, 0)], PadMode::Wrap)),
        "diagflat.Z" => one(diagflat(&z22, -1)),
        "tril_indices.3" => pair(tril_indices(3, 0, None)),
        "triu_indices.34" => pair(triu_indices(3, 1, Some(4))),
        "tril_indices_from.M" => pair(tril_indices_from(&m, -1)),
        "triu_indices_from.M" => pair(triu_indices_from(&m, 1)),
        "diag_indices.3" => diag_indices(3, 2),
        "vander.V" => one(vander(&v, None)),
        "vander.V4" => one(vander(&v, Some(4))),
        "vander.I" => one(vander(&slice_axis(&ii, 0, 0, 3), None)),
        "resize.V" => one(resize(&v, &[2, 4])),
        "delete.ax1" => one(delete(&m, &[0, -1], Some(1))),
        "delete.flat" => one(delete(&m, &[1, 3, 5], None)),
        "polyval.A" => one(polyval(&pp, &a)),
        "polyadd.PQ" => one(polyadd(&pp, &pq)),
        "polysub.QP" => one(polysub(&pq, &pp)),
        "polymul.PQ" => one(polymul(&pp, &pq)),
        "polymul.I" => one(polymul(
            &slice_axis(&ii, 0, 0, 3),
            &slice_axis(&jj, 0, 0, 2),
        )),
        "polyder.1" => one(polyder(&pp, 1)),
        "polyder.2" => one(polyder(&pp, 2)),
        "polyint.1" => one(polyint(&pp, 1)),
        "polyint.2" => one(polyint(&pp, 2)),
        "bitwise_and.BJ" => one(bitwise_and(&bi, &jj)),
        "bitwise_or.BJ" => one(bitwise_or(&bi, &jj)),
        "bitwise_xor.BJ" => one(bitwise_xor(&bi, &jj)),
        "bitwise_not.BI" => one(bitwise_not(&bi)),
        "invert.L" => one(invert(&l)),
        "left_shift.BI" => one(left_shift(&bi, 3)),
        "right_shift.BI" => one(right_shift(&bi, 2)),
        "bitwise_count.BI" => one(bitwise_count(&bi)),
        "nextafter.AB" => one(nextafter(&a, &b)),
        "spacing.S" => one(spacing(&s)),
        "spacing.A" => one(spacing(&a)),
        "frexp.A" => pair(frexp(&a)),
        "frexp.S" => pair(frexp(&s)),
        "real.A" => one(real(&a)),
        "imag.A" => one(imag(&a)),
        "conj.A" => one(conj(&a)),
        "conjugate.A" => one(conjugate(&a)),
        "angle.A" => one(angle(&a)),
        "angle.I" => one(angle(&ii)),
        "iscomplex.A" => one(iscomplex(&a)),
        "isreal.A" => one(isreal(&a)),
        "astype.A" => one(astype(&a, DType::I32)),
        "hamming.7" => one(hamming(7)),
        "hanning.6" => one(hanning(6)),
        "blackman.5" => one(blackman(5)),
        "bartlett.6" => one(bartlett(6)),
        "bartlett.1" => one(bartlett(1)),
        "cross.3" => one(cross(
            &slice_axis(&m, 1, 0, 3),
            &slice_axis(&index_axis(&t, 0, 0), 1, 1, 4),
        )),
        "cross.2" => one(cross(
            &slice_axis(&m, 1, 0, 2),
            &slice_axis(&index_axis(&t, 0, 0), 1, 2, 4),
        )),
        "cross.23" => one(cross(
            &slice_axis(&m, 1, 0, 2),
            &slice_axis(&index_axis(&t, 0, 1), 1, 1, 4),
        )),
        "unwrap.A" => one(unwrap(&multiply(&a, 3.0), -1)),
        "unwrap.ax0" => one(unwrap(&multiply(&t, 0.9), 0)),
        "unwrap.period" => one(unwrap_with(
            &multiply(&m, 2.0),
            -1,
            Unwrap {
                period: 3.0,
                discont: Some(1.0),
            },
        )),
        "ix_.VI" => ix_(&[v.clone(), ii.clone()]),
        "poly.V" => one(poly(&v)),
        "poly.W" => one(poly(&w)),
        "gcd.IJ" => one(gcd(&ii, &jj)),
        "gcd.BI" => one(gcd(&bi, 36)),
        "lcm.IJ" => one(lcm(&ii, &jj)),
        "convolve.PV" => one(convolve(&pp, &v)),
        "convolve.same" => one(convolve_with(
            &pp,
            &v,
            Convolve {
                mode: ConvMode::Same,
            },
        )),
        "convolve.valid" => one(convolve_with(
            &v,
            &pp,
            Convolve {
                mode: ConvMode::Valid,
            },
        )),
        "convolve.swap" => one(convolve(&pq, &pp)),
        "correlate.PV" => one(correlate(&pp, &v)),
        "correlate.full" => one(correlate_with(
            &pp,
            &v,
            Convolve {
                mode: ConvMode::Full,
            },
        )),
        "correlate.swap" => one(correlate_with(
            &v,
            &pp,
            Convolve {
                mode: ConvMode::Full,
            },
        )),
        "correlate.same" => one(correlate_with(
            &v,
            &pp,
            Convolve {
                mode: ConvMode::Same,
            },
        )),
        "cov.M" => one(cov(&multiply(&m, &m))),
        "cov.cols" => one(cov_with(
            &index_axis(&t, 0, 0),
            Cov {
                rowvar: false,
                ..Default::default()
            },
        )),
        "cov.V" => one(cov_with(
            &w,
            Cov {
                bias: true,
                ..Default::default()
            },
        )),
        "cov.ddof" => {
            let t1 = index_axis(&t, 0, 1);
            one(cov_with(
                &multiply(&t1, &t1),
                Cov {
                    ddof: Some(0),
                    ..Default::default()
                },
            ))
        }
        "corrcoef.T" => {
            let (t0, t1) = (index_axis(&t, 0, 0), index_axis(&t, 0, 1));
            one(corrcoef(&subtract(multiply(&t0, &t0), &t1)))
        }
        "corrcoef.cols" => one(corrcoef_with(
            &multiply(&m, &m),
            Cov {
                rowvar: false,
                ..Default::default()
            },
        )),
        "bincount.BI" => one(bincount(
            &Tensor::from_vec(vec![0, 3, 1, 1, -2, 9, 3, 3], &[8]),
            5,
        )),
        "isin.MW" => one(isin(&m, &w)),
        "unravel_index.I" => unravel_index(&ii, &[3, 2]),
        "fill_diagonal.M" => one(fill_diagonal(&m, 9.0)),
        "fill_diagonal.T" => one(fill_diagonal(&zeros(&[3, 3, 3]), -1.0)),
        "apply_along_axis.T" => one(apply_along_axis(
            |r| outer(r, &slice_axis(r, 0, 0, 2)),
            1,
            &t,
        )),
        "apply_over_axes.T" => one(apply_over_axes(|x, ax| sum(x, Some(&[ax])), &t, &[0, 2])),
        "fromfunction.23" => one(fromfunction(
            |ix| add(multiply(&ix[0], 10.0), &ix[1]),
            &[2, 3],
        )),
        "piecewise.M" => {
            let (f0, f1, f2) = (
                |x: &Tensor| negative(x),
                |x: &Tensor| multiply(x, x),
                |x: &Tensor| add(x, 100.0),
            );
            one(piecewise(&m, &[m.lt(0.0), m.gt(1.0)], &[&f0, &f1, &f2]))
        }
        "piecewise.nodef" => {
            let (f0, f1) = (|x: &Tensor| negative(x), |x: &Tensor| full_like(x, 7.0));
            one(piecewise(&m, &[m.lt(0.0), m.lt(1.0)], &[&f0, &f1]))
        }
        "nonzero.M" => nonzero(&m, 13),
        "nonzero.T" => nonzero(&t.gt(17.0), 4),
        "nonzero.fill" => nonzero_with(
            &n.gt(0.0),
            8,
            Nonzero {
                fill_value: Some(-1),
            },
        ),
        "flatnonzero.M" => one(flatnonzero(&m, 5)),
        "argwhere.N" => one(argwhere(&n.gt(0.0), 7)),
        "argwhere.fill" => one(argwhere_with(
            &l,
            3,
            Nonzero {
                fill_value: Some(9),
            },
        )),
        "array.A" => one(array(&a)),
        "histogram_bin_edges.M" => one(histogram_bin_edges(&m, 5)),
        "histogram_bin_edges.range" => one(histogram_bin_edges_with(
            &m,
            3,
            Histogram {
                range: Some((-1.0, 2.0)),
                ..Default::default()
            },
        )),
        "histogram.M" => pair(histogram(&m, 5)),
        "histogram.T" => pair(histogram_with(
            &t,
            4,
            Histogram {
                range: Some((2.0, 20.0)),
                ..Default::default()
            },
        )),
        "histogram.w" => pair(histogram_with(
            &m,
            3,
            Histogram {
                weights: Some(multiply(&m, &m)),
                density: true,
                ..Default::default()
            },
        )),
        "histogram.flat" => pair(histogram(&ones(&[3]), 2)),
        "compress.ax1" => one(compress(
            &Tensor::from_vec(vec![true, false, true, true], &[4]),
            &m,
            Some(1),
            4,
        )),
        "compress.flat" => one(compress(&l, &m, None, 2)),
        "compress.fill" => one(compress_with(
            &r,
            &m,
            Some(-1),
            3,
            Compress { fill_value: -9.0 },
        )),
        "extract.M" => one(extract(&m.gt(0.2), &m, 8)),
        "extract.fill" => one(extract_with(&ii, &ii, 6, Compress { fill_value: 99.0 })),
        "ravel_multi_index.IX" => one(ravel_multi_index(
            &[
                Tensor::from_vec(vec![0, 2, 1], &[3]),
                Tensor::from_vec(vec![3, 0, 1], &[3]),
            ],
            &[3, 4],
        )),
        "ravel_multi_index.wrap" | "ravel_multi_index.clip" => {
            let ix = x("IX");
            let mode = if name.ends_with("wrap") {
                IndexMode::Wrap
            } else {
                IndexMode::Clip
            };
            one(ravel_multi_index_with(
                &[index_axis(&ix, 1, 0), index_axis(&ix, 1, 1)],
                &[2, 3],
                RavelMultiIndex { mode },
            ))
        }
        "nanvar.X_f64" => one(nanvar(&xx, Some(&[1]))),
        "quantile.X_f64" => one(quantile(&xx, 0.3, Some(&[1]))),
        "ldexp.X_f64" => one(ldexp(&xx, &Tensor::from_vec(vec![3, -2, 0], &[3]))),
        "interp.X_f64" => one(interp(
            &xx,
            &f64_tensor(&[-1.0, 0.0, 2.0], &[3]),
            &f64_tensor(&[1.0, 3.0, -2.0], &[3]),
        )),
        "gradient.X_f64" => gradient(&xx, Some(1)),
        _ => return None,
    })
}

/// f64 inputs away from kinks, ties and jumps.
fn grad_m() -> Tensor {
    let v: Vec<f64> = (0..12)
        .map(|i| (i as f64 * 1.7 + 0.3).sin() * 2.0)
        .collect();
    f64_tensor(&v, &[3, 4])
}

fn grad_t() -> Tensor {
    let v: Vec<f64> = (0..24)
        .map(|i| (i as f64 * 0.9 + 0.2).cos() * 1.5)
        .collect();
    f64_tensor(&v, &[2, 3, 4])
}

#[test]
fn numpy_surface_2_unary_grads() {
    let (m, t) = (grad_m(), grad_t());
    let u = f64_tensor(&[-0.8, -0.4, 0.1, 0.35, 0.7], &[5]);
    let g = f64_tensor(&[1.2, 1.6, 2.3, 4.0], &[4]);
    let pos = add(jnp::abs(&m), 0.5);
    let nanm = where_(&m.gt(1.5), f64::NAN, &m);
    let cases: Vec<(&str, Unary, Tensor)> = vec![
        ("acos", acos, u.clone()),
        ("acosh", acosh, g.clone()),
        ("asin", asin, u.clone()),
        ("asinh", asinh, m.clone()),
        ("atan", atan, m.clone()),
        ("atanh", atanh, u.clone()),
        ("atan2", |x| atan2(x, 1.3), m.clone()),
        ("pow", |x| jnp::pow(x, 1.7), pos.clone()),
        ("amax", |x| amax(x, Some(&[1])), m.clone()),
        ("amin", |x| amin(x, Some(&[0])), m.clone()),
        (
            "concat",
            |x| concat(&[x.clone(), jnp::sin(x)], -1),
            m.clone(),
        ),
        ("permute_dims", |x| permute_dims(x, &[2, 0, 1]), t.clone()),
        ("matrix_transpose", matrix_transpose, t.clone()),
        ("fabs", fabs, m.clone()),
        ("fmax", |x| fmax(x, 0.2), m.clone()),
        ("fmin", |x| fmin(x, 0.2), m.clone()),
        ("copy", jnp::copy, m.clone()),
        ("rollaxis", |x| rollaxis(x, -1, 1), t.clone()),
        ("unstack", |x| stack(&unstack(x, 1), 0), t.clone()),
        ("hsplit", |x| hsplit(x, 2)[1].clone(), m.clone()),
        ("vsplit", |x| vsplit(x, 3)[2].clone(), m.clone()),
        ("dsplit", |x| dsplit(x, 2)[0].clone(), t.clone()),
        (
            "broadcast_arrays",
            |x| broadcast_arrays(&[x.clone(), Tensor::zeros(&[2, 1, 1], DType::F64)])[0].clone(),
            m.clone(),
        ),
        ("divmod", |x| divmod(x, 0.7).1, m.clone()),
        ("modf", |x| modf(x).0, m.clone()),
        (
            "ldexp",
            |x| ldexp(x, &Tensor::from_vec(vec![1, -2, 3, 0], &[4])),
            m.clone(),
        ),
        ("dot", |x| dot(x, &jnp::transpose(x, &[1, 0])), m.clone()),
        ("vdot", |x| vdot(x, &jnp::sin(x)), m.clone()),
        ("inner", |x| inner(x, &jnp::cos(x)), t.clone()),
        ("outer", |x| outer(x, &jnp::sin(x)), g.clone()),
        ("kron", |x| kron(x, &jnp::sin(x)), g.clone()),
        (
            "tensordot",
            |x| tensordot(x, &jnp::sin(x), TensordotAxes::Pairs(&[0, 2], &[0, -1])),
            t.clone(),
        ),
        ("matvec", |x| matvec(x, &index_axis(x, 1, 0)), t.clone()),
        ("vecmat", |x| vecmat(&index_axis(x, 2, 1), x), t.clone()),
        ("vecdot", |x| vecdot(x, &jnp::cos(x), 1), t.clone()),
        ("nansum", |x| nansum(x, Some(&[1])), nanm.clone()),
        ("nanprod", |x| nanprod(x, Some(&[0])), nanm.clone()),
        ("nanmax", |x| nanmax(x, Some(&[1])), nanm.clone()),
        ("nanmin", |x| nanmin(x, None), nanm.clone()),
        ("nanmean", |x| nanmean(x, Some(&[1])), nanm.clone()),
        ("nanvar", |x| nanvar(x, Some(&[0])), nanm.clone()),
        (
            "nanstd",
            |x| nanstd_with(x, Some(&[1]), Ddof { ddof: 1 }),
            nanm.clone(),
        ),
        ("nancumsum", |x| nancumsum(x, Some(1)), nanm.clone()),
        ("nancumprod", |x| nancumprod(x, None), nanm.clone()),
        (
            "cumulative_sum",
            |x| {
                cumulative_sum_with(
                    x,
                    Some(0),
                    Cumulative {
                        include_initial: true,
                    },
                )
            },
            m.clone(),
        ),
        (
            "cumulative_prod",
            |x| cumulative_prod(x, Some(-1)),
            m.clone(),
        ),
        ("diff", |x| diff(x, 2, 0), t.clone()),
        ("ediff1d", ediff1d, m.clone()),
        ("gradient", |x| stack(&gradient(x, None), 0), m.clone()),
        (
            "trapezoid",
            |x| {
                trapezoid_with(
                    x,
                    0,
                    Trapezoid {
                        dx: 0.3,
                        ..Default::default()
                    },
                )
            },
            m.clone(),
        ),
        (
            "trapezoid.x",
            |x| {
                trapezoid_with(
                    &jnp::exp(x),
                    -1,
                    Trapezoid {
                        x: Some(x.clone()),
                        ..Default::default()
                    },
                )
            },
            m.clone(),
        ),
        (
            "interp",
            |x| {
                interp(
                    x,
                    &f64_tensor(&[-1.0, 0.0, 2.5], &[3]),
                    &f64_tensor(&[1.0, -1.0, 3.0], &[3]),
                )
            },
            m.clone(),
        ),
        ("sort", |x| jnp::sort(x, Some(0)), m.clone()),
        ("partition", |x| partition(x, 1, -1), m.clone()),
        (
            "select",
            |x| select(&[x.lt(0.0)], &[jnp::sin(x)], x),
            m.clone(),
        ),
        ("quantile", |x| quantile(x, 0.3, Some(&[1])), m.clone()),
        ("percentile", |x| percentile(x, 60.0, None), m.clone()),
        ("median", |x| median(x, Some(&[0, 2])), t.clone()),
        ("nanmedian", |x| nanmedian(x, Some(&[1])), nanm.clone()),
        (
            "nanquantile",
            |x| nanquantile(x, 0.7, Some(&[0])),
            nanm.clone(),
        ),
        (
            "pad.reflect",
            |x| {
                pad_with(
                    x,
                    &[(2, 3), (1, 4)],
                    Pad {
                        mode: PadMode::Reflect,
                    },
                )
            },
            m.clone(),
        ),
        (
            "pad.symmetric",
            |x| {
                pad_with(
                    x,
                    &[(5, 1)],
                    Pad {
                        mode: PadMode::Symmetric,
                    },
                )
            },
            m.clone(),
        ),
        (
            "pad.wrap",
            |x| {
                pad_with(
                    x,
                    &[(1, 2), (0, 6)],
                    Pad {
                        mode: PadMode::Wrap,
                    },
                )
            },
            m.clone(),
        ),
        (
            "pad.edge",
            |x| {
                pad_with(
                    x,
                    &[(1, 2)],
                    Pad {
                        mode: PadMode::Edge,
                    },
                )
            },
            m.clone(),
        ),
        (
            "pad.constant",
            |x| {
                pad_with(
                    x,
                    &[(1, 2)],
                    Pad {
                        mode: PadMode::Constant(3.0),
                    },
                )
            },
            m.clone(),
        ),
        ("diagflat", |x| diagflat(x, 1), g.clone()),
        ("vander", |x| vander(x, Some(5)), g.clone()),
        ("resize", |x| resize(x, &[5, 3]), m.clone()),
        ("delete", |x| delete(x, &[1, -1], Some(1)), m.clone()),
        (
            "polyval",
            |x| polyval(&jnp::sin(&ravel(x)), &add(x, 0.0)),
            g.clone(),
        ),
        (
            "polyval.x",
            |x| polyval(&f64_tensor(&[0.5, -1.0, 2.0], &[3]), x),
            m.clone(),
        ),
        (
            "polyadd",
            |x| polyadd(x, &jnp::sin(&slice_axis(x, 0, 0, 2))),
            g.clone(),
        ),
        (
            "polysub",
            |x| polysub(&jnp::sin(&slice_axis(x, 0, 0, 2)), x),
            g.clone(),
        ),
        (
            "polymul",
            |x| polymul(x, &jnp::sin(&slice_axis(x, 0, 0, 3))),
            g.clone(),
        ),
        ("polyder", |x| polyder(x, 2), g.clone()),
        ("polyint", |x| polyint(x, 2), g.clone()),
        (
            "cross",
            |x| cross(x, &jnp::sin(x)),
            index_axis(&t, -1, 0).clone(),
        ),
        (
            "cross.2",
            |x| {
                cross(
                    &slice_axis(x, -1, 0, 2),
                    &jnp::sin(&slice_axis(x, -1, 1, 3)),
                )
            },
            m.clone(),
        ),
        ("unwrap", |x| unwrap(&multiply(x, 3.0), -1), m.clone()),
        ("poly", poly, g.clone()),
        (
            "compress",
            |x| {
                compress(
                    &Tensor::from_vec(vec![true, false, true, true], &[4]),
                    x,
                    Some(1),
                    3,
                )
            },
            m.clone(),
        ),
        ("extract", |x| extract(&x.gt(0.0), x, 4), m.clone()),
        (
            "histogram.weights",
            |x| {
                histogram_with(
                    &Tensor::from_vec(vec![0.1f64, 0.5, 0.7, 0.2], &[4]),
                    2,
                    Histogram {
                        weights: Some(jnp::exp(x)),
                        ..Default::default()
                    },
                )
                .0
            },
            g.clone(),
        ),
        (
            "convolve",
            |x| {
                convolve_with(
                    x,
                    &jnp::sin(&slice_axis(x, 0, 0, 3)),
                    Convolve {
                        mode: ConvMode::Same,
                    },
                )
            },
            g.clone(),
        ),
        (
            "correlate",
            |x| {
                correlate_with(
                    &jnp::sin(&slice_axis(x, 0, 0, 2)),
                    x,
                    Convolve {
                        mode: ConvMode::Full,
                    },
                )
            },
            g.clone(),
        ),
        ("cov", cov, m.clone()),
        ("corrcoef", corrcoef, m.clone()),
        ("fill_diagonal", |x| fill_diagonal(x, 2.0), m.clone()),
        (
            "apply_along_axis",
            |x| apply_along_axis(|r| outer(r, r), -1, x),
            m.clone(),
        ),
        (
            "apply_over_axes",
            |x| apply_over_axes(|t, ax| jnp::max(t, Some(&[ax])), x, &[0, -1]),
            t.clone(),
        ),
        (
            "piecewise",
            |x| {
                let (f0, f1) = (|t: &Tensor| jnp::sin(t), |t: &Tensor| multiply(t, t));
                piecewise(x, &[x.lt(0.0)], &[&f0, &f1])
            },
            m.clone(),
        ),
        ("real", real, m.clone()),
        ("conj", conj, m.clone()),
        ("astype", |x| astype(x, DType::F32), m.clone()),
    ];
    for (name, f, x) in cases {
        let r = std::panic::catch_unwind(|| check_grads(|x: &Tensor| f(x), &x, 1));
        assert!(r.is_ok(), "check_grads failed for {name}");
    }
}

/// vmap over the leading axis equals a loop over slices, and jit equals eager.
#[test]
fn numpy_surface_2_vmap_and_jit() {
    let t = grad_t();
    let nant = where_(&t.gt(1.0), f64::NAN, &t);
    let cases: Vec<(&str, Unary, &Tensor)> = vec![
        ("dot", |x| dot(x, &jnp::transpose(x, &[1, 0])), &t),
        ("kron", |x| kron(x, &jnp::sin(x)), &t),
        (
            "tensordot",
            |x| tensordot(x, x, TensordotAxes::Pairs(&[1], &[1])),
            &t,
        ),
        ("nanvar", |x| nanvar(x, Some(&[-1])), &nant),
        ("nanargmax", |x| nanargmax(x, Some(0)), &nant),
        ("gradient", |x| gradient(x, Some(-1))[0].clone(), &t),
        (
            "interp",
            |x| {
                interp(
                    x,
                    &f64_tensor(&[-1.0, 0.0, 2.5], &[3]),
                    &f64_tensor(&[1.0, -1.0, 3.0], &[3]),
                )
            },
            &t,
        ),
        ("argsort", |x| argsort(x, Some(0)), &t),
        (
            "searchsorted",
            |x| searchsorted(&f64_tensor(&[-1.0, 0.0, 0.5, 2.5], &[4]), x),
            &t,
        ),
        ("quantile", |x| quantile(x, 0.3, Some(&[1])), &t),
        ("nanmedian", |x| nanmedian(x, Some(&[-1])), &nant),
        (
            "pad",
            |x| {
                pad_with(
                    x,
                    &[(2, 1), (3, 3)],
                    Pad {
                        mode: PadMode::Reflect,
                    },
                )
            },
            &t,
        ),
        (
            "polyval",
            |x| polyval(&f64_tensor(&[0.5, -1.0, 2.0], &[3]), x),
            &t,
        ),
    ];
    for (name, f, t) in cases {
        check_vmap_and_jit(name, f, t, 1e-12, 1e-12);
    }
}

/// Bad shapes and axes panic naming the function, the shapes and the caller's line.
#[test]
fn numpy_surface_2_errors_name_function_shapes_and_caller() {
    let m = Tensor::zeros(&[3, 4], DType::F32);
    let v = Tensor::zeros(&[3], DType::F32);
    let cases: Vec<(&str, String)> = vec![
        ("dot", panic_message(|| drop(dot(&m, &v)))),
        (
            "tensordot",
            panic_message(|| drop(tensordot(&m, &v, TensordotAxes::N(1)))),
        ),
        ("matvec", panic_message(|| drop(matvec(&m, &v)))),
        (
            "matrix_transpose",
            panic_message(|| drop(matrix_transpose(&v))),
        ),
        ("vsplit", panic_message(|| drop(vsplit(&v, 3)))),
        ("searchsorted", panic_message(|| drop(searchsorted(&m, &v)))),
        ("interp", panic_message(|| drop(interp(&v, &m, &v)))),
        (
            "pad",
            panic_message(|| drop(jnp::pad(&m, &[(1, 1), (1, 1), (1, 1)]))),
        ),
        ("polyval", panic_message(|| drop(polyval(&m, &v)))),
        (
            "cumulative_sum",
            panic_message(|| drop(cumulative_sum(&m, None))),
        ),
        ("partition", panic_message(|| drop(partition(&v, 3, 0)))),
    ];
    crate::common::panics::assert_errors_name_function_shapes_and_caller(
        &cases,
        "numpy_surface_2.rs",
    );
}
