//! Dense decompositions on row-major buffers: what the `lax.linalg` primitives
//! (`src/prims/linalg/`) call. Cholesky, QR, the symmetric eigendecomposition and the SVD run
//! on faer's low-level kernels (pure Rust, no system LAPACK); LU and the triangular solve are
//! in `linalg_lu.rs` (re-exported here).
//!
//! The kernels are generic over [`LinalgFloat`] (f32 and f64): an f32 operand is factored in
//! f32, as LAPACK's `spotrf`/`sgeqrf`/... do under JAX, with no round trip through f64.
//! faer is column-major; each kernel hands faer the layout it is fast on: Cholesky factors
//! the row-major buffer in place (its blocked left-looking kernel reads any strides, and the
//! row-major lower triangle is the one the primitive reads), the eigh and SVD inputs are read
//! through a strided view (they copy into their own workspace anyway) and their vectors are
//! written column-major and transposed once on the way out, QR factors a column-major copy.
//!
//! One eigh or svd of `n` from [`SPECTRAL_PAR_MIN_N`] on runs on all threads of the rayon
//! pool ferrax already uses (faer's `Par::rayon`); every other matrix is factored on one
//! thread (see [`Split`] for the measurement), and a batch of them is spread over the threads
//! instead, one matrix per task chunk.

use crate::ops::element::FloatElement;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::ComputeEigenvectors;
use faer::linalg::svd::ComputeSvdVectors;
use faer::{Mat, MatMut, MatRef, Par};

pub use super::linalg_lu::{lu, lu_batch, triangular_solve, triangular_solve_batch, TriSolve};

/// The element types the dense kernels factor natively (f32 and f64): ferrax's float facts
/// and faer's real field in one bound.
pub trait LinalgFloat: FloatElement + faer::traits::RealField {}
impl LinalgFloat for f32 {}
impl LinalgFloat for f64 {}

/// How a decomposition's own work may be split over the threads. Measured on this machine
/// kind (2 cores, quiet, session 12; `benches/linalg.rs` with the threshold varied): faer's
/// parallel blocked factorizations (Cholesky, LU, QR and the triangular solves around them)
/// ran 1.3-7.8x *slower* than on one thread at n = 256 and no faster at 1024 (the panel
/// steps serialize and each parallel gemm of the trailing update is too short to pay for the
/// hand-off), while the spectral ones (eigh, svd) gained up to 18% in f64 at n = 1024.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// Cholesky, LU, QR, triangular solves: one thread per matrix, always.
    Blocked,
    /// eigh and svd: all threads from [`SPECTRAL_PAR_MIN_N`] on.
    Spectral,
    /// A triangular solve with 32 or more right-hand sides, which split into independent
    /// column blocks: all threads from n = 192 on (an estimate, not yet measured).
    RightHandSides,
}

/// From this size on, one eigh or svd runs on all threads (faer's `Par::rayon`); below it
/// one thread (at 256 the split lost 5-20% in the measurement above).
pub const SPECTRAL_PAR_MIN_N: usize = 512;

/// Whether one decomposition of an `n x n`-sized problem of kind `split` runs on all
/// threads.
fn splits(n: usize, split: Split) -> bool {
    let min_n = match split {
        Split::Blocked => return false,
        Split::Spectral => SPECTRAL_PAR_MIN_N,
        Split::RightHandSides => 192,
    };
    n >= min_n && rayon::current_num_threads() > 1
}

/// The parallelism for one decomposition of an `n x n`-sized problem of kind `split`.
pub(crate) fn par_for(n: usize, split: Split) -> Par {
    if splits(n, split) {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}

/// Estimated single-thread ns per multiply-add of the small unblocked factorizations, and
/// per batch member (slicing, scratch, bookkeeping): what decides when a batch of small
/// problems is spread over the threads.
const NS_PER_SMALL_MAC: f64 = 0.5;
const NS_PER_MEMBER: f64 = 200.0;

/// Whether `batch` members of `macs` multiply-adds each are worth the thread pool (only when
/// the members themselves run on one thread each, see [`par_for`]).
pub(crate) fn parallel_batch(batch: usize, n: usize, split: Split, macs: usize) -> bool {
    batch > 1
        && !splits(n, split)
        && super::parallel::should_parallelize(
            batch as f64 * (macs as f64 * NS_PER_SMALL_MAC + NS_PER_MEMBER),
        )
}

/// Runs `f` on each of the `batch` consecutive `len`-element members of `data`: over the
/// threads in chunks of members when [`parallel_batch`] says so, else in order.
pub(crate) fn for_each_member<T: Send>(
    data: &mut [T],
    len: usize,
    parallel: bool,
    f: &(dyn Fn(usize, &mut [T]) + Sync),
) {
    if len == 0 {
        return;
    }
    let batch = data.len() / len;
    if parallel {
        let per = super::parallel::chunk_len(batch, 1);
        super::parallel::par_chunks_mut(data, per * len, &|c, chunk| {
            for (i, m) in chunk.chunks_mut(len).enumerate() {
                f(c * per + i, m);
            }
        });
    } else {
        for (i, m) in data.chunks_mut(len).enumerate() {
            f(i, m);
        }
    }
}

/// Copies the column-major `src` into the row-major `dst` (`src.nrows() x src.ncols()`), in
/// tiles so both sides stay in cache.
pub(crate) fn mat_to_row_major<T: LinalgFloat>(src: &Mat<T>, dst: &mut [T]) {
    const TILE: usize = 32;
    let (r, c) = (src.nrows(), src.ncols());
    for jb in (0..c).step_by(TILE) {
        for ib in (0..r).step_by(TILE) {
            for j in jb..(jb + TILE).min(c) {
                let col = &src.col_as_slice(j)[ib..(ib + TILE).min(r)];
                for (i, &v) in col.iter().enumerate() {
                    dst[(ib + i) * c + j] = v;
                }
            }
        }
    }
}

/// The lower Cholesky factors of `batch` row-major `n x n` matrices in `a` (each read from
/// its lower triangle), in place, with zeros above the diagonal; a matrix that is not
/// positive definite becomes all NaN, as JAX's `cholesky` (it replaces a failed `potrf` with
/// NaNs).
pub fn cholesky_batch<T: LinalgFloat>(mut a: Vec<T>, batch: usize, n: usize) -> Vec<T> {
    let par = parallel_batch(batch, n, Split::Blocked, n * n * n / 3);
    for_each_member(&mut a, n * n, par, &|_, m| cholesky_in_place(m, n));
    a
}

/// [`cholesky_batch`] of one matrix.
pub fn cholesky<T: LinalgFloat>(a: &[T], n: usize) -> Vec<T> {
    cholesky_batch(a.to_vec(), 1, n)
}

/// The Cholesky factor of one row-major matrix, in place.
fn cholesky_in_place<T: LinalgFloat>(l: &mut [T], n: usize) {
    use faer::linalg::cholesky::llt::factor as llt;
    let par = par_for(n, Split::Blocked);
    let mut mem = MemBuffer::new(llt::cholesky_in_place_scratch::<T>(
        n,
        par,
        Default::default(),
    ));
    let ok = llt::cholesky_in_place(
        MatMut::from_row_major_slice_mut(l, n, n),
        Default::default(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .is_ok();
    if ok {
        for i in 0..n {
            l[i * n + i + 1..(i + 1) * n].fill(T::zero());
        }
    } else {
        l.fill(T::nan());
    }
}

/// Householder QR of `batch` row-major `m x n` matrices: `(q, r)`, each `q` of `m x k` and
/// `r` of `k x n` (zeros below the diagonal), `k = m` when `full` else `min(m, n)`.
pub fn qr_batch<T: LinalgFloat>(
    a: &[T],
    batch: usize,
    m: usize,
    n: usize,
    full: bool,
) -> (Vec<T>, Vec<T>) {
    let k = if full { m } else { m.min(n) };
    let mut q = vec![T::zero(); batch * m * k];
    let mut r = vec![T::zero(); batch * k * n];
    if m * n == 0 {
        for qi in q.chunks_mut(m * k) {
            (0..m.min(k)).for_each(|i| qi[i * k + i] = T::one());
        }
        return (q, r);
    }
    let par = parallel_batch(batch, m.max(n), Split::Blocked, m * n * m.min(n));
    // The member's Q first, then its R: one buffer so one parallel loop fills both.
    let (ql, rl) = (m * k, k * n);
    let mut both = vec![T::zero(); batch * (ql + rl)];
    for_each_member(&mut both, ql + rl, par, &|b, out| {
        let (qo, ro) = out.split_at_mut(ql);
        qr_one(&a[b * m * n..(b + 1) * m * n], m, n, k, qo, ro);
    });
    for (b, out) in both.chunks(ql + rl).enumerate() {
        q[b * ql..(b + 1) * ql].copy_from_slice(&out[..ql]);
        r[b * rl..(b + 1) * rl].copy_from_slice(&out[ql..]);
    }
    (q, r)
}

/// [`qr_batch`] of one matrix.
pub fn qr<T: LinalgFloat>(a: &[T], m: usize, n: usize, full: bool) -> (Vec<T>, Vec<T>) {
    qr_batch(a, 1, m, n, full)
}

/// One QR: `q` (`m x k`, row-major, zeroed) and `r` (`k x n`, row-major, zeroed) written.
fn qr_one<T: LinalgFloat>(a: &[T], m: usize, n: usize, k: usize, q: &mut [T], r: &mut [T]) {
    use faer::linalg::householder as hh;
    use faer::linalg::qr::no_pivoting::factor as qrf;
    let par = par_for(m.max(n), Split::Blocked);
    let size = m.min(n);
    let mut f = MatRef::from_row_major_slice(a, m, n).to_owned();
    let bs = qrf::recommended_block_size::<T>(m, n);
    let mut coeff = Mat::<T>::zeros(bs, size);
    {
        let mut mem = MemBuffer::new(qrf::qr_in_place_scratch::<T>(
            m,
            n,
            bs,
            par,
            Default::default(),
        ));
        qrf::qr_in_place(
            f.as_mut(),
            coeff.as_mut(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
    }
    // R: the upper triangle of the first `size` rows (rows past `size` of a full R stay 0).
    for i in 0..size {
        for j in i..n {
            r[i * n + j] = f[(i, j)];
        }
    }
    // Q = H_1 ... H_size applied to the first `k` columns of the identity, formed as
    // LAPACK's `orgqr` does: the blocks of reflectors from the last one back, each on the
    // trailing part it can change (rows and columns from its first reflector on: to its left
    // the rows below are still zero), instead of a full product with the identity (which
    // costs three times the flops at n = m = k). The basis is read in place from the factored
    // matrix (faer reads the reflectors' unit lower part only).
    let mut qm = Mat::<T>::identity(m, k);
    let mut mem =
        MemBuffer::new(hh::apply_block_householder_on_the_left_in_place_scratch::<T>(m, bs, k));
    let stack = MemStack::new(&mut mem);
    let mut j = size;
    let mut block = match size % bs {
        0 => bs,
        r => r,
    };
    while j > 0 {
        let j0 = j - block;
        block = bs;
        hh::apply_block_householder_on_the_left_in_place_with_conj(
            f.get(j0.., j0..j),
            coeff.get(..j - j0, j0..j),
            faer::Conj::No,
            qm.get_mut(j0.., j0..),
            par,
            &mut *stack,
        );
        j = j0;
    }
    mat_to_row_major(&qm, q);
}

/// Eigenvalues (ascending) and eigenvectors (in columns, `n x n` row-major) of `batch`
/// symmetric row-major `n x n` matrices, each read from its lower triangle; NaNs for a
/// member whose iteration fails.
pub fn eigh_batch<T: LinalgFloat>(a: &[T], batch: usize, n: usize) -> (Vec<T>, Vec<T>) {
    let mut both = vec![T::zero(); batch * (n + n * n)];
    let par = parallel_batch(batch, n, Split::Spectral, 4 * n * n * n);
    for_each_member(&mut both, n + n * n, par, &|b, out| {
        let (w, v) = out.split_at_mut(n);
        eigh_one(&a[b * n * n..(b + 1) * n * n], n, w, v);
    });
    let (mut ws, mut vs) = (Vec::with_capacity(batch * n), Vec::with_capacity(a.len()));
    for out in both.chunks(n + n * n) {
        ws.extend_from_slice(&out[..n]);
        vs.extend_from_slice(&out[n..]);
    }
    (ws, vs)
}

/// [`eigh_batch`] of one matrix.
pub fn eigh<T: LinalgFloat>(a: &[T], n: usize) -> (Vec<T>, Vec<T>) {
    eigh_batch(a, 1, n)
}

/// One symmetric eigendecomposition into `w` (`n`) and the row-major `v` (`n x n`).
fn eigh_one<T: LinalgFloat>(a: &[T], n: usize, w: &mut [T], v: &mut [T]) {
    use faer::linalg::evd;
    if n == 0 {
        return;
    }
    let par = par_for(n, Split::Spectral);
    let mut s = faer::diag::Diag::<T>::zeros(n);
    let mut u = Mat::<T>::zeros(n, n);
    let mut mem = MemBuffer::new(evd::self_adjoint_evd_scratch::<T>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    let res = evd::self_adjoint_evd(
        MatRef::from_row_major_slice(a, n, n),
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if res.is_err() {
        w.fill(T::nan());
        v.fill(T::nan());
        return;
    }
    for (wi, si) in w.iter_mut().zip(s.column_vector().iter()) {
        *wi = *si;
    }
    mat_to_row_major(&u, v);
}

/// SVD of `batch` row-major `m x n` matrices: singular values (descending, `min(m, n)` each),
/// and when `compute_uv` also `u` (`m x m` if `full` else `m x k`) and `vt` (`n x n` if
/// `full` else `k x n`), row-major; NaNs for a member whose iteration fails.
pub fn svd_batch<T: LinalgFloat>(
    a: &[T],
    batch: usize,
    (m, n): (usize, usize),
    full: bool,
    compute_uv: bool,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let k = m.min(n);
    let (uc, vr) = match (compute_uv, full) {
        (false, _) => (0, 0),
        (true, true) => (m, n),
        (true, false) => (k, k),
    };
    let (sl, ul, vl) = (k, m * uc, vr * n);
    let len = sl + ul + vl;
    let mut all = vec![T::zero(); batch * len];
    let par = parallel_batch(batch, m.max(n), Split::Spectral, 8 * m * n * k);
    for_each_member(&mut all, len, par, &|b, out| {
        let (s, rest) = out.split_at_mut(sl);
        let (u, vt) = rest.split_at_mut(ul);
        svd_one(&a[b * m * n..(b + 1) * m * n], (m, n), (uc, vr), s, u, vt);
    });
    let mut ss = Vec::with_capacity(batch * sl);
    let mut us = Vec::with_capacity(batch * ul);
    let mut vts = Vec::with_capacity(batch * vl);
    for out in all.chunks(len.max(1)).take(batch) {
        ss.extend_from_slice(&out[..sl]);
        us.extend_from_slice(&out[sl..sl + ul]);
        vts.extend_from_slice(&out[sl + ul..]);
    }
    (ss, us, vts)
}

/// [`svd_batch`] of one matrix.
pub fn svd<T: LinalgFloat>(
    a: &[T],
    m: usize,
    n: usize,
    full: bool,
    compute_uv: bool,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    svd_batch(a, 1, (m, n), full, compute_uv)
}

/// One SVD into `s`, the row-major `u` (`m x uc`) and `vt` (`vr x n`); `uc = vr = 0` when no
/// vectors are wanted.
fn svd_one<T: LinalgFloat>(
    a: &[T],
    (m, n): (usize, usize),
    (uc, vr): (usize, usize),
    s: &mut [T],
    u: &mut [T],
    vt: &mut [T],
) {
    use faer::linalg::svd as fsvd;
    let k = m.min(n);
    if k == 0 {
        // No singular values; the vectors of an empty matrix are the identity's columns.
        for i in 0..m.min(uc) {
            u[i * uc + i] = T::one();
        }
        for i in 0..n.min(vr) {
            vt[i * n + i] = T::one();
        }
        return;
    }
    let par = par_for(m.max(n), Split::Spectral);
    let compute = if uc == 0 {
        ComputeSvdVectors::No
    } else if uc == m && vr == n {
        ComputeSvdVectors::Full
    } else {
        ComputeSvdVectors::Thin
    };
    let mut sd = faer::diag::Diag::<T>::zeros(k);
    let mut um = Mat::<T>::zeros(m, uc);
    let mut vm = Mat::<T>::zeros(n, vr);
    let mut mem = MemBuffer::new(fsvd::svd_scratch::<T>(
        m,
        n,
        compute,
        compute,
        par,
        Default::default(),
    ));
    let (uo, vo) = if uc == 0 {
        (None, None)
    } else {
        (Some(um.as_mut()), Some(vm.as_mut()))
    };
    let res = fsvd::svd(
        MatRef::from_row_major_slice(a, m, n),
        sd.as_mut(),
        uo,
        vo,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if res.is_err() {
        s.fill(T::nan());
        u.fill(T::nan());
        vt.fill(T::nan());
        return;
    }
    for (si, d) in s.iter_mut().zip(sd.column_vector().iter()) {
        *si = *d;
    }
    if uc > 0 {
        mat_to_row_major(&um, u);
        // vt = Vᵀ: V's columns are vt's rows, so the column-major V is the row-major vt.
        for j in 0..vr {
            vt[j * n..(j + 1) * n].copy_from_slice(vm.col_as_slice(j));
        }
    }
}
