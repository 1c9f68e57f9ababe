use ferrax::prelude::*;

struct Config {
    lr: f32,
}

#[derive(PyTree)]
struct Model {
    w: Tensor,
    config: Config,
}

fn main() {}
