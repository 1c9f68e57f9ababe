//! Element-wise comparison of floats with a tolerance. A failure names the element's index
//! and both values (and, for short inputs, all of them).
//!
//! The tolerance is a [`Tol`]: either `tol * (1 + |want|)` ([`Tol::scaled`]) or
//! `atol + rtol * |want|` ([`Tol::allclose`]), optionally also accepting exactly equal values
//! (equal infinities: [`Tol::or_equal`]) and NaN against NaN ([`Tol::or_both_nan`]). A NaN or
//! infinite difference is never within a tolerance.

use ferrax::prelude::*;

/// How far `got` may be from `want`.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    atol: f64,
    rtol: f64,
    /// `tol * (1 + |want|)` (with `atol == rtol == tol`) rather than `atol + rtol * |want|`.
    scaled: bool,
    equal: bool,
    both_nan: bool,
}

impl Tol {
    /// `|got - want| <= tol * (1 + |want|)`: absolute near zero, relative for large values.
    pub const fn scaled(tol: f64) -> Tol {
        Tol {
            atol: tol,
            rtol: tol,
            scaled: true,
            equal: false,
            both_nan: false,
        }
    }

    /// `|got - want| <= atol + rtol * |want|` (NumPy's `allclose`, same argument order).
    pub const fn allclose(rtol: f64, atol: f64) -> Tol {
        Tol {
            atol,
            rtol,
            scaled: false,
            equal: false,
            both_nan: false,
        }
    }

    /// Also accepts `got == want` (so equal infinities, whose difference is NaN, pass).
    pub const fn or_equal(self) -> Tol {
        Tol {
            equal: true,
            ..self
        }
    }

    /// Also accepts a NaN where a NaN is wanted.
    pub const fn or_both_nan(self) -> Tol {
        Tol {
            both_nan: true,
            ..self
        }
    }

    pub fn accepts(&self, got: f64, want: f64) -> bool {
        let bound = if self.scaled {
            self.rtol * (1.0 + want.abs())
        } else {
            self.atol + self.rtol * want.abs()
        };
        (got - want).abs() <= bound
            || (self.equal && got == want)
            || (self.both_nan && got.is_nan() && want.is_nan())
    }
}

/// Inputs up to this long are printed whole in a failure message.
const SHOW_ALL: usize = 64;

/// `"{what}: "`, or nothing for an empty `what`.
fn prefix(what: &str) -> String {
    if what.is_empty() {
        String::new()
    } else {
        format!("{what}: ")
    }
}

/// `got` and `want` have the same length and every element is within `tol`; `what` (may be
/// empty) starts the failure message.
#[track_caller]
pub fn assert_close_with(got: &[f64], want: &[f64], tol: Tol, what: &str) {
    let what = prefix(what);
    assert_eq!(
        got.len(),
        want.len(),
        "{what}lengths differ: got {} values, want {}",
        got.len(),
        want.len()
    );
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if !tol.accepts(g, w) {
            let all = if got.len() <= SHOW_ALL {
                format!("\n got {got:?}\nwant {want:?}")
            } else {
                String::new()
            };
            panic!("{what}element {i}: got {g:?}, want {w:?} (tolerance {tol:?}){all}");
        }
    }
}

/// Every element within `tol * (1 + |want|)`.
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_close_with(got, want, Tol::scaled(tol), "");
}

/// Every element within `atol + rtol * |want|`; `what` (may be empty) starts the failure
/// message.
#[track_caller]
pub fn assert_allclose(got: &[f64], want: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_close_with(got, want, Tol::allclose(rtol, atol), what);
}

/// A tensor's values as f64 (cast from its dtype).
pub fn f64s(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

/// Same shape and dtype, and every element (as f64) within `tol`; `what` (may be empty)
/// starts the failure message.
#[track_caller]
pub fn assert_tensor_close(got: &Tensor, want: &Tensor, tol: Tol, what: &str) {
    let p = prefix(what);
    assert_eq!(got.shape(), want.shape(), "{p}shapes differ");
    assert_eq!(got.dtype(), want.dtype(), "{p}dtypes differ");
    assert_close_with(&f64s(got), &f64s(want), tol, what);
}
