// An optimizer state is typed by the parameters it was made for: giving Adam's state for a
// `Vec<Tensor>` to an update on a tuple is a compile error (same type, other shapes would be a
// runtime panic naming both structures).
use ferrax::optim::{self, GradientTransformation};
use ferrax::prelude::*;

fn main() {
    let opt = optim::adam(1e-3);
    let p = vec![Tensor::scalar(1.0f32)];
    let s = opt.init(&p);
    let q = (Tensor::scalar(1.0f32),);
    let _ = opt.update(&q, &s, &q);
}
