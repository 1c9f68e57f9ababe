//! `ferrax::debug::set_debug_nans` / `FERRAX_DEBUG_NANS=1`: the first op that makes a NaN
//! panics, naming the primitive, eagerly, inside `jit` (also in the middle of a fused group)
//! and in `grad`'s forward and backward passes; with the flag off the same code returns NaN.
//!
//! The flag is process-wide, so every test here that computes a NaN holds `LOCK` (through
//! [`Flag`]) and puts the flag back when it ends, also when it panics.

use ferrax::debug::{debug_nans, set_debug_nans};
use ferrax::prelude::*;
use ferrax::transforms::{JitOptions, Jitted};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

static LOCK: Mutex<()> = Mutex::new(());

/// Holds the lock with the flag set to `on`; turns checking off when dropped.
struct Flag(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Flag {
    fn set(on: bool) -> Flag {
        let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        set_debug_nans(on);
        Flag(guard)
    }
}

impl Drop for Flag {
    fn drop(&mut self) {
        set_debug_nans(false);
    }
}

/// The panic message of `f`, or `None` if it returned.
fn panic_message<R>(f: impl FnOnce() -> R) -> Option<String> {
    let err = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

fn v(xs: &[f32]) -> Tensor {
    Tensor::from_vec(xs.to_vec(), &[xs.len()])
}

#[test]
fn eager_log_of_a_negative_panics_naming_log_and_the_line() {
    let _f = Flag::set(true);
    let x = v(&[1.0, -1.0, 2.0]);
    let line = line!() + 1;
    let msg = panic_message(|| x.log()).expect("log(-1) is NaN: must panic");
    assert!(
        msg.starts_with("debug_nans: log produced NaN in output 0 of f32[3] from inputs f32[3]"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("tests/debug_nans.rs:{line}")),
        "names the caller's line {line}: {msg}"
    );
    assert!(!msg.contains("already held NaN"), "{msg}");
    assert!(!msg.contains("inside ferrax"), "{msg}");
}

#[test]
fn eager_zero_over_zero_panics_naming_div_with_both_input_types() {
    let _f = Flag::set(true);
    let (a, b) = (v(&[0.0, 1.0]), v(&[0.0, 2.0]));
    let msg = panic_message(|| &a / &b).expect("0/0 is NaN: must panic");
    assert!(
        msg.starts_with(
            "debug_nans: div produced NaN in output 0 of f32[2] from inputs f32[2], f32[2]"
        ),
        "{msg}"
    );
    // Finite results and infinities pass: only NaN is reported.
    assert_eq!(
        (&b / &v(&[1.0, 0.0])).to_vec::<f32>(),
        vec![0.0, f32::INFINITY]
    );
}

#[test]
fn f64_is_checked_and_integers_are_not() {
    let _f = Flag::set(true);
    let x = Tensor::from_vec(vec![-4.0f64], &[1]);
    let msg = panic_message(|| x.sqrt()).expect("sqrt(-4) is NaN");
    assert!(
        msg.starts_with("debug_nans: sqrt produced NaN in output 0 of f64[1]"),
        "{msg}"
    );
    let i = Tensor::from_vec(vec![7i32, 0], &[2]);
    assert_eq!((&i + &i).to_vec::<i32>(), vec![14, 0]);
}

#[test]
fn with_the_flag_off_nan_flows_silently() {
    let _f = Flag::set(false);
    assert!(!debug_nans());
    let x = v(&[1.0, -1.0]);
    let y = x.log();
    assert_eq!(y.to_vec::<f32>()[0], 0.0);
    assert!(y.to_vec::<f32>()[1].is_nan());
    let z = (&v(&[0.0]) / &v(&[0.0])).to_vec::<f32>();
    assert!(z[0].is_nan());
    let f = jit(fused_chain);
    assert!(f(&x).to_vec::<f32>()[1].is_nan());
    let g = grad(sqrt_times_zero)(&v(&[0.0, 4.0])).to_vec::<f32>();
    assert!(g[0].is_nan() && g[1] == 0.0, "{g:?}");
}

/// Elementwise ops that the jit fuses into one group; `log` makes NaN in the middle.
fn fused_chain(x: &Tensor) -> Tensor {
    (((x * 2.0) + 1.0).log() * 0.5).exp() + 1.0
}

#[test]
fn jit_names_the_primitive_inside_a_fused_group() {
    let f = Jitted::new(fused_chain, JitOptions::default());
    let x = v(&[1.0, -1.0, 3.0]);
    let compiled = f.compiled_jaxpr(&x).to_string();
    assert!(
        compiled.contains("fused"),
        "the chain must run fused: {compiled}"
    );
    let _f = Flag::set(true);
    let msg = panic_message(|| f.call(&x)).expect("log(-1) is NaN inside jit");
    assert!(
        msg.starts_with("debug_nans: log produced NaN in output 0 of f32[3] from inputs f32[3]"),
        "{msg}"
    );
    assert!(msg.contains("in a jit-compiled program"), "{msg}");
    // Positive inputs run through the checked program with the right values.
    let ok = v(&[1.0, 2.0, 3.0]);
    let want: Vec<f32> = [1.0f32, 2.0, 3.0]
        .iter()
        .map(|x| ((x * 2.0 + 1.0).ln() * 0.5).exp() + 1.0)
        .collect();
    let got = f.call(&ok).to_vec::<f32>();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

#[test]
fn jit_names_an_unfused_primitive() {
    // A matmul of infinities: inf * 0 summed inside dot_general.
    let f = jit(|(a, b): &(Tensor, Tensor)| a.matmul(b));
    let a = Tensor::from_vec(vec![f32::INFINITY, 1.0], &[1, 2]);
    let b = Tensor::from_vec(vec![0.0f32, 1.0], &[2, 1]);
    let _f = Flag::set(true);
    let msg = panic_message(|| f(&(a.clone(), b.clone()))).expect("inf * 0 is NaN");
    assert!(
        msg.starts_with("debug_nans: dot_general produced NaN in output 0 of f32[1,1] from inputs f32[1,2], f32[2,1]"),
        "{msg}"
    );
}

/// `sqrt(x) * 0`: finite forward pass (0), but the backward pass multiplies the cotangent 0 by
/// sqrt's derivative 0.5 / sqrt(0) = inf, which is NaN at x = 0.
fn sqrt_times_zero(x: &Tensor) -> Tensor {
    (x.sqrt() * 0.0).sum()
}

#[test]
fn grad_backward_pass_nan_is_caught() {
    let x = v(&[0.0, 4.0]);
    let _f = Flag::set(true);
    assert_eq!(
        sqrt_times_zero(&x).item::<f32>(),
        0.0,
        "forward pass is finite"
    );
    let msg = panic_message(|| grad(sqrt_times_zero)(&x)).expect("0 * inf is NaN in backward");
    assert!(
        msg.starts_with("debug_nans: mul produced NaN in output 0 of f32[2] from inputs f32[2]"),
        "{msg}"
    );
    // The backward pass's ops are applied by ferrax's rules, not at a line of this file.
    assert!(msg.contains("inside ferrax"), "{msg}");
}

#[test]
fn grad_forward_pass_nan_is_caught() {
    let x = v(&[-1.0, 4.0]);
    let _f = Flag::set(true);
    let line = line!() + 1;
    let msg = panic_message(|| grad(|x: &Tensor| x.log().sum())(&x)).expect("log(-1) in primal");
    assert!(msg.starts_with("debug_nans: log produced NaN"), "{msg}");
    // The user's line of `x.log()`, although grad evaluated it with ferrax's own binds.
    assert!(
        msg.contains(&format!("tests/debug_nans.rs:{line}:")) && msg.contains("forward pass"),
        "{msg}"
    );
    // Also through jit inside grad (the jit equation's primal ops run eagerly).
    let msg = panic_message(|| grad(|x: &Tensor| jit(fused_chain)(x).sum())(&x))
        .expect("log(-1) inside a jitted function under grad");
    assert!(msg.starts_with("debug_nans: log produced NaN"), "{msg}");
}

/// Behaviour chosen for NaN that comes from outside (the data): the first op whose output
/// holds it panics, and the message says which input already held NaN.
#[test]
fn a_nan_input_is_reported_at_the_first_op_and_named_as_preexisting() {
    let x = v(&[f32::NAN, 1.0]);
    let _f = Flag::set(true);
    let msg = panic_message(|| &x + 1.0).expect("NaN + 1 is NaN");
    assert!(msg.starts_with("debug_nans: add produced NaN"), "{msg}");
    assert!(msg.contains("(input 0 already held NaN"), "{msg}");
    // An op whose output drops the NaN is fine.
    assert_eq!(
        ferrax::lax::is_finite(&x).to_vec::<bool>(),
        vec![false, true]
    );
}

/// Run by `env_var_turns_checking_on` in a child process with `FERRAX_DEBUG_NANS=1`; skipped
/// (passes) without it.
#[test]
#[ignore = "run as a child process by env_var_turns_checking_on"]
fn env_var_child() {
    if std::env::var("FERRAX_DEBUG_NANS").as_deref() != Ok("1") {
        return;
    }
    assert!(debug_nans(), "FERRAX_DEBUG_NANS=1 turns checking on");
    let _ = v(&[-1.0]).log();
}

#[test]
fn env_var_turns_checking_on() {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "env_var_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FERRAX_DEBUG_NANS", "1")
        .output()
        .expect("spawn the test binary");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child must panic: {text}");
    assert!(
        text.contains("debug_nans: log produced NaN in output 0 of f32[1] from inputs f32[1]"),
        "{text}"
    );
    assert!(
        text.contains("1 failed"),
        "exactly the child test ran: {text}"
    );
}
