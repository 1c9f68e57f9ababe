//! Recurrent layers, attention, the Transformer block and `Sequential`: shapes, plain-Rust
//! references, `check_grads`, and vmap/jit agreement with the eager call.

use ferrax::nn::{self, Ctx, Module, RecurrentCell, Sequential};
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;
use ferrax::tree;

fn rand(seed: i64, shape: &[usize]) -> Tensor {
    random::normal_with(&random::key(seed), shape, DType::F64)
}

/// Every leaf replaced by f64 normals times `scale`.
fn randomize<T: PyTree>(t: &T, seed: i64, scale: f64) -> T {
    let (leaves, def) = t.flatten();
    let new = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| rand(seed * 100 + i as i64, l.shape()) * scale)
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

/// `x[n] · w[n, m]` for plain vectors.
fn vecmat(x: &[f64], w: &[f64], m: usize) -> Vec<f64> {
    (0..m)
        .map(|j| x.iter().enumerate().map(|(i, v)| v * w[i * m + j]).sum())
        .collect()
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// Reference recurrences over one sequence `xs[t][in]`; returns the outputs per step.
fn lstm_ref(c: &nn::LstmCell, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let h_n = c.wh.shape()[0];
    let (wi, wh, b) = (f64s(&c.wi), f64s(&c.wh), f64s(&c.b));
    let (mut cs, mut hs) = (vec![0.0; h_n], vec![0.0; h_n]);
    let mut out = vec![];
    for x in xs {
        let zi = vecmat(x, &wi, 4 * h_n);
        let zh = vecmat(&hs, &wh, 4 * h_n);
        let z: Vec<f64> = (0..4 * h_n).map(|k| zi[k] + zh[k] + b[k]).collect();
        for k in 0..h_n {
            let (i, f) = (sigmoid(z[k]), sigmoid(z[h_n + k]));
            let (g, o) = (z[2 * h_n + k].tanh(), sigmoid(z[3 * h_n + k]));
            cs[k] = f * cs[k] + i * g;
            hs[k] = o * cs[k].tanh();
        }
        out.push(hs.clone());
    }
    out
}

fn gru_ref(c: &nn::GruCell, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = c.wh.shape()[0];
    let (wi, bi, wh, bhn) = (f64s(&c.wi), f64s(&c.bi), f64s(&c.wh), f64s(&c.bhn));
    let mut h = vec![0.0; n];
    let mut out = vec![];
    for x in xs {
        let zi = vecmat(x, &wi, 3 * n);
        let zh = vecmat(&h, &wh, 3 * n);
        h = (0..n)
            .map(|k| {
                let r = sigmoid(zi[k] + bi[k] + zh[k]);
                let z = sigmoid(zi[n + k] + bi[n + k] + zh[n + k]);
                let cand = (zi[2 * n + k] + bi[2 * n + k] + r * (zh[2 * n + k] + bhn[k])).tanh();
                (1.0 - z) * cand + z * h[k]
            })
            .collect();
        out.push(h.clone());
    }
    out
}

fn rnn_ref(c: &nn::RnnCell, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = c.wh.shape()[0];
    let (wi, wh, b) = (f64s(&c.wi), f64s(&c.wh), f64s(&c.b));
    let mut h = vec![0.0; n];
    let mut out = vec![];
    for x in xs {
        let (zi, zh) = (vecmat(x, &wi, n), vecmat(&h, &wh, n));
        h = (0..n).map(|k| (zi[k] + zh[k] + b[k]).tanh()).collect();
        out.push(h.clone());
    }
    out
}

/// Splits `xs[B, T, F]` into per-batch, per-step vectors.
fn steps(xs: &Tensor) -> Vec<Vec<Vec<f64>>> {
    let (b, t, f) = (xs.shape()[0], xs.shape()[1], xs.shape()[2]);
    let v = f64s(xs);
    (0..b)
        .map(|i| {
            (0..t)
                .map(|s| v[(i * t + s) * f..(i * t + s + 1) * f].to_vec())
                .collect()
        })
        .collect()
}

fn flat(per_batch: Vec<Vec<Vec<f64>>>) -> Vec<f64> {
    per_batch.into_iter().flatten().flatten().collect()
}

#[test]
fn recurrent_cells_and_layers_shapes_and_init() {
    let key = random::key(0);
    let lstm = nn::Lstm::new(&key, 3, 5);
    assert_eq!(
        (lstm.cell.wi.shape(), lstm.cell.wh.shape()),
        (&[3usize, 20][..], &[5usize, 20][..])
    );
    // Each gate's recurrent block is orthogonal (flax: orthogonal per gate kernel).
    let wh = lstm.cell.wh.cast(DType::F64);
    for g in 0..4 {
        let blk = wh.slice_axis(1, g * 5, (g + 1) * 5);
        let gram = f64s(&blk.t().matmul(&blk));
        for i in 0..5 {
            assert!((gram[i * 6] - 1.0).abs() < 1e-5);
        }
    }
    assert_eq!(
        lstm.forward(&Tensor::ones(&[2, 7, 3], DType::F32), &mut Ctx::eval())
            .shape(),
        &[2, 7, 5]
    );
    assert_eq!(
        lstm.forward(&Tensor::ones(&[7, 3], DType::F32), &mut Ctx::eval())
            .shape(),
        &[7, 5]
    );
    let ((c, h), ys) = lstm.forward_with_carry(
        &lstm.cell.initial_carry(&[2]),
        &Tensor::ones(&[2, 7, 3], DType::F32),
        &mut Ctx::eval(),
    );
    assert_eq!(
        (c.shape(), h.shape(), ys.shape()),
        (&[2usize, 5][..], &[2usize, 5][..], &[2usize, 7, 5][..])
    );
    let gru = nn::Gru::new(&key, 3, 4);
    assert_eq!(
        (gru.cell.wi.shape(), gru.cell.bhn.shape()),
        (&[3usize, 12][..], &[4usize][..])
    );
    assert_eq!(
        gru.forward(&Tensor::ones(&[1, 2, 6, 3], DType::F32), &mut Ctx::eval())
            .shape(),
        &[1, 2, 6, 4]
    );
    let rnn = nn::Rnn::new(&key, 3, 4);
    assert_eq!(
        rnn.forward(&Tensor::ones(&[6, 3], DType::F32), &mut Ctx::eval())
            .shape(),
        &[6, 4]
    );
    // A sequence is one scan equation, not T unrolled steps.
    let text = make_jaxpr(|x: &Tensor| lstm.forward(x, &mut Ctx::eval()))(&Tensor::ones(
        &[2, 50, 3],
        DType::F32,
    ))
    .to_string();
    assert_eq!(text.matches("scan[").count(), 1, "{text}");
}

#[test]
fn recurrent_layers_match_loop_references() {
    let xs = rand(1, &[2, 5, 3]);
    let per = steps(&xs);
    let lstm: nn::Lstm = randomize(&nn::Lstm::new(&random::key(0), 3, 4), 2, 0.5);
    let want = flat(per.iter().map(|s| lstm_ref(&lstm.cell, s)).collect());
    assert_close(&lstm.forward(&xs, &mut Ctx::eval()), &want, 1e-13);
    let gru: nn::Gru = randomize(&nn::Gru::new(&random::key(0), 3, 4), 3, 0.5);
    let want = flat(per.iter().map(|s| gru_ref(&gru.cell, s)).collect());
    assert_close(&gru.forward(&xs, &mut Ctx::eval()), &want, 1e-13);
    let rnn: nn::Rnn = randomize(&nn::Rnn::new(&random::key(0), 3, 4), 4, 0.5);
    let want = flat(per.iter().map(|s| rnn_ref(&rnn.cell, s)).collect());
    assert_close(&rnn.forward(&xs, &mut Ctx::eval()), &want, 1e-13);
    // Time-major equals batch-major transposed; the final carry is the last output.
    let tm = nn::scan_cell_time_major(
        &lstm.cell,
        &lstm.cell.initial_carry(&[2]),
        &xs.transpose(&[1, 0, 2]),
    )
    .1;
    assert_same(
        &tm.transpose(&[1, 0, 2]),
        &lstm.forward(&xs, &mut Ctx::eval()),
        1e-15,
    );
    let ((_, h), ys) =
        lstm.forward_with_carry(&lstm.cell.initial_carry(&[2]), &xs, &mut Ctx::eval());
    assert_same(&h, &ys.index_axis(1, -1), 0.0);
}

#[test]
fn recurrent_grads_vmap_and_jit() {
    let xs = rand(5, &[2, 4, 3]);
    let lstm: nn::Lstm = randomize(&nn::Lstm::new(&random::key(0), 3, 3), 6, 0.5);
    check_grads(
        |(l, x): &(nn::Lstm, Tensor)| l.forward(x, &mut Ctx::eval()),
        &(lstm.clone(), xs.clone()),
        1,
    );
    let gru: nn::Gru = randomize(&nn::Gru::new(&random::key(1), 3, 3), 7, 0.5);
    check_grads(
        |(l, x): &(nn::Gru, Tensor)| l.forward(x, &mut Ctx::eval()),
        &(gru.clone(), xs.clone()),
        1,
    );
    let rnn: nn::Rnn = randomize(&nn::Rnn::new(&random::key(2), 3, 3), 8, 0.5);
    check_grads(
        |(l, x): &(nn::Rnn, Tensor)| l.forward(x, &mut Ctx::eval()),
        &(rnn.clone(), xs.clone()),
        1,
    );
    let cell = lstm.cell.clone();
    check_grads(
        |(c, x): &(nn::LstmCell, Tensor)| c.step(&(x.sin(), x.cos()), x).1,
        &(cell, rand(9, &[2, 3])),
        2,
    );
    for (name, eager, mapped, jitted) in [
        (
            "lstm",
            lstm.forward(&xs, &mut Ctx::eval()),
            vmap(|x: &Tensor| lstm.forward(x, &mut Ctx::eval()))(&xs),
            jit(|(l, x): &(nn::Lstm, Tensor)| l.forward(x, &mut Ctx::eval()))(&(
                lstm.clone(),
                xs.clone(),
            )),
        ),
        (
            "gru",
            gru.forward(&xs, &mut Ctx::eval()),
            vmap(|x: &Tensor| gru.forward(x, &mut Ctx::eval()))(&xs),
            jit(|(l, x): &(nn::Gru, Tensor)| l.forward(x, &mut Ctx::eval()))(&(
                gru.clone(),
                xs.clone(),
            )),
        ),
        (
            "rnn",
            rnn.forward(&xs, &mut Ctx::eval()),
            vmap(|x: &Tensor| rnn.forward(x, &mut Ctx::eval()))(&xs),
            jit(|(l, x): &(nn::Rnn, Tensor)| l.forward(x, &mut Ctx::eval()))(&(
                rnn.clone(),
                xs.clone(),
            )),
        ),
    ] {
        assert_same(&mapped, &eager, 1e-14);
        assert_same(&jitted, &eager, 1e-14);
        eprintln!("{name}: vmap and jit agree");
    }
}

/// Plain multi-head attention over one sequence: `xq[lq][d]`, `xkv[lk][d]`, mask[lq][lk].
fn mha_ref(
    m: &nn::MultiHeadAttention,
    xq: &[Vec<f64>],
    xkv: &[Vec<f64>],
    mask: Option<&[Vec<bool>]>,
) -> Vec<f64> {
    let d = m.query.kernel.shape()[0];
    let lin = |l: &nn::Linear, x: &[f64]| -> Vec<f64> {
        let b = f64s(l.bias.as_ref().unwrap());
        vecmat(x, &f64s(&l.kernel), d)
            .iter()
            .zip(&b)
            .map(|(a, b)| a + b)
            .collect()
    };
    let q: Vec<Vec<f64>> = xq.iter().map(|x| lin(&m.query, x)).collect();
    let k: Vec<Vec<f64>> = xkv.iter().map(|x| lin(&m.key, x)).collect();
    let v: Vec<Vec<f64>> = xkv.iter().map(|x| lin(&m.value, x)).collect();
    let (h, dh) = (m.num_heads, d / m.num_heads);
    let mut out = vec![];
    for (i, qi) in q.iter().enumerate() {
        let mut o = vec![0.0; d];
        for head in 0..h {
            let r = head * dh..(head + 1) * dh;
            let logits: Vec<f64> = k
                .iter()
                .enumerate()
                .map(|(j, kj)| {
                    let allowed = mask.is_none_or(|m| m[i][j]);
                    if allowed {
                        r.clone().map(|c| qi[c] * kj[c]).sum::<f64>() / (dh as f64).sqrt()
                    } else {
                        f64::MIN
                    }
                })
                .collect();
            let mx = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = logits.iter().map(|l| (l - mx).exp()).collect();
            let s: f64 = e.iter().sum();
            for (j, vj) in v.iter().enumerate() {
                for c in r.clone() {
                    o[c] += e[j] / s * vj[c];
                }
            }
        }
        out.extend(lin(&m.out, &o));
    }
    out
}

fn rows(x: &Tensor) -> Vec<Vec<f64>> {
    let d = x.shape()[x.ndim() - 1];
    f64s(x).chunks(d).map(|c| c.to_vec()).collect()
}

#[test]
fn attention_matches_reference_with_masks() {
    let mha: nn::MultiHeadAttention =
        randomize(&nn::MultiHeadAttention::new(&random::key(0), 6, 2), 1, 0.5);
    let xq = rand(2, &[4, 6]);
    let xkv = rand(3, &[5, 6]);
    assert_close(
        &mha.attend(&xq, &xkv, None, &mut Ctx::eval()),
        &mha_ref(&mha, &rows(&xq), &rows(&xkv), None),
        1e-13,
    );
    // Causal self-attention.
    let causal = nn::causal_mask(4);
    let cm: Vec<Vec<bool>> = (0..4).map(|i| (0..4).map(|j| j <= i).collect()).collect();
    assert_eq!(causal.to_vec::<bool>(), cm.concat());
    let y = mha.attend(&xq, &xq, Some(&causal), &mut Ctx::eval());
    assert_close(&y, &mha_ref(&mha, &rows(&xq), &rows(&xq), Some(&cm)), 1e-13);
    // As a Module: self-attention, unmasked, or causal when built with .causal().
    assert_close(
        &mha.forward(&xq, &mut Ctx::eval()),
        &mha_ref(&mha, &rows(&xq), &rows(&xq), None),
        1e-13,
    );
    assert_close(
        &mha.clone().causal().forward(&xq, &mut Ctx::eval()),
        &mha_ref(&mha, &rows(&xq), &rows(&xq), Some(&cm)),
        1e-13,
    );
    // Padding mask with a fully masked query row: finite (uniform weights, as flax).
    let qv = Tensor::from_vec(vec![true, true, false, true], &[4]);
    let kv = Tensor::from_vec(vec![true, false, true, true, false], &[5]);
    let mask = nn::attention_mask(&qv, &kv);
    assert_eq!(mask.shape(), &[1, 4, 5]);
    let m: Vec<Vec<bool>> = (0..4)
        .map(|i| {
            (0..5)
                .map(|j| [true, true, false, true][i] && [true, false, true, true, false][j])
                .collect()
        })
        .collect();
    let y = mha.attend(&xq, &xkv, Some(&mask), &mut Ctx::eval());
    assert!(f64s(&y).iter().all(|v| v.is_finite()));
    assert_close(&y, &mha_ref(&mha, &rows(&xq), &rows(&xkv), Some(&m)), 1e-13);
    // Key padding mask broadcasts over batch, heads and queries.
    let xb = rand(4, &[2, 3, 6]);
    let valid = Tensor::from_vec(vec![true, true, false, true, false, false], &[2, 3]);
    let pm = nn::padding_mask(&valid);
    assert_eq!(pm.shape(), &[2, 1, 1, 3]);
    let y = mha.attend(&xb, &xb, Some(&pm), &mut Ctx::eval());
    for b in 0..2 {
        let vb: Vec<bool> = valid.to_vec::<bool>()[b * 3..b * 3 + 3].to_vec();
        let mb: Vec<Vec<bool>> = (0..3).map(|_| vb.clone()).collect();
        let xr = rows(&xb.index_axis(0, b as isize));
        assert_close(
            &y.index_axis(0, b as isize),
            &mha_ref(&mha, &xr, &xr, Some(&mb)),
            1e-13,
        );
    }
    // Gradients are finite even through fully masked rows.
    let all_masked = Tensor::full(&[4, 4], false, DType::Bool);
    let g: nn::MultiHeadAttention = grad(|m: &nn::MultiHeadAttention| {
        m.attend(&xq, &xq, Some(&all_masked), &mut Ctx::eval())
            .sum()
    })(&mha);
    assert!(tree::tree_leaves(&g)
        .iter()
        .all(|t| f64s(t).iter().all(|v| v.is_finite())));
}

#[test]
fn attention_and_transformer_grads_vmap_jit() {
    let mha: nn::MultiHeadAttention =
        randomize(&nn::MultiHeadAttention::new(&random::key(0), 4, 2), 1, 0.5);
    let x = rand(2, &[2, 3, 4]);
    let causal = nn::causal_mask(3);
    check_grads(
        |(m, x): &(nn::MultiHeadAttention, Tensor)| m.attend(x, x, Some(&causal), &mut Ctx::eval()),
        &(mha.clone(), x.clone()),
        1,
    );
    let eager = mha.attend(&x, &x, Some(&causal), &mut Ctx::eval());
    assert_same(
        &vmap(|x: &Tensor| mha.attend(x, x, Some(&causal), &mut Ctx::eval()))(&x),
        &eager,
        1e-14,
    );
    let j = jit(|(m, x): &(nn::MultiHeadAttention, Tensor)| {
        m.attend(x, x, Some(&causal), &mut Ctx::eval())
    });
    assert_same(&j(&(mha.clone(), x.clone())), &eager, 1e-14);

    let block: nn::TransformerBlock =
        randomize(&nn::TransformerBlock::new(&random::key(1), 4, 2, 8), 3, 0.5);
    let y = block.forward_masked(&x, Some(&causal), &mut Ctx::eval());
    // As a Module, a causal block applies the causal mask itself.
    assert_same(
        &block.clone().causal().forward(&x, &mut Ctx::eval()),
        &y,
        0.0,
    );
    assert_eq!(y.shape(), &[2, 3, 4]);
    // Reference: the block's own sublayers composed by hand (pre-norm residuals).
    let ev = Ctx::eval;
    let h1 = block.ln1.forward(&x, &mut ev());
    let h = &x + block.attn.attend(&h1, &h1, Some(&causal), &mut ev());
    let mlp = |h: &Tensor| {
        let m = block
            .mlp_in
            .forward(&block.ln2.forward(h, &mut ev()), &mut ev());
        block.mlp_out.forward(&nn::gelu(&m), &mut ev())
    };
    let want = &h + mlp(&h);
    assert_same(&y, &want, 1e-14);
    check_grads(
        |(b, x): &(nn::TransformerBlock, Tensor)| {
            b.forward_masked(x, Some(&causal), &mut Ctx::eval())
        },
        &(block.clone(), x.clone()),
        1,
    );
    assert_same(
        &vmap(|x: &Tensor| block.forward_masked(x, Some(&causal), &mut Ctx::eval()))(&x),
        &y,
        1e-13,
    );
    let j = jit(|(b, x): &(nn::TransformerBlock, Tensor)| {
        b.forward_masked(x, Some(&causal), &mut Ctx::eval())
    });
    assert_same(&j(&(block.clone(), x.clone())), &y, 1e-13);
    // Dropout only in training, drawn from the context's keys; rate 0 training equals eval.
    let key = random::key(5);
    assert_same(
        &block.forward_masked(&x, Some(&causal), &mut Ctx::train(&key)),
        &y,
        0.0,
    );
    let dropped = block.clone().with_dropout(0.5);
    let yt = dropped.forward_masked(&x, Some(&causal), &mut Ctx::train(&key));
    assert!(f64s(&yt)
        .iter()
        .zip(f64s(&y))
        .any(|(a, b)| (a - b).abs() > 1e-6));
    // The attention branch's mask uses the stream's first key, fold_in(key, 0), and the MLP
    // branch's the second, fold_in(key, 1).
    let drop = |k: u32, v: &Tensor| {
        let keep = random::bernoulli(&random::fold_in(&key, k), 0.5, v.shape());
        ferrax::numpy::where_(&keep, v / 0.5, 0.0)
    };
    let ht = &x + drop(0, &block.attn.attend(&h1, &h1, Some(&causal), &mut ev()));
    let want_t = &ht + drop(1, &mlp(&ht));
    assert_same(&yt, &want_t, 1e-14);
    assert_same(
        &dropped.forward_masked(&x, Some(&causal), &mut Ctx::eval()),
        &y,
        0.0,
    );
}

/// The stack in evaluation with running statistics `st`.
fn predict(net: &Sequential, x: &Tensor, st: &nn::State) -> Tensor {
    net.forward(x, &mut Ctx::eval().with_state(st.clone()))
}

#[test]
fn sequential_threads_mode_keys_and_state() {
    use ferrax::optim::tree_utils::tree_cast;
    use ferrax::transforms::{JitOptions, Jitted};
    let [k1, k2, k3] = random::split_n(&random::key(0));
    // The layers, kept (as clones) for the reference computation below.
    let conv = nn::Conv2d::new(&k1, 2, 3, [3, 3]);
    let bn = nn::BatchNorm::new(3);
    let pool = nn::AvgPool2d::new([2, 2], [2, 2]);
    let drop = nn::Dropout::new(0.5);
    let lin1 = nn::Linear::new(&k2, 2 * 2 * 3, 5);
    let norm = nn::LayerNorm::new(5);
    let lin2 = nn::Linear::new(&k3, 5, 4);
    let net = Sequential::new()
        .push(conv.clone())
        .push(bn.clone())
        .push(nn::Relu)
        .push(pool.clone())
        .push(nn::Flatten::new())
        .push(drop.clone())
        .push(lin1.clone())
        .push(norm.clone())
        .push(nn::Tanh)
        .push(lin2.clone())
        .push(nn::Lambda(|x| nn::log_softmax(x, -1)));
    assert_eq!(net.len(), 11);
    let net: Sequential = tree_cast(&net, DType::F64);
    let (c, bn, p, d, l1, ln, l2): (
        nn::Conv2d,
        nn::BatchNorm,
        nn::AvgPool2d,
        nn::Dropout,
        nn::Linear,
        nn::LayerNorm,
        nn::Linear,
    ) = tree_cast(&(conv, bn, pool, drop, lin1, norm, lin2), DType::F64);
    let ev = Ctx::eval;
    let x = rand(1, &[3, 4, 4, 2]);
    // The fresh state: one entry, the batch norm's zeros and ones.
    let state = nn::init_state(&net, &x);
    assert_eq!(state.len(), 1);
    assert!(state.contains_key(bn.index.key()));
    let (m0, v0) = bn.running_stats(&state);
    assert_eq!((f64s(&m0), f64s(&v0)), (vec![0.0; 3], vec![1.0; 3]));
    let key = random::key(9);
    let mut cx = Ctx::train(&key).with_state(state.clone());
    let y = net.forward(&x, &mut cx);
    let new_state = cx.into_state();
    assert_eq!(y.shape(), &[3, 4]);
    // Reference: the same layers applied by hand; the dropout is the stream's only draw, so
    // its mask is bernoulli(fold_in(key, 0), 0.5).
    let mut bcx = Ctx::train(&key).with_state(state.clone());
    let h = bn.forward(&c.forward(&x, &mut ev()), &mut bcx);
    let bn_state = bcx.into_state();
    let h = nn::Flatten::new().forward(&p.forward(&nn::relu(&h), &mut ev()), &mut ev());
    assert_eq!(d.rate.0, 0.5);
    let keep = random::bernoulli(&random::fold_in(&key, 0), 0.5, h.shape());
    let h = ferrax::numpy::where_(&keep, &h / 0.5, 0.0);
    let want = nn::log_softmax(
        &l2.forward(
            &ln.forward(&l1.forward(&h, &mut ev()), &mut ev()).tanh(),
            &mut ev(),
        ),
        -1,
    );
    assert_same(&y, &want, 1e-14);
    assert_same(
        &bn.running_stats(&new_state).0,
        &bn.running_stats(&bn_state).0,
        0.0,
    );
    assert_same(
        &bn.running_stats(&new_state).1,
        &bn.running_stats(&bn_state).1,
        0.0,
    );
    assert_eq!(new_state.len(), 1);
    // Eval: no dropout, running statistics, state returned unchanged.
    let mut ecx = Ctx::eval().with_state(new_state.clone());
    let ye = net.forward(&x, &mut ecx);
    let (em, evar) = bn.running_stats(ecx.state());
    assert_same(&em, &bn.running_stats(&new_state).0, 0.0);
    assert_same(&evar, &bn.running_stats(&new_state).1, 0.0);
    let he = bn.forward(
        &c.forward(&x, &mut ev()),
        &mut Ctx::eval().with_state(new_state.clone()),
    );
    let he = nn::Flatten::new().forward(&p.forward(&nn::relu(&he), &mut ev()), &mut ev());
    let want = nn::log_softmax(
        &l2.forward(
            &ln.forward(&l1.forward(&he, &mut ev()), &mut ev()).tanh(),
            &mut ev(),
        ),
        -1,
    );
    assert_same(&ye, &want, 1e-14);
    assert_same(&predict(&net, &x, &new_state), &ye, 0.0);
    // A jitted training step: grad over params only, state as an output (aux).
    let loss = |(net, x): &(Sequential, Tensor)| {
        let mut cx = Ctx::train(&key).with_state(state.clone());
        let y = net.forward(x, &mut cx);
        (-y.index_axis(1, 0).mean(), cx.into_state())
    };
    let (g, s) = grad_with_aux(loss)(&(net.clone(), x.clone()));
    assert_eq!(tree::tree_structure(&g.0), tree::tree_structure(&net));
    assert_same(
        &bn.running_stats(&s).1,
        &bn.running_stats(&new_state).1,
        0.0,
    );
    // One jitted step for both modes: a key trains, no key evaluates (a different structure,
    // so the second call retraces).
    let step = Jitted::new(
        |(net, x, st, key): &(Sequential, Tensor, nn::State, Option<Tensor>)| {
            let cx = match key {
                Some(k) => Ctx::train(k),
                None => Ctx::eval(),
            };
            let mut cx = cx.with_state(st.clone());
            let y = net.forward(x, &mut cx);
            (y, cx.into_state())
        },
        JitOptions::default(),
    );
    let (yj, sj) = step.call(&(net.clone(), x.clone(), state.clone(), Some(key.clone())));
    // Evaluation through the same jitted function retraces (the mode is static) and matches.
    let (yje, _) = step.call(&(net.clone(), x.clone(), new_state.clone(), None));
    assert_eq!(step.trace_count(), 2);
    assert_same(&yje, &predict(&net, &x, &new_state), 1e-14);
    assert_same(&yj, &y, 1e-14);
    assert_same(
        &bn.running_stats(&sj).0,
        &bn.running_stats(&new_state).0,
        1e-15,
    );
    // Gradients through the whole stack (eval mode is smooth apart from relu kinks).
    check_grads(|n: &Sequential| predict(n, &x, &new_state), &net, 1);
    // vmap over an outer batch of batches.
    let xs = rand(2, &[2, 3, 4, 4, 2]);
    let yv = vmap(|x: &Tensor| predict(&net, x, &new_state))(&xs);
    for i in 0..2 {
        assert_same(
            &yv.index_axis(0, i),
            &predict(&net, &xs.index_axis(0, i), &new_state),
            1e-13,
        );
    }
    // Misuse: a state entry with the wrong number of tensors for the batch norm.
    let mut bad = new_state.clone();
    bad.insert(bn.index.key().to_string(), vec![m0.clone()]);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| predict(&net, &x, &bad)));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("nn::BatchNorm") && msg.contains("holds 1 tensors"),
        "{msg}"
    );
}

#[derive(PyTree, Clone, Debug)]
struct SeqModel {
    embed: nn::Embedding,
    lstm: nn::Lstm,
    block: nn::TransformerBlock,
    head: nn::Linear,
}

#[test]
fn jitted_training_step_of_a_sequence_model_matches_eager_grads() {
    // The shape of examples/sequence.rs: Embedding -> Lstm -> TransformerBlock -> Linear,
    // a cross-entropy over tokens, `jit(value_and_grad)`.
    let ks = random::split(&random::key(0), 4);
    let k = |i| random::key_at(&ks, i);
    let model = SeqModel {
        embed: nn::Embedding::new(&k(0), 10, 8),
        lstm: nn::Lstm::new(&k(1), 8, 8),
        block: nn::TransformerBlock::new(&k(2), 8, 2, 16),
        head: nn::Linear::new(&k(3), 8, 10),
    };
    let model: SeqModel = ferrax::optim::tree_utils::tree_cast(&model, DType::F64);
    let ids = random::randint(&random::key(1), &[3, 6], 0, 10);
    let targets = random::randint(&random::key(2), &[3, 6], 0, 10);
    let mask = nn::causal_mask(6);
    let loss = |m: &SeqModel| {
        let h = m
            .lstm
            .forward(&m.embed.forward(&ids, &mut Ctx::eval()), &mut Ctx::eval());
        let logits = m.head.forward(
            &m.block.forward_masked(&h, Some(&mask), &mut Ctx::eval()),
            &mut Ctx::eval(),
        );
        let logp = nn::log_softmax(&logits, -1);
        -(logp * ferrax::numpy::one_hot(&targets, 10)).sum() / 18.0
    };
    let (v, g) = value_and_grad(loss)(&model);
    let (vj, gj) = jit(value_and_grad(loss))(&model);
    assert!((v.item::<f64>() - vj.item::<f64>()).abs() < 1e-12);
    assert!(v.item::<f64>() > 1.0 && v.item::<f64>().is_finite());
    for (a, b) in tree::tree_leaves(&g).iter().zip(tree::tree_leaves(&gj)) {
        assert_same(a, &b, 1e-11);
    }
    // Gradients reach every parameter, and one SGD step lowers the loss.
    assert!(tree::tree_leaves(&g)
        .iter()
        .all(|t| f64s(t).iter().any(|v| *v != 0.0)));
    let stepped: SeqModel = tree::tree_map2(&model, &g, |p, d| p - d * 0.5);
    let after = loss(&stepped).item::<f64>();
    assert!(after < v.item::<f64>(), "{after} !< {}", v.item::<f64>());
}
