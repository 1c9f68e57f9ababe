//! The general (nonsymmetric) eigendecomposition of one real matrix at a time, on row-major
//! `f64` buffers: what the `eig` primitive (`src/prims/linalg/eig.rs`) calls per batch member.
//! It runs faer's `evd_real` (Hessenberg reduction, multishift QR, back substitution: LAPACK's
//! `geev` algorithm) and returns what `geev` returns: complex eigenvalues with each conjugate
//! pair adjacent, positive imaginary part first, and eigenvectors normalised as `geev` does
//! (unit 2-norm, largest-magnitude component real).
//!
//! Also the tridiagonal solve (`gtsv`'s elimination with partial pivoting) under
//! `src/prims/linalg/tridiagonal.rs`.
//!
//! `f64` only (f32 operands are widened and rounded once): the eig and tridiagonal rows are not
//! among the speed targets, so faer's general eigensolver is instantiated for one type only.

use faer::diag::Diag;
use faer::linalg::evd::{evd_real, evd_scratch, ComputeEigenvectors};
use faer::{Mat, MatRef, Par};
use num_complex::Complex64;

/// The eigendecomposition of one `n x n` matrix: eigenvalues and, when asked for, the left
/// (`u_jᴴ A = w_j u_jᴴ`) and right (`A v_j = w_j v_j`) eigenvectors in columns, row-major.
pub struct Eig {
    /// The `n` eigenvalues, in `geev`'s order.
    pub w: Vec<Complex64>,
    /// The left eigenvectors (`n x n`, columns), empty when not computed.
    pub vl: Vec<Complex64>,
    /// The right eigenvectors (`n x n`, columns), empty when not computed.
    pub vr: Vec<Complex64>,
}

/// Eigenvalues and (optionally) left and right eigenvectors of the real `n x n` row-major
/// matrix `a`, as LAPACK's `geev`; all NaN if the QR iteration does not converge (as JAX
/// replaces a failed `geev`).
pub fn eig(a: &[f64], n: usize, left: bool, right: bool) -> Eig {
    let nan = Complex64::new(f64::NAN, f64::NAN);
    let failed = || Eig {
        w: vec![nan; n],
        vl: if left { vec![nan; n * n] } else { Vec::new() },
        vr: if right { vec![nan; n * n] } else { Vec::new() },
    };
    if a.iter().any(|v| !v.is_finite()) {
        return failed();
    }
    let a = MatRef::from_row_major_slice(a, n, n);
    let compute = |b: bool| {
        if b {
            ComputeEigenvectors::Yes
        } else {
            ComputeEigenvectors::No
        }
    };
    let mut s_re = Diag::<f64>::zeros(n);
    let mut s_im = Diag::<f64>::zeros(n);
    let mut ul = Mat::<f64>::zeros(if left { n } else { 0 }, if left { n } else { 0 });
    let mut ur = Mat::<f64>::zeros(if right { n } else { 0 }, if right { n } else { 0 });
    let par = Par::Seq;
    let mut mem = faer::dyn_stack::MemBuffer::new(evd_scratch::<f64>(
        n,
        compute(left),
        compute(right),
        par,
        Default::default(),
    ));
    let res = evd_real(
        a,
        s_re.as_mut(),
        s_im.as_mut(),
        if left { Some(ul.as_mut()) } else { None },
        if right { Some(ur.as_mut()) } else { None },
        par,
        faer::dyn_stack::MemStack::new(&mut mem),
        Default::default(),
    );
    if res.is_err() {
        return failed();
    }
    let re = s_re.column_vector();
    let im = s_im.column_vector();
    let w: Vec<Complex64> = (0..n).map(|j| Complex64::new(re[j], im[j])).collect();
    let vl = if left {
        unpack(ul.as_ref(), &w)
    } else {
        Vec::new()
    };
    let vr = if right {
        unpack(ur.as_ref(), &w)
    } else {
        Vec::new()
    };
    Eig { w, vl, vr }
}

/// `geev`'s packed real eigenvectors as complex columns (a conjugate pair `j, j + 1` is
/// stored as the real and imaginary parts of column `j`), each normalised as `geev`
/// normalises: unit 2-norm, and for a complex vector its largest-magnitude component real.
fn unpack(u: MatRef<'_, f64>, w: &[Complex64]) -> Vec<Complex64> {
    let n = w.len();
    let mut cols: Vec<Vec<Complex64>> = Vec::with_capacity(n);
    let mut j = 0;
    while j < n {
        if w[j].im == 0.0 || j + 1 == n {
            cols.push((0..n).map(|i| Complex64::new(u[(i, j)], 0.0)).collect());
            j += 1;
        } else {
            let c: Vec<Complex64> = (0..n)
                .map(|i| Complex64::new(u[(i, j)], u[(i, j + 1)]))
                .collect();
            cols.push(c.iter().map(|z| z.conj()).collect());
            cols.insert(cols.len() - 1, c);
            j += 2;
        }
    }
    for (c, wj) in cols.iter_mut().zip(w) {
        normalise(c, wj.im != 0.0);
    }
    let mut out = vec![Complex64::new(0.0, 0.0); n * n];
    for (j, c) in cols.iter().enumerate() {
        for (i, z) in c.iter().enumerate() {
            out[i * n + j] = *z;
        }
    }
    out
}

/// Scales `c` to unit 2-norm; a complex vector is also rotated so that its first
/// largest-magnitude component is real (positive), as `geev`.
fn normalise(c: &mut [Complex64], complex: bool) {
    let norm = c.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    if norm == 0.0 {
        return;
    }
    let mut scale = Complex64::new(1.0 / norm, 0.0);
    if complex {
        let mut k = 0;
        for (i, z) in c.iter().enumerate() {
            if z.norm_sqr() > c[k].norm_sqr() {
                k = i;
            }
        }
        let big = c[k];
        scale *= big.conj() / big.norm();
    }
    for z in c.iter_mut() {
        *z *= scale;
    }
}

/// Solves the tridiagonal system `A X = B` for one `m x m` matrix given by its diagonals (JAX's
/// convention: `dl[i] = A[i, i-1]` with `dl[0]` unread, `d[i] = A[i, i]`, `du[i] = A[i, i+1]`
/// with `du[m-1]` unread) against the row-major `m x k` right-hand side `b`, by Gaussian
/// elimination with partial pivoting as LAPACK's `gtsv`; all NaN if a pivot is exactly zero
/// (JAX replaces a failed `gtsv` with NaNs).
pub fn tridiagonal_solve(dl: &[f64], d: &[f64], du: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let m = d.len();
    let mut x = b.to_vec();
    if m == 0 {
        return x;
    }
    // LAPACK's arrays: sub-diagonal l[i] = A[i+1, i], super-diagonal u[i] = A[i, i+1]; after
    // elimination l holds U's second super-diagonal.
    let mut l: Vec<f64> = dl[1..].to_vec();
    let mut dd = d.to_vec();
    let mut u: Vec<f64> = du[..m - 1].to_vec();
    let failed = || vec![f64::NAN; b.len()];
    for i in 0..m.saturating_sub(1) {
        if dd[i].abs() >= l[i].abs() {
            if dd[i] == 0.0 {
                return failed();
            }
            let fact = l[i] / dd[i];
            dd[i + 1] -= fact * u[i];
            for c in 0..k {
                x[(i + 1) * k + c] -= fact * x[i * k + c];
            }
            l[i] = 0.0;
        } else {
            let fact = dd[i] / l[i];
            dd[i] = l[i];
            let temp = dd[i + 1];
            dd[i + 1] = u[i] - fact * temp;
            if i + 2 < m {
                l[i] = u[i + 1];
                u[i + 1] = -fact * l[i];
            }
            u[i] = temp;
            for c in 0..k {
                let t = x[i * k + c];
                x[i * k + c] = x[(i + 1) * k + c];
                x[(i + 1) * k + c] = t - fact * x[(i + 1) * k + c];
            }
        }
    }
    if dd[m - 1] == 0.0 {
        return failed();
    }
    for c in 0..k {
        x[(m - 1) * k + c] /= dd[m - 1];
        if m >= 2 {
            let i = m - 2;
            x[i * k + c] = (x[i * k + c] - u[i] * x[(i + 1) * k + c]) / dd[i];
        }
        for i in (0..m.saturating_sub(2)).rev() {
            x[i * k + c] =
                (x[i * k + c] - u[i] * x[(i + 1) * k + c] - l[i] * x[(i + 2) * k + c]) / dd[i];
        }
    }
    x
}
