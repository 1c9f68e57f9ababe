//! `ferrax::losses`: loss functions as compositions of public ops (NaN-safe).
