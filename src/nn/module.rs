//! One calling convention for every layer: a [`Module`] is a pytree with `forward(&self, x, &mut Ctx)`. The [`Ctx`] carries what a
//! layer may need besides its parameters, explicitly (equinox's style): the mode (training or
//! inference), a stream of PRNG keys (deterministic given the key the `Ctx` was made from and
//! the order of draws) and mutable state (batch-norm running statistics), itself a pytree so
//! a jitted step takes it in and returns it.
//!
//! Composition is open: a tuple of modules is a module applying them in order, so a user's
//! own layer sits beside the built-in ones.

use crate::random;
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A layer: a pytree of parameters with a forward pass that reads the mode, draws keys and
/// updates state through `cx`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Module};
/// #[derive(PyTree, Clone)]
/// struct Scale { s: Tensor }
/// impl Module for Scale {
///     fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
///         x * &self.s
///     }
/// }
/// let m = (Scale { s: Tensor::scalar(2.0f32) }, Scale { s: Tensor::scalar(3.0f32) });
/// let y = m.forward(&Tensor::ones(&[2], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.to_vec::<f32>(), vec![6.0, 6.0]);
/// ```
pub trait Module {
    /// The output for input `x`.
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor;
}

macro_rules! tuple_module {
    ($($name:ident $field:tt),+) => {
        /// Applies the modules in order.
        impl<$($name: Module),+> Module for ($($name,)+) {
            fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
                let y = x.clone();
                $(let y = self.$field.forward(&y, cx);)+
                y
            }
        }
    };
}
tuple_module!(A 0);
tuple_module!(A 0, B 1);
tuple_module!(A 0, B 1, C 2);
tuple_module!(A 0, B 1, C 2, D 3);
tuple_module!(A 0, B 1, C 2, D 3, E 4);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Where a stateful layer keeps its entry in a [`State`]: a process-unique number drawn when
/// the layer is built (equinox's `StateIndex`), so two layers never share statistics and a
/// clone of a layer (the same layer) finds its own.
///
/// ```
/// use ferrax::nn::StateIndex;
/// assert_ne!(StateIndex::new("batch_norm"), StateIndex::new("batch_norm"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateIndex(String);

impl StateIndex {
    /// A fresh index named after the kind of layer (the name shows in the state's keys).
    pub fn new(kind: &str) -> StateIndex {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        StateIndex(format!("{kind}_{}", NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    /// The key of this entry in a [`State`].
    ///
    /// ```
    /// assert!(ferrax::nn::StateIndex::new("bn").key().starts_with("bn_"));
    /// ```
    pub fn key(&self) -> &str {
        &self.0
    }
}

/// The mutable state of a model (flax's mutable collections): each stateful layer's tensors
/// under its [`StateIndex`]. A pytree, so a jitted step takes it and returns the new one.
pub type State = BTreeMap<String, Vec<Tensor>>;

/// What a forward pass may use besides the parameters: the mode, a key stream and the state.
///
/// ```
/// use ferrax::nn::Ctx;
/// let mut cx = Ctx::train(&ferrax::random::key(0));
/// assert!(cx.is_training());
/// let (a, b) = (cx.next_key(), cx.next_key());
/// assert_ne!(a.to_vec::<u32>(), b.to_vec::<u32>());
/// ```
#[derive(Clone, Debug)]
pub struct Ctx {
    training: bool,
    key: Option<Tensor>,
    draws: u32,
    state: State,
}

impl Ctx {
    /// Inference: layers with randomness are deterministic (dropout is the identity) and
    /// normalisation uses its running statistics.
    ///
    /// ```
    /// assert!(!ferrax::nn::Ctx::eval().is_training());
    /// ```
    pub fn eval() -> Ctx {
        Ctx {
            training: false,
            key: None,
            draws: 0,
            state: State::new(),
        }
    }

    /// Training, drawing keys from `key`: the `i`-th draw is `random::fold_in(key, i)`.
    ///
    /// ```
    /// let cx = ferrax::nn::Ctx::train(&ferrax::random::key(1));
    /// assert!(cx.is_training());
    /// ```
    pub fn train(key: &Tensor) -> Ctx {
        Ctx {
            training: true,
            key: Some(key.clone()),
            ..Ctx::eval()
        }
    }

    /// This context with `state` (the state a previous pass returned, or one loaded from a
    /// checkpoint).
    ///
    /// ```
    /// let cx = ferrax::nn::Ctx::eval().with_state(Default::default());
    /// assert!(cx.state().is_empty());
    /// ```
    pub fn with_state(mut self, state: State) -> Ctx {
        self.state = state;
        self
    }

    /// Whether this is a training pass.
    ///
    /// ```
    /// assert!(ferrax::nn::Ctx::train(&ferrax::random::key(0)).is_training());
    /// ```
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// The next key of the stream. Panics, naming the caller, in a context made without a
    /// key (`Ctx::eval()`), where nothing should be random.
    ///
    /// ```
    /// use ferrax::nn::Ctx;
    /// let k = ferrax::random::key(7);
    /// let first = Ctx::train(&k).next_key();
    /// assert_eq!(first.to_vec::<u32>(), ferrax::random::fold_in(&k, 0).to_vec::<u32>());
    /// ```
    #[track_caller]
    pub fn next_key(&mut self) -> Tensor {
        let Some(key) = &self.key else {
            panic!(
                "nn::Ctx::next_key: this context has no PRNG key (made by Ctx::eval()); \
                 build it with Ctx::train(&key) to draw randomness (called from {})",
                std::panic::Location::caller()
            )
        };
        let k = random::fold_in(key, self.draws);
        self.draws += 1;
        k
    }

    /// The state so far.
    ///
    /// ```
    /// assert!(ferrax::nn::Ctx::eval().state().is_empty());
    /// ```
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state at the end of the pass (to hand to the next step).
    ///
    /// ```
    /// assert!(ferrax::nn::Ctx::eval().into_state().is_empty());
    /// ```
    pub fn into_state(self) -> State {
        self.state
    }

    /// A layer's entry, or `init()` if the state has none yet (a fresh model).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, StateIndex};
    /// let i = StateIndex::new("counter");
    /// let cx = Ctx::eval();
    /// assert_eq!(cx.get_state(&i, || vec![Tensor::scalar(0i32)])[0].item::<i32>(), 0);
    /// ```
    pub fn get_state(&self, index: &StateIndex, init: impl FnOnce() -> Vec<Tensor>) -> Vec<Tensor> {
        self.state.get(index.key()).cloned().unwrap_or_else(init)
    }

    /// Sets a layer's entry.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, StateIndex};
    /// let i = StateIndex::new("counter");
    /// let mut cx = Ctx::eval();
    /// cx.set_state(&i, vec![Tensor::scalar(5i32)]);
    /// assert_eq!(cx.state()[i.key()][0].item::<i32>(), 5);
    /// ```
    pub fn set_state(&mut self, index: &StateIndex, value: Vec<Tensor>) {
        self.state.insert(index.key().to_string(), value);
    }
}

/// The state a fresh `model` starts from: one evaluation pass on `example` (any input of the
/// right shape) records every stateful layer's initial entry. Give it to the first jitted
/// training step, so the step sees the same state structure on every call and is traced once.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Module};
/// let model = (nn::Linear::new(&ferrax::random::key(0), 3, 4), nn::BatchNorm::new(4));
/// let state = nn::init_state(&model, &Tensor::zeros(&[2, 3], DType::F32));
/// let (mean, var) = model.1.running_stats(&state);
/// assert_eq!((mean.to_vec::<f32>(), var.to_vec::<f32>()), (vec![0.0; 4], vec![1.0; 4]));
/// assert_eq!(state.len(), 1);
/// ```
pub fn init_state<M: Module>(model: &M, example: &Tensor) -> State {
    let mut cx = Ctx::eval();
    model.forward(example, &mut cx);
    cx.into_state()
}

macro_rules! activation_modules {
    ($($(#[$doc:meta])* $name:ident => $f:expr;)*) => {$(
        $(#[$doc])*
        #[derive(crate::PyTree, Clone, Copy, Debug, Default)]
        pub struct $name;

        impl Module for $name {
            fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
                let f: fn(&Tensor) -> Tensor = $f;
                f(x)
            }
        }
    )*};
}

activation_modules! {
    /// [`relu`](super::relu) as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, Relu};
    /// let y = Relu.forward(&Tensor::from_vec(vec![-1.0f32, 2.0], &[2]), &mut Ctx::eval());
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    Relu => super::relu;
    /// [`gelu`](super::gelu) (tanh approximation, flax's default) as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Gelu, Module};
    /// assert_eq!(Gelu.forward(&Tensor::scalar(0.0f32), &mut Ctx::eval()).item::<f32>(), 0.0);
    /// ```
    Gelu => super::gelu;
    /// [`silu`](super::silu) as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, Silu};
    /// assert_eq!(Silu.forward(&Tensor::scalar(0.0f32), &mut Ctx::eval()).item::<f32>(), 0.0);
    /// ```
    Silu => super::silu;
    /// [`sigmoid`](super::sigmoid) as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, Sigmoid};
    /// assert_eq!(Sigmoid.forward(&Tensor::scalar(0.0f32), &mut Ctx::eval()).item::<f32>(), 0.5);
    /// ```
    Sigmoid => super::sigmoid;
    /// `tanh` as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, Tanh};
    /// assert_eq!(Tanh.forward(&Tensor::scalar(0.0f32), &mut Ctx::eval()).item::<f32>(), 0.0);
    /// ```
    Tanh => |x| x.tanh();
    /// [`softmax`](super::softmax) over the last axis as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, Softmax};
    /// let y = Softmax.forward(&Tensor::zeros(&[2, 4], DType::F32), &mut Ctx::eval());
    /// assert_eq!(y.to_vec::<f32>(), vec![0.25; 8]);
    /// ```
    Softmax => |x| super::softmax(x, -1);
    /// [`log_softmax`](super::log_softmax) over the last axis as a module.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, LogSoftmax, Module};
    /// let y = LogSoftmax.forward(&Tensor::zeros(&[2], DType::F32), &mut Ctx::eval());
    /// assert!((y.to_vec::<f32>()[0] - 0.5f32.ln()).abs() < 1e-6);
    /// ```
    LogSoftmax => |x| super::log_softmax(x, -1);
}

/// Any function of one tensor as a module (a function pointer: part of the structure, no
/// parameters).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Lambda, Module};
/// let m = Lambda(|x| x * 2.0);
/// assert_eq!(m.forward(&Tensor::scalar(1.5f32), &mut Ctx::eval()).item::<f32>(), 3.0);
/// ```
#[derive(crate::PyTree, Clone, Copy, Debug)]
pub struct Lambda(#[pytree(static)] pub fn(&Tensor) -> Tensor);

impl Module for Lambda {
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        (self.0)(x)
    }
}
