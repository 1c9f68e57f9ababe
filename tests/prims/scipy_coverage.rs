//! The coverage list of `ferrax::scipy` (tests/golden/scipy_coverage.txt, written by
//! tests/golden/scipy_coverage.py from JAX 0.10.2's own lists): every name it calls covered
//! exists in the source (`pub fn NAME` in src/scipy/special/, `pub fn NAME` inside
//! `pub mod DIST` in src/scipy/stats/), every missing one says why, and the coverage meets
//! the targets (80% of jax.scipy.special's functions and of jax.scipy.stats's).

use std::collections::{HashMap, HashSet};
use std::path::Path;

fn sources(dir: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out
}

fn special_fns() -> HashSet<String> {
    sources("src/scipy/special")
        .iter()
        .flat_map(|s| s.lines().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|l| {
            l.strip_prefix("pub fn ")
                .map(|r| r.split(['(', '<']).next().unwrap().to_string())
        })
        .collect()
}

fn stats_fns() -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for src in sources("src/scipy/stats") {
        let mut module = None;
        for l in src.lines() {
            if let Some(m) = l
                .strip_prefix("pub mod ")
                .and_then(|r| r.strip_suffix(" {"))
            {
                module = Some(m.to_string());
            } else if let (Some(m), Some(f)) = (&module, l.strip_prefix("    pub fn ")) {
                let f = f.split(['(', '<']).next().unwrap().to_string();
                out.entry(m.clone()).or_default().insert(f);
            }
        }
    }
    out
}

fn percent(header: &str) -> f64 {
    let open = header.rfind('(').expect("a percentage");
    header[open + 1..header.len() - 2].parse().unwrap()
}

#[test]
fn every_covered_name_exists_and_the_targets_are_met() {
    let text = include_str!("../golden/scipy_coverage.txt");
    let (special, stats) = (special_fns(), stats_fns());
    let mut headers = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            headers.push(line);
        } else if let Some(name) = line.strip_prefix("covered ") {
            let exists = match name.strip_prefix("special.") {
                Some(f) => special.contains(f),
                None => {
                    let (d, f) = name["stats.".len()..].split_once('.').unwrap();
                    stats.get(d).is_some_and(|fs| fs.contains(f))
                }
            };
            assert!(
                exists,
                "{name} is listed as covered but ferrax::scipy has no such function"
            );
        } else {
            let rest = line.strip_prefix("missing ").expect("covered or missing");
            assert!(rest.contains(": "), "{rest}: a missing name needs a reason");
        }
    }
    assert_eq!(headers.len(), 2, "one coverage line per package");
    assert!(percent(headers[0]) >= 80.0, "{}", headers[0]);
    assert!(percent(headers[1]) >= 80.0, "{}", headers[1]);
}
