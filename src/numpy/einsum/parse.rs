//! Parsing an einsum subscripts string as `opt_einsum.parser.parse_einsum_input` does: spaces
//! dropped, each `...` replaced by labels no operand uses (the last `k` of a run of unused
//! symbols, `k` the dims it covers), and an implicit output (no `->`) made of the ellipsis
//! labels followed by the labels that appear exactly once, sorted.

/// The parsed equation: one label string per operand and the output labels (ellipses already
/// expanded), as `opt_einsum` hands them to JAX's `_einsum`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Equation {
    pub inputs: Vec<Vec<char>>,
    pub output: Vec<char>,
}

/// `opt_einsum.parser.get_symbol`: `a-z`, `A-Z`, then code points from 192 on.
fn get_symbol(i: usize) -> char {
    const BASE: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 52 {
        BASE.as_bytes()[i] as char
    } else {
        char::from_u32(i as u32 + 140).expect("einsum: too many labels")
    }
}

/// Parses `subscripts` for operands of ranks `ndims`; `Err` says what is wrong.
pub(crate) fn parse(subscripts: &str, ndims: &[usize]) -> Result<Equation, String> {
    let s: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match s.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (s.clone(), None),
    };
    if rhs.as_deref().is_some_and(|r| r.contains("->")) {
        return Err(format!(
            "subscripts {subscripts:?} contain more than one '->'"
        ));
    }
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ndims.len() {
        return Err(format!(
            "subscripts {subscripts:?} name {} operands but {} were given",
            terms.len(),
            ndims.len()
        ));
    }
    for c in s.chars() {
        if !(c.is_alphabetic() || c == '.' || c == ',' || c == '-' || c == '>') {
            return Err(format!(
                "character {c:?} is not a valid subscript in {subscripts:?}"
            ));
        }
    }
    let used: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    // The labels an ellipsis may stand for: the first unused symbols.
    let longest = terms
        .iter()
        .zip(ndims)
        .filter(|(t, _)| t.contains("..."))
        .map(|(t, &nd)| nd.saturating_sub(t.len() - 3))
        .max()
        .unwrap_or(0);
    for (n, (t, &nd)) in terms.iter().zip(ndims).enumerate() {
        if t.contains("...") && nd + 3 < t.len() {
            return Err(format!(
                "subscript {t:?} has more labels than operand {n}'s rank {nd}"
            ));
        }
    }
    let n_ell = if s.contains('.') {
        ndims.iter().copied().max().unwrap_or(0)
    } else {
        0
    };
    let mut ell: Vec<char> = Vec::new();
    let mut i = 0;
    while ell.len() < n_ell {
        let c = get_symbol(i);
        if !used.contains(&c) {
            ell.push(c);
        }
        i += 1;
    }
    let mut inputs = Vec::with_capacity(terms.len());
    for (n, (t, &nd)) in terms.iter().zip(ndims).enumerate() {
        let labels = expand(t, nd, &ell).map_err(|e| format!("operand {n}: {e}"))?;
        if labels.len() != nd {
            return Err(format!(
                "subscript {t:?} has {} labels but operand {n} has rank {nd}",
                labels.len()
            ));
        }
        inputs.push(labels);
    }
    let out_ell: Vec<char> = ell[ell.len() - longest..].to_vec();
    let output = match rhs {
        Some(r) => {
            let o = expand(&r, out_ell.len() + r.len().saturating_sub(3), &out_ell)
                .map_err(|e| format!("output: {e}"))?;
            for (k, c) in o.iter().enumerate() {
                if o[..k].contains(c) {
                    return Err(format!("output label {c:?} appears more than once"));
                }
                if !inputs.iter().any(|l| l.contains(c)) {
                    return Err(format!("output label {c:?} is not in any input"));
                }
            }
            o
        }
        None => {
            let all: Vec<char> = inputs.iter().flatten().copied().collect();
            let mut once: Vec<char> = all
                .iter()
                .copied()
                .filter(|c| all.iter().filter(|d| *d == c).count() == 1 && !out_ell.contains(c))
                .collect();
            // Python sorts strings by code point: upper case before lower case.
            once.sort_unstable();
            let mut o = out_ell.clone();
            o.extend(once);
            o
        }
    };
    Ok(Equation { inputs, output })
}

/// One term's labels with `...` replaced by the last labels of `ell` covering the dims of a
/// rank-`nd` operand.
fn expand(term: &str, nd: usize, ell: &[char]) -> Result<Vec<char>, String> {
    let dots = term.matches('.').count();
    if dots == 0 {
        return Ok(term.chars().collect());
    }
    if dots != 3 || !term.contains("...") {
        return Err(format!("invalid ellipsis in {term:?}"));
    }
    let k = nd.saturating_sub(term.len() - 3);
    let (a, b) = term.split_once("...").expect("has an ellipsis");
    let mut out: Vec<char> = a.chars().collect();
    out.extend_from_slice(&ell[ell.len() - k..]);
    out.extend(b.chars());
    Ok(out)
}
