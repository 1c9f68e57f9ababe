//! Feed-forward `ferrax::nn` layers and functional ops: shapes, plain-Rust references (and
//! JAX's conv/pool outputs from tests/golden/nn.txt), `check_grads`, and vmap/jit agreement.

use ferrax::nn::{self, Ctx, Module, Padding};
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;
use ferrax::tree;

fn rand(seed: i64, shape: &[usize]) -> Tensor {
    random::normal_with(&random::key(seed), shape, DType::F64)
}

/// Every leaf replaced by f64 normals (so zero biases and unit scales get exercised too).
fn randomize<T: PyTree>(t: &T, seed: i64) -> T {
    let (leaves, def) = t.flatten();
    let new = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| rand(seed * 100 + i as i64, l.shape()))
        .collect();
    T::unflatten(&def, new)
}

use crate::common;
use common::close::{self as close, f64s};

#[track_caller]
fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    close::assert_close(&f64s(got), want, tol);
}

#[track_caller]
fn assert_same(a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    assert_close(a, &f64s(b), tol);
}

fn golden(name: &str) -> (Vec<usize>, Vec<f64>) {
    let line = include_str!("../golden/nn.txt")
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no golden case {name}"));
    let mut it = line.split_whitespace().skip(2);
    let shape = it
        .next()
        .unwrap()
        .split('x')
        .map(|d| d.parse().unwrap())
        .collect();
    let vals = it
        .map(|h| f64::from_bits(u64::from_str_radix(h, 16).unwrap()))
        .collect();
    (shape, vals)
}

fn sin_input(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| (i as f64).sin()).collect(), shape)
}

fn cos_input(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| (i as f64).cos()).collect(), shape)
}

/// Plain-loop NHWC x HWIO convolution with explicit pads, strides, dilation and groups.
#[allow(clippy::too_many_arguments)]
fn conv_ref(
    x: &[f64],
    xs: [usize; 4],
    w: &[f64],
    ws: [usize; 4],
    st: [usize; 2],
    pads: [(usize, usize); 2],
    dil: [usize; 2],
    groups: usize,
) -> (Vec<usize>, Vec<f64>) {
    let [n, h, wd, c] = xs;
    let [kh, kw, ci, co] = ws;
    let eff = |k: usize, d: usize| (k - 1) * d + 1;
    let oh = (h + pads[0].0 + pads[0].1 - eff(kh, dil[0])) / st[0] + 1;
    let ow = (wd + pads[1].0 + pads[1].1 - eff(kw, dil[1])) / st[1] + 1;
    let per_group = co / groups;
    let mut out = vec![0.0; n * oh * ow * co];
    for b in 0..n {
        for i in 0..oh {
            for j in 0..ow {
                for o in 0..co {
                    let g = o / per_group;
                    let mut acc = 0.0;
                    for a in 0..kh {
                        for e in 0..kw {
                            let y = (i * st[0] + a * dil[0]) as isize - pads[0].0 as isize;
                            let z = (j * st[1] + e * dil[1]) as isize - pads[1].0 as isize;
                            if y < 0 || z < 0 || y >= h as isize || z >= wd as isize {
                                continue;
                            }
                            for q in 0..ci {
                                let xi = ((b * h + y as usize) * wd + z as usize) * c + g * ci + q;
                                acc += x[xi] * w[((a * kw + e) * ci + q) * co + o];
                            }
                        }
                    }
                    out[((b * oh + i) * ow + j) * co + o] = acc;
                }
            }
        }
    }
    (vec![n, oh, ow, co], out)
}

/// Plain-loop pooling (max or mean over a window including padded positions).
fn pool_ref(
    x: &[f64],
    xs: [usize; 4],
    win: [usize; 2],
    st: [usize; 2],
    pads: [(usize, usize); 2],
    max: bool,
) -> (Vec<usize>, Vec<f64>) {
    let [n, h, wd, c] = xs;
    let oh = (h + pads[0].0 + pads[0].1 - win[0]) / st[0] + 1;
    let ow = (wd + pads[1].0 + pads[1].1 - win[1]) / st[1] + 1;
    let mut out = Vec::with_capacity(n * oh * ow * c);
    for b in 0..n {
        for i in 0..oh {
            for j in 0..ow {
                for ch in 0..c {
                    let mut acc = if max { f64::NEG_INFINITY } else { 0.0 };
                    for a in 0..win[0] {
                        for e in 0..win[1] {
                            let y = (i * st[0] + a) as isize - pads[0].0 as isize;
                            let z = (j * st[1] + e) as isize - pads[1].0 as isize;
                            if y < 0 || z < 0 || y >= h as isize || z >= wd as isize {
                                continue;
                            }
                            let v = x[((b * h + y as usize) * wd + z as usize) * c + ch];
                            acc = if max { acc.max(v) } else { acc + v };
                        }
                    }
                    out.push(if max {
                        acc
                    } else {
                        acc / (win[0] * win[1]) as f64
                    });
                }
            }
        }
    }
    (vec![n, oh, ow, c], out)
}

#[test]
fn conv2d_matches_jax_and_the_loop_reference() {
    type Case = (
        &'static str,
        [usize; 4],
        [usize; 4],
        [usize; 2],
        Padding,
        [usize; 2],
        usize,
    );
    let cases: Vec<Case> = vec![
        (
            "conv_valid",
            [2, 5, 6, 3],
            [3, 2, 3, 4],
            [1, 1],
            Padding::Valid,
            [1, 1],
            1,
        ),
        (
            "conv_same_s2",
            [1, 7, 6, 2],
            [3, 3, 2, 3],
            [2, 2],
            Padding::Same,
            [1, 1],
            1,
        ),
        (
            "conv_same_dil",
            [1, 8, 7, 2],
            [3, 2, 2, 2],
            [1, 2],
            Padding::Same,
            [2, 1],
            1,
        ),
        (
            "conv_explicit_g2",
            [2, 5, 5, 4],
            [2, 3, 2, 6],
            [2, 1],
            Padding::Explicit(vec![(1, 2), (0, 1)]),
            [1, 1],
            2,
        ),
    ];
    for (name, xs, ws, st, pad, dil, g) in cases {
        let (x, w) = (sin_input(&xs), cos_input(&ws));
        let y = nn::conv2d_with(&x, &w, &st, pad.clone(), &dil, g);
        let (shape, want) = golden(name);
        assert_eq!(y.shape(), shape.as_slice(), "{name}");
        assert_close(&y, &want, 1e-12);
        let p = pad.pads(&xs[1..3], &ws[0..2], &st, &dil);
        let (rshape, r) = conv_ref(&f64s(&x), xs, &f64s(&w), ws, st, [p[0], p[1]], dil, g);
        assert_eq!(rshape, shape, "{name}");
        assert_close(&y, &r, 1e-12);
    }
    // The contract's spelling and the unbatched form.
    let x = sin_input(&[1, 5, 6, 3]);
    let w = cos_input(&[3, 2, 3, 4]);
    let y = nn::conv2d(&x, &w, &[1, 1], Padding::Valid);
    let y1 = nn::conv2d(&x.index_axis(0, 0), &w, &[1, 1], Padding::Valid);
    assert_same(&y1, &y.index_axis(0, 0), 0.0);
}

#[test]
fn same_padding_follows_padtype_to_pads() {
    assert_eq!(
        Padding::Same.pads(&[5, 6], &[3, 3], &[2, 2], &[1, 1]),
        vec![(1, 1), (0, 1)]
    );
    assert_eq!(Padding::Same.pads(&[4], &[1], &[3], &[1]), vec![(0, 0)]);
    assert_eq!(Padding::Same.pads(&[7], &[4], &[1], &[1]), vec![(1, 2)]);
    let r = std::panic::catch_unwind(|| {
        Padding::Explicit(vec![(1, 1)]).pads(&[3, 3], &[2, 2], &[1, 1], &[1, 1])
    });
    assert!(r.is_err());
}

#[test]
fn pooling_matches_jax_and_the_loop_reference() {
    let xs = [2, 7, 5, 3];
    let x = sin_input(&xs);
    let xv = f64s(&x);
    let same = |win: [usize; 2], st: [usize; 2]| {
        let p = Padding::Same.pads(&xs[1..3], &win, &st, &[1, 1]);
        [p[0], p[1]]
    };
    let y = nn::max_pool2d(&x, &[3, 2], &[2, 2]);
    let (shape, want) = golden("max_pool_valid");
    assert_eq!(y.shape(), shape.as_slice());
    assert_close(&y, &want, 0.0);
    assert_close(
        &y,
        &pool_ref(&xv, xs, [3, 2], [2, 2], [(0, 0); 2], true).1,
        0.0,
    );

    let y = nn::max_pool2d_with(&x, &[3, 2], &[2, 2], Padding::Same);
    let (shape, want) = golden("max_pool_same");
    assert_eq!(y.shape(), shape.as_slice());
    assert_close(&y, &want, 0.0);
    assert_close(
        &y,
        &pool_ref(&xv, xs, [3, 2], [2, 2], same([3, 2], [2, 2]), true).1,
        0.0,
    );

    let y = nn::avg_pool2d(&x, &[2, 3], &[1, 2]);
    let (shape, want) = golden("avg_pool_valid");
    assert_eq!(y.shape(), shape.as_slice());
    assert_close(&y, &want, 1e-14);
    assert_close(
        &y,
        &pool_ref(&xv, xs, [2, 3], [1, 2], [(0, 0); 2], false).1,
        1e-14,
    );

    let y = nn::avg_pool2d_with(&x, &[2, 3], &[2, 2], Padding::Same, true);
    let (shape, want) = golden("avg_pool_same");
    assert_eq!(y.shape(), shape.as_slice());
    assert_close(&y, &want, 1e-14);
    assert_close(
        &y,
        &pool_ref(&xv, xs, [2, 3], [2, 2], same([2, 3], [2, 2]), false).1,
        1e-14,
    );

    // Layers are the same ops.
    assert_same(
        &nn::MaxPool2d::new([3, 2], [2, 2]).forward(&x, &mut Ctx::eval()),
        &nn::max_pool2d(&x, &[3, 2], &[2, 2]),
        0.0,
    );
    assert_same(
        &nn::AvgPool2d::new([2, 3], [1, 2]).forward(&x, &mut Ctx::eval()),
        &nn::avg_pool2d(&x, &[2, 3], &[1, 2]),
        0.0,
    );
}

#[test]
fn pooling_gradients_and_transforms() {
    let x = rand(1, &[2, 5, 4, 2]);
    check_grads(|x: &Tensor| nn::max_pool2d(x, &[2, 2], &[1, 2]), &x, 1);
    check_grads(
        |x: &Tensor| nn::avg_pool2d_with(x, &[3, 2], &[2, 1], Padding::Same, false),
        &x,
        2,
    );
    let mp = nn::MaxPool2d::new([2, 2], [2, 2]);
    let per_example = vmap(|x: &Tensor| mp.forward(x, &mut Ctx::eval()))(&x);
    assert_same(&per_example, &mp.forward(&x, &mut Ctx::eval()), 0.0);
    assert_same(
        &jit(|x: &Tensor| mp.forward(x, &mut Ctx::eval()))(&x),
        &mp.forward(&x, &mut Ctx::eval()),
        0.0,
    );
    let ap = nn::AvgPool2d::new([2, 2], [1, 1]);
    assert_same(
        &vmap(|x: &Tensor| ap.forward(x, &mut Ctx::eval()))(&x),
        &ap.forward(&x, &mut Ctx::eval()),
        1e-15,
    );
    assert_same(
        &jit(|x: &Tensor| ap.forward(x, &mut Ctx::eval()))(&x),
        &ap.forward(&x, &mut Ctx::eval()),
        1e-15,
    );
}

#[test]
fn linear_forward_shapes_grads_and_transforms() {
    let l = nn::Linear::new(&random::key(0), 3, 4);
    assert_eq!(l.kernel.dtype(), DType::F32);
    assert_eq!(
        l.forward(&Tensor::ones(&[2, 5, 3], DType::F32), &mut Ctx::eval())
            .shape(),
        &[2, 5, 4]
    );
    let l = randomize(&l, 1);
    let x = rand(2, &[5, 3]);
    let y = l.forward(&x, &mut Ctx::eval());
    let (k, b, xv) = (f64s(&l.kernel), f64s(l.bias.as_ref().unwrap()), f64s(&x));
    let mut want = vec![0.0; 20];
    for i in 0..5 {
        for o in 0..4 {
            want[i * 4 + o] = b[o] + (0..3).map(|c| xv[i * 3 + c] * k[c * 4 + o]).sum::<f64>();
        }
    }
    assert_close(&y, &want, 1e-14);
    check_grads(
        |(l, x): &(nn::Linear, Tensor)| l.forward(x, &mut Ctx::eval()).tanh(),
        &(l.clone(), x.clone()),
        2,
    );
    assert_same(
        &vmap(|x: &Tensor| l.forward(x, &mut Ctx::eval()))(&x),
        &y,
        1e-15,
    );
    assert_same(
        &jit(|(l, x): &(nn::Linear, Tensor)| l.forward(x, &mut Ctx::eval()))(&(
            l.clone(),
            x.clone(),
        )),
        &y,
        1e-15,
    );
    // grad over the parameters is a Linear of the same structure.
    let g: nn::Linear = grad(|l: &nn::Linear| l.forward(&x, &mut Ctx::eval()).sum())(&l);
    assert_close(g.bias.as_ref().unwrap(), &[5.0; 4], 1e-14);
    let no_bias = nn::Linear::with_init(&random::key(0), 3, 2, false, &nn::init::zeros());
    assert_eq!(
        no_bias
            .forward(&x.cast(DType::F32), &mut Ctx::eval())
            .to_vec::<f32>(),
        vec![0.0; 10]
    );
    let r = std::panic::catch_unwind(|| l.forward(&rand(0, &[2, 4]), &mut Ctx::eval()));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("nn::Linear") && msg.contains("f64[2,4]"),
        "{msg}"
    );
}

#[test]
fn conv2d_layer_forward_grads_and_transforms() {
    use nn::{Conv2d, Conv2dOptions};
    let c = Conv2d::new(&random::key(0), 2, 3, [3, 3]);
    assert_eq!(c.kernel.shape(), &[3, 3, 2, 3]);
    assert_eq!(
        c.forward(&Tensor::ones(&[2, 6, 5, 2], DType::F32), &mut Ctx::eval())
            .shape(),
        &[2, 6, 5, 3]
    );
    let opts = Conv2dOptions {
        strides: [2, 1],
        padding: Padding::Explicit(vec![(1, 0), (2, 1)]),
        dilation: [1, 2],
        groups: 2,
        use_bias: true,
    };
    let c = randomize(
        &Conv2d::with_options(&random::key(1), 4, 6, [2, 2], opts),
        3,
    );
    assert_eq!(c.kernel.shape(), &[2, 2, 2, 6]);
    let x = rand(4, &[2, 5, 4, 4]);
    let y = c.forward(&x, &mut Ctx::eval());
    let (rshape, mut want) = conv_ref(
        &f64s(&x),
        [2, 5, 4, 4],
        &f64s(&c.kernel),
        [2, 2, 2, 6],
        [2, 1],
        [(1, 0), (2, 1)],
        [1, 2],
        2,
    );
    let b = f64s(c.bias.as_ref().unwrap());
    for (i, v) in want.iter_mut().enumerate() {
        *v += b[i % 6];
    }
    assert_eq!(y.shape(), &[2, 3, 5, 6]);
    assert_eq!(rshape, [2, 3, 5, 6]);
    assert_close(&y, &want, 1e-13);
    check_grads(
        |(c, x): &(Conv2d, Tensor)| c.forward(x, &mut Ctx::eval()),
        &(c.clone(), x.clone()),
        1,
    );
    assert_same(
        &vmap(|x: &Tensor| c.forward(x, &mut Ctx::eval()))(&x),
        &y,
        1e-14,
    );
    assert_same(
        &jit(|(c, x): &(Conv2d, Tensor)| c.forward(x, &mut Ctx::eval()))(&(c.clone(), x.clone())),
        &y,
        1e-14,
    );
    // Options are static: they print in the treedef and are not leaves.
    assert_eq!(tree::tree_leaves(&c).len(), 2);
    assert!(tree::tree_structure(&c).to_string().contains("groups: 2"));
}

#[test]
fn flatten_and_embedding() {
    let x = rand(0, &[2, 3, 4]);
    let f = nn::Flatten::new();
    let y = f.forward(&x, &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 12]);
    assert_close(&y, &f64s(&x), 0.0);
    assert_same(
        &vmap(|x: &Tensor| nn::Flatten { start_axis: 0 }.forward(x, &mut Ctx::eval()))(&x),
        &y,
        0.0,
    );
    assert_same(
        &jit(|x: &Tensor| f.forward(x, &mut Ctx::eval()))(&x),
        &y,
        0.0,
    );
    check_grads(|x: &Tensor| f.forward(x, &mut Ctx::eval()).sin(), &x, 1);

    let e = randomize(&nn::Embedding::new(&random::key(0), 6, 3), 5);
    let table = f64s(&e.embedding);
    let ids = Tensor::from_vec(vec![5i32, 0, 2, 2, 1, 4], &[2, 3]);
    let y = e.forward(&ids, &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 3, 3]);
    let want: Vec<f64> = [5, 0, 2, 2, 1, 4]
        .iter()
        .flat_map(|&i| table[i * 3..i * 3 + 3].to_vec())
        .collect();
    assert_close(&y, &want, 0.0);
    // Gradient: each row accumulates the cotangents of its lookups.
    let g: nn::Embedding = grad(|e: &nn::Embedding| e.forward(&ids, &mut Ctx::eval()).sum())(&e);
    assert_close(
        &g.embedding,
        &[
            1., 1., 1., 1., 1., 1., 2., 2., 2., 0., 0., 0., 1., 1., 1., 1., 1., 1.,
        ],
        0.0,
    );
    check_grads(
        |e: &nn::Embedding| e.forward(&ids, &mut Ctx::eval()).square(),
        &e,
        1,
    );
    assert_same(
        &vmap(|i: &Tensor| e.forward(i, &mut Ctx::eval()))(&ids),
        &y,
        0.0,
    );
    assert_same(
        &jit(|(e, i): &(nn::Embedding, Tensor)| e.forward(i, &mut Ctx::eval()))(&(
            e.clone(),
            ids.clone(),
        )),
        &y,
        0.0,
    );
    let q = rand(6, &[4, 3]);
    let att = e.attend(&q);
    assert_eq!(att.shape(), &[4, 6]);
    let qv = f64s(&q);
    let want: Vec<f64> = (0..4)
        .flat_map(|i| (0..6).map(move |j| (i, j)))
        .map(|(i, j)| (0..3).map(|c| qv[i * 3 + c] * table[j * 3 + c]).sum())
        .collect();
    assert_close(&att, &want, 1e-14);
}

#[test]
fn dropout_train_eval_scaling_and_key_use() {
    let d = nn::Dropout::new(0.3);
    let x = Tensor::ones(&[20000], DType::F32);
    let key = random::key(7);
    let y = d.forward(&x, &mut Ctx::train(&key)).to_vec::<f32>();
    let keep = 1.0f32 / 0.7;
    assert!(y.iter().all(|&v| v == 0.0 || (v - keep).abs() < 1e-6));
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / 20000.0;
    assert!((kept - 0.7).abs() < 0.015, "kept fraction {kept}");
    // Inverted scaling keeps the mean; the mask is bernoulli(k, 1 - rate) exactly (flax), with
    // k the first key of the context's stream, fold_in(key, 0).
    let mask = random::bernoulli(&random::fold_in(&key, 0), 0.7, &[20000]).to_vec::<bool>();
    assert!(mask.iter().zip(&y).all(|(&m, &v)| m == (v != 0.0)));
    assert_eq!(d.forward(&x, &mut Ctx::train(&key)).to_vec::<f32>(), y);
    assert_ne!(
        d.forward(&x, &mut Ctx::train(&random::key(8)))
            .to_vec::<f32>(),
        y
    );
    // A second dropout in the same pass draws the next key, fold_in(key, 1).
    let mut cx = Ctx::train(&key);
    assert_eq!(d.forward(&x, &mut cx).to_vec::<f32>(), y);
    let y2 = d.forward(&x, &mut cx).to_vec::<f32>();
    let mask2 = random::bernoulli(&random::fold_in(&key, 1), 0.7, &[20000]).to_vec::<bool>();
    assert!(mask2.iter().zip(&y2).all(|(&m, &v)| m == (v != 0.0)));
    assert_ne!(y2, y);
    // Eval and rate 0 are the identity; rate 1 drops everything. In training every rate
    // draws its key from the stream (so later layers' keys do not depend on the rate).
    assert_eq!(
        d.forward(&x, &mut Ctx::eval()).to_vec::<f32>(),
        vec![1.0; 20000]
    );
    let mut cx = Ctx::train(&key);
    assert_eq!(
        nn::Dropout::new(0.0).forward(&x, &mut cx).to_vec::<f32>(),
        vec![1.0; 20000]
    );
    assert_eq!(
        cx.next_key().to_vec::<u32>(),
        random::fold_in(&key, 1).to_vec::<u32>()
    );
    let mut cx = Ctx::train(&key);
    assert_eq!(
        nn::Dropout::new(1.0).forward(&x, &mut cx).to_vec::<f32>(),
        vec![0.0; 20000]
    );
    assert_eq!(
        cx.next_key().to_vec::<u32>(),
        random::fold_in(&key, 1).to_vec::<u32>()
    );
    // Drawing randomness from a context without a key (made by Ctx::eval()) panics.
    let r = std::panic::catch_unwind(|| Ctx::eval().next_key());
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("no PRNG key"), "{msg}");
    assert!(std::panic::catch_unwind(|| nn::Dropout::new(1.5)).is_err());
    // Gradient flows through kept elements only, scaled; jit and vmap (per-example keys).
    let xs = rand(1, &[4, 6]);
    check_grads(|x: &Tensor| d.forward(x, &mut Ctx::train(&key)), &xs, 2);
    let eager = d.forward(&xs, &mut Ctx::train(&key));
    let jitted = jit(|(x, k): &(Tensor, Tensor)| d.forward(x, &mut Ctx::train(k)))(&(
        xs.clone(),
        key.clone(),
    ));
    assert_same(&jitted, &eager, 0.0);
    let keys = random::split(&key, 4);
    let per_row = vmap(|(x, k): &(Tensor, Tensor)| d.forward(x, &mut Ctx::train(k)))(&(
        xs.clone(),
        keys.clone(),
    ));
    for i in 0..4 {
        let row = d.forward(
            &xs.index_axis(0, i),
            &mut Ctx::train(&random::key_at(&keys, i as usize)),
        );
        assert_same(&per_row.index_axis(0, i), &row, 0.0);
    }
}

/// Per-feature normalisation reference over rows of `[rows, f]`.
fn norm_rows_ref(
    x: &[f64],
    rows: usize,
    f: usize,
    axis_rows: bool,
    eps: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    // axis_rows: statistics per feature over rows (batch norm); else per row (layer norm).
    let mut y = vec![0.0; rows * f];
    let (groups, len) = if axis_rows { (f, rows) } else { (rows, f) };
    let at = |g: usize, i: usize| if axis_rows { i * f + g } else { g * f + i };
    let (mut means, mut vars) = (vec![], vec![]);
    for g in 0..groups {
        let mean = (0..len).map(|i| x[at(g, i)]).sum::<f64>() / len as f64;
        let var = (0..len).map(|i| (x[at(g, i)] - mean).powi(2)).sum::<f64>() / len as f64;
        for i in 0..len {
            y[at(g, i)] = (x[at(g, i)] - mean) / (var + eps).sqrt();
        }
        means.push(mean);
        vars.push(var);
    }
    (y, means, vars)
}

#[test]
fn batch_norm_train_eval_state_and_grads() {
    let bn = randomize(&nn::BatchNorm::new(3), 2);
    let x = rand(3, &[2, 4, 3]);
    // Starting running statistics, given through the context's state under the layer's index.
    let (mean0, var0) = (rand(4, &[3]), rand(5, &[3]).exp());
    let mut state = nn::State::new();
    state.insert(
        bn.index.key().to_string(),
        vec![mean0.clone(), var0.clone()],
    );
    assert_eq!(bn.running_stats(&state).0.to_vec::<f64>(), f64s(&mean0));
    let key = random::key(0);
    let train = |s: &nn::State| Ctx::train(&key).with_state(s.clone());
    let eval = |s: &nn::State| Ctx::eval().with_state(s.clone());
    let mut cx = train(&state);
    let y = bn.forward(&x, &mut cx);
    let new_state = cx.into_state();
    let (norm, means, vars) = norm_rows_ref(&f64s(&x), 8, 3, true, 1e-5);
    let (s, b) = (f64s(&bn.scale), f64s(&bn.bias));
    let want: Vec<f64> = norm
        .iter()
        .enumerate()
        .map(|(i, v)| v * s[i % 3] + b[i % 3])
        .collect();
    assert_close(&y, &want, 1e-12);
    let (m0, v0) = (f64s(&mean0), f64s(&var0));
    let want_mean: Vec<f64> = (0..3).map(|i| 0.99 * m0[i] + 0.01 * means[i]).collect();
    let want_var: Vec<f64> = (0..3).map(|i| 0.99 * v0[i] + 0.01 * vars[i]).collect();
    let (new_mean, new_var) = bn.running_stats(&new_state);
    assert_close(&new_mean, &want_mean, 1e-13);
    assert_close(&new_var, &want_var, 1e-13);
    assert_eq!(new_state.len(), 1);
    // Eval uses the running statistics and stores them unchanged.
    let mut cx = eval(&state);
    let ye = bn.forward(&x, &mut cx);
    let xv = f64s(&x);
    let want: Vec<f64> = xv
        .iter()
        .enumerate()
        .map(|(i, v)| (v - m0[i % 3]) / (v0[i % 3] + 1e-5).sqrt() * s[i % 3] + b[i % 3])
        .collect();
    assert_close(&ye, &want, 1e-12);
    let (se_mean, se_var) = bn.running_stats(cx.state());
    assert_eq!(f64s(&se_mean), m0);
    assert_eq!(f64s(&se_var), v0);
    // grad over the params only: the state lives in the context, never differentiated.
    let g: nn::BatchNorm =
        grad(|p: &nn::BatchNorm| p.forward(&x, &mut train(&state)).square().sum())(&bn);
    assert_eq!(g.scale.shape(), &[3]);
    assert_eq!(tree::tree_leaves(&bn).len(), 2);
    check_grads(
        |(p, x): &(nn::BatchNorm, Tensor)| p.forward(x, &mut train(&state)),
        &(bn.clone(), x.clone()),
        1,
    );
    check_grads(
        |(p, x): &(nn::BatchNorm, Tensor)| p.forward(x, &mut eval(&state)),
        &(bn.clone(), x.clone()),
        1,
    );
    // jit: the step takes the state in and returns the new state as an output; vmap maps
    // over an outer axis.
    let j = jit(|(p, s, x): &(nn::BatchNorm, nn::State, Tensor)| {
        let mut cx = Ctx::train(&key).with_state(s.clone());
        let y = p.forward(x, &mut cx);
        (y, cx.into_state())
    });
    let (yj, sj) = j(&(bn.clone(), state.clone(), x.clone()));
    assert_same(&yj, &y, 1e-14);
    assert_same(&bn.running_stats(&sj).1, &new_var, 1e-14);
    let yv = vmap(|x: &Tensor| bn.forward(x, &mut train(&state)))(&x);
    for i in 0..2 {
        assert_same(
            &yv.index_axis(0, i),
            &bn.forward(&x.index_axis(0, i), &mut train(&state)),
            1e-13,
        );
    }
    // Defaults and the initial state (zeros and ones, in the parameters' dtype).
    let d = nn::BatchNorm::new(2);
    assert_eq!((d.momentum.0, d.epsilon.0), (0.99, 1e-5));
    let st = nn::init_state(&d, &Tensor::zeros(&[5, 2], DType::F32));
    assert_eq!(st.len(), 1);
    let (mean, var) = d.running_stats(&st);
    assert_eq!(
        (mean.to_vec::<f32>(), var.to_vec::<f32>()),
        (vec![0.0; 2], vec![1.0; 2])
    );
    let (mean, var) = d.running_stats(&nn::State::new());
    assert_eq!(
        (mean.to_vec::<f32>(), var.to_vec::<f32>()),
        (vec![0.0; 2], vec![1.0; 2])
    );
}

#[test]
fn layer_norm_forward_grads_and_transforms() {
    let ln = randomize(&nn::LayerNorm::new(5), 1);
    assert_eq!(nn::LayerNorm::new(5).epsilon.0, 1e-6);
    let x = rand(2, &[3, 2, 5]);
    let y = ln.forward(&x, &mut Ctx::eval());
    let (norm, _, _) = norm_rows_ref(&f64s(&x), 6, 5, false, 1e-6);
    let (s, b) = (f64s(&ln.scale), f64s(&ln.bias));
    let want: Vec<f64> = norm
        .iter()
        .enumerate()
        .map(|(i, v)| v * s[i % 5] + b[i % 5])
        .collect();
    assert_close(&y, &want, 1e-12);
    check_grads(
        |(l, x): &(nn::LayerNorm, Tensor)| l.forward(x, &mut Ctx::eval()),
        &(ln.clone(), x.clone()),
        2,
    );
    assert_same(
        &vmap(|x: &Tensor| ln.forward(x, &mut Ctx::eval()))(&x),
        &y,
        1e-14,
    );
    assert_same(
        &jit(|(l, x): &(nn::LayerNorm, Tensor)| l.forward(x, &mut Ctx::eval()))(&(
            ln.clone(),
            x.clone(),
        )),
        &y,
        1e-14,
    );
    let r = std::panic::catch_unwind(|| ln.forward(&rand(0, &[2, 4]), &mut Ctx::eval()));
    assert!(r.is_err());
}

#[test]
fn f32_layers_keep_f32() {
    let x = Tensor::ones(&[2, 6, 6, 3], DType::F32);
    let c = nn::Conv2d::new(&random::key(0), 3, 4, [3, 3]);
    let bn = nn::BatchNorm::new(4);
    let mut cx = Ctx::train(&random::key(1));
    let y = bn.forward(&c.forward(&x, &mut cx), &mut cx);
    let (mean, _) = bn.running_stats(cx.state());
    assert_eq!((y.dtype(), mean.dtype()), (DType::F32, DType::F32));
    let y = nn::LayerNorm::new(4).forward(&y, &mut Ctx::eval());
    assert_eq!(y.dtype(), DType::F32);
    let c64: nn::Conv2d = ferrax::optim::tree_utils::tree_cast(&c, DType::F64);
    assert_eq!(
        c64.forward(&x.cast(DType::F64), &mut Ctx::eval()).dtype(),
        DType::F64
    );
}
