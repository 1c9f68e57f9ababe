//! `ferrax::data::read_npy`: the files NumPy 2.4 wrote (tests/golden/make_npy.py: versions
//! 1.0/2.0/3.0, both byte orders, C and Fortran order, every dtype ferrax shares with NumPy)
//! against the values the script recorded in npy.txt; round trips through a plain-Rust writer
//! in this file; and bad input (wrong magic, truncated, bad header, wrong sizes), each an
//! error naming the file and the byte offset.

use ferrax::data::{parse_npy, read_npy, IdxErrorKind};
use ferrax::prelude::*;
use std::path::Path;

use crate::common::golden::{self, values};

const GOLDEN: &str = include_str!("../golden/npy.txt");

fn golden_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/npy"))
}

/// NumPy's dtype name for a ferrax dtype.
fn numpy_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "bool",
        DType::I8 => "int8",
        DType::I16 => "int16",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::U8 => "uint8",
        DType::U16 => "uint16",
        DType::U32 => "uint32",
        DType::U64 => "uint64",
        DType::F16 => "float16",
        DType::F32 => "float32",
        DType::F64 => "float64",
        DType::C64 => "complex64",
        DType::C128 => "complex128",
        DType::BF16 => "bfloat16",
    }
}

/// Checks a tensor read from `file:member:dtype` against its golden line.
pub fn check_golden(key: &str, t: &Tensor) {
    let want = golden::by_name(GOLDEN)
        .remove(key)
        .unwrap_or_else(|| panic!("no golden line {key}"));
    let dtype = key.rsplit(':').next().unwrap();
    assert_eq!(numpy_name(t.dtype()), dtype, "{key}: dtype");
    assert_eq!(t.shape(), &want.shape[..], "{key}: shape");
    assert_eq!(values(t), want.values, "{key}: values");
}

#[test]
fn numpy_files_of_every_version_order_and_dtype() {
    let mut n = 0;
    for (key, _) in golden::arrays(GOLDEN) {
        let mut parts = key.split(':');
        let (file, member) = (parts.next().unwrap(), parts.next().unwrap());
        if member != "-" {
            continue;
        }
        let t = read_npy(golden_dir().join(file)).unwrap_or_else(|e| panic!("{e}"));
        check_golden(&key, &t);
        n += 1;
    }
    assert_eq!(n, 12);
}

/// A `.npy` file as a plain writer makes it: version, descr, order, shape, raw bytes.
pub fn npy(version: u8, descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    let prefix = if version == 1 { 10 } else { 12 };
    while (prefix + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut b = b"\x93NUMPY".to_vec();
    b.extend([version, 0]);
    if version == 1 {
        b.extend((header.len() as u16).to_le_bytes());
    } else {
        b.extend((header.len() as u32).to_le_bytes());
    }
    b.extend(header.as_bytes());
    b.extend(data);
    b
}

#[test]
fn round_trips_through_a_plain_writer() {
    // f32 [2, 3] little endian, every version.
    let vals = [1.5f32, -2.0, 0.0, 3.25, f32::MAX, -0.5];
    let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    for v in [1, 2, 3] {
        let t = parse_npy(&npy(v, "<f4", false, &[2, 3], &le), "m").unwrap();
        assert_eq!((t.shape(), t.to_vec::<f32>()), (&[2, 3][..], vals.to_vec()));
        let t = parse_npy(&npy(v, ">f4", false, &[2, 3], &be), "m").unwrap();
        assert_eq!(t.to_vec::<f32>(), vals.to_vec());
    }
    // Fortran order: the file holds the transpose's rows.
    let col_major: Vec<u8> = [0, 3, 1, 4, 2, 5]
        .iter()
        .flat_map(|&i| vals[i].to_le_bytes())
        .collect();
    let t = parse_npy(&npy(1, "<f4", true, &[2, 3], &col_major), "m").unwrap();
    assert_eq!(t.to_vec::<f32>(), vals.to_vec());
    // Integers of every width and both orders.
    let t = parse_npy(
        &npy(
            1,
            ">i8",
            false,
            &[2],
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 0, 0, 0, 0,
            ],
        ),
        "m",
    )
    .unwrap();
    assert_eq!(t.to_vec::<i64>(), vec![-2, 1 << 32]);
    let t = parse_npy(&npy(1, "<u2", false, &[1], &[0x34, 0x12]), "m").unwrap();
    assert_eq!(t.to_vec::<u16>(), vec![0x1234]);
    let t = parse_npy(&npy(1, "|i1", false, &[2], &[0x80, 0x7f]), "m").unwrap();
    assert_eq!(t.to_vec::<i8>(), vec![-128, 127]);
    let t = parse_npy(&npy(1, "|b1", false, &[3], &[0, 1, 2]), "m").unwrap();
    assert_eq!(t.to_vec::<bool>(), vec![false, true, true]);
    // Scalars and empty arrays.
    let t = parse_npy(&npy(1, "<f8", false, &[], &2.5f64.to_le_bytes()), "m").unwrap();
    assert_eq!((t.ndim(), t.item::<f64>()), (0, 2.5));
    let t = parse_npy(&npy(1, "<f8", false, &[4, 0], &[]), "m").unwrap();
    assert_eq!(t.shape(), &[4, 0]);
    // Python 2's long dimensions (`3L`) and double quotes.
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    let h = "{\"descr\": \"<u1\", \"shape\": (3L,), \"fortran_order\": False}\n";
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend([7, 8, 9]);
    assert_eq!(parse_npy(&b, "m").unwrap().to_vec::<u8>(), vec![7, 8, 9]);
}

fn kind_at(bytes: &[u8]) -> (IdxErrorKind, Option<u64>, String) {
    let e = parse_npy(bytes, "bad.npy").unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("bad.npy: "), "{msg}");
    (e.kind, e.offset, msg)
}

#[test]
fn bad_input_names_the_file_and_offset() {
    let good = npy(1, "<i4", false, &[2, 2], &[0; 16]);
    // Wrong magic.
    let mut b = good.clone();
    b[1] = b'X';
    let (k, off, _) = kind_at(&b);
    assert!(matches!(k, IdxErrorKind::BadMagic { .. }));
    assert_eq!(off, Some(0));
    // An IDX file is not a .npy file.
    assert!(matches!(
        kind_at(&[0, 0, 8, 1, 0, 0, 0, 1, 5, 0, 0]).0,
        IdxErrorKind::BadMagic { .. }
    ));
    // Truncated inside the fixed prefix and inside the header.
    for cut in [0, 3, 9, 40] {
        let (k, off, _) = kind_at(&good[..cut]);
        assert!(
            matches!(
                k,
                IdxErrorKind::TruncatedHeader { .. } | IdxErrorKind::BadMagic { .. }
            ),
            "cut {cut}: {k:?}"
        );
        assert!(off.unwrap() <= cut as u64);
    }
    // Truncated payload and trailing bytes.
    let (k, off, _) = kind_at(&good[..good.len() - 1]);
    assert!(matches!(
        k,
        IdxErrorKind::TruncatedPayload {
            expected: 16,
            found: 15
        }
    ));
    assert_eq!(off, Some(good.len() as u64 - 1));
    let mut b = good.clone();
    b.push(0);
    let (k, off, _) = kind_at(&b);
    assert!(matches!(k, IdxErrorKind::TrailingBytes { extra: 1 }));
    assert_eq!(off, Some(good.len() as u64));
    // Unknown version.
    let mut b = good.clone();
    b[6] = 4;
    let (k, off, msg) = kind_at(&b);
    assert!(matches!(k, IdxErrorKind::BadHeader { .. }), "{msg}");
    assert_eq!(off, Some(6));
    // Bad headers: a dtype ferrax lacks, a structured dtype, a bad shape, a missing key.
    for (descr, shape, what) in [
        ("<U3", "(2,)", "dtype '<U3'"),
        ("<M8[ns]", "(2,)", "dtype '<M8[ns]'"),
        ("<f4", "(2, -1)", "shape must be a tuple"),
        ("<f4", "[2]", "expected '('"),
    ] {
        let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        let (k, off, msg) = kind_at(&b);
        assert!(matches!(k, IdxErrorKind::BadHeader { .. }), "{msg}");
        assert!(msg.contains(what), "{msg}");
        assert!((10..10 + h.len() as u64).contains(&off.unwrap()), "{msg}");
    }
    let h = "{'descr': '<f4', 'shape': (2,), }\n";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    assert!(kind_at(&b).2.contains("no 'fortran_order'"));
    // Wrong dimensions: more elements than bytes, and dimensions too large to address.
    let (k, _, _) = kind_at(&npy(1, "<f8", false, &[3, 3], &[0; 64]));
    assert!(matches!(
        k,
        IdxErrorKind::TruncatedPayload {
            expected: 72,
            found: 64
        }
    ));
    let (k, _, _) = kind_at(&npy(1, "<f8", false, &[0, 1 << 62, 1 << 62], &[]));
    assert!(matches!(k, IdxErrorKind::TooLarge { .. }));
    // A missing file.
    let e = read_npy("/nonexistent/x.npy").unwrap_err();
    assert!(matches!(e.kind, IdxErrorKind::NotFound { .. }));
    assert_eq!(e.file, "/nonexistent/x.npy");
}
