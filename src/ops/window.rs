//! Which element a window selects (the identities and combining operations of each element
//! type are [`super::element::Element`]'s).

/// Which element of a window is chosen: the first maximum (`ge`) or the first minimum
/// (`le`), in row-major window order. A NaN counts as both (the first NaN wins), matching
/// the NaN-propagating `reduce_window_max`/`min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectPrim {
    /// Choose the maximum (JAX's `select_prim=ge`, for `reduce_window_max`).
    Ge,
    /// Choose the minimum (JAX's `select_prim=le`, for `reduce_window_min`).
    Le,
}

impl SelectPrim {
    /// The printed name (`ge` or `le`).
    pub fn name(self) -> &'static str {
        match self {
            SelectPrim::Ge => "ge",
            SelectPrim::Le => "le",
        }
    }
}
