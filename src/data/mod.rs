//! `ferrax::data`: reading datasets (IDX) and batching them.
