//! The contraction order: `opt_einsum`'s path finders (`optimal`, `greedy`), the contraction
//! list `contract_path` builds from a path, and its printed report. Written after
//! `opt_einsum/paths.py`, `helpers.py` and `contract.py` (3.4), with the same tie-breaking, so
//! the chosen paths and the pairwise einsum strings are the ones JAX lowers.

use std::collections::{BTreeMap, BTreeSet};

/// A set of labels.
pub(crate) type Labels = BTreeSet<char>;

/// One pairwise (or single-operand) step: the positions popped from the operand list
/// (largest first, as `opt_einsum` pops them), the labels summed away, the step's einsum
/// equation (inputs in popped order) and the BLAS kind `opt_einsum` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub positions: Vec<usize>,
    pub removed: Labels,
    pub inputs: Vec<Vec<char>>,
    pub result: Vec<char>,
    pub blas: Option<&'static str>,
    pub scale: usize,
    pub cost: u128,
    pub size: u128,
    pub remaining: Vec<Vec<char>>,
}

fn size_of(labels: &Labels, sizes: &BTreeMap<char, usize>) -> u128 {
    labels.iter().map(|c| sizes[c] as u128).product()
}

/// `helpers.flop_count`.
pub(crate) fn flop_count(
    idx: &Labels,
    inner: bool,
    terms: usize,
    sizes: &BTreeMap<char, usize>,
) -> u128 {
    let mut factor = terms.saturating_sub(1).max(1) as u128;
    if inner {
        factor += 1;
    }
    size_of(idx, sizes) * factor
}

/// `paths.ssa_to_linear`.
fn ssa_to_linear(ssa: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = ssa.iter().map(Vec::len).sum::<usize>() - ssa.len() + 1;
    let mut ids: Vec<usize> = (0..n).collect();
    let mut path = Vec::new();
    for (next, scon) in (n..).zip(ssa) {
        let mut con: Vec<usize> = scon
            .iter()
            .map(|s| ids.partition_point(|x| x < s))
            .collect();
        con.sort_unstable();
        for &j in con.iter().rev() {
            ids.remove(j);
        }
        ids.push(next);
        path.push(con);
    }
    path
}

/// `paths.optimal`: depth-first search over every pairwise order, pruned by the best flop
/// count found so far (no memory limit, as JAX calls it).
pub(crate) fn optimal(
    inputs: &[Labels],
    output: &Labels,
    sizes: &BTreeMap<char, usize>,
) -> Vec<Vec<usize>> {
    struct Search<'a> {
        output: &'a Labels,
        sizes: &'a BTreeMap<char, usize>,
        best_flops: u128,
        best_path: Vec<Vec<usize>>,
        // Keyed by the two operands' labels only, as `opt_einsum`'s `result_cache` is (so a
        // pair met again under other remaining operands reuses its first result).
        cache: BTreeMap<(Labels, Labels), (Labels, u128)>,
    }
    fn go(
        s: &mut Search<'_>,
        path: &mut Vec<Vec<usize>>,
        remaining: &[usize],
        inputs: &mut Vec<Labels>,
        flops: u128,
    ) {
        if remaining.len() == 1 {
            s.best_flops = flops;
            s.best_path = path.clone();
            return;
        }
        for a in 0..remaining.len() {
            for b in a + 1..remaining.len() {
                let (i, j) = (remaining[a], remaining[b]);
                let key = (inputs[i].clone(), inputs[j].clone());
                let (k12, flops12) = match s.cache.get(&key) {
                    Some(hit) => hit.clone(),
                    None => {
                        let v = k12_flops(inputs, s.output, remaining, i, j, s.sizes);
                        s.cache.insert(key, v.clone());
                        v
                    }
                };
                let new_flops = flops + flops12;
                if new_flops >= s.best_flops {
                    continue;
                }
                let rem = remaining_after(remaining, (i, j), inputs.len());
                inputs.push(k12);
                path.push(vec![i, j]);
                go(s, path, &rem, inputs, new_flops);
                path.pop();
                inputs.pop();
            }
        }
    }
    let n = inputs.len();
    let mut s = Search {
        output,
        sizes,
        best_flops: u128::MAX,
        best_path: vec![(0..n).collect()],
        cache: BTreeMap::new(),
    };
    let mut inp = inputs.to_vec();
    go(
        &mut s,
        &mut Vec::new(),
        &(0..n).collect::<Vec<_>>(),
        &mut inp,
        0,
    );
    ssa_to_linear(&s.best_path)
}

/// `paths.BranchBound` (flops first, `memory-removed` cost, cutoff factor 4): a depth-first
/// search that at each level tries the `nbranch` cheapest candidates by memory removed
/// (all of them when `None`), pruned by the best flops found so far and by 4x the best
/// flops seen at the same depth. `auto` uses it for 5 to 14 operands.
pub(crate) fn branch(
    inputs: &[Labels],
    output: &Labels,
    sizes: &BTreeMap<char, usize>,
    nbranch: Option<usize>,
) -> Vec<Vec<usize>> {
    type Cand = (i128, u128, u128, u128, (usize, usize), Labels);
    struct Search<'a> {
        output: &'a Labels,
        sizes: &'a BTreeMap<char, usize>,
        nbranch: Option<usize>,
        best_flops: u128,
        best_size: u128,
        best_path: Vec<Vec<usize>>,
        best_progress: BTreeMap<usize, u128>,
        cache: BTreeMap<(Labels, Labels), (Labels, u128)>,
    }
    impl Search<'_> {
        #[allow(clippy::too_many_arguments)]
        fn assess(
            &mut self,
            inputs: &[Labels],
            remaining: &[usize],
            i: usize,
            j: usize,
            flops: u128,
            size: u128,
        ) -> Option<Cand> {
            let key = (inputs[i].clone(), inputs[j].clone());
            let (k12, flops12) = match self.cache.get(&key) {
                Some(hit) => hit.clone(),
                None => {
                    let v = k12_flops(inputs, self.output, remaining, i, j, self.sizes);
                    self.cache.insert(key, v.clone());
                    v
                }
            };
            let size12 = size_of(&k12, self.sizes);
            let new_flops = flops + flops12;
            let new_size = size.max(size12);
            if (new_flops, new_size) >= (self.best_flops, self.best_size) {
                return None;
            }
            let progress = self.best_progress.entry(inputs.len()).or_insert(u128::MAX);
            if new_flops < *progress {
                *progress = new_flops;
            } else if new_flops > progress.saturating_mul(4) {
                return None;
            }
            let cost = size12 as i128
                - size_of(&inputs[i], self.sizes) as i128
                - size_of(&inputs[j], self.sizes) as i128;
            Some((cost, flops12, new_flops, new_size, (i, j), k12))
        }

        fn go(
            &mut self,
            path: &mut Vec<Vec<usize>>,
            inputs: &mut Vec<Labels>,
            remaining: &[usize],
            flops: u128,
            size: u128,
        ) {
            if remaining.len() == 1 {
                self.best_flops = flops;
                self.best_size = size;
                self.best_path = path.clone();
                return;
            }
            let mut cands: BTreeSet<Cand> = BTreeSet::new();
            for pass in 0..2 {
                for a in 0..remaining.len() {
                    for b in a + 1..remaining.len() {
                        let (i, j) = (remaining[a], remaining[b]);
                        if pass == 0 && inputs[i].is_disjoint(&inputs[j]) {
                            continue;
                        }
                        if let Some(c) = self.assess(inputs, remaining, i, j, flops, size) {
                            cands.insert(c);
                        }
                    }
                }
                if !cands.is_empty() {
                    break;
                }
            }
            let mut bi = 0;
            while self.nbranch.is_none_or(|n| bi < n) {
                let Some((_, _, new_flops, new_size, (i, j), k12)) = cands.pop_first() else {
                    break;
                };
                let rem = remaining_after(remaining, (i, j), inputs.len());
                inputs.push(k12);
                path.push(vec![i, j]);
                self.go(path, inputs, &rem, new_flops, new_size);
                path.pop();
                inputs.pop();
                bi += 1;
            }
        }
    }
    let n = inputs.len();
    let mut s = Search {
        output,
        sizes,
        nbranch,
        best_flops: u128::MAX,
        best_size: u128::MAX,
        best_path: vec![(0..n).collect()],
        best_progress: BTreeMap::new(),
        cache: BTreeMap::new(),
    };
    s.go(
        &mut Vec::new(),
        &mut inputs.to_vec(),
        &(0..n).collect::<Vec<_>>(),
        0,
        0,
    );
    ssa_to_linear(&s.best_path)
}

/// `paths.calc_k12_flops`: the labels a pairwise contraction keeps and its flop count.
fn k12_flops(
    inputs: &[Labels],
    output: &Labels,
    remaining: &[usize],
    i: usize,
    j: usize,
    sizes: &BTreeMap<char, usize>,
) -> (Labels, u128) {
    let (k1, k2) = (&inputs[i], &inputs[j]);
    let either: Labels = k1 | k2;
    let shared: Labels = k1 & k2;
    let mut keep = output.clone();
    for &r in remaining {
        if r != i && r != j {
            keep.extend(inputs[r].iter().copied());
        }
    }
    let inner = shared.iter().any(|c| !keep.contains(c));
    (&either & &keep, flop_count(&either, inner, 2, sizes))
}

/// `paths.greedy` (`ssa_greedy_optimize` with the `memory-removed` cost): Hadamard products
/// of equal label sets first, then repeatedly the pairwise contraction that most reduces the
/// memory footprint (ties to the lower ids), then outer products smallest first.
pub(crate) fn greedy(
    inputs: &[Labels],
    output: &Labels,
    sizes: &BTreeMap<char, usize>,
) -> Vec<Vec<usize>> {
    if inputs.len() == 1 {
        return vec![vec![0]];
    }
    let mut output = output.clone();
    let common = inputs
        .iter()
        .skip(1)
        .fold(inputs[0].clone(), |acc, k| &acc & k);
    output.extend(common);
    let mut remaining: BTreeMap<Labels, usize> = BTreeMap::new();
    let mut next_id = inputs.len();
    let mut ssa_path: Vec<Vec<usize>> = Vec::new();
    for (id, key) in inputs.iter().enumerate() {
        if let Some(&old) = remaining.get(key) {
            ssa_path.push(vec![old, id]);
            remaining.insert(key.clone(), next_id);
            next_id += 1;
        } else {
            remaining.insert(key.clone(), id);
        }
    }
    let mut dim_to_keys: BTreeMap<char, BTreeSet<Labels>> = BTreeMap::new();
    for key in remaining.keys() {
        for &d in key.difference(&output) {
            dim_to_keys.entry(d).or_default().insert(key.clone());
        }
    }
    let count_at_least = |dtk: &BTreeMap<char, BTreeSet<Labels>>, n: usize| -> Labels {
        dtk.iter()
            .filter(|(d, k)| k.len() >= n && !output.contains(d))
            .map(|(d, _)| *d)
            .collect()
    };
    let mut ref2 = count_at_least(&dim_to_keys, 2);
    let mut ref3 = count_at_least(&dim_to_keys, 3);
    type Cand = ((i128, usize, usize), Labels, Labels, Labels);
    let candidate = |k1: &Labels,
                     k2: &Labels,
                     remaining: &BTreeMap<Labels, usize>,
                     ref2: &Labels,
                     ref3: &Labels|
     -> Cand {
        let either: Labels = k1 | k2;
        let two: Labels = k1 & k2;
        let one: Labels = &either - &two;
        let mut k12: Labels = &either & &output;
        k12.extend(two.intersection(ref3));
        k12.extend(one.intersection(ref2));
        let cost =
            size_of(&k12, sizes) as i128 - size_of(k1, sizes) as i128 - size_of(k2, sizes) as i128;
        let (mut a, mut b) = (k1.clone(), k2.clone());
        let (mut id1, mut id2) = (remaining[k1], remaining[k2]);
        if id1 > id2 {
            std::mem::swap(&mut a, &mut b);
            std::mem::swap(&mut id1, &mut id2);
        }
        ((cost, id2, id1), a, b, k12)
    };
    let mut queue: BTreeSet<Cand> = BTreeSet::new();
    for keys in dim_to_keys.values() {
        let mut list: Vec<&Labels> = keys.iter().collect();
        list.sort_by_key(|k| remaining[*k]);
        for (i, k1) in list.iter().enumerate().take(list.len().saturating_sub(1)) {
            let best = list[i + 1..]
                .iter()
                .map(|k2| candidate(k1, k2, &remaining, &ref2, &ref3))
                .min()
                .expect("at least one");
            queue.insert(best);
        }
    }
    while let Some(con) = queue.pop_first() {
        let (_, k1, k2, k12) = con;
        if !remaining.contains_key(&k1) || !remaining.contains_key(&k2) {
            continue;
        }
        let id1 = remaining.remove(&k1).expect("present");
        let id2 = remaining.remove(&k2).expect("present");
        for d in k1.difference(&output) {
            dim_to_keys.get_mut(d).expect("indexed").remove(&k1);
        }
        for d in k2.difference(&output) {
            dim_to_keys.get_mut(d).expect("indexed").remove(&k2);
        }
        ssa_path.push(vec![id1, id2]);
        if let Some(&old) = remaining.get(&k12) {
            ssa_path.push(vec![old, next_id]);
            next_id += 1;
        } else {
            for &d in k12.difference(&output) {
                dim_to_keys.entry(d).or_default().insert(k12.clone());
            }
        }
        remaining.insert(k12.clone(), next_id);
        next_id += 1;
        for d in k1.union(&k2) {
            let count = dim_to_keys.get(d).map_or(0, BTreeSet::len);
            if count <= 1 || output.contains(d) {
                ref2.remove(d);
                ref3.remove(d);
            } else if count == 2 {
                ref2.insert(*d);
                ref3.remove(d);
            } else {
                ref2.insert(*d);
                ref3.insert(*d);
            }
        }
        let mut k2s: BTreeSet<Labels> = BTreeSet::new();
        for d in &k12 {
            if let Some(keys) = dim_to_keys.get(d) {
                k2s.extend(keys.iter().cloned());
            }
        }
        k2s.remove(&k12);
        if let Some(best) = k2s
            .iter()
            .map(|k2| candidate(&k12, k2, &remaining, &ref2, &ref3))
            .min()
        {
            queue.insert(best);
        }
    }
    let mut fin: BTreeSet<(u128, usize, Labels)> = remaining
        .iter()
        .map(|(k, &id)| (size_of(&(k & &output), sizes), id, k.clone()))
        .collect();
    let (_, mut id1, mut k1) = fin.pop_first().expect("an operand remains");
    while let Some((_, id2, k2)) = fin.pop_first() {
        ssa_path.push(vec![id1.min(id2), id1.max(id2)]);
        let k12: Labels = &(&k1 | &k2) & &output;
        let cost = size_of(&k12, sizes);
        let id12 = next_id;
        next_id += 1;
        fin.insert((cost, id12, k12));
        let first = fin.pop_first().expect("just pushed");
        id1 = first.1;
        k1 = first.2;
    }
    ssa_to_linear(&ssa_path)
}

/// `blas.can_blas`: which BLAS call a pairwise step is (for the report only).
fn can_blas(inputs: &[Vec<char>], result: &[char], removed: &Labels) -> Option<&'static str> {
    if inputs.len() != 2 {
        return None;
    }
    let (l, r) = (&inputs[0], &inputs[1]);
    let all: Labels = l.iter().chain(r).copied().collect();
    for c in &all {
        let nl = l.iter().filter(|x| *x == c).count();
        let nr = r.iter().filter(|x| *x == c).count();
        if nl > 1 || nr > 1 || nl + nr > 2 {
            return None;
        }
        if nl + nr - 1 == usize::from(result.contains(c)) {
            return None;
        }
    }
    if removed.is_empty() {
        return Some("OUTER/EINSUM");
    }
    let sl: Labels = l.iter().copied().collect();
    let sr: Labels = r.iter().copied().collect();
    let rs = removed.len();
    if l == r {
        return Some("DOT");
    }
    if sl == sr {
        return Some("DOT/EINSUM");
    }
    let tail = |v: &Vec<char>| v[v.len().saturating_sub(rs)..].to_vec();
    let head = |v: &Vec<char>| v[..rs.min(v.len())].to_vec();
    if tail(l) == head(r) || head(l) == tail(r) || tail(l) == tail(r) || head(l) == head(r) {
        return Some("GEMM");
    }
    if (&sl - removed).is_empty() || (&sr - removed).is_empty() {
        return Some("GEMV/EINSUM");
    }
    Some("TDOT")
}

/// `contract_path`'s loop: the steps a linear `path` makes of the equation.
pub(crate) fn steps(
    inputs: &[Vec<char>],
    output: &[char],
    sizes: &BTreeMap<char, usize>,
    path: &[Vec<usize>],
) -> Vec<Step> {
    let out_set: Labels = output.iter().copied().collect();
    let mut list: Vec<Vec<char>> = inputs.to_vec();
    let mut out = Vec::new();
    for (n, p) in path.iter().enumerate() {
        let mut pos = p.clone();
        pos.sort_unstable_by(|a, b| b.cmp(a));
        let contracted: Vec<Vec<char>> = pos.iter().map(|&i| list.remove(i)).collect();
        let idx_contract: Labels = contracted.iter().flatten().copied().collect();
        let mut keep = out_set.clone();
        keep.extend(list.iter().flatten().copied());
        let out_inds: Labels = &keep & &idx_contract;
        let removed: Labels = &idx_contract - &out_inds;
        let result: Vec<char> = if n + 1 == path.len() {
            output.to_vec()
        } else {
            let all: Vec<char> = contracted.iter().flatten().copied().collect();
            let mut r: Vec<char> = out_inds.iter().copied().collect();
            r.sort_by_key(|c| all.iter().position(|x| x == c));
            r
        };
        let blas = can_blas(&contracted, &result, &removed);
        list.push(result.clone());
        out.push(Step {
            scale: idx_contract.len(),
            cost: flop_count(&idx_contract, !removed.is_empty(), pos.len(), sizes),
            size: size_of(&out_inds, sizes),
            positions: pos,
            removed,
            inputs: contracted,
            result,
            blas,
            remaining: list.clone(),
        });
    }
    out
}

/// Python's `format(x, '.3e')` for a `Decimal`: `3.600e+2`.
fn sci(x: f64) -> String {
    if x == 0.0 {
        return "0.000e+0".into();
    }
    let s = format!("{x:.3e}");
    let (m, e) = s.split_once('e').expect("scientific");
    let e: i32 = e.parse().expect("exponent");
    format!("{m}e{}{}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// `opt_einsum.contract.PathInfo.__repr__`.
pub(crate) fn report(
    inputs: &[Vec<char>],
    output: &[char],
    sizes: &BTreeMap<char, usize>,
    steps: &[Step],
) -> String {
    let input_str: Vec<String> = inputs.iter().map(|l| l.iter().collect()).collect();
    let out_str: String = output.iter().collect();
    let indices: Labels = inputs.iter().flatten().copied().collect();
    // Counted over label *sets*, as opt_einsum does (a repeated label counts once).
    let total: usize = inputs
        .iter()
        .map(|l| l.iter().copied().collect::<Labels>().len())
        .sum();
    let naive = flop_count(&indices, total > indices.len(), inputs.len(), sizes);
    let opt: u128 = steps.iter().map(|s| s.cost).sum();
    let largest = steps.iter().map(|s| s.size).max().unwrap_or(1);
    let mut s = String::new();
    s += &format!(
        "  Complete contraction:  {}->{}\n",
        input_str.join(","),
        out_str
    );
    s += &format!("         Naive scaling:  {}\n", indices.len());
    s += &format!(
        "     Optimized scaling:  {}\n",
        steps.iter().map(|s| s.scale).max().unwrap_or(0)
    );
    s += &format!("      Naive FLOP count:  {}\n", sci(naive as f64));
    s += &format!("  Optimized FLOP count:  {}\n", sci(opt as f64));
    s += &format!(
        "   Theoretical speedup:  {}\n",
        sci(naive as f64 / opt.max(1) as f64)
    );
    s += &format!(
        "  Largest intermediate:  {} elements\n",
        sci(largest as f64)
    );
    s += &"-".repeat(80);
    s += "\n";
    s += &format!(
        "{:>6} {:>11} {:>22} {:>37}\n",
        "scaling", "BLAS", "current", "remaining"
    );
    s += &"-".repeat(80);
    for st in steps {
        let cur: Vec<String> = st.inputs.iter().map(|l| l.iter().collect()).collect();
        let einsum_str = format!(
            "{}->{}",
            cur.join(","),
            st.result.iter().collect::<String>()
        );
        let rem: Vec<String> = st.remaining.iter().map(|l| l.iter().collect()).collect();
        let remaining_str = format!("{}->{}", rem.join(","), out_str);
        let width = 56usize.saturating_sub(einsum_str.chars().count().max(22));
        // Python formats `False` with a width as the integer 0.
        let blas = st.blas.map_or("0".to_string(), str::to_string);
        s += &format!(
            "\n{:>4} {:>14} {:>22}    {:>width$}",
            st.scale, blas, einsum_str, remaining_str
        );
    }
    s
}

/// The operand positions left after contracting `pair` into a new operand at `new`.
fn remaining_after(remaining: &[usize], (i, j): (usize, usize), new: usize) -> Vec<usize> {
    let mut rem: Vec<usize> = remaining
        .iter()
        .copied()
        .filter(|&r| r != i && r != j)
        .collect();
    rem.push(new);
    rem
}
