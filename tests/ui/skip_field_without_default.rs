use ferrax::prelude::*;

struct Handle(u32);

#[derive(PyTree)]
struct Layer {
    w: Tensor,
    #[pytree(skip)]
    handle: Handle,
}

fn main() {}
