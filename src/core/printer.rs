//! Prints jaxprs in JAX's text format. The layout engine is JAX's own (a Wadler/Lindig style
//! pretty printer where a group prints flat if *the group itself* fits in the rest of the
//! line), and the documents are built the way `jax/_src/core.py` builds them, so line breaks
//! land where JAX puts them.

use super::jaxpr::{Atom, Eqn, Jaxpr, Var};
use super::Param;
use crate::tensor::{ArrayData, Tensor, Wide};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A pretty-printer document.
#[derive(Clone, Debug)]
enum Doc {
    Text(String),
    Concat(Vec<Doc>),
    /// A line break, or `text` when its group is flat.
    Brk(&'static str),
    Group(Box<Doc>),
    Nest(usize, Box<Doc>),
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}
fn concat(docs: Vec<Doc>) -> Doc {
    Doc::Concat(docs)
}
fn group(d: Doc) -> Doc {
    Doc::Group(Box::new(d))
}
fn nest(n: usize, d: Doc) -> Doc {
    Doc::Nest(n, Box::new(d))
}
fn join(sep: Doc, docs: Vec<Doc>) -> Doc {
    let mut out = Vec::with_capacity(docs.len() * 2);
    for (i, d) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push(sep.clone());
        }
        out.push(d);
    }
    Doc::Concat(out)
}

/// Does `doc`, printed flat, fit in `width` columns?
fn fits(doc: &Doc, mut width: isize) -> bool {
    let mut agenda = vec![doc];
    while width >= 0 {
        let Some(d) = agenda.pop() else { break };
        match d {
            Doc::Text(s) => width -= s.len() as isize,
            Doc::Brk(s) => width -= s.len() as isize,
            Doc::Concat(ds) => agenda.extend(ds.iter().rev()),
            Doc::Group(d) | Doc::Nest(_, d) => agenda.push(d),
        }
    }
    width >= 0
}

/// Lays out `doc` in `width` columns.
fn format_doc(doc: &Doc, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0usize;
    // (indent, flat, doc)
    let mut agenda: Vec<(usize, bool, &Doc)> = vec![(0, false, doc)];
    while let Some((indent, flat, d)) = agenda.pop() {
        match d {
            Doc::Text(s) => {
                out.push_str(s);
                col += s.len();
            }
            Doc::Concat(ds) => agenda.extend(ds.iter().rev().map(|c| (indent, flat, c))),
            Doc::Brk(s) => {
                if flat {
                    out.push_str(s);
                    col += s.len();
                } else {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                    col = indent;
                }
            }
            Doc::Group(c) => {
                let f = fits(c, width as isize - col as isize);
                agenda.push((indent, f, c));
            }
            Doc::Nest(n, c) => agenda.push((indent + n, flat, c)),
        }
    }
    out
}

/// Names variables `a, b, ..., z, ba, bb, ...` in order of first appearance, across nested
/// jaxprs (as JAX's `JaxprPpContext`).
struct Names {
    names: HashMap<(usize, u32), String>,
    next: usize,
}

fn encode_alphabetic(mut n: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

impl Names {
    fn name(&mut self, jaxpr: &Jaxpr, v: Var) -> String {
        let key = (jaxpr as *const Jaxpr as usize, v.0);
        if let Some(n) = self.names.get(&key) {
            return n.clone();
        }
        let n = encode_alphabetic(self.next);
        self.next += 1;
        self.names.insert(key, n.clone());
        n
    }
}

/// A literal as JAX prints it: `2.0:f32[]`, `0:i32[]`, `True:bool[]`, `-inf:f32[]`.
pub fn literal_text(t: &Tensor) -> String {
    let a = t.array();
    let v = match a {
        ArrayData::Bool(x) => if x.iter().next() == Some(&true) {
            "True"
        } else {
            "False"
        }
        .to_string(),
        ArrayData::F32(x) => {
            crate::tensor::python_float_repr(x.iter().next().copied().unwrap_or(0.0) as f64, true)
        }
        ArrayData::F64(x) => {
            crate::tensor::python_float_repr(x.iter().next().copied().unwrap_or(0.0), false)
        }
        _ if a.is_empty() => String::new(),
        _ => match a.get_wide(0) {
            Wide::Int(v) => v.to_string(),
            Wide::Float(v) => {
                // bf16/f16 print with the digits that identify them in their own type.
                let d = a.dtype();
                crate::tensor::python_narrow_repr(v as f32, |g| {
                    ArrayData::scalar(g).convert(d).get_wide(0) == Wide::Float(v)
                })
            }
            Wide::Complex(re, im) => {
                let f32p = a.dtype() == crate::tensor::DType::C64;
                let sign = if im.is_sign_negative() { "-" } else { "+" };
                format!(
                    "({}{sign}{}j)",
                    crate::tensor::python_float_repr(re, f32p),
                    crate::tensor::python_float_repr(im.abs(), f32p)
                )
            }
        },
    };
    format!("{v}:{}", t.aval())
}

struct Printer {
    names: Names,
}

impl Printer {
    fn atom(&mut self, j: &Jaxpr, a: &Atom) -> Doc {
        match a {
            Atom::Var(v) => text(self.names.name(j, *v)),
            Atom::Lit(t) => text(literal_text(t)),
        }
    }

    /// Binders `a:f32[3] b:f32[]`, unused equation outputs as `_:f32[]`.
    fn binders(&mut self, j: &Jaxpr, vs: &[Var], used: Option<&HashSet<Var>>) -> Doc {
        let docs = vs
            .iter()
            .map(|v| {
                let name = match used {
                    Some(u) if !u.contains(v) => "_".to_string(),
                    _ => self.names.name(j, *v),
                };
                text(format!("{name}:{}", j.aval(*v)))
            })
            .collect();
        nest(2, group(join(group(Doc::Brk(" ")), docs)))
    }

    fn atoms(&mut self, j: &Jaxpr, xs: &[Atom], separator: &'static str) -> Doc {
        let docs = xs.iter().map(|a| self.atom(j, a)).collect();
        let sep = concat(vec![text(separator), group(Doc::Brk(" "))]);
        nest(2, group(join(sep, docs)))
    }

    fn param(&mut self, key: &str, value: &Param) -> Doc {
        let v = match value {
            Param::Text(s) => text(s.clone()),
            Param::Jaxpr(j) => self.jaxpr(j),
            Param::Jaxprs(js) => {
                let docs = js.iter().map(|j| self.jaxpr(j)).collect();
                group(concat(vec![
                    nest(
                        2,
                        concat(vec![text("("), Doc::Brk(""), join(Doc::Brk(" "), docs)]),
                    ),
                    Doc::Brk(""),
                    text(")"),
                ]))
            }
        };
        concat(vec![text(format!("{key}=")), v])
    }

    fn eqn(&mut self, j: &Jaxpr, e: &Eqn, used: &HashSet<Var>) -> Doc {
        let lhs = self.binders(j, &e.outputs, Some(used));
        let mut params = e.prim.params();
        // Sorted by key, except that `name` leads (as JAX prints call-like equations).
        params.sort_by_key(|(k, _)| (*k != "name", *k));
        let params_doc = if params.is_empty() {
            text("")
        } else {
            let kvs = params.iter().map(|(k, v)| self.param(k, v)).collect();
            group(concat(vec![
                nest(
                    2,
                    concat(vec![text("["), Doc::Brk(""), join(Doc::Brk(" "), kvs)]),
                ),
                Doc::Brk(""),
                text("]"),
            ]))
        };
        let args = self.atoms(j, &e.inputs, "");
        let rhs = vec![text(e.prim.name()), params_doc, text(" "), args];
        if e.outputs.is_empty() {
            concat(rhs)
        } else {
            let mut v = vec![lhs, text(" = ")];
            v.extend(rhs);
            concat(v)
        }
    }

    fn jaxpr(&mut self, j: &Jaxpr) -> Doc {
        let used = used_vars(j);
        let constvars = self.binders(j, &j.constvars, None);
        let invars = self.binders(j, &j.invars, None);
        let eqns: Vec<Doc> = j.eqns.iter().map(|e| self.eqn(j, e, &used)).collect();
        let eqns = join(Doc::Brk("; "), eqns);
        let outs = self.atoms(j, &j.outvars, ",");
        let close = if j.outvars.len() == 1 { ",)" } else { ")" };
        let body = nest(
            2,
            concat(vec![
                text("{ "),
                text("lambda "),
                constvars,
                text("; "),
                invars,
                text(". "),
                text("let"),
                nest(2, concat(vec![Doc::Brk(" "), eqns])),
                Doc::Brk(" "),
                text("in "),
                concat(vec![text("("), outs, text(close)]),
            ]),
        );
        // The closing ` }` is inside the group, as in JAX's `pp_jaxpr`: a jaxpr whose flat
        // form needs more than 80 columns with it breaks.
        group(concat(vec![body, text(" }")]))
    }
}

/// Variables read by some equation or returned.
fn used_vars(j: &Jaxpr) -> HashSet<Var> {
    let mut used = HashSet::new();
    for e in &j.eqns {
        for a in &e.inputs {
            if let Atom::Var(v) = a {
                used.insert(*v);
            }
        }
    }
    for a in &j.outvars {
        if let Atom::Var(v) = a {
            used.insert(*v);
        }
    }
    used
}

/// Prints a jaxpr in JAX's format, 80 columns wide.
pub fn pp_jaxpr(j: &Jaxpr) -> String {
    let mut p = Printer {
        names: Names {
            names: HashMap::new(),
            next: 0,
        },
    };
    let doc = p.jaxpr(j);
    format_doc(&doc, 80)
}

impl fmt::Display for Jaxpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&pp_jaxpr(self))
    }
}

impl fmt::Display for super::jaxpr::ClosedJaxpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&pp_jaxpr(&self.jaxpr))
    }
}

/// The dtype names a type annotation starts with (`f32[3]`).
const DTYPE_NAMES: &[&str] = &[
    "f16", "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool",
    "c64", "c128", "key",
];

/// Printed jaxpr text as highlighted HTML (a `<pre>` with coloured spans): keywords
/// (`lambda`, `let`, `in`), primitive names, types, literals and `[params]`, each in its
/// own class and colour, so a notebook shows a jaxpr as JAX's docs do.
///
/// ```
/// let html = ferrax::core::jaxpr_html("{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }");
/// assert!(html.contains(r#"<span class="jx-kw" style="color:#7c3aed;font-weight:bold">lambda</span>"#));
/// assert!(html.contains(">sin</span>") && html.contains(">f32[3]</span>"));
/// ```
pub fn jaxpr_html(text: &str) -> String {
    use crate::tensor::html_escape;
    let span = |class: &str, style: &str, body: &str| {
        format!(
            "<span class=\"{class}\" style=\"{style}\">{}</span>",
            html_escape(body)
        )
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out =
        String::from("<pre class=\"jaxpr\" style=\"font-family:monospace;line-height:1.35\">");
    let mut i = 0;
    // After `=` on a line, the next word is the primitive and a `[` opens its params.
    let mut expect_prim = false;
    let mut after_prim = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if i < chars.len() && chars[i] == '[' && DTYPE_NAMES.contains(&word.as_str()) {
                let close = chars[i..].iter().position(|&c| c == ']').map(|p| i + p + 1);
                let end = close.unwrap_or(chars.len());
                let ty: String = chars[start..end].iter().collect();
                out.push_str(&span("jx-ty", "color:#15803d", &ty));
                i = end;
                continue;
            }
            if matches!(word.as_str(), "lambda" | "let" | "in") {
                out.push_str(&span("jx-kw", "color:#7c3aed;font-weight:bold", &word));
            } else if expect_prim {
                out.push_str(&span("jx-prim", "color:#0b6bcb;font-weight:bold", &word));
                after_prim = true;
            } else {
                out.push_str(&html_escape(&word));
            }
            expect_prim = false;
            continue;
        }
        if c == '[' && after_prim {
            // The primitive's params, up to the matching bracket.
            let mut depth = 0;
            let start = i;
            while i < chars.len() {
                match chars[i] {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            let params: String = chars[start..i].iter().collect();
            out.push_str(&span("jx-params", "color:#6b7280", &params));
            after_prim = false;
            continue;
        }
        if c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || ".-+".contains(chars[i]))
            {
                i += 1;
            }
            let lit: String = chars[start..i].iter().collect();
            out.push_str(&span("jx-lit", "color:#b45309", &lit));
            continue;
        }
        if c == '=' {
            expect_prim = true;
        } else if c == '\n' {
            expect_prim = false;
            after_prim = false;
        } else if !c.is_whitespace() {
            after_prim = false;
        }
        out.push_str(&html_escape(&c.to_string()));
        i += 1;
    }
    out.push_str("</pre>");
    out
}

impl Jaxpr {
    /// What [`evcxr_display`](Self::evcxr_display) prints: the jaxpr's text as `text/plain`
    /// and highlighted as `text/html` ([`jaxpr_html`]).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let j = make_jaxpr(|x: &Tensor| x.sin())(&Tensor::scalar(1.0f32));
    /// let out = j.jaxpr.evcxr_mime();
    /// assert!(out.starts_with("EVCXR_BEGIN_CONTENT text/plain\n{ lambda ; a:f32[]. let b:f32[] = sin a in (b,) }"));
    /// assert!(out.contains("EVCXR_BEGIN_CONTENT text/html\n<pre"));
    /// ```
    pub fn evcxr_mime(&self) -> String {
        let text = pp_jaxpr(self);
        let html = jaxpr_html(&text);
        crate::tensor::evcxr_blocks(&[("text/plain", text), ("text/html", html)])
    }

    /// Shows the jaxpr in the evcxr Jupyter kernel: prints [`evcxr_mime`](Self::evcxr_mime).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// make_jaxpr(|x: &Tensor| x * 2.0)(&Tensor::scalar(1.0f32)).jaxpr.evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_mime());
    }
}

impl super::jaxpr::ClosedJaxpr {
    /// The mime blocks of the jaxpr (see [`Jaxpr::evcxr_mime`]).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let j = make_jaxpr(|x: &Tensor| x.cos())(&Tensor::scalar(1.0f32));
    /// assert!(j.evcxr_mime().contains(">cos</span>"));
    /// ```
    pub fn evcxr_mime(&self) -> String {
        self.jaxpr.evcxr_mime()
    }

    /// Shows the jaxpr in the evcxr Jupyter kernel (evcxr calls this for a cell's value).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// make_jaxpr(|x: &Tensor| x.exp())(&Tensor::scalar(1.0f32)).evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_mime());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabetic_names() {
        assert_eq!(encode_alphabetic(0), "a");
        assert_eq!(encode_alphabetic(25), "z");
        assert_eq!(encode_alphabetic(26), "ba");
        assert_eq!(encode_alphabetic(27), "bb");
    }

    #[test]
    fn groups_break_only_when_they_do_not_fit() {
        let d = group(concat(vec![
            nest(
                2,
                concat(vec![
                    text("["),
                    Doc::Brk(""),
                    join(Doc::Brk(" "), vec![text("a=1"), text("b=2")]),
                ]),
            ),
            Doc::Brk(""),
            text("]"),
        ]));
        assert_eq!(format_doc(&d, 80), "[a=1 b=2]");
        assert_eq!(format_doc(&d, 5), "[\n  a=1\n  b=2\n]");
    }
}
