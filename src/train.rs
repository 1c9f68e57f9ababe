//! `ferrax::train`: a small training-loop helper (progress, metrics, checkpoints).
