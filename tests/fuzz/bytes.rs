//! The format-blind byte mutations every fuzzed reader is fed: flip bits, cut, append, and
//! overwrite a short run. Each format's test wraps [`ByteMutation`] in its own enum beside the
//! mutations that know its header (dimension fields, length prefixes).

use proptest::prelude::*;

/// One edit of a file's bytes that knows nothing of its format.
#[derive(Clone, Debug)]
pub enum ByteMutation {
    /// XOR the byte at `index % len` with `mask` (non-zero).
    Flip { index: usize, mask: u8 },
    /// Keep the first `keep % (len + 1)` bytes.
    Cut { keep: usize },
    /// Append bytes.
    Append(Vec<u8>),
    /// Overwrite the bytes from `index % len` on with `bytes` (clipped at the end).
    Splat { index: usize, bytes: Vec<u8> },
}

/// Byte mutations weighted towards flips and cuts, the edits that reach the most checks.
pub fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(index, mask)| ByteMutation::Flip { index, mask }),
        2 => any::<usize>().prop_map(|keep| ByteMutation::Cut { keep }),
        1 => prop::collection::vec(any::<u8>(), 1..16).prop_map(ByteMutation::Append),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(index, bytes)| ByteMutation::Splat { index, bytes }),
    ]
}

impl ByteMutation {
    /// Applies the edit in place; an edit that has no room (an empty file) does nothing.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        match self {
            ByteMutation::Flip { index, mask } => {
                if !bytes.is_empty() {
                    let i = index % bytes.len();
                    bytes[i] ^= mask;
                }
            }
            ByteMutation::Cut { keep } => bytes.truncate(keep % (bytes.len() + 1)),
            ByteMutation::Append(more) => bytes.extend(more),
            ByteMutation::Splat { index, bytes: run } => {
                if !bytes.is_empty() {
                    let at = index % bytes.len();
                    let end = (at + run.len()).min(bytes.len());
                    bytes[at..end].copy_from_slice(&run[..end - at]);
                }
            }
        }
    }
}
