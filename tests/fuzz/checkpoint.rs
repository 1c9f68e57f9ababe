//! Property-based fuzzing of the checkpoint loader on the stable toolchain (proptest, no
//! cargo-fuzz), plus the targeted hostile cases and the temporary-file clean-up of saves.
//!
//! Inputs start from a valid checkpoint of a pytree with tensors of every dtype written by
//! ferrax's own `params_to_bytes`, then are mutated: random byte flips, cuts to random
//! lengths, hostile header lengths (0, u64::MAX, 2^63, just past the end, random), and
//! headers rewritten from scratch with hostile JSON (huge and overflowing shapes, offsets
//! outside the data, overlapping and out-of-order offsets, unknown dtypes).
//!
//! For every input: no panic (`catch_unwind`), either `Ok` — and then the parameters are
//! exactly the ones encoded in the file, re-encoded to the same bytes — or an `Err` whose
//! message names the file; and no single allocation larger than `32 * len + 64 KiB`.
//!
//! The bound: decoding the data allocates at most the data's size (every dtype keeps its
//! width: bool 1 byte, i32/u32/f32 4, f64 8); the header JSON is parsed by serde_json
//! through `#[serde(flatten)]`, which buffers every JSON value as a 32-byte `Content` —
//! `0,` (2 bytes) becomes 32 bytes, 16x — in vectors grown by doubling (up to 2x more):
//! 32x the header. 64 KiB covers what does not grow with the input.
//!
//! Short mode (the default `cargo test`): 256 cases per property. Long mode: the `#[ignore]`d
//! `*_long` tests, 20,000 cases each: `cargo test --test fuzz checkpoint:: -- --ignored`.

use crate::bytes::{byte_mutation, ByteMutation};
use crate::fuzz_alloc;

use crate::common;
use common::tempdir::TempDir;
use ferrax::prelude::*;
use ferrax::train::{
    load_params, params_from_bytes, params_to_bytes, save_params, CheckpointErrorKind,
};
use proptest::prelude::*;

const SHORT: u32 = 256;
const LONG: u32 = 20_000;

/// The documented bound on any single allocation while parsing `len` bytes.
fn bound(len: usize) -> usize {
    32 * len + fuzz_alloc::SLACK
}

#[derive(PyTree, Clone, Debug)]
struct Params {
    w: Tensor,
    b: Tensor,
    steps: Tensor,
    count: Tensor,
    mask: Tensor,
}

/// Tensor names as written on disk, with their dtypes (safetensors spelling) and shapes.
const LAYOUT: [(&str, &str, &[usize]); 5] = [
    (".w", "F32", &[2, 3]),
    (".b", "F64", &[3]),
    (".steps", "U32", &[]),
    (".count", "I32", &[2]),
    (".mask", "BOOL", &[3]),
];

fn params(f: &[f32; 6], d: &[f64; 3], steps: u32, count: &[i32; 2], mask: &[bool; 3]) -> Params {
    Params {
        w: Tensor::from_vec(f.to_vec(), &[2, 3]),
        b: Tensor::from_vec(d.to_vec(), &[3]),
        steps: Tensor::scalar(steps),
        count: Tensor::from_vec(count.to_vec(), &[2]),
        mask: Tensor::from_vec(mask.to_vec(), &[3]),
    }
}

fn template() -> Params {
    params(&[0.0; 6], &[0.0; 3], 0, &[0; 2], &[false; 3])
}

fn valid_params() -> impl Strategy<Value = Params> {
    (
        any::<[f32; 6]>(),
        any::<[f64; 3]>(),
        any::<u32>(),
        any::<[i32; 2]>(),
        any::<[bool; 3]>(),
    )
        .prop_map(|(f, d, s, c, m)| params(&f, &d, s, &c, &m))
}

fn valid_bytes() -> impl Strategy<Value = Vec<u8>> {
    valid_params().prop_map(|p| params_to_bytes(&p, "mem").unwrap())
}

fn with_header_len(bytes: &[u8], n: u64) -> Vec<u8> {
    let mut b = bytes.to_vec();
    if b.len() >= 8 {
        b[..8].copy_from_slice(&n.to_le_bytes());
    }
    b
}

#[derive(Clone, Debug)]
enum Mutation {
    Bytes(ByteMutation),
    /// Overwrite the header length with a hostile value.
    HeaderLen(u64),
    /// Move the header length by a small amount (just inside / just past the JSON).
    HeaderLenDelta(i8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        9 => byte_mutation().prop_map(Mutation::Bytes),
        1 => prop_oneof![
            Just(0u64),
            Just(u64::MAX),
            Just(1 << 63),
            Just(100_000_001),
            Just(u32::MAX as u64),
            any::<u64>(),
        ]
        .prop_map(Mutation::HeaderLen),
        1 => any::<i8>().prop_map(Mutation::HeaderLenDelta),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Bytes(m) => m.apply(bytes),
        Mutation::HeaderLen(n) => *bytes = with_header_len(bytes, *n),
        Mutation::HeaderLenDelta(d) => {
            if bytes.len() >= 8 {
                let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
                *bytes = with_header_len(bytes, n.wrapping_add(*d as i64 as u64));
            }
        }
    }
}

/// A JSON number an attacker would pick for a shape entry or offset.
fn hostile_number() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..8,
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 1),
        1 => Just((1u64 << 61) - 1),
        1 => Just(1u64 << 32),
        1 => Just(u32::MAX as u64),
        1 => any::<u64>(),
    ]
}

#[derive(Clone, Debug)]
struct HostileTensor {
    name: usize,
    dtype: &'static str,
    shape: Vec<u64>,
    offsets: (u64, u64),
}

fn hostile_tensor() -> impl Strategy<Value = HostileTensor> {
    (
        0..LAYOUT.len() + 1,
        prop_oneof![
            Just("F32"),
            Just("F64"),
            Just("U32"),
            Just("I32"),
            Just("BOOL"),
            Just("U8"),
            Just("F4"),
            Just("NOPE")
        ],
        prop::collection::vec(hostile_number(), 0..4),
        (hostile_number(), hostile_number()),
    )
        .prop_map(|(name, dtype, shape, offsets)| HostileTensor {
            name,
            dtype,
            shape,
            offsets,
        })
}

/// A file with a header written from scratch: the given tensors (names from the template,
/// or `.other`), the correct header length, then `data` bytes.
fn hostile_file(tensors: &[HostileTensor], data: &[u8]) -> Vec<u8> {
    let entries: Vec<String> = tensors
        .iter()
        .map(|t| {
            let name = LAYOUT.get(t.name).map_or(".other", |l| l.0);
            format!(
                "\"{name}\":{{\"dtype\":\"{}\",\"shape\":{:?},\"data_offsets\":[{},{}]}}",
                t.dtype, t.shape, t.offsets.0, t.offsets.1
            )
        })
        .collect();
    let json = format!("{{{}}}", entries.join(","));
    let mut b = (json.len() as u64).to_le_bytes().to_vec();
    b.extend(json.as_bytes());
    b.extend(data);
    b
}

/// The properties every input must satisfy (see the file's doc comment).
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let result =
        fuzz_alloc::run_bounded("params_from_bytes", bytes.len(), bound(bytes.len()), || {
            params_from_bytes(bytes, &template(), "fuzz.safetensors")
        })?;
    match result {
        Ok(p) => {
            // Accepted: the file holds exactly these parameters in the template's layout,
            // so re-encoding them reproduces its tensor data (the JSON may differ in order
            // or metadata, so compare the data sections' tensors through a second decode).
            let again = params_to_bytes(&p, "again").unwrap();
            let q = params_from_bytes(&again, &template(), "again").unwrap();
            for (a, b) in p.leaves().iter().zip(q.leaves()) {
                prop_assert_eq!((a.dtype(), a.shape()), (b.dtype(), b.shape()));
                prop_assert_eq!(bits(a), bits(&b));
            }
            for (leaf, (_, _, shape)) in p.leaves().iter().zip(LAYOUT) {
                prop_assert_eq!(leaf.shape(), shape);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.starts_with("fuzz.safetensors: ") && msg.len() > 20,
                "{msg}"
            );
            if let CheckpointErrorKind::Corrupt { offset, .. } = e.kind {
                prop_assert!(
                    offset as usize <= bytes.len(),
                    "offset {offset} beyond the input: {msg}"
                );
            }
        }
    }
    Ok(())
}

/// A tensor's values as bit patterns (exact for every dtype, NaNs included).
fn bits(t: &Tensor) -> Vec<u64> {
    match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::F64 => t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect(),
        DType::I32 => t.to_vec::<i32>().iter().map(|&v| v as u32 as u64).collect(),
        DType::U32 => t.to_vec::<u32>().iter().map(|&v| v as u64).collect(),
        DType::Bool => t.to_vec::<bool>().iter().map(|&v| v as u64).collect(),
        d => panic!("the fuzzed checkpoints hold no {d} leaves"),
    }
}

fn check_valid(p: &Params) -> Result<(), TestCaseError> {
    let bytes = params_to_bytes(p, "mem").unwrap();
    check(&bytes)?;
    let back = params_from_bytes(&bytes, &template(), "mem").unwrap();
    for (a, b) in p.leaves().iter().zip(back.leaves()) {
        prop_assert_eq!(bits(a), bits(&b));
    }
    Ok(())
}

fn check_mutated(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    for m in mutations {
        apply(&mut bytes, m);
    }
    check(&bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(SHORT))]

    #[test]
    fn valid_checkpoints_round_trip(p in valid_params()) {
        check_valid(&p)?;
    }

    #[test]
    fn mutated_checkpoints_are_ok_or_errors(
        bytes in valid_bytes(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        check_mutated(bytes, &mutations)?;
    }

    #[test]
    fn hostile_headers_are_errors(
        tensors in prop::collection::vec(hostile_tensor(), 0..10),
        data in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        check(&hostile_file(&tensors, &data))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(LONG))]

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz checkpoint:: -- --ignored"]
    fn valid_checkpoints_round_trip_long(p in valid_params()) {
        check_valid(&p)?;
    }

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz checkpoint:: -- --ignored"]
    fn mutated_checkpoints_are_ok_or_errors_long(
        bytes in valid_bytes(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        check_mutated(bytes, &mutations)?;
    }

    #[test]
    #[ignore = "long fuzzing run: cargo test --test fuzz checkpoint:: -- --ignored"]
    fn hostile_headers_are_errors_long(
        tensors in prop::collection::vec(hostile_tensor(), 0..10),
        data in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        check(&hostile_file(&tensors, &data))?;
    }
}

// ---------------------------------------------------------------- targeted hostile files

fn corrupt_at(bytes: &[u8]) -> (u64, &'static str, String) {
    let out = fuzz_alloc::measure(|| params_from_bytes(bytes, &template(), "h.safetensors"));
    let result = out
        .result
        .unwrap_or_else(|| panic!("panicked: {:?}", out.panic));
    assert!(
        out.largest_alloc <= bound(bytes.len()),
        "{}",
        out.largest_alloc
    );
    let e = result.expect_err("a hostile file must be an error");
    let msg = e.to_string();
    assert!(msg.starts_with("h.safetensors: byte "), "{msg}");
    match e.kind {
        CheckpointErrorKind::Corrupt { offset, field, .. } => (offset, field, msg),
        other => panic!("expected Corrupt, got {other:?}: {msg}"),
    }
}

fn tensor(name: usize, dtype: &'static str, shape: &[u64], offsets: (u64, u64)) -> HostileTensor {
    HostileTensor {
        name,
        dtype,
        shape: shape.to_vec(),
        offsets,
    }
}

#[test]
fn header_length_beyond_the_file() {
    let good = params_to_bytes(&template(), "mem").unwrap();
    for n in [u64::MAX, 1 << 63, good.len() as u64 - 7, 100_000_001] {
        let (offset, field, msg) = corrupt_at(&with_header_len(&good, n));
        assert_eq!((offset, field), (0, "header length"), "{msg}");
        assert!(
            msg.contains(&format!("announces {n} header bytes")),
            "{msg}"
        );
    }
    let (offset, field, _) = corrupt_at(&good[..5]);
    assert_eq!((offset, field), (0, "header length"));
}

/// Offsets that end near usize::MAX: the safetensors crate's own `read_metadata` adds the
/// data length to the header length unchecked and panics here (overflow checks on); ferrax
/// checks the sum.
#[test]
fn offsets_ending_near_usize_max_are_an_error_not_an_overflow() {
    let s = (1u64 << 61) - 1; // the largest U8 tensor whose bit count fits in usize
    let mut tensors: Vec<HostileTensor> = (0..8)
        .map(|i| tensor(5, "U8", &[s], (i * s, (i + 1) * s)))
        .collect();
    tensors.push(tensor(5, "U8", &[7], (8 * s, 8 * s + 7)));
    // Distinct names (the JSON object would otherwise keep only the last).
    let json: Vec<String> = tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "\"t{i}\":{{\"dtype\":\"U8\",\"shape\":{:?},\"data_offsets\":[{},{}]}}",
                t.shape, t.offsets.0, t.offsets.1
            )
        })
        .collect();
    let json = format!("{{{}}}", json.join(","));
    assert_eq!(8 * s + 7, u64::MAX);
    let mut b = (json.len() as u64).to_le_bytes().to_vec();
    b.extend(json.as_bytes());
    let (offset, field, msg) = corrupt_at(&b);
    assert_eq!((offset, field), (b.len() as u64, "data_offsets"), "{msg}");
}

#[test]
fn inconsistent_headers_are_errors_naming_the_field() {
    let data = [0u8; 64];
    let cases: Vec<(&str, Vec<HostileTensor>, usize)> = vec![
        // 2x3 f32 needs 24 bytes, the offsets give 20.
        (
            "size vs shape",
            vec![tensor(0, "F32", &[2, 3], (0, 20))],
            20,
        ),
        // The product of the shape overflows usize.
        (
            "shape overflow",
            vec![tensor(0, "F32", &[u64::MAX, u64::MAX], (0, 24))],
            24,
        ),
        // Zero elements, but the offsets claim 24 bytes.
        (
            "zero dim",
            vec![tensor(0, "F32", &[0, u64::MAX], (0, 24))],
            24,
        ),
        // Offsets past the data section.
        ("past the end", vec![tensor(1, "F64", &[3], (0, 24))], 10),
        // Overlapping tensors.
        (
            "overlap",
            vec![
                tensor(1, "F64", &[3], (0, 24)),
                tensor(3, "I32", &[2], (16, 24)),
            ],
            24,
        ),
        // A gap between tensors.
        (
            "gap",
            vec![
                tensor(3, "I32", &[2], (0, 8)),
                tensor(4, "BOOL", &[3], (12, 15)),
            ],
            15,
        ),
        // End before start.
        ("reversed", vec![tensor(3, "I32", &[2], (8, 0))], 8),
        ("unknown dtype", vec![tensor(3, "Q7", &[2], (0, 8))], 8),
        // The data section is longer than the tensors.
        ("trailing data", vec![tensor(3, "I32", &[2], (0, 8))], 9),
    ];
    for (what, tensors, len) in cases {
        let b = hostile_file(&tensors, &data[..len]);
        let (offset, field, msg) = corrupt_at(&b);
        assert!(
            ["header JSON", "data_offsets"].contains(&field),
            "{what}: {msg}"
        );
        assert!(offset >= 8 && offset as usize <= b.len(), "{what}: {msg}");
    }
    // Out-of-order entries in the JSON are fine (the format orders tensors by offset); the
    // template then reports what does not match.
    let ok = hostile_file(
        &[
            tensor(4, "BOOL", &[3], (8, 11)),
            tensor(3, "I32", &[2], (0, 8)),
        ],
        &[1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1],
    );
    let e = params_from_bytes(&ok, &template(), "o").unwrap_err();
    assert!(matches!(e.kind, CheckpointErrorKind::Mismatch(_)), "{e}");
    assert!(
        !e.to_string().contains("`.count`") && e.to_string().contains("`.w` is missing"),
        "{e}"
    );
}

// ---------------------------------------------------------------- atomic saves

fn temp_dir(tag: &str) -> TempDir {
    TempDir::new("ferrax-fuzzckpt", tag)
}

/// A pid no live process has: above the kernel's pid_max, so `/proc/<pid>` cannot exist.
fn dead_pid() -> u32 {
    let max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4_194_304);
    max + 1
}

#[test]
#[cfg(target_os = "linux")]
fn a_save_removes_stale_temporaries_of_its_target_only() {
    let dir = temp_dir("stale");
    let target = dir.0.join("model.safetensors");
    let dead = dead_pid();
    let me = std::process::id();
    let stale = format!(".model.safetensors.ferrax-tmp-{dead}-0");
    let keep = [
        // Another target's temporary, even of a dead process.
        format!(".other.safetensors.ferrax-tmp-{dead}-0"),
        // This process's own (another thread may be writing it).
        format!(".model.safetensors.ferrax-tmp-{me}-999999"),
        // A live process's: pid 1 always exists.
        ".model.safetensors.ferrax-tmp-1-0".to_string(),
        // Not the exact pattern.
        format!(".model.safetensors.ferrax-tmp-{dead}-x"),
        format!("model.safetensors.ferrax-tmp-{dead}-0"),
        "unrelated.tmp".to_string(),
    ];
    std::fs::write(dir.0.join(&stale), b"half a checkpoint").unwrap();
    for k in &keep {
        std::fs::write(dir.0.join(k), b"x").unwrap();
    }
    let p = params(
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        &[0.5; 3],
        7,
        &[-1, 1],
        &[true, false, true],
    );
    save_params(&target, &p).unwrap();
    let mut want: Vec<String> = keep.to_vec();
    want.push("model.safetensors".into());
    want.sort();
    assert_eq!(dir.files(), want);
    let back = load_params(&target, &template()).unwrap();
    for (a, b) in p.leaves().iter().zip(back.leaves()) {
        assert_eq!(bits(a), bits(&b));
    }
}

/// Saves name their temporaries `.<name>.ferrax-tmp-<pid>-<n>`: a save that fails before the
/// rename (the target is a directory) leaves nothing behind, and one that succeeds leaves
/// only the target.
#[test]
fn saves_leave_no_temporaries() {
    let dir = temp_dir("clean");
    let target = dir.0.join("p.safetensors");
    for _ in 0..3 {
        save_params(&target, &template()).unwrap();
    }
    assert_eq!(dir.files(), ["p.safetensors"]);
    std::fs::create_dir(dir.0.join("d")).unwrap();
    assert!(save_params(dir.0.join("d"), &template()).is_err());
    assert_eq!(dir.files(), ["d", "p.safetensors"]);
}

/// The allocation bound's worst case: a header that is one long JSON array (a shape of
/// 100,000 zeros), which serde_json buffers value by value (measured: 21x the input, within
/// the 32x of the bound); and a long tensor name.
#[test]
fn long_json_stays_within_the_allocation_bound() {
    let zeros = vec!["0"; 100_000].join(",");
    let long_name = "n".repeat(200_000);
    for json in [
        format!("{{\".w\":{{\"dtype\":\"F32\",\"shape\":[{zeros}],\"data_offsets\":[0,0]}}}}"),
        format!("{{\"{long_name}\":{{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}}}"),
    ] {
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend(json.as_bytes());
        let out = fuzz_alloc::measure(|| params_from_bytes(&b, &template(), "big"));
        assert!(out.result.expect("no panic").is_err());
        assert!(
            out.largest_alloc <= bound(b.len()),
            "{} > {}",
            out.largest_alloc,
            bound(b.len())
        );
    }
}
