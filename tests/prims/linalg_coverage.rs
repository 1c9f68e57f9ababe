//! The coverage list of `ferrax::linalg` (tests/golden/linalg_coverage.txt, written by
//! tests/golden/linalg_coverage.py from JAX 0.10.2's own lists of jax.numpy.linalg,
//! jax.scipy.linalg and jax.lax.linalg): every name it calls covered exists in the source at
//! the path it names (`pub fn NAME` in src/linalg/, src/numpy/ or src/prims/linalg/), every
//! missing one says why, and jax.numpy.linalg's coverage stays at 80% or more.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir` (recursively).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The names of the `pub fn`s at the start of a line under `dir`.
fn public_fns(dir: &str) -> HashSet<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
    files
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("pub fn ")
                        .map(|r| r.split(['(', '<']).next().unwrap().to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn percent(header: &str) -> f64 {
    let open = header.rfind('(').expect("a percentage");
    header[open + 1..header.len() - 2].parse().unwrap()
}

#[test]
fn every_covered_linalg_name_exists_and_numpy_linalg_is_covered() {
    let text = include_str!("../golden/linalg_coverage.txt");
    let homes = [
        ("ferrax::linalg", public_fns("src/linalg")),
        ("ferrax::numpy", public_fns("src/numpy")),
        ("ferrax::lax::linalg", public_fns("src/prims/linalg")),
    ];
    let mut headers = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            headers.push(line);
        } else if let Some(rest) = line.strip_prefix("covered ") {
            let (_, path) = rest.split_once(": ").expect("covered NAME: PATH");
            let (module, name) = path.rsplit_once("::").unwrap();
            let fns = &homes
                .iter()
                .find(|(m, _)| *m == module)
                .unwrap_or_else(|| panic!("{line}: unknown module {module}"))
                .1;
            assert!(fns.contains(name), "{line}: {module} has no pub fn {name}");
        } else {
            let rest = line.strip_prefix("missing ").expect("covered or missing");
            assert!(rest.contains(": "), "{rest}: a missing name needs a reason");
        }
    }
    assert_eq!(headers.len(), 3, "one coverage line per JAX module");
    assert!(headers[0].starts_with("# jax.numpy.linalg"));
    assert!(percent(headers[0]) >= 80.0, "{}", headers[0]);
}
