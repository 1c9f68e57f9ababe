//! `Batches`' one-pass batch assembly (`scale_u8`, `one_hot`) and its background prefetch,
//! against the same batches built with the public ops (`take` of the epoch's order, `cast`,
//! multiply, `numpy::one_hot`), and the training helper `train::jit_step` against a plain
//! jitted step.

use ferrax::data::Batches;
use ferrax::prelude::*;
use ferrax::{numpy as jnp, random};

/// `n` u8 "images" of 3x2 pixels (all values 0..=255 occur) and i32 labels 0..10.
fn images(n: usize) -> (Tensor, Tensor) {
    let px: Vec<u8> = (0..n * 6).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<i32> = (0..n as i32).map(|i| (i * 7) % 10).collect();
    (
        Tensor::from_vec(px, &[n, 3, 2]),
        Tensor::from_vec(labels, &[n]),
    )
}

/// The batches of epoch `e` built with ops: the epoch's order gathered with `take`, cast and
/// scaled, labels one-hot, then sliced per batch (the shard's part of each).
fn reference(
    b: &Batches<(Tensor, Tensor)>,
    data: &(Tensor, Tensor),
    e: usize,
) -> Vec<(Vec<f32>, Vec<f32>)> {
    let order: Vec<i32> = b.order(e).iter().map(|&i| i as i32).collect();
    let idx = Tensor::from_vec(order.clone(), &[order.len()]);
    let x = jnp::take(&data.0, &idx, 0).cast(DType::F32) * (1.0f32 / 255.0);
    let y = jnp::one_hot(&jnp::take(&data.1, &idx, 0), 10);
    let (bs, n) = (b.batch_size(), b.len());
    let (part, parts) = b.shard_of();
    (0..b.num_batches())
        .map(|k| {
            let (start, stop) = (k * bs, ((k + 1) * bs).min(n));
            let m = stop - start;
            let (lo, hi) = (start + part * m / parts, start + (part + 1) * m / parts);
            let s = |t: &Tensor| jnp::slice_axis(t, 0, lo as isize, hi as isize).to_vec::<f32>();
            (s(&x), s(&y))
        })
        .collect()
}

fn assembled(b: &Batches<(Tensor, Tensor)>, e: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
    b.epoch(e)
        .map(|(x, y)| {
            assert_eq!((x.dtype(), y.dtype()), (DType::F32, DType::F32));
            assert_eq!((&x.shape()[1..], &y.shape()[1..]), (&[3, 2][..], &[10][..]));
            (x.to_vec(), y.to_vec())
        })
        .collect()
}

#[test]
fn assembly_equals_ops_for_every_mode() {
    let data = images(23);
    for shuffle in [false, true] {
        for prefetch in [true, false] {
            for drop_last in [false, true] {
                for shard in [(0, 1), (1, 2)] {
                    let mut b = Batches::new(&data, 5)
                        .scale_u8(1.0 / 255.0)
                        .one_hot(10)
                        .prefetch(prefetch)
                        .drop_last(drop_last)
                        .shard(shard.0, shard.1);
                    if shuffle {
                        b = b.shuffle(&random::key(4));
                    }
                    for e in 0..3 {
                        assert_eq!(
                            assembled(&b, e),
                            reference(&b, &data, e),
                            "shuffle {shuffle} prefetch {prefetch} drop_last {drop_last} shard {shard:?} epoch {e}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn large_batches_take_the_parallel_path() {
    // 512 rows of 784 pixels: above the parallel threshold.
    let n = 1100;
    let px: Vec<u8> = (0..n * 784).map(|i| (i * 131 % 251) as u8).collect();
    let labels: Vec<i32> = (0..n as i32).map(|i| i % 10).collect();
    let data = (
        Tensor::from_vec(px, &[n, 784]),
        Tensor::from_vec(labels, &[n]),
    );
    let b = Batches::new(&data, 512)
        .shuffle(&random::key(9))
        .scale_u8(0.5)
        .one_hot(10);
    let order: Vec<i32> = b.order(2).iter().map(|&i| i as i32).collect();
    let idx = Tensor::from_vec(order, &[n]);
    let want = jnp::take(&data.0, &idx, 0).cast(DType::F32) * 0.5f32;
    let got: Vec<Tensor> = b.epoch(2).map(|(x, _)| x).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(
        jnp::concatenate(&got, 0).to_vec::<f32>(),
        want.to_vec::<f32>()
    );
}

#[test]
fn labels_outside_the_classes_give_zero_rows_as_jax_one_hot() {
    let y = Tensor::from_vec(vec![3i32, -1, 10, 0], &[4]);
    let got = Batches::new(&y, 4).one_hot(4).epoch(0).next().unwrap();
    assert_eq!(got.to_vec::<f32>(), jnp::one_hot(&y, 4).to_vec::<f32>());
}

#[test]
fn untouched_leaves_keep_their_dtype_and_an_abandoned_epoch_stops() {
    let data = (
        Tensor::from_vec((0..40).map(|i| i as f64).collect::<Vec<_>>(), &[20, 2]),
        Tensor::from_vec((0..20u8).collect::<Vec<_>>(), &[20]),
    );
    // No conversion asked: the f64 leaf and the u8 labels come out as they are stored.
    let b = Batches::new(&data, 4).shuffle(&random::key(1));
    let (x, y) = b.epoch(0).next().unwrap();
    assert_eq!((x.dtype(), y.dtype()), (DType::F64, DType::U8));
    let o = b.order(0);
    assert_eq!(
        y.to_vec::<u8>(),
        o[..4].iter().map(|&i| i as u8).collect::<Vec<_>>()
    );
    // Dropping epochs after one batch (the producer blocked on a full channel) must not hang.
    for e in 0..20 {
        let mut it = b.epoch(e);
        let _ = it.next();
    }
}

#[test]
fn jit_step_donates_and_matches_a_plain_jitted_step() {
    type S = (Tensor, Tensor);
    let f = |((w, m), x): &(S, Tensor)| {
        let (loss, g) = value_and_grad(|w: &Tensor| (w * x).sum().powi(2))(w);
        let m = m * 0.9 + &g;
        ((w - &m * 0.01, m), loss)
    };
    let plain = jit(f);
    let mut donated = ferrax::train::jit_step(f);
    let x = Tensor::from_vec(vec![0.5f32, -1.0, 2.0], &[3]);
    let mut a: S = (
        Tensor::ones(&[3], DType::F32),
        Tensor::zeros(&[3], DType::F32),
    );
    let mut b = a.clone();
    for _ in 0..5 {
        let (a2, la) = plain(&(a, x.clone()));
        let (b2, lb) = donated(b, x.clone());
        assert_eq!(la.item::<f32>(), lb.item::<f32>());
        (a, b) = (a2, b2);
        assert_eq!(a.0.to_vec::<f32>(), b.0.to_vec::<f32>());
        assert_eq!(a.1.to_vec::<f32>(), b.1.to_vec::<f32>());
    }
    assert_eq!(x.to_vec::<f32>(), vec![0.5, -1.0, 2.0]);
}
