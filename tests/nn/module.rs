//! `nn::Module` and `nn::Ctx`: tuples and `Sequential` compose a user's modules with the
//! library's, the key stream is deterministic given the key and different for different keys,
//! an inference context refuses to draw keys, state threads through a jitted step and back,
//! batch-norm statistics update in a jitted step and serve evaluation, a jitted Adam step over
//! a model with dropout and batch norm equals the eager step, and an optimizer state made for
//! one model is refused by another.

use crate::common::panics::panic_message;
use ferrax::nn::{self, Ctx, Lambda, Module, Relu, Sequential, State, StateIndex};
use ferrax::optim;
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

#[test]
fn sequential_holds_user_modules_beside_built_ins() {
    let lin = nn::Linear::new(&random::key(3), 4, 3);
    let net = Sequential::new()
        .push(lin.clone())
        .push(affine(2.0, -0.5))
        .push(nn::Tanh)
        .push(Lambda(|x| x * 3.0));
    let x = random::normal(&random::key(4), &[5, 4]);
    let y = net.forward(&x, &mut Ctx::eval());
    // The reference: the same computation written out in plain Rust.
    let (xv, k, b) = (
        x.to_vec::<f32>(),
        lin.kernel.to_vec::<f32>(),
        lin.bias.as_ref().unwrap().to_vec::<f32>(),
    );
    let mut want = Vec::new();
    for r in 0..5 {
        for c in 0..3 {
            let z: f32 = (0..4).map(|i| xv[r * 4 + i] * k[i * 3 + c]).sum::<f32>() + b[c];
            want.push((2.0 * z - 0.5).tanh() * 3.0);
        }
    }
    for (a, w) in y.to_vec::<f32>().iter().zip(&want) {
        assert!((a - w).abs() < 1e-5, "{a} vs {w}");
    }
    // The same modules in a tuple agree exactly, and the Sequential is a pytree that grad
    // and jit rebuild with each layer's own type.
    let tuple = (lin, affine(2.0, -0.5), nn::Tanh, Lambda(|x| x * 3.0));
    assert_eq!(
        tuple.forward(&x, &mut Ctx::eval()).to_vec::<f32>(),
        y.to_vec::<f32>()
    );
    let g: Sequential = grad(|n: &Sequential| n.forward(&x, &mut Ctx::eval()).sum())(&net);
    let gt =
        grad(|t: &(nn::Linear, Affine, nn::Tanh, Lambda)| t.forward(&x, &mut Ctx::eval()).sum())(
            &tuple,
        );
    let names: Vec<&str> = g.layers.iter().map(|l| l.type_name()).collect();
    assert!(
        names[0].ends_with("Linear") && names[1].ends_with("Affine"),
        "{names:?}"
    );
    assert_eq!(
        ferrax::tree::tree_leaves(&g)
            .iter()
            .map(|t| t.to_vec::<f32>())
            .collect::<Vec<_>>(),
        ferrax::tree::tree_leaves(&gt)
            .iter()
            .map(|t| t.to_vec::<f32>())
            .collect::<Vec<_>>()
    );
    let jitted = jit(|(n, x): &(Sequential, Tensor)| n.forward(x, &mut Ctx::eval()));
    assert_eq!(jitted(&(net, x)).to_vec::<f32>(), y.to_vec::<f32>());
}

#[test]
fn dropout_masks_follow_the_key_and_eval_is_the_identity() {
    let model = (
        nn::Dropout::new(0.5),
        affine(1.0, 0.0),
        nn::Dropout::new(0.25),
    );
    let x = Tensor::ones(&[256], DType::F32);
    let run = |k: i64| {
        model
            .forward(&x, &mut Ctx::train(&random::key(k)))
            .to_vec::<f32>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    // The masks are jax.random.bernoulli draws from the stream's keys fold_in(key, 0), (.., 1).
    let key = random::key(7);
    let m1 = random::bernoulli(&random::fold_in(&key, 0), 0.5, &[256]).to_vec::<bool>();
    let m2 = random::bernoulli(&random::fold_in(&key, 1), 0.75, &[256]).to_vec::<bool>();
    for (i, v) in run(7).iter().enumerate() {
        let want = if m1[i] && m2[i] { 2.0 / 0.75 } else { 0.0 };
        assert!((v - want).abs() < 1e-6, "element {i}: {v} vs {want}");
    }
    assert_eq!(
        model.forward(&x, &mut Ctx::eval()).to_vec::<f32>(),
        vec![1.0; 256]
    );
}

#[test]
fn batch_norm_statistics_update_in_a_jitted_step_and_serve_evaluation() {
    let bn = nn::BatchNorm::with_options(2, 0.9, 1e-5);
    let model = (affine(1.0, 0.0), bn.clone());
    let step = jit(|(x, st): &(Tensor, State)| {
        let mut cx = Ctx::train(&random::key(0)).with_state(st.clone());
        let y = model.forward(x, &mut cx);
        (y, cx.into_state())
    });
    let batches: Vec<Vec<f64>> = vec![
        vec![1.0, 10.0, 3.0, 20.0, 5.0, 60.0],
        vec![-2.0, 0.0, 2.0, 4.0, 6.0, 8.0],
    ];
    let mut state = nn::init_state(&model, &Tensor::zeros(&[3, 2], DType::F32));
    let (mut mean_ref, mut var_ref) = (vec![0.0f64; 2], vec![1.0f64; 2]);
    for b in &batches {
        let x = Tensor::from_vec(b.iter().map(|&v| v as f32).collect(), &[3, 2]);
        let (_, s) = step(&(x, state));
        state = s;
        // Plain-Rust reference: biased batch moments, then m * old + (1 - m) * batch.
        for c in 0..2 {
            let col: Vec<f64> = (0..3).map(|r| b[r * 2 + c]).collect();
            let mu = col.iter().sum::<f64>() / 3.0;
            let var = col.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / 3.0;
            mean_ref[c] = 0.9 * mean_ref[c] + 0.1 * mu;
            var_ref[c] = 0.9 * var_ref[c] + 0.1 * var;
        }
    }
    let (mean, var) = bn.running_stats(&state);
    for c in 0..2 {
        assert!((mean.to_vec::<f32>()[c] as f64 - mean_ref[c]).abs() < 1e-4);
        assert!((var.to_vec::<f32>()[c] as f64 - var_ref[c]).abs() < 1e-3 * var_ref[c]);
    }
    // Evaluation normalises with those statistics (and leaves them as they are).
    let x = Tensor::from_vec(vec![4.0f32, 12.0], &[1, 2]);
    let mut cx = Ctx::eval().with_state(state.clone());
    let y = model.forward(&x, &mut cx).to_vec::<f32>();
    for c in 0..2 {
        let want = ([4.0, 12.0][c] - mean_ref[c]) / (var_ref[c] + 1e-5).sqrt();
        assert!((y[c] as f64 - want).abs() < 1e-3, "{} vs {want}", y[c]);
    }
    let (mean2, _) = bn.running_stats(cx.state());
    assert_eq!(mean2.to_vec::<f32>(), mean.to_vec::<f32>());
}

/// A small classifier with dropout and batch norm (a user struct).
#[derive(PyTree, Clone)]
struct Net {
    l1: nn::Linear,
    bn: nn::BatchNorm,
    drop: nn::Dropout,
    l2: nn::Linear,
}

impl Module for Net {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = self.bn.forward(&self.l1.forward(x, cx), cx).relu();
        self.l2.forward(&self.drop.forward(&h, cx), cx)
    }
}

fn net(seed: i64, hidden: usize) -> Net {
    let [k1, k2] = random::split_n(&random::key(seed));
    Net {
        l1: nn::Linear::new(&k1, 3, hidden),
        bn: nn::BatchNorm::new(hidden),
        drop: nn::Dropout::new(0.3),
        l2: nn::Linear::new(&k2, hidden, 2),
    }
}

type AdamState = optim::StateOf<optim::Adam, Net>;

/// One training step: cross-entropy through dropout and batch norm, Adam update.
fn train_step(
    opt: &optim::Adam,
    (m, s, st, key, x, y): &(Net, AdamState, State, Tensor, Tensor, Tensor),
) -> (Net, AdamState, State, Tensor) {
    let loss = |m: &Net| {
        let mut cx = Ctx::train(key).with_state(st.clone());
        let logits = m.forward(x, &mut cx);
        let l = ferrax::losses::softmax_cross_entropy_with_integer_labels(&logits, y).mean();
        (l, cx.into_state())
    };
    let ((l, st), g) = value_and_grad_with_aux(loss)(m);
    let (u, s) = opt.update(&g, s, m);
    (optim::apply_updates(m, &u), s, st, l)
}

#[test]
fn a_jitted_adam_step_with_dropout_and_batch_norm_equals_the_eager_step() {
    let opt = optim::adam(1e-2);
    let model = net(1, 8);
    let x = random::normal(&random::key(2), &[16, 3]);
    let y = Tensor::from_vec((0..16).map(|i| i % 2).collect::<Vec<i32>>(), &[16]);
    let mut eager = (model.clone(), opt.init(&model), nn::init_state(&model, &x));
    let mut jitted = eager.clone();
    let step = jit(|a: &(Net, AdamState, State, Tensor, Tensor, Tensor)| train_step(&opt, a));
    for i in 0..3 {
        let key = random::fold_in(&random::key(9), i);
        let args = |c: &(Net, AdamState, State)| {
            (
                c.0.clone(),
                c.1.clone(),
                c.2.clone(),
                key.clone(),
                x.clone(),
                y.clone(),
            )
        };
        let (m, s, st, le) = train_step(&opt, &args(&eager));
        eager = (m, s, st);
        let (m, s, st, lj) = step(&args(&jitted));
        jitted = (m, s, st);
        assert!((le.item::<f32>() - lj.item::<f32>()).abs() <= 1e-6 * le.item::<f32>().abs());
    }
    let leaves = |c: &(Net, AdamState, State)| -> Vec<Vec<f32>> {
        ferrax::tree::tree_leaves(c)
            .iter()
            .map(|t| t.cast(DType::F32).to_vec::<f32>())
            .collect()
    };
    let (a, b) = (leaves(&eager), leaves(&jitted));
    assert_eq!(a.len(), b.len());
    for (u, v) in a.iter().zip(&b) {
        for (p, q) in u.iter().zip(v) {
            assert!((p - q).abs() <= 1e-5 * (1.0 + p.abs()), "{p} vs {q}");
        }
    }
    // The state really moved: batch statistics away from their start, Adam's count at 3.
    let (mean, _) = eager.0.bn.running_stats(&eager.2);
    assert!(mean.to_vec::<f32>().iter().any(|v| v.abs() > 1e-4));
}

#[test]
fn an_optimizer_state_made_for_another_model_is_a_clear_error() {
    let opt = optim::adam(1e-3);
    let small = net(1, 4);
    let large = net(1, 8);
    let state = opt.init(&small);
    let g = large.clone();
    let msg = panic_message(std::panic::AssertUnwindSafe(move || {
        let _ = opt.update(&g, &state, &large);
    }));
    // Both structures are named: the shapes the state was made for and the ones given.
    assert!(msg.contains("[3, 4]") && msg.contains("[3, 8]"), "{msg}");
}
