use ferrax::prelude::*;

#[derive(PyTree)]
struct Layer {
    w: Tensor,
    #[pytree(frozen)]
    b: Tensor,
}

fn main() {}
