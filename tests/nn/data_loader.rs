//! `ferrax::data::{Loader, StreamBatches, prefetch}`: shuffle orders against JAX's
//! permutations (the same derivation as `Batches`), every epoch a permutation, drop-last and
//! padding counts, shards that concatenate to the unsharded global batch, prefetched epochs
//! equal to plain ones, errors that propagate in order, and a prefetch thread that stops when
//! the epoch is dropped.

use ferrax::data::{
    prefetch, ArraySource, Batch, Batches, IdxError, IdxErrorKind, Loader, Remainder, Source,
    StreamBatches,
};
use ferrax::prelude::*;
use ferrax::random;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Example `i` is `(f32[2] = [i, -i], i32 = i)`.
fn toy(n: usize) -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, -(i as f32)]).collect();
    let y: Vec<i32> = (0..n as i32).collect();
    (Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n]))
}

fn ids(b: &Batch<(Tensor, Tensor)>) -> Vec<i32> {
    b.data.1.to_vec::<i32>()
}

fn epoch_ids<S>(l: &Loader<S>, e: usize) -> Vec<Vec<i32>>
where
    S: Source<Example = (Tensor, Tensor)> + 'static,
{
    l.epoch(e).map(|b| ids(&b.unwrap())).collect()
}

/// Epoch e of JAX's `permutation(fold_in(key(seed), e), 10)` (tests/golden/make_data.py).
const JAX_PERMUTATIONS: [(i64, usize, [usize; 10]); 3] = [
    (0, 0, [0, 8, 2, 4, 1, 7, 9, 5, 3, 6]),
    (0, 3, [8, 2, 9, 1, 7, 4, 3, 5, 6, 0]),
    (42, 1, [2, 0, 4, 5, 7, 9, 6, 3, 1, 8]),
];

#[test]
fn shuffle_matches_jax_and_batches_and_reproduces() {
    for (seed, epoch, perm) in JAX_PERMUTATIONS {
        let l = Loader::new(ArraySource::new(&toy(10)), 4).shuffle(&random::key(seed));
        assert_eq!(l.order(epoch), perm, "seed {seed} epoch {epoch}");
        let b = Batches::new(&toy(10), 4).shuffle(&random::key(seed));
        assert_eq!(l.order(epoch), b.order(epoch));
        let seen: Vec<usize> = epoch_ids(&l, epoch)
            .concat()
            .iter()
            .map(|&i| i as usize)
            .collect();
        assert_eq!(seen, perm);
        // A second loader with the same key: the same batches.
        let again = Loader::new(ArraySource::new(&toy(10)), 4).shuffle(&random::key(seed));
        assert_eq!(epoch_ids(&again, epoch), epoch_ids(&l, epoch));
    }
}

#[test]
fn every_epoch_is_a_permutation_and_epochs_differ() {
    let l = Loader::new(ArraySource::new(&toy(37)), 5).shuffle(&random::key(7));
    let mut orders = Vec::new();
    for e in 0..6 {
        let mut seen = epoch_ids(&l, e).concat();
        orders.push(seen.clone());
        seen.sort();
        assert_eq!(seen, (0..37).collect::<Vec<_>>(), "epoch {e}");
    }
    for e in 1..6 {
        assert_ne!(orders[e], orders[0], "epoch {e} repeats epoch 0");
    }
}

#[test]
fn batches_hold_the_examples_of_their_ids() {
    let l = Loader::new(ArraySource::new(&toy(9)), 4).shuffle(&random::key(1));
    for b in l.epoch(2) {
        let b = b.unwrap();
        let want: Vec<f32> = ids(&b)
            .iter()
            .flat_map(|&i| [i as f32, -(i as f32)])
            .collect();
        assert_eq!(b.data.0.to_vec::<f32>(), want);
        assert_eq!(b.data.0.shape()[1], 2);
    }
}

#[test]
fn drop_last_keep_and_pad_counts() {
    for (n, bs) in [(10, 4), (12, 4), (3, 5), (1, 1), (0, 3)] {
        let src = || ArraySource::new(&toy(n));
        let keep: Vec<Batch<_>> = Loader::new(src(), bs)
            .epoch(0)
            .map(|b| b.unwrap())
            .collect();
        let drop: Vec<Batch<_>> = Loader::new(src(), bs)
            .remainder(Remainder::Drop)
            .epoch(0)
            .map(|b| b.unwrap())
            .collect();
        let pad: Vec<Batch<_>> = Loader::new(src(), bs)
            .remainder(Remainder::Pad)
            .shuffle(&random::key(3))
            .epoch(1)
            .map(|b| b.unwrap())
            .collect();
        assert_eq!(keep.len(), n.div_ceil(bs), "keep n={n} bs={bs}");
        assert_eq!(drop.len(), n / bs, "drop n={n} bs={bs}");
        assert_eq!(pad.len(), n.div_ceil(bs), "pad n={n} bs={bs}");
        assert_eq!(keep.iter().map(|b| ids(b).len()).sum::<usize>(), n);
        assert!(drop.iter().all(|b| ids(b).len() == bs));
        assert!(keep
            .iter()
            .all(|b| b.mask.to_vec::<bool>().iter().all(|&m| m)));
        // Padding: every batch full, the mask true exactly on the n real examples, which are
        // each example once; the padding repeats the epoch's first examples.
        assert!(pad.iter().all(|b| ids(b).len() == bs));
        let mut real = Vec::new();
        let order = Loader::new(src(), bs).shuffle(&random::key(3)).order(1);
        for b in &pad {
            let m = b.mask.to_vec::<bool>();
            let id = ids(b);
            let pads: Vec<i32> = id
                .iter()
                .zip(&m)
                .filter(|&(_, &m)| !m)
                .map(|(&i, _)| i)
                .collect();
            let want: Vec<i32> = order.iter().take(pads.len()).map(|&i| i as i32).collect();
            assert_eq!(pads, want, "padding n={n} bs={bs}");
            real.extend(id.iter().zip(&m).filter(|&(_, &m)| m).map(|(&i, _)| i));
        }
        real.sort();
        assert_eq!(real, (0..n as i32).collect::<Vec<_>>());
    }
}

#[test]
fn shards_concatenate_to_the_global_batch() {
    for remainder in [Remainder::Keep, Remainder::Drop, Remainder::Pad] {
        for count in [1, 2, 3, 4] {
            let global = Loader::new(ArraySource::new(&toy(23)), 8)
                .remainder(remainder)
                .shuffle(&random::key(5));
            let whole: Vec<Batch<_>> = global.epoch(4).map(|b| b.unwrap()).collect();
            let parts: Vec<Vec<Batch<_>>> = (0..count)
                .map(|r| {
                    global
                        .clone()
                        .shard(r, count)
                        .epoch(4)
                        .map(|b| b.unwrap())
                        .collect()
                })
                .collect();
            for (i, w) in whole.iter().enumerate() {
                let ids_cat: Vec<i32> = parts.iter().flat_map(|p| ids(&p[i])).collect();
                let x_cat: Vec<f32> = parts
                    .iter()
                    .flat_map(|p| p[i].data.0.to_vec::<f32>())
                    .collect();
                let m_cat: Vec<bool> = parts
                    .iter()
                    .flat_map(|p| p[i].mask.to_vec::<bool>())
                    .collect();
                assert_eq!(ids_cat, ids(w), "{remainder:?} count {count} batch {i}");
                assert_eq!(x_cat, w.data.0.to_vec::<f32>());
                assert_eq!(m_cat, w.mask.to_vec::<bool>());
                // Shard sizes differ by at most one.
                let sizes: Vec<usize> = parts.iter().map(|p| ids(&p[i]).len()).collect();
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            }
            assert!(parts.iter().all(|p| p.len() == whole.len()));
        }
    }
}

#[test]
fn shards_smaller_than_the_process_count_are_empty_batches() {
    // 5 examples, batch 4, Keep: the last global batch has one example; ranks 1..3 of 4 get
    // an empty batch of the right trailing shape (so collective steps stay in lockstep).
    let l = Loader::new(ArraySource::new(&toy(5)), 4).shard(2, 4);
    let b: Vec<Batch<_>> = l.epoch(0).map(|b| b.unwrap()).collect();
    assert_eq!(b.len(), 2);
    assert_eq!(b[1].data.0.shape(), &[0, 2]);
    assert_eq!(b[1].mask.shape(), &[0]);
}

#[test]
fn prefetched_epochs_equal_plain_ones() {
    let plain = Loader::new(ArraySource::new(&toy(50)), 6)
        .remainder(Remainder::Pad)
        .shuffle(&random::key(9));
    for depth in [1, 2, 8] {
        let pre = plain.clone().prefetch(depth);
        for e in 0..3 {
            let a: Vec<Batch<_>> = plain.epoch(e).map(|b| b.unwrap()).collect();
            let b: Vec<Batch<_>> = pre.epoch(e).map(|b| b.unwrap()).collect();
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.data.0.to_vec::<f32>(), y.data.0.to_vec::<f32>());
                assert_eq!(ids(x), ids(y));
                assert_eq!(x.mask.to_vec::<bool>(), y.mask.to_vec::<bool>());
            }
        }
    }
}

/// Example `i` is `i` as an f32 scalar; reading example `bad` fails; counts reads.
struct Flaky {
    n: usize,
    bad: usize,
    reads: Arc<AtomicUsize>,
}

impl Source for Flaky {
    type Example = Tensor;
    fn len(&self) -> usize {
        self.n
    }
    fn get(&self, i: usize) -> Result<Tensor, IdxError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if i == self.bad {
            return Err(IdxError {
                file: format!("example-{i}"),
                offset: Some(i as u64),
                kind: IdxErrorKind::Corrupt {
                    what: "unreadable".into(),
                },
            });
        }
        Ok(Tensor::scalar(i as f32))
    }
}

#[test]
fn errors_propagate_in_order_and_end_the_epoch() {
    for depth in [0, 1, 3] {
        let reads = Arc::new(AtomicUsize::new(0));
        let l = Loader::new(
            Flaky {
                n: 20,
                bad: 9,
                reads: reads.clone(),
            },
            4,
        )
        .prefetch(depth);
        let items: Vec<Result<Batch<Tensor>, IdxError>> = l.epoch(0).collect();
        // Batches 0 and 1 are fine, batch 2 (examples 8..12) fails, and nothing follows.
        assert_eq!(items.len(), 3, "depth {depth}");
        assert_eq!(
            items[1].as_ref().unwrap().data.to_vec::<f32>(),
            vec![4.0, 5.0, 6.0, 7.0]
        );
        let err = items[2].as_ref().err().unwrap();
        assert_eq!((err.file.as_str(), err.offset), ("example-9", Some(9)));
        assert_eq!(
            reads.load(Ordering::SeqCst),
            10,
            "depth {depth}: no read after the error"
        );
    }
}

#[test]
fn dropping_a_prefetched_epoch_stops_its_thread() {
    let reads = Arc::new(AtomicUsize::new(0));
    let l = Loader::new(
        Flaky {
            n: 10_000,
            bad: usize::MAX,
            reads: reads.clone(),
        },
        1,
    )
    .prefetch(2);
    let mut epoch = l.epoch(0);
    assert_eq!(
        epoch.next().unwrap().unwrap().data.to_vec::<f32>(),
        vec![0.0]
    );
    drop(epoch); // joins the thread
    let after = reads.load(Ordering::SeqCst);
    // At most: the one consumed, `depth` queued, one in hand when the stop came.
    assert!(after <= 4, "{after} reads");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        reads.load(Ordering::SeqCst),
        after,
        "the thread kept reading"
    );
}

#[test]
fn prefetch_reraises_a_producer_panic() {
    let it = (0..3).inspect(|&i| assert!(i < 2, "boom at {i}"));
    let mut p = prefetch(it, 1);
    assert_eq!((p.next(), p.next()), (Some(0), Some(1)));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.next()));
    let msg = caught.unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("boom at 2"), "{msg}");
}

#[test]
fn stream_batches_match_the_loader_unshuffled() {
    for remainder in [Remainder::Keep, Remainder::Drop] {
        for (r, count) in [(0, 1), (0, 2), (1, 2), (2, 3)] {
            let data = toy(11);
            let src = ArraySource::new(&data);
            let stream = (0..11).map(|i| src.get(i));
            let s: Vec<Batch<_>> = StreamBatches::new(stream, 4)
                .remainder(remainder)
                .shard(r, count)
                .map(|b| b.unwrap())
                .collect();
            let l: Vec<Batch<_>> = Loader::new(ArraySource::new(&data), 4)
                .remainder(remainder)
                .shard(r, count)
                .epoch(0)
                .map(|b| b.unwrap())
                .collect();
            assert_eq!(s.len(), l.len());
            for (a, b) in s.iter().zip(&l) {
                assert_eq!(ids(a), ids(b), "{remainder:?} shard {r}/{count}");
                assert_eq!(a.data.0.to_vec::<f32>(), b.data.0.to_vec::<f32>());
            }
        }
    }
}

#[test]
fn stream_padding_and_errors() {
    let it = (0..5).map(|i| Ok(Tensor::scalar(i as f32)));
    let b: Vec<Batch<Tensor>> = StreamBatches::new(it, 3)
        .remainder(Remainder::Pad)
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(b[1].data.to_vec::<f32>(), vec![3.0, 4.0, 3.0]);
    assert_eq!(b[1].mask.to_vec::<bool>(), vec![true, true, false]);

    let it = (0..9).map(|i| {
        if i == 4 {
            Err(IdxError {
                file: "s".into(),
                offset: Some(4),
                kind: IdxErrorKind::Corrupt { what: "x".into() },
            })
        } else {
            Ok(Tensor::scalar(i as f32))
        }
    });
    let items: Vec<_> = prefetch(StreamBatches::new(it, 2), 2).collect();
    assert_eq!(items.len(), 3);
    assert!(items[2].is_err());
}

#[test]
#[should_panic(expected = "data::Loader::shard: index 2 is not below count 2")]
fn shard_index_out_of_range_panics() {
    let _ = Loader::new(ArraySource::new(&toy(4)), 2).shard(2, 2);
}
