//! Abstract values: what a trace knows about a tensor without its data (shape and dtype).

use crate::DType;
use smallvec::SmallVec;
use std::fmt;

/// Dimensions of a tensor; up to four are stored inline.
pub type Shape = SmallVec<[usize; 4]>;

/// The abstract value of a tensor: its shape and dtype (JAX's `ShapedArray`).
///
/// ```
/// use ferrax::core::Aval;
/// let a = Aval::new(&[2, 3], ferrax::DType::F32);
/// assert_eq!(a.to_string(), "f32[2,3]");
/// assert_eq!(a.size(), 6);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Aval {
    /// Dimensions.
    pub shape: Shape,
    /// Element type.
    pub dtype: DType,
}

impl Aval {
    /// Builds an aval from dims and dtype.
    pub fn new(shape: &[usize], dtype: DType) -> Aval {
        Aval {
            shape: Shape::from_slice(shape),
            dtype,
        }
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// Same shape, another dtype.
    pub fn with_dtype(&self, dtype: DType) -> Aval {
        Aval {
            shape: self.shape.clone(),
            dtype,
        }
    }
}

impl fmt::Display for Aval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[", self.dtype.short_name())?;
        for (i, d) in self.shape.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}
