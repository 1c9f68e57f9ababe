//! `nn::Module` and `nn::Ctx` (issue [3/11], foundation): tuples compose a user's modules
//! with the library's, the key stream is deterministic given the key and different for
//! different keys, an inference context refuses to draw keys, state threads through a jitted
//! step and back, and `grad` sees through a tuple of modules.

use ferrax::nn::{self, Ctx, Lambda, Module, Relu, State, StateIndex};
use ferrax::prelude::*;
use ferrax::random;

#[derive(PyTree, Clone)]
struct Affine {
    w: Tensor,
    b: Tensor,
}

impl Module for Affine {
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        x * &self.w + &self.b
    }
}

/// Zeroes each element with probability 1/2 in training (draws one key per call).
#[derive(PyTree, Clone)]
struct CoinMask;

impl Module for CoinMask {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        if !cx.is_training() {
            return x.clone();
        }
        let keep = random::bernoulli(&cx.next_key(), 0.5, x.shape());
        ferrax::numpy::where_(&keep, x, Tensor::zeros(x.shape(), x.dtype()))
    }
}

/// Counts its calls in the state (a running statistic in miniature).
#[derive(PyTree, Clone)]
struct Counter {
    #[pytree(static)]
    index: StateIndex,
}

impl Module for Counter {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let n = cx.get_state(&self.index, || vec![Tensor::scalar(0.0f32)]);
        cx.set_state(&self.index, vec![&n[0] + 1.0]);
        x.clone()
    }
}

fn affine(w: f32, b: f32) -> Affine {
    Affine {
        w: Tensor::scalar(w),
        b: Tensor::scalar(b),
    }
}

#[test]
fn tuples_apply_user_and_library_modules_in_order() {
    let m = (
        affine(2.0, -3.0),
        Relu,
        Lambda(|x| x * 10.0),
        affine(1.0, 1.0),
    );
    let x = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0], &[4]);
    let y = m.forward(&x, &mut Ctx::eval());
    let want: Vec<f32> = [0.0f32, 1.0, 2.0, 3.0]
        .iter()
        .map(|v| (2.0 * v - 3.0f32).max(0.0) * 10.0 + 1.0)
        .collect();
    assert_eq!(y.to_vec::<f32>(), want);
}

#[test]
fn key_streams_are_deterministic_per_key_and_eval_is_identity() {
    let m = (CoinMask, CoinMask);
    let x = Tensor::ones(&[64], DType::F32);
    let run = |k: i64| {
        m.forward(&x, &mut Ctx::train(&random::key(k)))
            .to_vec::<f32>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    // The two masks in one pass use different keys (the stream advances).
    let mut cx = Ctx::train(&random::key(1));
    let (a, b) = (CoinMask.forward(&x, &mut cx), CoinMask.forward(&x, &mut cx));
    assert_ne!(a.to_vec::<f32>(), b.to_vec::<f32>());
    assert_eq!(
        m.forward(&x, &mut Ctx::eval()).to_vec::<f32>(),
        x.to_vec::<f32>()
    );
}

#[test]
fn an_inference_context_refuses_to_draw_keys() {
    let err = std::panic::catch_unwind(|| Ctx::eval().next_key()).expect_err("eval has no key");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("Ctx::eval()") && msg.contains("Ctx::train"),
        "{msg}"
    );
}

#[test]
fn state_threads_through_a_jitted_step() {
    let m = (
        Counter {
            index: StateIndex::new("counter"),
        },
        affine(3.0, 0.0),
    );
    let step = jit(|(x, state): &(Tensor, State)| {
        let mut cx = Ctx::eval().with_state(state.clone());
        let y = m.forward(x, &mut cx);
        (y, cx.into_state())
    });
    let x = Tensor::ones(&[2], DType::F32);
    let (_, mut state) = step(&(x.clone(), State::new()));
    for _ in 0..3 {
        let (y, s) = step(&(x.clone(), state));
        assert_eq!(y.to_vec::<f32>(), vec![3.0, 3.0]);
        state = s;
    }
    let key = m.0.index.key().to_string();
    assert_eq!(state[&key][0].item::<f32>(), 4.0);
}

#[test]
fn grad_sees_through_a_tuple_of_modules() {
    type Model = (Affine, nn::Tanh, Affine);
    let model: Model = (affine(0.5, 0.1), nn::Tanh, affine(2.0, 0.0));
    let x = Tensor::from_vec(vec![0.3f32, -0.7], &[2]);
    let g: Model = grad(|m: &Model| m.forward(&x, &mut Ctx::train(&random::key(0))).sum())(&model);
    // d/db1 sum(w2 tanh(w1 x + b1) + b2) = w2 sum(1 - tanh(w1 x + b1)^2).
    let want: f32 = [0.3f32, -0.7]
        .iter()
        .map(|v| 2.0 * (1.0 - (0.5 * v + 0.1f32).tanh().powi(2)))
        .sum();
    assert!((g.0.b.item::<f32>() - want).abs() < 1e-5);
    assert!((g.2.b.item::<f32>() - 2.0).abs() < 1e-6);
}
