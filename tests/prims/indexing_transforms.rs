//! `x.at[idx]` and `x[idx]` under the transformations: derivatives of get/set/add/mul/min/max
//! with respect to the operand and the values against finite differences (`check_grads`),
//! duplicate indices included (the id-masking JVP of `scatter`, the tie-sharing JVP of
//! `scatter-min/max`); jit against eager; the jaxpr of `x.at[1].set(v)` against the one
//! `jax.make_jaxpr` prints; and the errors (traced masks, non-unique `mul` gradients, bad
//! shapes) naming the op.

use crate::common::panics::panic_message;
use ferrax::idx;
use ferrax::lax::{self, GatherScatterMode as Mode, ScatterDimensionNumbers as Sdn};
use ferrax::numpy::{self as jnp, AtOptions};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn f64s(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn x34() -> Tensor {
    f64s(
        &[
            0.3, -1.2, 2.5, 0.7, -0.4, 1.9, -2.2, 0.1, 1.4, -0.8, 2.9, -1.7,
        ],
        &[3, 4],
    )
}

fn ints(v: &[i32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

#[test]
fn get_gradients_match_finite_differences() {
    let (i, j) = (ints(&[2, 0, 2]), ints(&[1, -1, 3]));
    check_grads(move |x: &Tensor| x.index(idx![&i, &j]), &x34(), 2);
    check_grads(|x: &Tensor| x.index(idx![1.., ..;-2]), &x34(), 2);
    check_grads(|x: &Tensor| x.index(idx![NewAxis, -1, ..]), &x34(), 2);
    let m = Tensor::from_vec(vec![true, false, true], &[3]);
    check_grads(move |x: &Tensor| x.index(idx![&m, 1..3]), &x34(), 2);
    let k = ints(&[0, 7, -9]);
    let fill = AtOptions {
        mode: Some(Mode::FillOrDrop),
        fill_value: Some(0.5),
        ..Default::default()
    };
    check_grads(
        move |x: &Tensor| x.at(idx![.., &k]).get_with(fill),
        &x34(),
        2,
    );
}

#[test]
fn set_gradients_match_finite_differences() {
    let v = f64s(&[5.0, -6.0, 7.0], &[3]);
    // Duplicates (the id-masking JVP): the last update wins.
    let dup = ints(&[1, 3, 1]);
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![2, &dup]).set(v),
        &(x34(), v.clone()),
        2,
    );
    // Static index (unique: scatter's own transpose).
    check_grads(
        |(x, v): &(Tensor, Tensor)| x.at(idx![.., 1]).set(v),
        &(x34(), v.clone()),
        2,
    );
    // Duplicate rows (window dims in the updates: the ids cover whole windows).
    let rows = ints(&[2, 0, 2]);
    let r = f64s(
        &(0..12).map(|k| k as f64 * 0.3 - 1.0).collect::<Vec<_>>(),
        &[3, 4],
    );
    check_grads(
        move |(x, r): &(Tensor, Tensor)| x.at(idx![&rows]).set(r),
        &(x34(), r),
        2,
    );
    // Out-of-bounds updates are dropped, and so is their gradient.
    let oob = ints(&[0, 9, -8]);
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![1, &oob]).set(v),
        &(x34(), v),
        2,
    );
}

#[test]
fn add_and_mul_gradients_match_finite_differences() {
    let v = f64s(&[0.5, -1.5, 2.0], &[3]);
    let dup = ints(&[1, 3, 1]);
    let d2 = dup.clone();
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![0, &d2]).add(v),
        &(x34(), v.clone()),
        2,
    );
    let d_sub = dup.clone();
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![0, &d_sub]).subtract(v),
        &(x34(), v.clone()),
        2,
    );
    // mul: the operand side with duplicates; the values side needs unique indices.
    let d3 = dup.clone();
    let v2 = v.clone();
    check_grads(move |x: &Tensor| x.at(idx![0, &d3]).mul(&v2), &x34(), 2);
    check_grads(
        |(x, v): &(Tensor, Tensor)| x.at(idx![.., 2]).mul(v),
        &(x34(), v.clone()),
        2,
    );
    let uniq = ints(&[2, 0, 3]);
    let o = AtOptions {
        unique_indices: true,
        ..Default::default()
    };
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![1, &uniq]).mul_with(v, o),
        &(x34(), v),
        2,
    );
}

#[test]
fn min_max_gradients_match_finite_differences() {
    // Distinct values (finite differences are not defined at ties); duplicates contend.
    let v = f64s(&[-3.0, 3.5, 0.2, 1.0], &[4]);
    let dup = ints(&[1, 1, 3, 0]);
    let d2 = dup.clone();
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![2, &d2]).min(v),
        &(x34(), v.clone()),
        2,
    );
    check_grads(
        move |(x, v): &(Tensor, Tensor)| x.at(idx![2, &dup]).max(v),
        &(x34(), v),
        2,
    );
}

/// At a tie the tangent is shared: `_scatter_extremal_jvp` averages the contenders.
#[test]
fn max_ties_share_the_tangent_as_jax() {
    let x = f64s(&[1.0, 0.0], &[2]);
    let v = f64s(&[1.0, 1.0], &[2]);
    let idx0 = ints(&[0, 0]);
    let gv = grad(move |v: &Tensor| x.at(idx![&idx0]).max(v).index(idx![0]))(&v);
    // The operand's 1.0 and both updates tie: each gets a third.
    let got = gv.to_vec::<f64>();
    assert!(
        (got[0] - 1.0 / 3.0).abs() < 1e-12 && (got[1] - 1.0 / 3.0).abs() < 1e-12,
        "{got:?}"
    );
}

#[test]
fn jit_matches_eager() {
    let x = x34();
    let v = f64s(&[5.0, -6.0, 7.0], &[3]);
    let i = ints(&[1, 3, 1]);
    let m = Tensor::from_vec(vec![true, false, true, true], &[4]);
    let f = move |(x, v, i): &(Tensor, Tensor, Tensor)| {
        vec![
            x.index(idx![.., &m]),
            x.index(idx![..;-1, 1..;2]),
            x.at(idx![2, i]).set(v),
            x.at(idx![0, i]).add(v),
            x.at(idx![1, i]).mul(v),
            x.at(idx![i, NewAxis, 0]).min(v.reshape(&[3, 1])),
            x.at(idx![.., i]).max(1.0),
            x.at(idx![i]).get(),
        ]
    };
    let args = (x, v, i);
    let eager = f(&args);
    let jitted = jit(f)(&args);
    for (k, (a, b)) in eager.iter().zip(&jitted).enumerate() {
        assert_eq!(a.shape(), b.shape(), "output {k}");
        assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>(), "output {k}");
    }
}

/// `jax.make_jaxpr(lambda x, v: x.at[1].set(v))(jnp.zeros(3), jnp.float32(1))` (JAX 0.10.2)
/// prints this scatter equation.
const JAX_SET_EQN: &str = "scatter[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())
      indices_are_sorted=True
      mode=GatherScatterMode.FILL_OR_DROP
      unique_indices=True
      update_consts=()
      update_jaxpr=None
    ]";

#[test]
fn jaxpr_of_at_set_prints_as_jax() {
    let x = Tensor::zeros(&[3], DType::F32);
    let v = Tensor::scalar(1.0f32);
    let text = make_jaxpr(|(x, v): &(Tensor, Tensor)| x.at(idx![1]).set(v))(&(x, v)).to_string();
    assert!(text.contains(JAX_SET_EQN), "{text}");
    assert!(text.contains("f32[3] = scatter["), "{text}");
}

/// `jax.make_jaxpr(lambda x, v: x.at[jnp.array([0, 2])].add(v))(jnp.zeros(3), jnp.ones(2))`
/// (JAX 0.10.2; `multiply`, `min`, `max`, `subtract` the same with their primitive and
/// combiner): the
/// constant index normalized, then the scatter with its `update_jaxpr`.
const JAX_AT_ARRAY_JAXPR: &str = "{ lambda a:i32[2]; b:f32[3] c:f32[2]. let
    d:bool[2] = lt a 0:i32[]
    e:i32[2] = add a 3:i32[]
    f:i32[2] = select_n d a e
    g:i32[2,1] = broadcast_in_dim[broadcast_dimensions=(0,)] f
    h:f32[3] = @PRIM@[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())
      indices_are_sorted=False
      mode=GatherScatterMode.FILL_OR_DROP
      unique_indices=False
      update_consts=()
      update_jaxpr={ lambda ; i:f32[] j:f32[]. let k:f32[] = @OP@ i j in (k,) }
    ] b g c
  in (h,) }";

#[test]
fn jaxprs_of_the_scatter_family_are_jaxs() {
    let x = Tensor::zeros(&[3], DType::F32);
    let u = Tensor::ones(&[2], DType::F32);
    for (prim, op, f) in [
        ("scatter-add", "add", 0),
        ("scatter-mul", "mul", 1),
        ("scatter-min", "min", 2),
        ("scatter-max", "max", 3),
        ("scatter-sub", "sub", 4),
    ] {
        let text = make_jaxpr(move |(x, u): &(Tensor, Tensor)| {
            let a = x.at(idx![Tensor::from_vec(vec![0, 2], &[2])]);
            match f {
                0 => a.add(u),
                1 => a.mul(u),
                2 => a.min(u),
                3 => a.max(u),
                _ => a.subtract(u),
            }
        })(&(x.clone(), u.clone()))
        .to_string();
        let want = JAX_AT_ARRAY_JAXPR
            .replace("@PRIM@", prim)
            .replace("@OP@", op);
        assert_eq!(text.trim(), want);
    }
}

/// `lax.scatter_max` of bools as JAX 0.10.2 prints it but for the combiner: JAX's is
/// `g:bool[] = max e f` (a line long enough that JAX breaks the `update_jaxpr` over three),
/// ferrax's `or` (its `max` takes no bools), which fits on one.
#[test]
fn jaxpr_of_bool_scatter_max_is_jaxs() {
    let dn = Sdn {
        inserted_window_dims: [0].as_slice().into(),
        scatter_dims_to_operand_dims: [0].as_slice().into(),
        ..Default::default()
    };
    let args = (
        Tensor::zeros(&[3], DType::Bool),
        Tensor::zeros(&[2, 1], DType::I32),
        Tensor::zeros(&[2], DType::Bool),
    );
    let text = make_jaxpr(move |(x, i, u): &(Tensor, Tensor, Tensor)| {
        lax::scatter_max(x, i, u, dn.clone(), Mode::FillOrDrop)
    })(&args)
    .to_string();
    let want = "{ lambda ; a:bool[3] b:i32[2,1] c:bool[2]. let
    d:bool[3] = scatter-max[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())
      indices_are_sorted=False
      mode=GatherScatterMode.FILL_OR_DROP
      unique_indices=False
      update_consts=()
      update_jaxpr={ lambda ; e:bool[] f:bool[]. let g:bool[] = or e f in (g,) }
    ] a b c
  in (d,) }";
    assert_eq!(text.trim(), want);
}

#[test]
fn errors_name_the_op_and_shapes() {
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let m = Tensor::from_vec(vec![true, false, true], &[3]);
    // A traced mask has no static shape of its result.
    let msg = panic_message(|| {
        let x = x.clone();
        jit(move |m: &Tensor| x.index(idx![m]))(&m)
    });
    assert!(
        msg.contains("x[idx]") && msg.contains("boolean indices must be concrete"),
        "{msg}"
    );
    let msg = panic_message(|| x.index(idx![0, 1, 2]));
    assert!(
        msg.contains("too many indices") && msg.contains("[3, 4]"),
        "{msg}"
    );
    let msg = panic_message(|| x.index(idx![..., 0, ...]));
    assert!(msg.contains("single ellipsis"), "{msg}");
    let msg = panic_message(|| x.at(idx![0]).set(Tensor::zeros(&[3], DType::F32)));
    assert!(
        msg.contains(".at[].set") && msg.contains("[3]") && msg.contains("[4]"),
        "{msg}"
    );
    let (a, b) = (ints(&[0, 1]), ints(&[0, 1, 2]));
    let msg = panic_message(|| x.index(idx![&a, &b]));
    assert!(msg.contains("could not be broadcast"), "{msg}");
    // scatter-mul's gradient for the values needs unique indices (as JAX).
    let msg = panic_message(|| {
        let i = ints(&[0, 0]);
        grad(move |v: &Tensor| Tensor::ones(&[3], DType::F64).at(idx![&i]).mul(v).sum())(&f64s(
            &[1.0, 2.0],
            &[2],
        ))
    });
    assert!(
        msg.contains("scatter-mul") && msg.contains("unique_indices"),
        "{msg}"
    );
    let msg = panic_message(|| jnp::choose(&ints(&[0, 2]), &[ints(&[1, 1]), ints(&[2, 2])]));
    assert!(
        msg.contains("choose") && msg.contains("invalid entry"),
        "{msg}"
    );
}

/// The lax functions of the family on their own (no numpy layer): overwrite with an
/// operand-batching window, and bool operands for `scatter`, `min`, `max`.
#[test]
fn lax_scatters_on_their_own() {
    let dn = Sdn {
        update_window_dims: [1].as_slice().into(),
        inserted_window_dims: [0].as_slice().into(),
        scatter_dims_to_operand_dims: [0].as_slice().into(),
        ..Default::default()
    };
    let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[3, 2]);
    let i = Tensor::from_vec(vec![2, 0], &[2, 1]);
    let u = Tensor::from_vec(vec![7, 8, 9, 10], &[2, 2]);
    let fod = Mode::FillOrDrop;
    assert_eq!(
        lax::scatter(&x, &i, &u, dn.clone(), fod).to_vec::<i32>(),
        vec![9, 10, 3, 4, 7, 8]
    );
    assert_eq!(
        lax::scatter_mul(&x, &i, &u, dn.clone(), fod).to_vec::<i32>(),
        vec![9, 20, 3, 4, 35, 48]
    );
    assert_eq!(
        lax::scatter_min(&x, &i, &u, dn.clone(), fod).to_vec::<i32>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        lax::scatter_max(&x, &i, &u, dn.clone(), fod).to_vec::<i32>(),
        vec![9, 10, 3, 4, 7, 8]
    );
    let b = Tensor::from_vec(vec![true, false, false, true, true, false], &[3, 2]);
    let ub = Tensor::from_vec(vec![true, true, false, false], &[2, 2]);
    assert_eq!(
        lax::scatter_min(&b, &i, &ub, dn.clone(), fod).to_vec::<bool>(),
        vec![false, false, false, true, true, false]
    );
    assert_eq!(
        lax::scatter_max(&b, &i, &ub, dn, fod).to_vec::<bool>(),
        vec![true, false, false, true, true, true]
    );
}

/// `jax.make_jaxpr(lambda x: x[jnp.array([0, 2])])(jnp.zeros((3, 4)))` (JAX 0.10.2), line
/// for line: the index normalized (`select_n(i < 0, i, i + n)`), given its index-vector dim,
/// and one PROMISE_IN_BOUNDS gather.
const JAX_TAKE_JAXPR: &str = "{ lambda a:i32[2]; b:f32[3,4]. let
    c:bool[2] = lt a 0:i32[]
    d:i32[2] = add a 3:i32[]
    e:i32[2] = select_n c a d
    f:i32[2,1] = broadcast_in_dim[broadcast_dimensions=(0,)] e
    g:f32[2,4] = gather[
      dimension_numbers=GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=())
      fill_value=None
      indices_are_sorted=False
      mode=GatherScatterMode.PROMISE_IN_BOUNDS
      slice_sizes=(1, 4)
      unique_indices=False
    ] b f
  in (g,) }";

#[test]
fn jaxpr_of_array_index_is_jaxs() {
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let text =
        make_jaxpr(|x: &Tensor| x.index(idx![Tensor::from_vec(vec![0, 2], &[2])]))(&x).to_string();
    assert_eq!(text.trim(), JAX_TAKE_JAXPR);
}

/// `jax.make_jaxpr(lambda x: x.at[1].set(2.0))(jnp.zeros(3))` (JAX 0.10.2) but for the
/// value: JAX converts the weak Python float with an equation where ferrax passes a literal.
#[test]
fn jaxpr_of_static_set_is_jaxs() {
    let x = Tensor::zeros(&[3], DType::F32);
    let text = make_jaxpr(|x: &Tensor| x.at(idx![1]).set(2.0))(&x).to_string();
    assert!(
        text.contains("b:i32[1] = broadcast_in_dim 1:i32[]"),
        "{text}"
    );
    assert!(
        text.contains(&format!("c:f32[3] = {JAX_SET_EQN} a b 2.0:f32[]")),
        "{text}"
    );
}

mod random_static {
    use ferrax::lax::GatherScatterMode as Mode;
    use ferrax::numpy::{AtOptions, Index, IndexItem, Slice};
    use ferrax::prelude::*;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = IndexItem> {
        let bound = proptest::option::of(-6i64..6);
        prop_oneof![
            (-5i64..5).prop_map(IndexItem::Int),
            (
                bound.clone(),
                bound,
                prop_oneof![
                    Just(None),
                    (-3i64..4).prop_filter("step 0", |s| *s != 0).prop_map(Some)
                ]
            )
                .prop_map(|(start, stop, step)| IndexItem::Slice(Slice {
                    start,
                    stop,
                    step
                })),
            Just(IndexItem::NewAxis),
        ]
    }

    fn case() -> impl Strategy<Value = (Vec<usize>, Vec<IndexItem>, bool)> {
        proptest::collection::vec(1usize..5, 1..4).prop_flat_map(|shape| {
            let n = shape.len();
            (
                Just(shape),
                proptest::collection::vec(item(), 0..n + 2),
                any::<bool>(),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Static indices read two independent ways agree: `to_static_slice` (slice, rev,
        /// squeeze, expand_dims) and `_index_to_gather` (a CLIP gather); and writing what
        /// was read back (a scatter) gives the array back.
        #[test]
        fn static_slicing_equals_the_gather_path(
            (shape, mut items, ellipsis) in case()
        ) {
            // At most rank non-newaxis items; an ellipsis somewhere if asked.
            let mut used = 0;
            items.retain(|i| {
                let keep = matches!(i, IndexItem::NewAxis) || used < shape.len();
                if keep && !matches!(i, IndexItem::NewAxis) { used += 1; }
                keep
            });
            if ellipsis {
                let at = items.len() / 2;
                items.insert(at, IndexItem::Ellipsis);
            }
            let size: usize = shape.iter().product();
            let x = Tensor::from_vec((0..size).map(|k| k as f32).collect(), &shape);
            let idx = Index::new(items.clone());
            let fast = x.index(idx.clone());
            let clip = AtOptions { mode: Some(Mode::Clip), ..Default::default() };
            let slow = x.at(idx.clone()).get_with(clip);
            prop_assert_eq!(fast.shape(), slow.shape(), "{:?} {:?}", shape, items);
            prop_assert_eq!(fast.to_vec::<f32>(), slow.to_vec::<f32>(), "{:?} {:?}", shape, items);
            let back = x.at(idx).set(&fast);
            prop_assert_eq!(back.to_vec::<f32>(), x.to_vec::<f32>(), "{:?} {:?}", shape, items);
        }
    }
}

mod random_advanced {
    use ferrax::numpy::{Index, IndexItem};
    use ferrax::prelude::*;
    use proptest::prelude::*;

    /// One item per axis: a full slice, a static int, or an index array (all of length `len`).
    #[derive(Clone, Debug)]
    enum Kind {
        Full,
        Int(i64),
        Arr(Vec<i32>),
    }

    fn case() -> impl Strategy<Value = (Vec<usize>, Vec<Kind>)> {
        (proptest::collection::vec(1usize..4, 1..5), 1usize..4).prop_flat_map(|(shape, len)| {
            let kinds: Vec<_> = shape
                .iter()
                .map(|&n| {
                    let n = n as i64;
                    prop_oneof![
                        Just(Kind::Full),
                        (-n..n).prop_map(Kind::Int),
                        proptest::collection::vec(-n as i32..n as i32, len).prop_map(Kind::Arr),
                    ]
                })
                .collect();
            (Just(shape), kinds)
        })
    }

    /// numpy's rule, element by element: the broadcast index dim sits where the advanced
    /// items are if they are adjacent, else first.
    fn reference(shape: &[usize], kinds: &[Kind], x: &[f32]) -> (Vec<usize>, Vec<f32>) {
        let adv: Vec<usize> = (0..kinds.len())
            .filter(|&i| !matches!(kinds[i], Kind::Full))
            .collect();
        let len = kinds.iter().find_map(|k| {
            if let Kind::Arr(a) = k {
                Some(a.len())
            } else {
                None
            }
        });
        let fix = |v: i64, n: usize| {
            if v < 0 {
                (v + n as i64) as usize
            } else {
                v as usize
            }
        };
        let slices: Vec<usize> = (0..kinds.len())
            .filter(|&i| matches!(kinds[i], Kind::Full))
            .collect();
        let contiguous = adv.windows(2).all(|w| w[1] == w[0] + 1);
        // Result dims: (Some(axis)) for a slice dim, None for the broadcast dim.
        let mut dims: Vec<Option<usize>> = slices.iter().map(|&a| Some(a)).collect();
        if len.is_some() {
            let at = if contiguous {
                slices.iter().filter(|&&a| a < adv[0]).count()
            } else {
                0
            };
            dims.insert(at, None);
        }
        let out_shape: Vec<usize> = dims
            .iter()
            .map(|d| d.map_or(len.unwrap(), |a| shape[a]))
            .collect();
        let total: usize = out_shape.iter().product();
        let strides: Vec<usize> = (0..shape.len())
            .map(|i| shape[i + 1..].iter().product())
            .collect();
        let mut out = Vec::with_capacity(total);
        for flat in 0..total {
            let mut rem = flat;
            let mut pos = vec![0usize; out_shape.len()];
            for d in (0..out_shape.len()).rev() {
                pos[d] = rem % out_shape[d];
                rem /= out_shape[d];
            }
            let l = dims.iter().position(|d| d.is_none()).map_or(0, |p| pos[p]);
            let mut off = 0;
            for (axis, k) in kinds.iter().enumerate() {
                let c = match k {
                    Kind::Full => pos[dims.iter().position(|d| *d == Some(axis)).unwrap()],
                    Kind::Int(v) => fix(*v, shape[axis]),
                    Kind::Arr(a) => fix(a[l] as i64, shape[axis]),
                };
                off += c * strides[axis];
            }
            out.push(x[off]);
        }
        (out_shape, out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Integer-array indexing (with ints and full slices, adjacent or separated) against
        /// numpy's rule written out element by element.
        #[test]
        fn advanced_indexing_matches_numpys_rule((shape, kinds) in case()) {
            prop_assume!(kinds.iter().any(|k| matches!(k, Kind::Arr(_))));
            let size: usize = shape.iter().product();
            let xs: Vec<f32> = (0..size).map(|k| k as f32).collect();
            let x = Tensor::from_vec(xs.clone(), &shape);
            let items = kinds
                .iter()
                .map(|k| match k {
                    Kind::Full => IndexItem::from(..),
                    Kind::Int(v) => IndexItem::Int(*v),
                    Kind::Arr(a) => IndexItem::Array(Tensor::from_vec(a.clone(), &[a.len()])),
                })
                .collect();
            let got = x.index(Index::new(items));
            let (want_shape, want) = reference(&shape, &kinds, &xs);
            prop_assert_eq!(got.shape(), want_shape.as_slice(), "{:?} {:?}", shape, kinds);
            prop_assert_eq!(got.to_vec::<f32>(), want, "{:?} {:?}", shape, kinds);
        }
    }
}
