//! numpy-style printing: `[1. 2. 3.]`, `[[1 2]\n [3 4]]`, `[ True False]`. `Debug` adds the
//! type (`f32[3]`).

use super::{ArrayData, Repr, Tensor};
use std::fmt;

/// Formats one float like numpy's default (`1.`, `0.25`, `1e-05`, `nan`, `inf`): integral
/// values end in a bare point, others use the shortest digits rounded to 8 decimals.
pub(crate) fn numpy_float(v: f64, f32_precision: bool) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e16 {
        let sign = if v.is_sign_negative() && v == 0.0 {
            "-"
        } else {
            ""
        };
        return format!("{sign}{}.", v as i64);
    }
    let s = python_repr(v, f32_precision);
    match s.split_once('.') {
        Some((_, frac)) if !frac.contains('e') && frac.len() > 8 => {
            let rounded = format!("{v:.8}");
            rounded.trim_end_matches('0').to_string()
        }
        _ => s,
    }
}

/// Python's `repr` of a float (shortest round-trip digits; scientific below 1e-4 and from
/// 1e16 on), computed at f32 precision when the value came from an f32.
pub(crate) fn python_repr(v: f64, f32_precision: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Shortest digits via Rust's `{:e}`, which prints the shortest round-trip mantissa.
    let sci = if f32_precision {
        format!("{:e}", v as f32)
    } else {
        format!("{:e}", v)
    };
    sci_to_python(&sci)
}

/// Python's `repr` of a bf16 or f16 value (as numpy prints `np.float16(0.1)`: `0.1`): the
/// fewest significant digits that read back as the same value of the narrow type.
pub(crate) fn python_repr_narrow(v: f32, round_trips: impl Fn(f32) -> bool) -> String {
    if !v.is_finite() {
        return python_repr(v as f64, true);
    }
    let sci = (0..9)
        .map(|p| format!("{v:.p$e}"))
        .find(|s| s.parse::<f32>().is_ok_and(&round_trips))
        .unwrap_or_else(|| format!("{v:e}"));
    // `{:.pe}` may leave trailing zeros in the mantissa; Python's shortest form has none.
    let (m, e) = sci.split_once('e').expect("{:e} has an exponent");
    let m = if m.contains('.') {
        m.trim_end_matches('0').trim_end_matches('.')
    } else {
        m
    };
    sci_to_python(&format!("{m}e{e}"))
}

/// Python's float formatting of a number given as Rust's `{:e}` text (shortest mantissa).
fn sci_to_python(sci: &str) -> String {
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        // Positional notation.
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if (point as usize) >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { "-" } else { "+" };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

/// numpy's text for one element of a narrow float (`bf16`, `f16`).
fn narrow_float<T: Copy>(
    v: T,
    to: fn(T) -> f32,
    from: fn(f32) -> T,
    eq: fn(T, T) -> bool,
) -> String {
    let f = to(v);
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        return numpy_float(f as f64, true);
    }
    python_repr_narrow(f, |g| eq(from(g), v))
}

/// numpy's text for a complex element: `1.+2.j`, `-0.5-1.j`.
fn complex_string(re: f64, im: f64, f32_precision: bool) -> String {
    let sign = if im.is_sign_negative() && !im.is_nan() {
        "-"
    } else {
        "+"
    };
    format!(
        "{}{sign}{}j",
        numpy_float(re, f32_precision),
        numpy_float(im.abs(), f32_precision)
    )
}

fn element_strings(a: &ArrayData) -> Vec<String> {
    use half::{bf16, f16};
    match a {
        ArrayData::BF16(x) => x
            .iter()
            .map(|&v| {
                narrow_float(v, bf16::to_f32, bf16::from_f32, |p, q| {
                    p.to_bits() == q.to_bits()
                })
            })
            .collect(),
        ArrayData::F16(x) => x
            .iter()
            .map(|&v| {
                narrow_float(v, f16::to_f32, f16::from_f32, |p, q| {
                    p.to_bits() == q.to_bits()
                })
            })
            .collect(),
        ArrayData::C64(x) => x
            .iter()
            .map(|v| complex_string(v.re as f64, v.im as f64, true))
            .collect(),
        ArrayData::C128(x) => x
            .iter()
            .map(|v| complex_string(v.re, v.im, false))
            .collect(),
        ArrayData::I8(_)
        | ArrayData::I16(_)
        | ArrayData::I64(_)
        | ArrayData::U8(_)
        | ArrayData::U16(_)
        | ArrayData::U64(_) => (0..a.len())
            .map(|i| match a.get_wide(i) {
                super::Wide::Int(v) => v.to_string(),
                w => unreachable!("an integer array holds integers, not {w:?}"),
            })
            .collect(),
        ArrayData::Bool(x) => x
            .iter()
            .map(|&b| if b { "True" } else { "False" }.to_string())
            .collect(),
        ArrayData::I32(x) => x.iter().map(|v| v.to_string()).collect(),
        ArrayData::U32(x) => x.iter().map(|v| v.to_string()).collect(),
        ArrayData::F32(x) => x.iter().map(|&v| numpy_float(v as f64, true)).collect(),
        ArrayData::F64(x) => x.iter().map(|&v| numpy_float(v, false)).collect(),
    }
}

/// Pads element strings to one width the way numpy aligns columns: floats on the decimal
/// point, everything else to the right.
/// Aligns complex elements as numpy does: the real parts on their decimal point, then the
/// imaginary parts (with their sign) on theirs.
fn align_complex(strings: &mut [String]) {
    let split = |s: &str| -> (String, String) {
        // The sign of the imaginary part: the last '+' or '-' not right after an 'e'.
        let b = s.as_bytes();
        let at = (1..b.len())
            .rev()
            .find(|&i| (b[i] == b'+' || b[i] == b'-') && b[i - 1] != b'e')
            .expect("a complex element has an imaginary part");
        (s[..at].to_string(), s[at..].to_string())
    };
    let (mut re, mut im): (Vec<String>, Vec<String>) = strings.iter().map(|s| split(s)).unzip();
    align(&mut re, true);
    // The imaginary parts align without their sign and 'j', then take them back.
    let mut mag: Vec<String> = im.iter().map(|s| s[1..s.len() - 1].to_string()).collect();
    align(&mut mag, true);
    for (i, m) in im.iter_mut().zip(mag) {
        *i = format!("{}{}j", &i[..1], m.trim_end());
    }
    for ((s, r), i) in strings.iter_mut().zip(re).zip(im) {
        *s = format!("{r}{i}");
    }
}

fn align(strings: &mut [String], floats: bool) {
    if floats {
        let split = |s: &str| -> (usize, usize) {
            match s.find('.') {
                Some(p) => (p, s.len() - p),
                None => (s.len(), 0),
            }
        };
        let int_w = strings.iter().map(|s| split(s).0).max().unwrap_or(0);
        let frac_w = strings.iter().map(|s| split(s).1).max().unwrap_or(0);
        for s in strings.iter_mut() {
            let (i, f) = split(s);
            *s = format!("{}{}{}", " ".repeat(int_w - i), s, " ".repeat(frac_w - f));
        }
    } else {
        let w = strings.iter().map(|s| s.len()).max().unwrap_or(0);
        for s in strings.iter_mut() {
            *s = format!("{}{}", " ".repeat(w - s.len()), s);
        }
    }
}

fn write_nested(
    f: &mut fmt::Formatter<'_>,
    shape: &[usize],
    elems: &[String],
    depth: usize,
) -> fmt::Result {
    if shape.is_empty() {
        return f.write_str(&elems[0]);
    }
    f.write_str("[")?;
    let n = shape[0];
    let stride = elems.len().checked_div(n).unwrap_or(0);
    for i in 0..n {
        if i > 0 {
            if shape.len() == 1 {
                f.write_str(" ")?;
            } else {
                f.write_str(&"\n".repeat(shape.len() - 1))?;
                f.write_str(&" ".repeat(depth + 1))?;
            }
        }
        write_nested(
            f,
            &shape[1..],
            &elems[i * stride..(i + 1) * stride],
            depth + 1,
        )?;
    }
    f.write_str("]")
}

impl fmt::Display for ArrayData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shape().is_empty() {
            // numpy prints a 0-d array as its scalar's repr: `1.0`, not the element's `1.`.
            let scalar = match self {
                ArrayData::F32(x) => Some(python_repr(
                    x.iter().next().copied().unwrap_or(0.0) as f64,
                    true,
                )),
                ArrayData::F64(x) => {
                    Some(python_repr(x.iter().next().copied().unwrap_or(0.0), false))
                }
                ArrayData::BF16(x) => x.iter().next().map(|&v| {
                    python_repr_narrow(v.to_f32(), |g| {
                        half::bf16::from_f32(g).to_bits() == v.to_bits()
                    })
                }),
                ArrayData::F16(x) => x.iter().next().map(|&v| {
                    python_repr_narrow(v.to_f32(), |g| {
                        half::f16::from_f32(g).to_bits() == v.to_bits()
                    })
                }),
                _ => None,
            };
            if let Some(s) = scalar {
                return f.write_str(&s);
            }
        }
        let mut elems = element_strings(self);
        if self.dtype().is_complex() {
            align_complex(&mut elems);
        } else {
            align(&mut elems, self.dtype().is_float());
        }
        if matches!(self, ArrayData::Bool(_))
            && elems.iter().any(|s| s.trim() == "True")
            && !self.shape().is_empty()
        {
            // numpy pads True to False's width: `[ True False]`.
            for s in elems.iter_mut() {
                if s.len() < 5 {
                    *s = format!("{s:>5}");
                }
            }
        }
        write_nested(f, self.shape(), &elems, 0)
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Concrete(a) => write!(f, "{a}"),
            Repr::Traced(t) => write!(f, "Traced<{}>", t.aval),
        }
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Concrete(a) => write!(f, "Tensor({}, {a})", self.aval()),
            Repr::Traced(t) => write!(f, "Traced<{}>(trace {}, value {})", t.aval, t.trace, t.id),
        }
    }
}

/// Rich output for the evcxr Jupyter kernel, which shows what a value prints between
/// `EVCXR_BEGIN_CONTENT <mime>` and `EVCXR_END_CONTENT` lines (the whole protocol: ferrax
/// needs no evcxr crate). `blocks` are `(mime type, content)` pairs; a `text/plain` block
/// should always be among them.
///
/// ```
/// let s = ferrax::tensor::evcxr_blocks(&[("text/plain", "hi".to_string())]);
/// assert_eq!(s, "EVCXR_BEGIN_CONTENT text/plain\nhi\nEVCXR_END_CONTENT\n");
/// ```
pub fn evcxr_blocks(blocks: &[(&str, String)]) -> String {
    blocks
        .iter()
        .map(|(mime, body)| format!("EVCXR_BEGIN_CONTENT {mime}\n{body}\nEVCXR_END_CONTENT\n"))
        .collect()
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
///
/// ```
/// assert_eq!(ferrax::tensor::html_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Tensors with at most this many elements (and rank 1 or 2) show as an HTML table.
const HTML_TABLE_MAX: usize = 400;

impl Tensor {
    /// What [`evcxr_display`](Self::evcxr_display) prints: a `text/plain` block (the type and
    /// the numpy-style values) and, for concrete 1-D and 2-D tensors of at most 400 elements,
    /// a `text/html` table headed by the type.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let m = Tensor::from_vec(vec![1i32, 2, 3, 4], &[2, 2]);
    /// let out = m.evcxr_mime();
    /// assert!(out.starts_with("EVCXR_BEGIN_CONTENT text/plain\ni32[2,2]\n[[1 2]\n [3 4]]\n"));
    /// assert!(out.contains("EVCXR_BEGIN_CONTENT text/html\n<table"));
    /// assert!(out.contains("<td>4</td>"));
    /// ```
    pub fn evcxr_mime(&self) -> String {
        let aval = self.aval().to_string();
        let text = format!("{aval}\n{self}");
        let mut blocks = vec![("text/plain", text)];
        if let Repr::Concrete(a) = &self.repr {
            let shape = a.shape();
            if (1..=2).contains(&shape.len()) && self.size() <= HTML_TABLE_MAX {
                blocks.push(("text/html", html_table(&aval, a)));
            }
        }
        evcxr_blocks(&blocks)
    }

    /// Shows the tensor in the evcxr Jupyter kernel (evcxr calls this for a cell's value):
    /// prints [`evcxr_mime`](Self::evcxr_mime).
    ///
    /// ```
    /// ferrax::Tensor::scalar(1.0f32).evcxr_display(); // prints the mime blocks
    /// ```
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_mime());
    }
}

/// A small 1-D or 2-D array as an HTML table (a 1-D array is one row), headed by its type.
fn html_table(aval: &str, a: &ArrayData) -> String {
    let elems = element_strings(a);
    let shape = a.shape();
    let cols = *shape.last().unwrap_or(&1);
    let mut html = format!(
        "<table style=\"font-family:monospace;border-collapse:collapse\">\
         <caption style=\"text-align:left\">{}</caption>",
        html_escape(aval)
    );
    for row in elems.chunks(cols.max(1)) {
        html.push_str("<tr>");
        for e in row {
            html.push_str(&format!("<td>{}</td>", html_escape(e.trim())));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn prints_like_numpy() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
        assert_eq!(x.to_string(), "[1. 2. 3.]");
        let m = Tensor::from_vec(vec![1i32, 20, 3, 4], &[2, 2]);
        assert_eq!(m.to_string(), "[[ 1 20]\n [ 3  4]]");
        let b = Tensor::from_vec(vec![true, false], &[2]);
        assert_eq!(b.to_string(), "[ True False]");
        assert_eq!(Tensor::scalar(0.5f32).to_string(), "0.5");
        let h = Tensor::from_vec(vec![1.5f64, -2.0, 0.25], &[3]);
        assert_eq!(h.to_string(), "[ 1.5  -2.    0.25]");
        assert_eq!(format!("{:?}", x), "Tensor(f32[3], [1. 2. 3.])");
    }

    #[test]
    fn python_float_repr() {
        use super::python_repr;
        assert_eq!(python_repr(2.0, true), "2.0");
        assert_eq!(python_repr(1e-5, true), "1e-05");
        assert_eq!(python_repr(0.1, true), "0.1");
        assert_eq!(python_repr(6.0, false), "6.0");
        assert_eq!(python_repr(1e16, false), "1e+16");
        assert_eq!(python_repr(-0.0001, false), "-0.0001");
        assert_eq!(python_repr(123456.5, false), "123456.5");
        assert_eq!(python_repr(f64::NEG_INFINITY, true), "-inf");
    }
}
