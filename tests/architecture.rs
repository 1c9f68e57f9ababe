//! The layer rule of `ARCHITECTURE.md`, checked on the source: every top-level module of
//! `src/` points down only.
//!
//! The test reads every `src/**/*.rs`, drops comments, string and char literals and
//! `#[cfg(test)] mod ... { }` blocks, and collects each path into another top-level module
//! (`crate::x`, `ferrax::x`, `$crate::x`, `use crate::{x, y::z}`, `super::super::x` out of a
//! module). From those references it builds the graph between top-level modules and checks:
//!
//! - every edge points down the layers of [`LAYERS`] (or within one layer), unless it is in
//!   [`ALLOWED_UPWARD`];
//! - what remains after removing the allowlisted edges has no cycle;
//! - `ops` and `kernels` import nothing of prims/interp/passes/interpreters or the trace
//!   machinery, and `tensor` nothing of ops/kernels/prims/numpy/lax/nn;
//! - every allowlisted edge still exists (delete it from the list once it is gone).
//!
//! A failure names the file and line of each offending reference.
//!
//! [`ALLOWED_UPWARD`] is empty: no top-level module imports one above it. (It held nine
//! edges when this test was written: the IR naming the closed `Prim` enum, rules written with
//! the `lax` facade, control-flow rules in `prims` running the transforms, ...; each was
//! removed by moving the code to its layer.) Keep it empty.
//!
//! Run
//! `cargo test --test architecture -- --nocapture` to print the whole current graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first; a module may use modules of its own layer or below.
/// (`tensor`, `core` and `tree` form the bottom together and may use each other.)
const LAYERS: &[&[&str]] = &[
    &["tensor", "core", "tree"],
    &["ops"],
    &["kernels", "runtime"],
    &["prims"],
    &["interpreters"],
    &["passes"],
    &["interp"],
    &["control_flow"],
    &[
        "lax",
        "numpy",
        "linalg",
        "fft",
        "random",
        "scipy",
        "debug",
        "transforms",
    ],
    &[
        "nn",
        "optim",
        "losses",
        "data",
        "train",
        "dist",
        "test_util",
        "plot",
        "export",
    ],
    &["models"],
    &["internals"],
];

/// Upward edges that exist today and are still to be removed (each is open work of the
/// architecture issue). Never add to this list: point the code down instead.
const ALLOWED_UPWARD: &[(&str, &str)] = &[];

/// Names the crate root re-exports, by the module that defines them.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Tensor", "tensor"),
    ("DType", "tensor"),
    ("dispatch_array", "tensor"),
    ("dispatch_wide_array", "tensor"),
    ("dispatch_base_array", "tensor"),
    ("dispatch_dtype", "tensor"),
    ("make_jaxpr", "core"),
    ("PyTree", "tree"),
    ("prelude", "transforms"),
    ("idx", "numpy"),
];

/// One reference from a file into a top-level module.
#[derive(Clone, Debug)]
struct Ref {
    file: String,
    line: usize,
    target: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source with comments, string literals and char literals blanked out (newlines kept,
/// so byte offsets still give line numbers).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && {
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    j += 1;
                }
                b.get(j) == Some(&b'"')
            }
        {
            // Raw string r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            j = (j + close.len()).min(b.len());
            for &x in &b[i..j] {
                blank(&mut out, x);
            }
            i = j;
        } else if c == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if c == b'\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                Some(j)
            } else {
                // One (possibly multi-byte) char, then a closing quote.
                let rest = &src[i + 1..];
                rest.chars().next().and_then(|ch| {
                    let j = i + 1 + ch.len_utf8();
                    (b.get(j) == Some(&b'\'')).then_some(j)
                })
            };
            match end {
                Some(j) => {
                    for &x in &b[i..=j.min(b.len() - 1)] {
                        blank(&mut out, x);
                    }
                    i = j + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// Blanks `#[cfg(test)] mod name { ... }` blocks (unit tests may use anything).
fn drop_test_modules(s: &mut String) {
    let bytes = s.as_bytes().to_vec();
    let mut out = bytes.clone();
    let mut from = 0;
    while let Some(k) = s[from..].find("#[cfg(test)]") {
        let start = from + k;
        let after = s[start + 12..].trim_start();
        let at = s.len() - after.len();
        from = start + 12;
        if !after.starts_with("mod ") {
            continue;
        }
        let Some(open) = s[at..].find(['{', ';']).map(|o| at + o) else {
            continue;
        };
        if bytes[open] == b';' {
            continue;
        }
        let mut depth = 0;
        let mut j = open;
        while j < bytes.len() {
            match bytes[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        for x in &mut out[start..=j.min(bytes.len() - 1)] {
            if *x != b'\n' {
                *x = b' ';
            }
        }
        from = j.min(bytes.len());
    }
    *s = String::from_utf8(out).unwrap();
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier starting at `i` (after whitespace), and where it ends.
fn ident_at(b: &[u8], mut i: usize) -> (String, usize) {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    (String::from_utf8_lossy(&b[start..i]).into_owned(), i)
}

/// After `crate::` at `i`: the first segment of each path (one, or each item of a `{...}`
/// group), with its byte offset.
fn first_segments(b: &[u8], mut i: usize) -> Vec<(String, usize)> {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if b.get(i) != Some(&b'{') {
        let (id, _) = ident_at(b, i);
        return vec![(id, i)];
    }
    let mut out = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                }
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => item_start = true,
            c if depth == 1 && item_start && is_ident(c) => {
                let (id, end) = ident_at(b, j);
                out.push((id, j));
                item_start = false;
                j = end;
                continue;
            }
            _ => {}
        }
        j += 1;
    }
    out
}

/// The module path of a file under `src/` (`prims/unary.rs` -> `[prims, unary]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<(String, String), Vec<Ref>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            if p.is_dir() {
                Some(name)
            } else {
                let stem = name.strip_suffix(".rs")?;
                (stem != "lib").then(|| stem.to_string())
            }
        })
        .collect();
    let root: BTreeMap<&str, &str> = ROOT_ITEMS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<(String, String), Vec<Ref>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let mpath = module_path(rel);
        let Some(from) = mpath.first().cloned() else {
            continue; // lib.rs: the root re-exports everything
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let mut code = strip(&text);
        drop_test_modules(&mut code);
        let b = code.as_bytes();
        let line_of = |off: usize| code[..off].bytes().filter(|&c| c == b'\n').count() + 1;
        let file = format!("src/{}", rel.display());
        // (first segment, offset, from a `super::` chain)
        let mut refs: Vec<(String, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if !is_ident(b[i]) || (i != 0 && is_ident(b[i - 1])) {
                i += 1;
                continue;
            }
            let (word, end) = ident_at(b, i);
            let mut k = end;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            let path_sep = b[k..].starts_with(b"::");
            if path_sep && (word == "crate" || word == "ferrax") {
                for (seg, off) in first_segments(b, k + 2) {
                    refs.push((seg, off, false));
                }
            } else if path_sep && word == "super" {
                // super::super::x out of the module tree names a top-level module.
                let mut ups = 1;
                let mut k2 = k + 2;
                loop {
                    let (w, e) = ident_at(b, k2);
                    let mut k3 = e;
                    while k3 < b.len() && b[k3].is_ascii_whitespace() {
                        k3 += 1;
                    }
                    if w == "super" && b[k3..].starts_with(b"::") {
                        ups += 1;
                        k2 = k3 + 2;
                    } else {
                        break;
                    }
                }
                // A file `a/b.rs` is module a::b; its `super` is `a`. (Inline modules add
                // depth this count does not see, so a name that is not a top-level module is
                // taken as an item of the file's own module.)
                if ups >= mpath.len() {
                    for (seg, off) in first_segments(b, k2) {
                        refs.push((seg, off, true));
                    }
                }
                i = k2;
                continue;
            }
            i = end;
        }
        for (seg, off, via_super) in refs {
            let target = if modules.contains(&seg) {
                seg
            } else if let Some(m) = root.get(seg.as_str()) {
                m.to_string()
            } else if via_super || seg == "self" || seg.is_empty() {
                continue;
            } else {
                panic!(
                    "{file}:{}: `crate::{seg}` is neither a top-level module nor in ROOT_ITEMS; \
                     add the module that defines it to ROOT_ITEMS",
                    line_of(off)
                );
            };
            if target != from {
                edges
                    .entry((from.clone(), target.clone()))
                    .or_default()
                    .push(Ref {
                        file: file.clone(),
                        line: line_of(off),
                        target,
                    });
            }
        }
    }
    Graph { modules, edges }
}

fn layer(m: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&m))
        .unwrap_or_else(|| panic!("top-level module `{m}` is in no layer of LAYERS: add it"))
}

fn show(refs: &[Ref]) -> String {
    refs.iter()
        .map(|r| format!("    {}:{} -> {}", r.file, r.line, r.target))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints the graph: `cargo test --test architecture -- --nocapture`.
#[test]
fn print_graph() {
    let g = graph();
    for ((a, b), refs) in &g.edges {
        let up = layer(b) > layer(a);
        let first = &refs[0];
        println!(
            "{a} -> {b}{}  ({} refs, e.g. {}:{})",
            if up { "  [UPWARD]" } else { "" },
            refs.len(),
            first.file,
            first.line
        );
    }
}

#[test]
fn every_module_has_a_layer() {
    for m in &graph().modules {
        layer(m);
    }
}

#[test]
fn no_new_upward_edge() {
    let g = graph();
    let allowed: BTreeSet<(&str, &str)> = ALLOWED_UPWARD.iter().copied().collect();
    let mut bad = Vec::new();
    for ((a, b), refs) in &g.edges {
        if layer(b) > layer(a) && !allowed.contains(&(a.as_str(), b.as_str())) {
            bad.push(format!(
                "{a} -> {b} points up the layers of ARCHITECTURE.md:\n{}",
                show(refs)
            ));
        }
    }
    assert!(bad.is_empty(), "new upward imports:\n{}", bad.join("\n"));
}

#[test]
fn allowlist_is_current() {
    let g = graph();
    let stale: Vec<_> = ALLOWED_UPWARD
        .iter()
        .filter(|(a, b)| !g.edges.contains_key(&(a.to_string(), b.to_string())))
        .collect();
    assert!(
        stale.is_empty(),
        "these allowlisted edges are gone; delete them from ALLOWED_UPWARD (and from the \
         list in this file's doc comment and in ARCHITECTURE.md): {stale:?}"
    );
    for (a, b) in ALLOWED_UPWARD {
        assert!(
            layer(b) > layer(a),
            "{a} -> {b} is not upward: no need to allowlist it"
        );
    }
}

#[test]
fn no_cycles_outside_the_allowlist() {
    let g = graph();
    let allowed: BTreeSet<(&str, &str)> = ALLOWED_UPWARD.iter().copied().collect();
    let bottom = LAYERS[0];
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in g.edges.keys() {
        // The bottom layer's modules may use each other (a known knot: the handle's tracer
        // case and the avals); every other cycle is an error.
        let both_bottom = bottom.contains(&a.as_str()) && bottom.contains(&b.as_str());
        if !allowed.contains(&(a.as_str(), b.as_str())) && !both_bottom {
            adj.entry(a).or_default().push(b);
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        adj: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        state.insert(n, 1);
        stack.push(n);
        for &m in adj.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|&x| x == m).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m);
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, adj, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.modules.iter() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(n, &adj, &mut state, &mut Vec::new())
        {
            let detail: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let refs = &g.edges[&(w[0].to_string(), w[1].to_string())];
                    format!("{} -> {}:\n{}", w[0], w[1], show(refs))
                })
                .collect();
            panic!(
                "a cycle between top-level modules: {}\n{}",
                cycle.join(" -> "),
                detail.join("\n")
            );
        }
    }
}

/// The two rules of the issue spelled out, whatever the layer table says.
#[test]
fn kernels_and_tensor_stay_low() {
    let g = graph();
    let forbidden: &[(&str, &[&str])] = &[
        (
            "ops",
            &[
                "prims",
                "interp",
                "passes",
                "interpreters",
                "control_flow",
                "kernels",
            ],
        ),
        (
            "kernels",
            &["prims", "interp", "passes", "interpreters", "control_flow"],
        ),
        ("tensor", &["ops", "kernels", "prims", "numpy", "lax", "nn"]),
        // The core knows no primitive family and no transformation.
        (
            "core",
            &[
                "prims",
                "control_flow",
                "interpreters",
                "passes",
                "interp",
                "debug",
            ],
        ),
    ];
    let mut bad = Vec::new();
    for (from, targets) in forbidden {
        for to in *targets {
            if let Some(refs) = g.edges.get(&(from.to_string(), to.to_string())) {
                bad.push(format!("{from} -> {to}:\n{}", show(refs)));
            }
        }
    }
    // Kernels see plain buffers: nothing of the trace machinery in core either.
    for ((from, to), refs) in &g.edges {
        if (from == "kernels" || from == "ops") && to == "core" {
            let traces: Vec<Ref> = refs
                .iter()
                .filter(|r| {
                    let line = std::fs::read_to_string(
                        Path::new(env!("CARGO_MANIFEST_DIR")).join(&r.file),
                    )
                    .unwrap()
                    .lines()
                    .nth(r.line - 1)
                    .unwrap_or("")
                    .to_string();
                    ["trace", "Tracer", "bind", "staging", "Jaxpr"]
                        .iter()
                        .any(|w| line.contains(w))
                })
                .cloned()
                .collect();
            if !traces.is_empty() {
                bad.push(format!(
                    "{from} -> core's traces/jaxprs:\n{}",
                    show(&traces)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "forbidden imports:\n{}", bad.join("\n"));
}
