//! `population_count` and `clz` (the `bits` family): values against Rust's own
//! `count_ones`/`leading_zeros`, the dtype rule, batching against a loop, jit against eager,
//! and the printed jaxpr against JAX 0.10.2's text (`jax.make_jaxpr(lambda x:
//! lax.clz(lax.population_count(x)))(jnp.array([0, 7, -1, 1 << 20], jnp.int32))`).

use ferrax::lax;
use ferrax::prelude::*;

fn words() -> Vec<u32> {
    let mut s = 0x9e3779b9u32;
    let mut v = vec![0, 1, u32::MAX, 1 << 31, 12345];
    for _ in 0..59 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        v.push(s >> (s % 32));
    }
    v
}

#[test]
fn counts_match_rust_for_u32_and_i32() {
    let w = words();
    let u = Tensor::from_vec(w.clone(), &[w.len()]);
    let want_pop: Vec<u32> = w.iter().map(|x| x.count_ones()).collect();
    let want_clz: Vec<u32> = w.iter().map(|x| x.leading_zeros()).collect();
    assert_eq!(lax::population_count(&u).to_vec::<u32>(), want_pop);
    assert_eq!(lax::clz(&u).to_vec::<u32>(), want_clz);
    let i: Vec<i32> = w.iter().map(|&x| x as i32).collect();
    let t = Tensor::from_vec(i.clone(), &[i.len()]);
    let pop_i: Vec<i32> = i.iter().map(|x| x.count_ones() as i32).collect();
    let clz_i: Vec<i32> = i.iter().map(|x| x.leading_zeros() as i32).collect();
    assert_eq!(lax::population_count(&t).to_vec::<i32>(), pop_i);
    assert_eq!(lax::clz(&t).to_vec::<i32>(), clz_i);
}

#[test]
fn jax_values() {
    // jax.lax on int32 [0, 7, -1, 1 << 20] and uint32 [0, 1, 0xffffffff, 12345].
    let i = Tensor::from_vec(vec![0i32, 7, -1, 1 << 20], &[4]);
    assert_eq!(lax::population_count(&i).to_vec::<i32>(), [0, 3, 32, 1]);
    assert_eq!(lax::clz(&i).to_vec::<i32>(), [32, 29, 0, 11]);
    let u = Tensor::from_vec(vec![0u32, 1, 0xffff_ffff, 12345], &[4]);
    assert_eq!(lax::population_count(&u).to_vec::<u32>(), [0, 1, 32, 6]);
    assert_eq!(lax::clz(&u).to_vec::<u32>(), [32, 31, 0, 18]);
}

#[test]
fn float_operands_are_refused_by_name() {
    let x = Tensor::from_vec(vec![1.0f32], &[1]);
    let err = std::panic::catch_unwind(|| lax::clz(&x)).expect_err("clz of f32");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.starts_with("clz: dtype f32 is not supported"), "{msg}");
}

#[test]
fn jaxpr_prints_like_jax() {
    let x = Tensor::from_vec(vec![0i32, 7, -1, 1 << 20], &[4]);
    let j = make_jaxpr(|x: &Tensor| lax::clz(x))(&x);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:i32[4]. let b:i32[4] = clz a in (b,) }"
    );
    let v = make_jaxpr(vmap(|x: &Tensor| lax::population_count(x)))(&Tensor::zeros(
        &[2, 3],
        DType::U32,
    ));
    assert_eq!(
        v.to_string(),
        "{ lambda ; a:u32[2,3]. let b:u32[2,3] = population_count a in (b,) }"
    );
}

/// JAX breaks this jaxpr over lines: flat it is 82 columns, but its `{ lambda ... in (c,)`
/// group alone is 80, and our printer (which asks only whether the group fits, as JAX's
/// Python printer did) keeps it on one line. JAX's current (C++) printer also counts the
/// closing ` }`, yet keeps `c:f32[] d:f32[5] = scan[` together (see the scan goldens), so
/// its rule is neither; to be matched.
#[test]
#[ignore = "printer: JAX's line-break rule at exactly 80 columns is not matched yet"]
fn jaxpr_at_the_80_column_boundary_prints_like_jax() {
    let x = Tensor::from_vec(vec![0i32, 7, -1, 1 << 20], &[4]);
    let j = make_jaxpr(|x: &Tensor| lax::clz(&lax::population_count(x)))(&x);
    let want = "{ lambda ; a:i32[4]. let\n    b:i32[4] = population_count a\n    c:i32[4] = clz b\n  in (c,) }";
    assert_eq!(j.to_string(), want);
}

#[test]
fn vmap_and_jit_agree_with_eager() {
    let w = words();
    let x = Tensor::from_vec(w[..60].to_vec(), &[6, 10]);
    let f = |x: &Tensor| lax::population_count(x) + lax::clz(x);
    let batched = vmap(f)(&x).to_vec::<u32>();
    let looped: Vec<u32> = (0..6)
        .flat_map(|r| f(&Tensor::from_vec(w[r * 10..r * 10 + 10].to_vec(), &[10])).to_vec::<u32>())
        .collect();
    assert_eq!(batched, looped);
    assert_eq!(jit(f)(&x).to_vec::<u32>(), f(&x).to_vec::<u32>());
}

#[test]
fn counts_carry_no_gradient() {
    // An integer result of a float input's bits: the float input's gradient is zero.
    let x = Tensor::from_vec(vec![1.5f32, -2.0], &[2]);
    let g = grad(|x: &Tensor| {
        let bits = lax::bitcast_convert_type(x, DType::U32);
        x.sum() * 0.0 + lax::convert_element_type(&lax::population_count(&bits), DType::F32).sum()
    })(&x);
    assert_eq!(g.to_vec::<f32>(), [0.0, 0.0]);
}
