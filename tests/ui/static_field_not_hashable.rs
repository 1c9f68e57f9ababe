use ferrax::prelude::*;

#[derive(Clone, Debug)]
struct Activation {
    slope: f32,
}

#[derive(PyTree)]
struct Layer {
    w: Tensor,
    #[pytree(static)]
    act: Activation,
}

fn main() {}
