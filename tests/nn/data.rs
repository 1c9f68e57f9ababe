//! `ferrax::data`: the IDX reader against hand-built files and the real digits files (and
//! corrupted copies of them), `load_digits` against the data set's documented class counts,
//! and `Batches` coverage, alignment and shuffling (golden permutations from JAX).

use ferrax::data::{
    default_digits_dir, load_digits, parse_idx, parse_idx_typed, read_idx, read_idx_typed, Batches,
    DigitsLayout, IdxError, IdxErrorKind, IdxType,
};
use ferrax::prelude::*;
use ferrax::random;
use std::path::Path;

use crate::common;
use common::tempdir::TempDir;

/// An IDX file built by hand: magic, big-endian dims, then `payload` as given.
fn idx_bytes(code: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(payload);
    b
}

fn real(file: &str) -> Vec<u8> {
    std::fs::read(default_digits_dir().join(file)).expect("the digits files are in data/digits")
}

fn copy_digits(dir: &Path, images: &[u8], labels: &[u8]) {
    std::fs::write(dir.join("images.idx"), images).unwrap();
    std::fs::write(dir.join("labels.idx"), labels).unwrap();
}

// ---------------------------------------------------------------- IDX parsing

#[test]
fn every_type_code_big_endian() {
    let t = parse_idx(&idx_bytes(0x08, &[3], &[0, 7, 255]), "u8").unwrap();
    assert_eq!(
        (t.dtype(), t.to_vec::<i32>()),
        (DType::I32, vec![0, 7, 255])
    );

    let t = parse_idx(&idx_bytes(0x09, &[3], &[0x80, 0xff, 0x05]), "i8").unwrap();
    assert_eq!(t.to_vec::<i32>(), vec![-128, -1, 5]);

    let t = parse_idx(&idx_bytes(0x0B, &[2], &[0x80, 0x00, 0x01, 0x02]), "i16").unwrap();
    assert_eq!(t.to_vec::<i32>(), vec![-32768, 258]);

    let t = parse_idx(
        &idx_bytes(0x0C, &[1, 2], &[0xff, 0xff, 0xff, 0xfe, 0, 1, 0, 0]),
        "i32",
    )
    .unwrap();
    assert_eq!(t.shape(), &[1, 2]);
    assert_eq!(t.to_vec::<i32>(), vec![-2, 65536]);

    // 1.5f32 = 0x3fc00000, -2.0f32 = 0xc0000000.
    let t = parse_idx(
        &idx_bytes(0x0D, &[2], &[0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]),
        "f32",
    )
    .unwrap();
    assert_eq!(
        (t.dtype(), t.to_vec::<f32>()),
        (DType::F32, vec![1.5, -2.0])
    );

    // 0.1f64 = 0x3fb999999999999a.
    let t = parse_idx(
        &idx_bytes(
            0x0E,
            &[1],
            &[0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a],
        ),
        "f64",
    )
    .unwrap();
    assert_eq!((t.dtype(), t.to_vec::<f64>()), (DType::F64, vec![0.1]));

    for ty in [
        IdxType::U8,
        IdxType::I8,
        IdxType::I16,
        IdxType::I32,
        IdxType::F32,
        IdxType::F64,
    ] {
        assert_eq!(IdxType::from_code(ty.code()), Some(ty));
    }
}

#[test]
fn row_major_multidimensional_and_empty() {
    let t = parse_idx(&idx_bytes(0x08, &[2, 1, 3], &[1, 2, 3, 4, 5, 6]), "m").unwrap();
    assert_eq!(t.shape(), &[2, 1, 3]);
    assert_eq!(t.to_vec::<i32>(), vec![1, 2, 3, 4, 5, 6]);
    let e = parse_idx(&idx_bytes(0x0D, &[0, 4], &[]), "e").unwrap();
    assert_eq!(e.shape(), &[0, 4]);
}

fn kind_offset(r: Result<Tensor, IdxError>) -> (IdxErrorKind, Option<u64>, String) {
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    (e.kind, e.offset, msg)
}

#[test]
fn bad_magic_and_unknown_type() {
    let (k, off, msg) = kind_offset(parse_idx(&[1, 0, 8, 1, 0, 0, 0, 0], "f.idx"));
    assert!(
        matches!(
            k,
            IdxErrorKind::BadMagic {
                found: [1, 0, 8, 1]
            }
        ),
        "{k:?}"
    );
    assert_eq!(off, Some(0));
    assert!(msg.contains("f.idx") && msg.contains("0x01000801"), "{msg}");

    let (k, off, msg) = kind_offset(parse_idx(&[0, 0, 0x0A, 1, 0, 0, 0, 0], "g.idx"));
    assert!(
        matches!(k, IdxErrorKind::UnknownType { code: 0x0A }),
        "{k:?}"
    );
    assert_eq!(off, Some(2));
    assert!(msg.contains("unknown type code 0x0a"), "{msg}");
}

#[test]
fn truncated_header_and_payload() {
    let (k, off, _) = kind_offset(parse_idx(&[0, 0, 8], "t"));
    assert!(
        matches!(
            k,
            IdxErrorKind::TruncatedHeader {
                needed: 4,
                found: 3
            }
        ),
        "{k:?}"
    );
    assert_eq!(off, Some(0));

    // Three dims announced, only one and a half written.
    let (k, off, _) = kind_offset(parse_idx(&[0, 0, 8, 3, 0, 0, 0, 2, 0, 0], "t"));
    assert!(
        matches!(
            k,
            IdxErrorKind::TruncatedHeader {
                needed: 16,
                found: 10
            }
        ),
        "{k:?}"
    );
    assert_eq!(off, Some(10));

    // 2x2 f32 needs 16 bytes; 15 are there.
    let (k, off, msg) = kind_offset(parse_idx(&idx_bytes(0x0D, &[2, 2], &[0; 15]), "p"));
    assert!(
        matches!(
            k,
            IdxErrorKind::TruncatedPayload {
                expected: 16,
                found: 15
            }
        ),
        "{k:?}"
    );
    assert_eq!(off, Some(12 + 15));
    assert!(msg.contains("truncated payload"), "{msg}");
}

#[test]
fn trailing_bytes_and_huge_dims() {
    let (k, off, _) = kind_offset(parse_idx(&idx_bytes(0x08, &[2], &[1, 2, 3, 4]), "x"));
    assert!(
        matches!(k, IdxErrorKind::TrailingBytes { extra: 2 }),
        "{k:?}"
    );
    assert_eq!(off, Some(8 + 2));

    let dims = [u32::MAX; 4];
    let (k, _, _) = kind_offset(parse_idx(&idx_bytes(0x0E, &dims, &[]), "big"));
    assert!(matches!(k, IdxErrorKind::TooLarge { .. }), "{k:?}");
}

/// A zero dimension makes the element count 0, so a product over all dims stays small; the
/// other dims must still describe an addressable array (product of the non-zero dims times
/// the element size <= isize::MAX), else the header is refused like any other bad header.
#[test]
fn zero_dimension_does_not_hide_an_overflowing_shape() {
    // (2^32 - 1)^2 bytes > isize::MAX on 64-bit; overflows usize outright on 32-bit.
    for dims in [
        [0, u32::MAX, u32::MAX],
        [u32::MAX, 0, u32::MAX],
        [u32::MAX, u32::MAX, 0],
    ] {
        let (k, off, msg) = kind_offset(parse_idx(&idx_bytes(0x08, &dims, &[]), "z.idx"));
        assert!(
            matches!(&k, IdxErrorKind::TooLarge { dims: d } if d == &dims.map(|x| x as usize)),
            "{dims:?}: {k:?}"
        );
        // The offset is the dimension that crossed the limit: the second non-zero one.
        let second_nonzero = dims.iter().rposition(|&d| d != 0).unwrap();
        assert_eq!(off, Some(4 + 4 * second_nonzero as u64), "{dims:?}");
        assert!(
            msg.starts_with("z.idx: byte ") && msg.contains("too large"),
            "{msg}"
        );
    }
    // 8-byte elements: 2^31 * 2^31 elements is 2^62, fine as a count, 2^65 bytes too large.
    let dims = [0, 1 << 31, 1 << 31];
    let (k, _, _) = kind_offset(parse_idx(&idx_bytes(0x0E, &dims, &[]), "f64"));
    assert!(matches!(k, IdxErrorKind::TooLarge { .. }), "{k:?}");
    // A zero dimension with sane others is an empty array, as before.
    let (t, ty) = parse_idx_typed(&idx_bytes(0x0C, &[3, 0, 1000], &[]), "ok").unwrap();
    assert_eq!(
        (t.shape(), t.dtype(), ty),
        (&[3, 0, 1000][..], DType::I32, IdxType::I32)
    );
    // Huge but payload-free dims never reach an allocation: a truncated payload is reported
    // with the announced size, not attempted.
    let (k, off, _) = kind_offset(parse_idx(&idx_bytes(0x08, &[65536, 65536], &[1, 2]), "t"));
    assert!(
        matches!(
            k,
            IdxErrorKind::TruncatedPayload {
                expected: 4294967296,
                found: 2
            }
        ),
        "{k:?}"
    );
    assert_eq!(off, Some(12 + 2));
}

// ---------------------------------------------------------------- real files

#[test]
fn real_digits_files() {
    let images = read_idx(default_digits_dir().join("images.idx")).unwrap();
    let labels = read_idx(default_digits_dir().join("labels.idx")).unwrap();
    assert_eq!(images.shape(), &[1797, 8, 8]);
    assert_eq!(labels.shape(), &[1797]);
    // sklearn.datasets.load_digits().images[0], a zero.
    let first: Vec<i32> = vec![
        0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0,
        0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0,
        0, 6, 13, 10, 0, 0, 0,
    ];
    assert_eq!(images.to_vec::<i32>()[..64], first[..]);
    let l = labels.to_vec::<i32>();
    assert_eq!(l[..12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert_eq!(l[1792..], [9, 0, 8, 9, 8]);
}

fn class_counts(labels: &Tensor) -> Vec<usize> {
    let mut c = vec![0; 10];
    for l in labels.to_vec::<i32>() {
        c[l as usize] += 1;
    }
    c
}

#[test]
fn load_digits_fixed_split() {
    let d = load_digits(default_digits_dir(), DigitsLayout::Flat).unwrap();
    assert_eq!(d.train_images.shape(), &[1500, 64]);
    assert_eq!(d.test_images.shape(), &[297, 64]);
    assert_eq!(
        (d.train_images.dtype(), d.train_labels.dtype()),
        (DType::F32, DType::I32)
    );
    // Class counts documented in data/digits/README.md.
    assert_eq!(
        class_counts(&d.train_labels),
        [151, 151, 150, 153, 148, 152, 151, 149, 146, 149]
    );
    assert_eq!(
        class_counts(&d.test_labels),
        [27, 31, 27, 30, 33, 30, 30, 30, 28, 31]
    );
    let px = d.train_images.to_vec::<f32>();
    assert_eq!(px[..4], [0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]);
    assert!(px.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert!(px.contains(&1.0));
    // The test part starts at record 1500 of the raw file.
    let raw = read_idx(default_digits_dir().join("images.idx"))
        .unwrap()
        .to_vec::<i32>();
    let test: Vec<f32> = raw[1500 * 64..].iter().map(|&p| p as f32 / 16.0).collect();
    assert_eq!(d.test_images.to_vec::<f32>(), test);

    let img = load_digits(default_digits_dir(), DigitsLayout::Image).unwrap();
    assert_eq!(img.train_images.shape(), &[1500, 8, 8, 1]);
    assert_eq!(img.test_images.to_vec::<f32>(), test);
}

#[test]
fn corrupted_digits_files() {
    let dir = TempDir::new("ferrax-data", "corrupt");
    let (images, labels) = (real("images.idx"), real("labels.idx"));
    let load = || load_digits(&dir.0, DigitsLayout::Flat).map(|_| ());
    let images_path = dir.0.join("images.idx").display().to_string();
    let labels_path = dir.0.join("labels.idx").display().to_string();

    copy_digits(&dir.0, &images, &labels);
    load().unwrap();

    // Wrong magic.
    let mut bad = images.clone();
    bad[0] = 0x1f;
    copy_digits(&dir.0, &bad, &labels);
    let e = load().unwrap_err();
    assert!(matches!(e.kind, IdxErrorKind::BadMagic { .. }), "{e}");
    assert_eq!((e.file.as_str(), e.offset), (images_path.as_str(), Some(0)));

    // Truncated payload (a write cut short).
    copy_digits(&dir.0, &images[..images.len() - 100], &labels);
    let e = load().unwrap_err();
    assert!(
        matches!(
            e.kind,
            IdxErrorKind::TruncatedPayload {
                expected: 115008,
                found: 114908
            }
        ),
        "{e}"
    );

    // Trailing bytes.
    let mut long = labels.clone();
    long.extend([0, 0, 0]);
    copy_digits(&dir.0, &images, &long);
    let e = load().unwrap_err();
    assert!(
        matches!(e.kind, IdxErrorKind::TrailingBytes { extra: 3 }),
        "{e}"
    );
    assert_eq!(
        (e.file.as_str(), e.offset),
        (labels_path.as_str(), Some(8 + 1797))
    );

    // Labels that do not match the images: 1796 labels (a consistent, shorter file).
    let mut short = idx_bytes(0x08, &[1796], &[]);
    short.extend(&labels[8..8 + 1796]);
    copy_digits(&dir.0, &images, &short);
    let e = load().unwrap_err();
    assert!(
        matches!(&e.kind, IdxErrorKind::DimensionMismatch { found, .. } if found == &[1796]),
        "{e}"
    );
    assert_eq!(e.file, labels_path);
    assert!(e.to_string().contains("one label per image"), "{e}");

    // Images of the wrong shape: 1797 x 64 instead of 1797 x 8 x 8.
    let mut flat = idx_bytes(0x08, &[1797, 64], &[]);
    flat.extend(&images[16..]);
    copy_digits(&dir.0, &flat, &labels);
    let e = load().unwrap_err();
    assert!(
        matches!(e.kind, IdxErrorKind::DimensionMismatch { .. }),
        "{e}"
    );

    // A label out of range.
    let mut wrong = labels.clone();
    wrong[8 + 5] = 10;
    copy_digits(&dir.0, &images, &wrong);
    let e = load().unwrap_err();
    assert!(
        matches!(e.kind, IdxErrorKind::InvalidValue { index: 5, .. }),
        "{e}"
    );
}

/// A digits file re-encoded as another IDX type (same shape, same values) is refused with the
/// file, the type byte's offset and both types, instead of being silently converted (a
/// float32 file with 0.5 in it would otherwise be truncated to 0).
#[test]
fn digits_of_the_wrong_element_type_are_refused() {
    let dir = TempDir::new("ferrax-data", "wrongtype");
    let (images, labels) = (real("images.idx"), real("labels.idx"));
    let images_path = dir.0.join("images.idx").display().to_string();
    let labels_path = dir.0.join("labels.idx").display().to_string();
    let (raw, ty) = read_idx_typed(default_digits_dir().join("images.idx")).unwrap();
    assert_eq!(ty, IdxType::U8);
    let pixels = raw.to_vec::<i32>();
    // float32 with fractional values: 13.0 -> 13.5.
    let f32_payload: Vec<u8> = pixels
        .iter()
        .flat_map(|&p| (p as f32 + 0.5).to_be_bytes())
        .collect();
    let f32_images = idx_bytes(0x0D, &[1797, 8, 8], &f32_payload);
    // Sanity: the file itself is valid IDX, so only the type check can refuse it.
    assert_eq!(parse_idx(&f32_images, "f").unwrap().dtype(), DType::F32);
    let f64_payload: Vec<u8> = pixels
        .iter()
        .flat_map(|&p| (p as f64).to_be_bytes())
        .collect();
    let i32_payload: Vec<u8> = pixels.iter().flat_map(|&p| p.to_be_bytes()).collect();
    for (code, payload, found, shown) in [
        (0x0D, &f32_payload, IdxType::F32, "float32 (code 0x0d)"),
        (0x0E, &f64_payload, IdxType::F64, "float64 (code 0x0e)"),
        (0x0C, &i32_payload, IdxType::I32, "int32 (code 0x0c)"),
    ] {
        copy_digits(&dir.0, &idx_bytes(code, &[1797, 8, 8], payload), &labels);
        let e = load_digits(&dir.0, DigitsLayout::Flat).err().unwrap();
        assert!(
            matches!(e.kind, IdxErrorKind::WrongType { expected: IdxType::U8, found: f } if f == found),
            "{e}"
        );
        assert_eq!((e.file.as_str(), e.offset), (images_path.as_str(), Some(2)));
        let msg = e.to_string();
        assert!(
            msg.contains(shown) && msg.contains("expected uint8 (code 0x08)"),
            "{msg}"
        );
    }
    // Labels as int8: same values, wrong type.
    let mut i8_labels = labels.clone();
    i8_labels[2] = 0x09;
    copy_digits(&dir.0, &images, &i8_labels);
    let e = load_digits(&dir.0, DigitsLayout::Flat).err().unwrap();
    assert!(
        matches!(
            e.kind,
            IdxErrorKind::WrongType {
                found: IdxType::I8,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.file, labels_path);
}

#[test]
fn missing_digits_are_reported() {
    let dir = TempDir::new("ferrax-data", "missing");
    let e = load_digits(dir.0.join("nope"), DigitsLayout::Flat)
        .err()
        .unwrap();
    assert!(matches!(e.kind, IdxErrorKind::NotFound { .. }));
    assert!(e.to_string().contains("FERRAX_DIGITS_DIR"), "{e}");
    std::fs::write(dir.0.join("images.idx"), real("images.idx")).unwrap();
    let e = load_digits(&dir.0, DigitsLayout::Flat).err().unwrap();
    assert!(matches!(e.kind, IdxErrorKind::NotFound { .. }));
    assert!(e.file.ends_with("labels.idx"), "{e}");
    let e = read_idx(dir.0.join("none.idx")).unwrap_err();
    assert!(e.to_string().contains("none.idx"), "{e}");
}

// ---------------------------------------------------------------- batching

fn toy(n: usize) -> (Tensor, Tensor) {
    // Row i of x is [i, 100 + i]; y[i] = i: lets every batch check its own alignment.
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 100.0 + i as f32]).collect();
    let y: Vec<i32> = (0..n as i32).collect();
    (Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n]))
}

fn epoch_ids(b: &Batches<(Tensor, Tensor)>, e: usize) -> Vec<Vec<i32>> {
    b.epoch(e)
        .map(|(x, y)| {
            let ids = y.to_vec::<i32>();
            let xs = x.to_vec::<f32>();
            for (k, &i) in ids.iter().enumerate() {
                assert_eq!([xs[2 * k], xs[2 * k + 1]], [i as f32, 100.0 + i as f32]);
            }
            ids
        })
        .collect()
}

#[test]
fn every_example_once_per_epoch() {
    let data = toy(23);
    for shuffle in [false, true] {
        let mut b = Batches::new(&data, 5);
        if shuffle {
            b = b.shuffle(&random::key(3));
        }
        assert_eq!(b.num_batches(), 5);
        for e in 0..4 {
            let batches = epoch_ids(&b, e);
            assert_eq!(
                batches.iter().map(Vec::len).collect::<Vec<_>>(),
                [5, 5, 5, 5, 3]
            );
            let mut all: Vec<i32> = batches.concat();
            assert_eq!(
                all,
                b.order(e).iter().map(|&i| i as i32).collect::<Vec<_>>()
            );
            all.sort();
            assert_eq!(all, (0..23).collect::<Vec<i32>>());
        }
    }
    let plain = Batches::new(&data, 5);
    assert_eq!(epoch_ids(&plain, 0).concat(), (0..23).collect::<Vec<i32>>());
}

#[test]
fn drop_last_keeps_full_batches() {
    let b = Batches::new(&toy(23), 5)
        .drop_last(true)
        .shuffle(&random::key(0));
    assert_eq!((b.num_batches(), b.examples_per_epoch()), (4, 20));
    let batches = epoch_ids(&b, 2);
    assert!(batches.iter().all(|v| v.len() == 5));
    let all = batches.concat();
    assert_eq!(
        all[..],
        b.order(2).iter().map(|&i| i as i32).collect::<Vec<_>>()[..20]
    );
    // Exactly divisible: nothing dropped.
    let b = Batches::new(&toy(20), 5).drop_last(true);
    assert_eq!(epoch_ids(&b, 0).concat(), (0..20).collect::<Vec<i32>>());
}

/// jax.random.permutation(jax.random.fold_in(PRNGKey(seed), epoch), 10), from
/// tests/golden/make_data.py (JAX 0.10.2).
const JAX_PERMUTATIONS: [(i64, usize, [usize; 10]); 6] = [
    (0, 0, [0, 8, 2, 4, 1, 7, 9, 5, 3, 6]),
    (0, 1, [0, 3, 9, 5, 1, 8, 4, 6, 2, 7]),
    (0, 3, [8, 2, 9, 1, 7, 4, 3, 5, 6, 0]),
    (42, 0, [1, 3, 9, 5, 0, 2, 6, 7, 4, 8]),
    (42, 1, [2, 0, 4, 5, 7, 9, 6, 3, 1, 8]),
    (42, 3, [4, 5, 3, 2, 7, 6, 0, 1, 9, 8]),
];

#[test]
fn shuffles_match_jax_differ_across_epochs_and_reproduce() {
    let data = toy(10);
    for (seed, epoch, perm) in JAX_PERMUTATIONS {
        let b = Batches::new(&data, 4).shuffle(&random::key(seed));
        assert_eq!(b.order(epoch), perm, "seed {seed} epoch {epoch}");
        let ids: Vec<usize> = epoch_ids(&b, epoch)
            .concat()
            .iter()
            .map(|&i| i as usize)
            .collect();
        assert_eq!(ids, perm);
    }
    let big = toy(1500);
    let b = Batches::new(&big, 32).shuffle(&random::key(7));
    let orders: Vec<Vec<usize>> = (0..5).map(|e| b.order(e)).collect();
    for i in 0..5 {
        for j in i + 1..5 {
            assert_ne!(orders[i], orders[j], "epochs {i} and {j} share an order");
        }
    }
    // The same key gives the same batches, in a fresh iterator.
    let again = Batches::new(&big, 32).shuffle(&random::key(7));
    assert_eq!(epoch_ids(&b, 3), epoch_ids(&again, 3));
    let other = Batches::new(&big, 32).shuffle(&random::key(8));
    assert_ne!(other.order(3), b.order(3));
}

#[derive(PyTree, Clone)]
struct Example {
    image: Tensor,
    label: Tensor,
}

#[test]
fn batches_of_a_struct_tree() {
    let d = load_digits(default_digits_dir(), DigitsLayout::Image).unwrap();
    let data = Example {
        image: d.test_images.clone(),
        label: d.test_labels.clone(),
    };
    let b = Batches::new(&data, 100);
    let sizes: Vec<usize> = b.epoch(0).map(|e| e.image.shape()[0]).collect();
    assert_eq!(sizes, [100, 100, 97]);
    let last = b.epoch(0).last().unwrap();
    assert_eq!(last.image.shape(), &[97, 8, 8, 1]);
    assert_eq!(
        last.label.to_vec::<i32>(),
        d.test_labels.to_vec::<i32>()[200..]
    );
    assert_eq!(b.epoch(0).len(), 3);
}

#[test]
#[should_panic(expected = "every leaf needs the same leading example axis")]
fn mismatched_leading_axes_panic() {
    let _ = Batches::new(
        &(
            Tensor::zeros(&[4, 2], DType::F32),
            Tensor::zeros(&[5], DType::I32),
        ),
        2,
    );
}

/// `Batches::shard`: for every count, the shards of each global batch, concatenated in rank
/// order, are exactly the unsharded batch (shuffled, with and without `drop_last`), and their
/// sizes differ by at most one.
#[test]
fn shards_concatenate_to_the_global_batches() {
    let x = Tensor::arange(0.0, 29.0, 1.0, DType::F32);
    for drop_last in [false, true] {
        let global = Batches::new(&x, 8)
            .shuffle(&random::key(5))
            .drop_last(drop_last);
        for count in 1..=5 {
            let shards: Vec<Vec<Tensor>> = (0..count)
                .map(|i| global.clone().shard(i, count).epoch(2).collect())
                .collect();
            for (k, batch) in global.epoch(2).enumerate() {
                let parts: Vec<Vec<f32>> = shards.iter().map(|s| s[k].to_vec()).collect();
                let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "count {count} batch {k}: sizes {sizes:?}");
                assert_eq!(
                    parts.concat(),
                    batch.to_vec::<f32>(),
                    "count {count} batch {k}"
                );
            }
            assert!(shards.iter().all(|s| s.len() == global.num_batches()));
        }
    }
}

#[test]
#[should_panic(expected = "data::Batches::shard: index 2 is not below count 2")]
fn shard_index_out_of_range() {
    let _ = Batches::new(&Tensor::zeros(&[4], DType::F32), 2).shard(2, 2);
}
