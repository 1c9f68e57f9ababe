//! Property-based fuzzing of the IDX reader on the stable toolchain (proptest, no
//! cargo-fuzz): valid small files of every element type, then mutated — random byte flips,
//! cuts to random lengths, appended bytes, hostile dimensions (0, 1, 2^16, 2^31, u32::MAX,
//! random), a hostile dimension count and type code.
//!
//! For every input: no panic (the call runs inside `catch_unwind`), either `Ok` — and then
//! the file really is consistent: 4 + 4 * ndim + elements * element size == its length —
//! or an `Err` whose message names the input and whose offset lies within it; and no single
//! allocation larger than `4 * len + 64 KiB`.
//!
//! The bound: the only allocation that grows with the input is the decoded element vector,
//! `elements * 4` bytes (every integer type widens to `i32`, `f32` stays 4 bytes, `f64`
//! 8 bytes per 8 in the file), which the reader makes only after checking the file holds
//! `elements * size` payload bytes, so it is at most `4 * len` (`uint8` -> `i32`); 64 KiB
//! covers what does not grow with the payload (the dims, at most 255 of them, ndarray's
//! shape and strides, error messages).
//!
//! Short mode (the default `cargo test`): 256 cases per property. Long mode: the `#[ignore]`d
//! `*_long` tests, 20,000 cases each: `cargo test --test fuzz idx:: -- --ignored`.

use crate::bytes::{byte_mutation, ByteMutation};
use crate::fuzz_alloc;

use ferrax::data::{parse_idx_typed, IdxErrorKind, IdxType};
use proptest::prelude::*;

const SHORT: u32 = 256;
const LONG: u32 = 20_000;

const TYPES: [IdxType; 6] = [
    IdxType::U8,
    IdxType::I8,
    IdxType::I16,
    IdxType::I32,
    IdxType::F32,
    IdxType::F64,
];

/// The documented bound on any single allocation while parsing `len` bytes.
fn bound(len: usize) -> usize {
    4 * len + fuzz_alloc::SLACK
}

fn idx_file(code: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(payload);
    b
}

/// A valid file: a type, 0..=3 dims of 0..=4, and payload bytes to fill them.
fn valid_file() -> impl Strategy<Value = (IdxType, Vec<u32>, Vec<u8>)> {
    (0..TYPES.len(), prop::collection::vec(0u32..=4, 0..=3)).prop_flat_map(|(t, dims)| {
        let ty = TYPES[t];
        let n = dims.iter().product::<u32>() as usize * ty.size();
        (
            Just(ty),
            Just(dims),
            prop::collection::vec(any::<u8>(), n..=n),
        )
    })
}

/// A dimension an attacker would pick.
fn hostile_dim() -> impl Strategy<Value = u32> {
    prop_oneof![
        2 => Just(0u32),
        1 => Just(1),
        1 => Just(1 << 16),
        1 => Just(1 << 31),
        2 => Just(u32::MAX),
        1 => Just(u32::MAX - 1),
        1 => any::<u32>(),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    /// A format-blind edit (flip, cut, append, overwrite).
    Bytes(ByteMutation),
    /// Overwrite dimension `i % ndim` (if the header has room) with `value`.
    SetDim { i: usize, value: u32 },
    /// Overwrite the dimension count.
    SetNdim(u8),
    /// Overwrite the type code.
    SetType(u8),
    /// Overwrite a magic byte (0 or 1) with a non-zero value.
    SetMagic { which: bool, value: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        7 => byte_mutation().prop_map(Mutation::Bytes),
        4 => (any::<usize>(), hostile_dim()).prop_map(|(i, value)| Mutation::SetDim { i, value }),
        1 => any::<u8>().prop_map(Mutation::SetNdim),
        1 => any::<u8>().prop_map(Mutation::SetType),
        1 => (any::<bool>(), 1u8..).prop_map(|(which, value)| Mutation::SetMagic { which, value }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Bytes(m) => m.apply(bytes),
        Mutation::SetDim { i, value } => {
            let ndim = bytes.get(3).copied().unwrap_or(0) as usize;
            if ndim > 0 {
                let at = 4 + 4 * (i % ndim);
                if at + 4 <= bytes.len() {
                    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
        Mutation::SetNdim(n) => {
            if bytes.len() > 3 {
                bytes[3] = *n;
            }
        }
        Mutation::SetType(c) => {
            if bytes.len() > 2 {
                bytes[2] = *c;
            }
        }
        Mutation::SetMagic { which, value } => {
            let i = usize::from(*which);
            if bytes.len() > i {
                bytes[i] = *value;
            }
        }
    }
}

/// The properties every input must satisfy (see the file's doc comment).
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let name = "fuzz.idx";
    let result = fuzz_alloc::run_bounded("parse_idx", bytes.len(), bound(bytes.len()), || {
        parse_idx_typed(bytes, name)
    })?;
    match result {
        Ok((t, ty)) => {
            // Independent recount of what a consistent file looks like.
            let ndim = bytes[3] as usize;
            let dims: Vec<usize> = (0..ndim)
                .map(|i| {
                    u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize
                })
                .collect();
            prop_assert_eq!(t.shape(), &dims[..]);
            prop_assert_eq!(Some(ty), IdxType::from_code(bytes[2]));
            prop_assert_eq!(t.dtype(), ty.dtype());
            let elements: usize = dims.iter().product();
            prop_assert_eq!(4 + 4 * ndim + elements * ty.size(), bytes.len());
            prop_assert_eq!((bytes[0], bytes[1]), (0, 0));
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.starts_with("fuzz.idx: ") && msg.len() > name.len() + 2,
                "{msg}"
            );
            prop_assert_eq!(&e.file, name);
            let off = e.offset.expect("parse errors have an offset");
            prop_assert!(
                off as usize <= bytes.len(),
                "offset {off} beyond {} bytes: {msg}",
                bytes.len()
            );
            prop_assert!(
                !matches!(e.kind, IdxErrorKind::Io(_) | IdxErrorKind::NotFound { .. }),
                "{msg}"
            );
        }
    }
    Ok(())
}

/// A valid file parses to exactly its values (decoded independently here).
fn check_valid(ty: IdxType, dims: &[u32], payload: &[u8]) -> Result<(), TestCaseError> {
    let bytes = idx_file(ty.code(), dims, payload);
    check(&bytes)?;
    let (t, found) = parse_idx_typed(&bytes, "v").unwrap();
    prop_assert_eq!(found, ty);
    let got = t.to_vec::<f64>();
    let want: Vec<f64> = match ty {
        IdxType::U8 => payload.iter().map(|&b| b as f64).collect(),
        IdxType::I8 => payload.iter().map(|&b| b as i8 as f64).collect(),
        IdxType::I16 => payload
            .chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]) as f64)
            .collect(),
        IdxType::I32 => payload
            .chunks(4)
            .map(|c| i32::from_be_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        IdxType::F32 => payload
            .chunks(4)
            .map(|c| f32::from_be_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        IdxType::F64 => payload
            .chunks(8)
            .map(|c| f64::from_be_bytes(c.try_into().unwrap()))
            .collect(),
    };
    // Bitwise, so NaN payloads compare too.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    prop_assert_eq!(bits(&got), bits(&want));
    Ok(())
}

fn check_mutated(
    (ty, dims, payload): (IdxType, Vec<u32>, Vec<u8>),
    mutations: &[Mutation],
) -> Result<(), TestCaseError> {
    let mut bytes = idx_file(ty.code(), &dims, &payload);
    for m in mutations {
        apply(&mut bytes, m);
    }
    check(&bytes)
}

/// Headers built from scratch out of hostile dims, with a payload of up to 64 bytes.
fn check_hostile_header(code: u8, dims: &[u32], payload: &[u8]) -> Result<(), TestCaseError> {
    check(&idx_file(code, dims, payload))
}

fn hostile_header() -> impl Strategy<Value = (u8, Vec<u32>, Vec<u8>)> {
    (
        prop_oneof![
            Just(0x08u8),
            Just(0x09),
            Just(0x0B),
            Just(0x0C),
            Just(0x0D),
            Just(0x0E),
            any::<u8>()
        ],
        prop::collection::vec(hostile_dim(), 0..=6),
        // Often no payload at all: the case where only the header can be wrong.
        prop_oneof![
            2 => Just(vec![]),
            1 => prop::collection::vec(any::<u8>(), 0..64),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(SHORT))]

    #[test]
    fn valid_files_parse_to_their_values((ty, dims, payload) in valid_file()) {
        check_valid(ty, &dims, &payload)?;
    }

    #[test]
    fn mutated_files_are_ok_or_errors(
        file in valid_file(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        check_mutated(file, &mutations)?;
    }

    #[test]
    fn hostile_headers_are_ok_or_errors((code, dims, payload) in hostile_header()) {
        check_hostile_header(code, &dims, &payload)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(LONG))]

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz idx:: -- --ignored"]
    fn valid_files_parse_to_their_values_long((ty, dims, payload) in valid_file()) {
        check_valid(ty, &dims, &payload)?;
    }

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz idx:: -- --ignored"]
    fn mutated_files_are_ok_or_errors_long(
        file in valid_file(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        check_mutated(file, &mutations)?;
    }

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz idx:: -- --ignored"]
    fn hostile_headers_are_ok_or_errors_long((code, dims, payload) in hostile_header()) {
        check_hostile_header(code, &dims, &payload)?;
    }
}

// ---------------------------------------------------------------- the cases

/// A zero dimension keeps the element count at 0 while the others multiply past usize:
/// refused (before the fix it parsed, and ndarray's shape check then panicked).
#[test]
fn zero_dimension_overflow_header_is_an_error() {
    for code in [0x08, 0x0E] {
        let bytes = idx_file(code, &[0, u32::MAX, u32::MAX], &[]);
        let out = fuzz_alloc::measure(|| parse_idx_typed(&bytes, "zero.idx"));
        let e = out.result.expect("no panic").unwrap_err();
        assert!(matches!(e.kind, IdxErrorKind::TooLarge { .. }), "{e}");
        assert_eq!(e.offset, Some(12));
        assert!(out.largest_alloc <= bound(bytes.len()));
    }
}

/// Each of the distinct header problems has its own kind and the offset of the bad field.
#[test]
fn each_bad_header_has_its_kind_and_offset() {
    let good = idx_file(0x0B, &[2, 3], &[0; 12]);
    parse_idx_typed(&good, "g").unwrap();
    type Case = (Vec<u8>, fn(&IdxErrorKind) -> bool, u64);
    let cases: Vec<Case> = vec![
        (
            [&[0, 7][..], &good[2..]].concat(),
            |k| {
                matches!(
                    k,
                    IdxErrorKind::BadMagic {
                        found: [0, 7, 0x0B, 2]
                    }
                )
            },
            0,
        ),
        (
            [&[0, 0, 0x0A][..], &good[3..]].concat(),
            |k| matches!(k, IdxErrorKind::UnknownType { code: 0x0A }),
            2,
        ),
        (
            good[..9].to_vec(),
            |k| {
                matches!(
                    k,
                    IdxErrorKind::TruncatedHeader {
                        needed: 12,
                        found: 9
                    }
                )
            },
            9,
        ),
        (
            good[..23].to_vec(),
            |k| {
                matches!(
                    k,
                    IdxErrorKind::TruncatedPayload {
                        expected: 12,
                        found: 11
                    }
                )
            },
            23,
        ),
        (
            [&good[..], &[1]].concat(),
            |k| matches!(k, IdxErrorKind::TrailingBytes { extra: 1 }),
            24,
        ),
        (
            idx_file(0x0B, &[1 << 31, 1 << 31], &[]),
            |k| matches!(k, IdxErrorKind::TooLarge { .. }),
            8,
        ),
    ];
    for (bytes, want, offset) in cases {
        let e = parse_idx_typed(&bytes, "h.idx").unwrap_err();
        assert!(want(&e.kind), "{e}");
        assert_eq!(e.offset, Some(offset), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("h.idx: byte {offset}: ")),
            "{e}"
        );
    }
}
