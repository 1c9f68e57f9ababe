//! LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
//! recognition", 1998) as it is commonly used on 28x28 MNIST today.
//!
//! The choices, against the paper: the paper feeds 32x32 images (MNIST padded by 2) to a VALID
//! 5x5 convolution; here the first convolution is 'SAME'-padded on the 28x28 image, which is
//! the same 28x28x6 feature map. The paper's subsampling layers (average times a trained
//! coefficient plus a bias, then a squashing function) are plain 2x2 average pools; its
//! scaled tanh is ReLU; C3's partial connection table is a full 6 -> 16 convolution; the RBF
//! output layer is a dense layer giving logits for softmax cross-entropy. The sizes are the
//! paper's: 6 and 16 maps of 5x5 kernels, dense 400-120-84-10: 61,706 parameters.

use crate::nn::{self, Conv2dOptions, Ctx, Module, Padding};
use crate::random;
use crate::tensor::Tensor;

/// LeNet-5 on `[N, 28, 28, 1]` NHWC images: conv 5x5x6 SAME, ReLU, avg pool 2x2, conv 5x5x16
/// VALID, ReLU, avg pool 2x2, flatten (400, in H, W, C order), dense 120, ReLU, dense 84, ReLU,
/// dense `classes` (the `head`, logits). See the module docs for how it differs from the paper.
///
/// ```
/// use ferrax::models::LeNet5;
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let net = LeNet5::new(&ferrax::random::key(0));
/// let logits = net.forward(&Tensor::zeros(&[2, 28, 28, 1], DType::F32), &mut Ctx::eval());
/// assert_eq!(logits.shape(), &[2, 10]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct LeNet5 {
    /// C1: 5x5, 1 -> 6 channels, SAME.
    pub conv1: nn::Conv2d,
    /// C3: 5x5, 6 -> 16 channels, VALID.
    pub conv2: nn::Conv2d,
    /// C5 (as a dense layer on the flattened 5x5x16 maps): 400 -> 120.
    pub fc1: nn::Linear,
    /// F6: 120 -> 84.
    pub fc2: nn::Linear,
    /// The output layer, 84 -> classes: the part transfer learning replaces.
    pub head: nn::Linear,
}

impl LeNet5 {
    /// The 10-class model, initialised from `key` (lecun-normal weights, zero biases).
    ///
    /// ```
    /// let net = ferrax::models::LeNet5::new(&ferrax::random::key(0));
    /// assert_eq!(net.conv1.kernel.shape(), &[5, 5, 1, 6]);
    /// assert_eq!(net.num_params(), 61_706);
    /// ```
    pub fn new(key: &Tensor) -> LeNet5 {
        Self::with_classes(key, 10)
    }

    /// The model with a `classes`-way head. Panics if `classes` is 0.
    ///
    /// ```
    /// let net = ferrax::models::LeNet5::with_classes(&ferrax::random::key(0), 5);
    /// assert_eq!(net.head.kernel.shape(), &[84, 5]);
    /// ```
    #[track_caller]
    pub fn with_classes(key: &Tensor, classes: usize) -> LeNet5 {
        assert!(
            classes > 0,
            "models::LeNet5::with_classes: classes must be > 0"
        );
        let [k1, k2, k3, k4, k5] = random::split_n(key);
        let valid = Conv2dOptions {
            padding: Padding::Valid,
            ..Default::default()
        };
        LeNet5 {
            conv1: nn::Conv2d::new(&k1, 1, 6, [5, 5]),
            conv2: nn::Conv2d::with_options(&k2, 6, 16, [5, 5], valid),
            fc1: nn::Linear::new(&k3, 400, 120),
            fc2: nn::Linear::new(&k4, 120, 84),
            head: nn::Linear::new(&k5, 84, classes),
        }
    }

    /// The same model with a fresh `classes`-way head from `key` (transfer learning: keep the
    /// features, learn a new output layer).
    ///
    /// ```
    /// let net = ferrax::models::LeNet5::new(&ferrax::random::key(0));
    /// let five = net.clone().replace_head(&ferrax::random::key(1), 5);
    /// assert_eq!(five.head.kernel.shape(), &[84, 5]);
    /// assert_eq!(five.fc2.kernel.to_vec::<f32>(), net.fc2.kernel.to_vec::<f32>());
    /// ```
    pub fn replace_head(mut self, key: &Tensor, classes: usize) -> LeNet5 {
        self.head = nn::Linear::new(key, 84, classes);
        self
    }

    /// The 84 features F6 gives the head (after its ReLU): `[N, 84]` for `[N, 28, 28, 1]`
    /// images, `[84]` for one `[28, 28, 1]` image (so the model can be `vmap`ped per image).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let net = ferrax::models::LeNet5::new(&ferrax::random::key(0));
    /// let f = net.features(&Tensor::zeros(&[3, 28, 28, 1], DType::F32), &mut ferrax::nn::Ctx::eval());
    /// assert_eq!(f.shape(), &[3, 84]);
    /// ```
    #[track_caller]
    pub fn features(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let single = x.shape() == [28, 28, 1];
        assert!(
            single || (x.ndim() == 4 && x.shape()[1..] == [28, 28, 1]),
            "models::LeNet5::forward: expected [N, 28, 28, 1] images or one [28, 28, 1] \
             image, got {:?}",
            x.shape()
        );
        let x = if single {
            x.reshape(&[1, 28, 28, 1])
        } else {
            x.clone()
        };
        let h = self.conv1.forward(&x, cx).relu();
        let h = nn::avg_pool2d(&h, &[2, 2], &[2, 2]);
        let h = self.conv2.forward(&h, cx).relu();
        let h = nn::avg_pool2d(&h, &[2, 2], &[2, 2]);
        let h = h.reshape(&[h.shape()[0] as isize, 400]);
        let h = self.fc1.forward(&h, cx).relu();
        let f = self.fc2.forward(&h, cx).relu();
        if single {
            f.reshape(&[84])
        } else {
            f
        }
    }

    /// The number of scalar parameters.
    ///
    /// ```
    /// assert_eq!(ferrax::models::LeNet5::with_classes(&ferrax::random::key(0), 2).num_params(), 61_026);
    /// ```
    pub fn num_params(&self) -> usize {
        use crate::tree::PyTree;
        self.leaves().iter().map(|l| l.size()).sum()
    }
}

impl Module for LeNet5 {
    /// Logits `[N, classes]` for `[N, 28, 28, 1]` images (`[classes]` for one `[28, 28, 1]`
    /// image); panics naming the shape otherwise.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let net = ferrax::models::LeNet5::new(&ferrax::random::key(0));
    /// assert_eq!(net.forward(&Tensor::ones(&[1, 28, 28, 1], DType::F32), &mut Ctx::eval()).shape(), &[1, 10]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let f = self.features(x, cx);
        self.head.forward(&f, cx)
    }
}
