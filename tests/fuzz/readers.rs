//! Property-based fuzzing of the `.npy`, `.npz`, gzip'd IDX, CSV and image readers (proptest,
//! as `idx.rs` does for IDX): valid small files of each format, then mutated (byte flips,
//! cuts, appended bytes, a mutated header field); every input gives `Ok` or an `Err` naming
//! the input, never a panic, and no single allocation beyond the reader's documented bound.
//!
//! The bounds: `.npy` decodes at most one copy of the payload plus one for a byte swap or a
//! Fortran-order transpose, so `2 * len`; gzip'd IDX and `.npz` decompress at most deflate's
//! maximum ratio (1032:1) and then widen (IDX `uint8` to `i32`, 4x; a growing vector may
//! double), so `8 * 1032 * len`; CSV keeps the rows and the parsed floats, `8 * len`; images
//! decode under `decode_image`'s limit, `max(2048 * len, 64 MiB)`, plus the same for the
//! converted buffer. `SLACK` covers what does not grow with the input.
//!
//! Short mode: 128 cases per property (`cargo test --test fuzz readers::`).

use crate::bytes::{byte_mutation, ByteMutation};
use crate::fuzz_alloc;

use ferrax::data::{
    decode_image, parse_csv, parse_idx_gz, parse_npy, parse_npz, Channels, CsvOptions, LabelColumn,
};
use proptest::prelude::*;
use std::io::Write;

const CASES: u32 = 128;

fn mutate(mut bytes: Vec<u8>, ms: &[ByteMutation]) -> Vec<u8> {
    for m in ms {
        m.apply(&mut bytes);
    }
    bytes
}

/// `Ok`, or an error whose file is `name` (or `name:member`, `name (decompressed)`) and
/// whose offset, if any, lies within the input it refers to.
fn check_err(e: &ferrax::data::IdxError, name: &str, limit: u64) -> Result<(), TestCaseError> {
    prop_assert!(e.file.starts_with(name), "{e}");
    if let Some(off) = e.offset {
        prop_assert!(off <= limit, "offset {off} beyond {limit}: {e}");
    }
    Ok(())
}

fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let order = if fortran { "True" } else { "False" };
    let header = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}\n");
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend(data);
    b
}

const DESCRS: [(&str, usize); 8] = [
    ("<f4", 4),
    (">f8", 8),
    ("|u1", 1),
    ("<i2", 2),
    (">c8", 8),
    ("|b1", 1),
    ("<f2", 2),
    ("<u8", 8),
];

fn valid_npy() -> impl Strategy<Value = Vec<u8>> {
    (
        0..DESCRS.len(),
        any::<bool>(),
        prop::collection::vec(0usize..=4, 0..=3),
    )
        .prop_flat_map(|(d, fortran, shape)| {
            let (descr, size) = DESCRS[d];
            let n = shape.iter().product::<usize>() * size;
            prop::collection::vec(any::<u8>(), n..=n)
                .prop_map(move |data| npy_bytes(descr, fortran, &shape, &data))
        })
}

fn check_npy(bytes: &[u8]) -> Result<(), TestCaseError> {
    let r = fuzz_alloc::run_bounded(
        "parse_npy",
        bytes.len(),
        2 * bytes.len() + fuzz_alloc::SLACK,
        || parse_npy(bytes, "f.npy"),
    )?;
    if let Err(e) = r {
        check_err(&e, "f.npy", bytes.len() as u64)?;
    }
    Ok(())
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn valid_gz_idx() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u32..=5, 1..=3).prop_flat_map(|dims| {
        let n = dims.iter().product::<u32>() as usize;
        prop::collection::vec(any::<u8>(), n..=n).prop_map(move |data| {
            let mut b = vec![0, 0, 0x08, dims.len() as u8];
            for d in &dims {
                b.extend(d.to_be_bytes());
            }
            b.extend(data);
            gz(&b)
        })
    })
}

fn inflate_bound(len: usize) -> usize {
    8 * 1032 * len + fuzz_alloc::SLACK
}

fn check_gz(bytes: &[u8]) -> Result<(), TestCaseError> {
    let r = fuzz_alloc::run_bounded(
        "parse_idx_gz",
        bytes.len(),
        inflate_bound(bytes.len()),
        || parse_idx_gz(bytes, "f.gz"),
    )?;
    if let Err(e) = r {
        // Offsets of decompressed-content errors are in the decompressed bytes.
        check_err(&e, "f.gz", (1032 * bytes.len()) as u64)?;
    }
    Ok(())
}

fn valid_npz() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(valid_npy(), 1..=3), any::<bool>()).prop_map(|(members, deflate)| {
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (i, m) in members.iter().enumerate() {
            z.start_file(format!("arr_{i}.npy"), opts).unwrap();
            z.write_all(m).unwrap();
        }
        z.finish().unwrap().into_inner()
    })
}

fn check_npz(bytes: &[u8]) -> Result<(), TestCaseError> {
    let r = fuzz_alloc::run_bounded("parse_npz", bytes.len(), inflate_bound(bytes.len()), || {
        parse_npz(bytes, "f.npz")
    })?;
    if let Err(e) = r {
        check_err(&e, "f.npz", (1032 * bytes.len()) as u64)?;
    }
    Ok(())
}

fn valid_csv() -> impl Strategy<Value = Vec<u8>> {
    (
        1usize..=4,
        prop::collection::vec(prop::collection::vec(-1000i32..1000, 4), 0..8),
    )
        .prop_map(|(cols, rows)| {
            let mut s: Vec<String> = vec![(0..cols)
                .map(|c| format!("c{c}"))
                .collect::<Vec<_>>()
                .join(",")];
            for r in rows {
                s.push(
                    r[..cols]
                        .iter()
                        .map(|v| format!("{}", *v as f32 / 8.0))
                        .collect::<Vec<_>>()
                        .join(","),
                );
            }
            (s.join("\n") + "\n").into_bytes()
        })
}

fn check_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
    for label in [LabelColumn::None, LabelColumn::Index(-1)] {
        let opts = CsvOptions {
            label,
            ..Default::default()
        };
        let r = fuzz_alloc::run_bounded(
            "parse_csv",
            bytes.len(),
            8 * bytes.len() + fuzz_alloc::SLACK,
            || parse_csv(bytes, "f.csv", &opts),
        )?;
        match r {
            Ok(d) => prop_assert_eq!(d.features.shape()[1], d.columns.len()),
            Err(e) => check_err(&e, "f.csv", bytes.len() as u64)?,
        }
    }
    Ok(())
}

fn valid_png() -> impl Strategy<Value = Vec<u8>> {
    (1u32..=6, 1u32..=6, any::<bool>(), any::<u8>()).prop_map(|(w, h, rgb, seed)| {
        let img = if rgb {
            image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([seed, x as u8 * 40, y as u8 * 40])
            }))
        } else {
            image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(w, h, |x, y| {
                image::Luma([seed ^ (x + y) as u8])
            }))
        };
        let mut b = Vec::new();
        let format = if seed % 2 == 0 {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        };
        img.into_rgb8()
            .write_to(&mut std::io::Cursor::new(&mut b), format)
            .unwrap();
        b
    })
}

fn check_image(bytes: &[u8]) -> Result<(), TestCaseError> {
    let bound = 2 * (2048 * bytes.len()).max(64 << 20) + fuzz_alloc::SLACK;
    let r = fuzz_alloc::run_bounded("decode_image", bytes.len(), bound, || {
        decode_image(bytes, "f.png", Channels::Rgb, Some((4, 4)))
    })?;
    match r {
        Ok(t) => prop_assert_eq!(t.shape(), &[4, 4, 3]),
        Err(e) => check_err(&e, "f.png", bytes.len() as u64)?,
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn npy_valid_and_mutated(file in valid_npy(), ms in prop::collection::vec(byte_mutation(), 0..4)) {
        let t = parse_npy(&file, "v").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(t.size() * t.dtype().size_of() <= file.len());
        check_npy(&mutate(file, &ms))?;
    }

    #[test]
    fn npy_random_bytes(mut bytes in prop::collection::vec(any::<u8>(), 0..200), magic in any::<bool>()) {
        if magic && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(b"\x93NUMPY\x01\x00");
        }
        check_npy(&bytes)?;
    }

    #[test]
    fn gzip_idx_valid_and_mutated(file in valid_gz_idx(), ms in prop::collection::vec(byte_mutation(), 0..4)) {
        prop_assert!(parse_idx_gz(&file, "v").is_ok());
        check_gz(&mutate(file, &ms))?;
    }

    #[test]
    fn npz_valid_and_mutated(file in valid_npz(), ms in prop::collection::vec(byte_mutation(), 0..4)) {
        prop_assert!(parse_npz(&file, "v").is_ok());
        check_npz(&mutate(file, &ms))?;
    }

    #[test]
    fn csv_valid_and_mutated(file in valid_csv(), ms in prop::collection::vec(byte_mutation(), 0..4)) {
        prop_assert!(parse_csv(&file, "v", &CsvOptions::default()).is_ok());
        check_csv(&mutate(file, &ms))?;
    }

    #[test]
    fn images_valid_and_mutated(file in valid_png(), ms in prop::collection::vec(byte_mutation(), 0..3)) {
        prop_assert!(decode_image(&file, "v", Channels::Gray, None).is_ok());
        check_image(&mutate(file, &ms))?;
    }
}
