//! [`Sequential`]: any modules, of any types, applied in order; [`AnyModule`], the
//! type-erased module it holds; and `Vec<M>` as a module (a stack of one kind of layer).
//!
//! A tuple of modules is the typed composition (its type names every layer); `Sequential` is
//! for stacks whose length or kinds are chosen at run time. Both are pytrees: `grad`, `jit`
//! and `vmap` see through them to the parameters.

use super::module::{Ctx, Module};
use crate::tensor::Tensor;
use crate::tree::{FieldStyle, PyTree, StructInfo, Subtree, TreeDefBuilder};
use std::any::TypeId;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A module whose concrete type is erased: the element type of [`Sequential`]. It is a pytree
/// like the module it wraps (the same leaves; the structure records the concrete type, so
/// `grad` and `jit` rebuild the same module).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, AnyModule, Ctx, Module};
/// let m = AnyModule::new(nn::Linear::new(&ferrax::random::key(0), 3, 2));
/// assert_eq!(ferrax::tree::tree_leaves(&m).len(), 2);
/// assert_eq!(m.forward(&Tensor::ones(&[3], DType::F32), &mut Ctx::eval()).shape(), &[2]);
/// let g: AnyModule = grad(|m: &AnyModule| m.forward(&Tensor::ones(&[3], DType::F32), &mut Ctx::eval()).sum())(&m);
/// assert_eq!(g.type_name(), m.type_name());
/// ```
#[derive(Clone)]
pub struct AnyModule(Arc<dyn ErasedModule>);

/// What `AnyModule` needs of the module it wraps, object-safe.
trait ErasedModule: Send + Sync {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor;
    fn flatten_into(&self, leaves: &mut Vec<Tensor>);
    fn treedef_into(&self, def: &mut TreeDefBuilder);
    fn rebuild(&self) -> Rebuild;
}

impl<M: Module + PyTree + Send + Sync + 'static> ErasedModule for M {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        Module::forward(self, x, cx)
    }
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        PyTree::flatten_into(self, leaves)
    }
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        PyTree::treedef_into(self, def)
    }
    fn rebuild(&self) -> Rebuild {
        Rebuild {
            type_id: TypeId::of::<M>(),
            name: std::any::type_name::<M>(),
            unflatten: |def, leaves| AnyModule::new(M::unflatten_from(def, leaves)),
        }
    }
}

/// The static part of an `AnyModule` node: the concrete type, and how to rebuild it from its
/// subtree. Compared and hashed by the type alone.
#[derive(Clone, Copy)]
struct Rebuild {
    type_id: TypeId,
    name: &'static str,
    unflatten: fn(&Subtree, &mut dyn Iterator<Item = Tensor>) -> AnyModule,
}

impl PartialEq for Rebuild {
    fn eq(&self, other: &Self) -> bool {
        self.type_id == other.type_id
    }
}

impl Eq for Rebuild {}

impl Hash for Rebuild {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.type_id.hash(state);
    }
}

impl fmt::Debug for Rebuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

const ANY_MODULE: StructInfo = StructInfo {
    name: "AnyModule",
    module: module_path!(),
    variant: None,
    variant_index: 0,
    style: FieldStyle::Tuple,
    fields: &["0"],
    static_fields: &["type"],
};

impl AnyModule {
    /// Wraps any module that is a pytree.
    ///
    /// ```
    /// use ferrax::nn::{AnyModule, Relu};
    /// assert!(AnyModule::new(Relu).type_name().ends_with("Relu"));
    /// ```
    pub fn new<M: Module + PyTree + Send + Sync + 'static>(module: M) -> AnyModule {
        AnyModule(Arc::new(module))
    }

    /// The wrapped module's type, as `std::any::type_name` spells it.
    ///
    /// ```
    /// use ferrax::nn::{AnyModule, Tanh};
    /// assert_eq!(AnyModule::new(Tanh).type_name(), "ferrax::nn::module::Tanh");
    /// ```
    pub fn type_name(&self) -> &'static str {
        self.0.rebuild().name
    }
}

impl fmt::Debug for AnyModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyModule({})", self.type_name())
    }
}

impl Module for AnyModule {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        self.0.forward(x, cx)
    }
}

impl PyTree for AnyModule {
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        self.0.flatten_into(leaves)
    }

    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        let rebuild: Arc<dyn crate::tree::StaticValue> = Arc::new(self.0.rebuild());
        def.structure(&ANY_MODULE, Box::new([rebuild]), |d| self.0.treedef_into(d));
    }

    #[track_caller]
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        let mut node = def.expect_struct(&ANY_MODULE);
        let rebuild: Rebuild = node.static_field(0);
        (rebuild.unflatten)(node.child(), leaves)
    }
}

/// Modules of any types applied in order (`flax.linen.Sequential`, `equinox.nn.Sequential`):
/// built-in layers, activations and a user's own modules side by side. Randomness and state
/// come from the [`Ctx`] as for any module.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Ctx, Module, Sequential};
/// use ferrax::random;
/// let [k1, k2] = random::split_n(&random::key(0));
/// let net = Sequential::new()
///     .push(nn::Conv2d::new(&k1, 1, 4, [3, 3]))
///     .push(nn::BatchNorm::new(4))
///     .push(nn::Relu)
///     .push(nn::MaxPool2d::new([2, 2], [2, 2]))
///     .push(nn::Flatten::new())
///     .push(nn::Dropout::new(0.5))
///     .push(nn::Linear::new(&k2, 4 * 4 * 4, 10));
/// let x = Tensor::ones(&[2, 8, 8, 1], DType::F32);
/// let mut cx = Ctx::train(&random::key(1));
/// let logits = net.forward(&x, &mut cx);
/// assert_eq!(logits.shape(), &[2, 10]);
/// let state = cx.into_state(); // the batch-norm statistics, for the next step or for eval
/// let eval = net.forward(&x, &mut Ctx::eval().with_state(state));
/// assert_eq!(eval.shape(), &[2, 10]);
/// ```
#[derive(crate::PyTree, Clone, Debug, Default)]
pub struct Sequential {
    pub layers: Vec<AnyModule>,
}

impl Sequential {
    /// An empty stack (the identity).
    ///
    /// ```
    /// assert!(ferrax::nn::Sequential::new().is_empty());
    /// ```
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// The stack with `module` appended.
    ///
    /// ```
    /// let s = ferrax::nn::Sequential::new().push(ferrax::nn::Relu).push(ferrax::nn::Tanh);
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn push<M: Module + PyTree + Send + Sync + 'static>(mut self, module: M) -> Sequential {
        self.layers.push(AnyModule::new(module));
        self
    }

    /// The number of modules.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::Sequential::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the stack is empty.
    ///
    /// ```
    /// assert!(!ferrax::nn::Sequential::new().push(ferrax::nn::Relu).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Module for Sequential {
    /// Applies every module in order.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Linear, Module, Sequential, Tanh};
    /// let s = Sequential::new().push(Linear::new(&ferrax::random::key(0), 3, 2)).push(Tanh);
    /// let y = s.forward(&Tensor::ones(&[3], DType::F32), &mut Ctx::eval());
    /// assert!(y.to_vec::<f32>().iter().all(|v| v.abs() < 1.0));
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        Module::forward(&self.layers, x, cx)
    }
}

/// A stack of modules of one type, applied in order (e.g. `Vec<TransformerBlock>`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Linear, Module};
/// let ks = ferrax::random::split(&ferrax::random::key(0), 3);
/// let stack: Vec<Linear> = (0..3).map(|i| Linear::new(&ks.index_axis(0, i as isize), 4, 4)).collect();
/// assert_eq!(stack.forward(&Tensor::ones(&[2, 4], DType::F32), &mut Ctx::eval()).shape(), &[2, 4]);
/// ```
impl<M: Module> Module for Vec<M> {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let mut y = x.clone();
        for m in self {
            y = m.forward(&y, cx);
        }
        y
    }
}
