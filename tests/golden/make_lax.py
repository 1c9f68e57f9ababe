"""Writes tests/golden/lax.txt: JAX 0.10.2 (CPU) outputs for the lax primitives and the
einsum that tests/prims/lax_more.rs and tests/prims/einsum.rs check. Run from the repository
root:

    python3 tests/golden/make_lax.py

Format: array lines as in numpy.txt (`name dtype shape v1 v2 ...`; shape `2x3`, `-` for
rank 0; f32/f64 as hex bits, i32/u32 in decimal, bool as 0/1); `in.X` lines are inputs the
tests read, the others `function.case` outputs (`.0`, `.1` appended when a function returns
several arrays). Text blocks (jaxprs, einsum paths and their reports) run from a line
`## name` to a line `## end`; jaxprs have JAX's sharding params stripped, as ferrax omits
them. f64 cases (names ending in `_f64`) run with x64 enabled. The tests never run Python.
"""
import os
import re

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from golden_format import array_line  # noqa: E402
import opt_einsum  # noqa: E402
from jax import lax  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lax.txt")
lines = []


def emit(name, x):
    lines.append(array_line(name, x))


def emit_text(name, text):
    lines.append("## " + name)
    lines.extend(text.rstrip("\n").split("\n"))
    lines.append("## end")


def strip_sharding(text):
    text = re.sub(r"\n *(out_)?sharding=None(?=\n)", "", text)
    return re.sub(r" (out_)?sharding=None", "", text)


def emit_jaxpr(name, f, *args):
    emit_text("jaxpr." + name, strip_sharding(str(jax.make_jaxpr(f)(*args))))


f32 = lambda v, *s: np.array(v, np.float32).reshape(s)  # noqa: E731
tiny = np.float32(np.finfo(np.float32).tiny)
INPUTS = {
    # top_k: ties, negatives, signed zeros
    "T1": f32([1.0, 3.0, 2.0, 3.0, -1.0, 3.0, 0.0, -0.0], 8),
    "T2": f32([5.0, 1.0, 4.0, 4.0, 2.0, 9.0, 9.0, -3.0, 0.5, 0.5, 0.5, 7.0], 3, 4),
    "TI": np.array([3, -1, 3, 7, 0, 7, -5, 2], np.int32).reshape(2, 4),
    "TN": f32([1.0, np.nan, 2.0, -np.inf, np.inf, 2.0], 6),
    # bit reductions
    "BA": np.array([1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], bool).reshape(3, 4),
    "BU": np.array([0xF0F0F0F0, 0x0FF00FF0, 0xFFFFFFFF, 1, 2, 3], np.uint32).reshape(2, 3),
    "BI": np.array([-1, 6, -8, 3, 0, 12], np.int32).reshape(3, 2),
    # reduce_precision: rounding ties, subnormals, overflow, inf, nan, signed zero
    "RP": f32([1.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 1.0 + 2**-10 + 2**-11, 65504.0, 65520.0,
               70000.0, -70000.0, 6.1e-5, 6.0e-5, 1e-8, tiny, tiny / 4, -tiny / 8, 0.0, -0.0,
               np.inf, -np.inf, np.nan, 3.14159265, -2.71828, 1e38, 3.4e38, 0.1], 24),
    # einsum operands
    "A": (np.arange(6, dtype=np.float32) * 0.5 - 1.0).reshape(2, 3),
    "B": (np.arange(12, dtype=np.float32) * 0.25 - 1.5).reshape(3, 4),
    "C": (np.arange(20, dtype=np.float32) * 0.1 - 0.7).reshape(4, 5),
    "Q": (np.arange(9, dtype=np.float32) - 4.0).reshape(3, 3),
    "X": (np.arange(24, dtype=np.float32) * 0.125 - 1.0).reshape(2, 3, 4),
    "Y": (np.arange(40, dtype=np.float32) * 0.05 - 1.0).reshape(2, 4, 5),
    "V": f32([1.0, -2.0, 0.5], 3),
    "W": f32([2.0, 0.25, -1.0, 3.0], 4),
    "D": (np.arange(8, dtype=np.float32) - 3.0).reshape(2, 2, 2),
    "R1": (np.arange(3, dtype=np.float32) + 1.0).reshape(1, 3),
    "R2": (np.arange(12, dtype=np.float32) - 5.0).reshape(4, 3),
    "E1": (np.arange(30, dtype=np.float32) * 0.1).reshape(5, 6),
    "E2": (np.arange(42, dtype=np.float32) * 0.01).reshape(6, 7),
    "E3": (np.arange(21, dtype=np.float32) * -0.1).reshape(7, 3),
    "E4": (np.arange(12, dtype=np.float32) * 0.2).reshape(3, 4),
    "E5": (np.arange(8, dtype=np.float32) * 0.3).reshape(4, 2),
    "IA": np.arange(6, dtype=np.int32).reshape(2, 3),
    "IB": (np.arange(12, dtype=np.int32) - 4).reshape(3, 4),
}
for k, v in INPUTS.items():
    emit("in." + k, v)
I = {k: jnp.asarray(v) for k, v in INPUTS.items()}

# ---- top_k ----
for name, x, k in [("t1_3", "T1", 3), ("t1_8", "T1", 8), ("t2_2", "T2", 2), ("ti_2", "TI", 2),
                   ("tn_4", "TN", 4)]:
    v, i = lax.top_k(I[x], k)
    emit(f"top_k.{name}.0", v)
    emit(f"top_k.{name}.1", i)
v, i = lax.top_k(I["T2"], 2, axis=0)
emit("top_k.t2_axis0.0", v)
emit("top_k.t2_axis0.1", i)

# ---- bit reductions ----
for op in ["reduce_and", "reduce_or", "reduce_xor"]:
    f = getattr(lax, op)
    emit(f"{op}.ba_1", f(I["BA"], (1,)))
    emit(f"{op}.ba_0", f(I["BA"], (0,)))
    emit(f"{op}.ba_01", f(I["BA"], (0, 1)))
    emit(f"{op}.bu_1", f(I["BU"], (1,)))
    emit(f"{op}.bi_0", f(I["BI"], (0,)))

# ---- population_count / clz (existing primitives, edge cases) ----
emit("population_count.bi", lax.population_count(I["BI"]))
emit("population_count.bu", lax.population_count(I["BU"]))
emit("clz.bi", lax.clz(I["BI"]))
emit("clz.bu", lax.clz(I["BU"]))

# ---- reduce_precision ----
for e, m in [(5, 10), (8, 7), (4, 3), (5, 2), (8, 23), (3, 0), (6, 16)]:
    emit(f"reduce_precision.rp_{e}_{m}", lax.reduce_precision(I["RP"], e, m))
with jax.enable_x64(True):
    rp64 = np.array([1.0, 1.0 + 2**-24, 1.0 + 3 * 2**-24, 3.4e38, 3.5e38, 1e-40, 1e-30, -0.0,
                     np.inf, np.nan, np.pi, 1e300, 1e-300], np.float64)
    emit("in.RP64", rp64)
    for e, m in [(8, 23), (5, 10), (11, 52), (11, 20)]:
        emit(f"reduce_precision.rp64_{e}_{m}_f64", lax.reduce_precision(jnp.asarray(rp64), e, m))

# ---- erfc (few ulp: a transcendental) ----
EC = f32([-3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.5, 5.0, 9.0, 10.0, 12.0, np.inf, np.nan], 16)
emit("in.EC", EC)
emit("erfc.ec", lax.erfc(jnp.asarray(EC)))
with jax.enable_x64(True):
    ec64 = np.array([-3.0, -0.5, 0.0, 0.5, 1.0, 3.5, 10.0, 20.0, 26.0], np.float64)
    emit("in.EC64", ec64)
    emit("erfc.ec64_f64", lax.erfc(jnp.asarray(ec64)))

# ---- incomplete gamma family (a range of a and x, both algorithms, edge cases) ----
ga, gx = np.meshgrid(np.array([0.05, 0.5, 1.0, 2.5, 7.0, 30.0], np.float32),
                     np.array([0.01, 0.3, 1.0, 2.0, 6.5, 25.0, 80.0], np.float32), indexing="ij")
GA = np.concatenate([ga.reshape(-1), f32([0.0, 0.0, -1.0, 1.0, np.nan, 2.0, 3.0, 1e-3], 8)])
GX = np.concatenate([gx.reshape(-1), f32([0.0, 1.0, 1.0, -1.0, 1.0, np.inf, 0.0, 200.0], 8)])
emit("in.GA", GA)
emit("in.GX", GX)
for f in ["igamma", "igammac", "igamma_grad_a"]:
    emit(f"{f}.g", getattr(lax, f)(jnp.asarray(GA), jnp.asarray(GX)))
emit("random_gamma_grad.g", lax.random_gamma_grad(jnp.asarray(GA), jnp.asarray(GX)))
with jax.enable_x64(True):
    GA64, GX64 = GA.astype(np.float64), GX.astype(np.float64)
    emit("in.GA64", GA64)
    emit("in.GX64", GX64)
    for f in ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad"]:
        emit(f"{f}.g64_f64", getattr(lax, f)(jnp.asarray(GA64), jnp.asarray(GX64)))

# ---- rng_bit_generator (RNG_DEFAULT is Philox on CPU), counters that carry ----
RK = np.array([[1, 2, 3, 4], [1, 2, 0xFFFFFFFF, 0xFFFFFFFF], [7, 9, 0xFFFFFFFE, 0xFFFFFFFF],
               [0xDEADBEEF, 0x12345678, 0, 0]], np.uint32)
emit("in.RK", RK)
for r in range(4):
    for name, shape in [("s6", (6,)), ("s2x5", (2, 5)), ("s0", ()), ("s3x4x2", (3, 4, 2))]:
        nk, bits = lax.rng_bit_generator(jnp.asarray(RK[r]), shape)
        emit(f"rng_bit_generator.k{r}_{name}.0", nk)
        emit(f"rng_bit_generator.k{r}_{name}.1", bits)
    nk, bits = lax.rng_bit_generator(jnp.asarray(RK[r]), (5,), algorithm=lax.RandomAlgorithm.RNG_PHILOX)
    emit(f"rng_bit_generator.k{r}_philox.0", nk)
    emit(f"rng_bit_generator.k{r}_philox.1", bits)

# ---- einsum ----
EINSUM = [
    ("mm", "ij,jk->ik", ["A", "B"]),
    ("mm_implicit", "ij,jk", ["A", "B"]),
    ("chain3", "ij,jk,kl->il", ["A", "B", "C"]),
    ("chain3_implicit", "ij,jk,kl", ["A", "B", "C"]),
    ("trace", "ii", ["Q"]),
    ("diag", "ii->i", ["Q"]),
    ("transpose", "ij->ji", ["A"]),
    ("transpose_implicit", "ji", ["A"]),
    ("sum_all", "ij->", ["A"]),
    ("sum_axis", "...j->...", ["A"]),
    ("bmm", "bij,bjk->bik", ["X", "Y"]),
    ("bmm_ellipsis", "...ij,...jk->...ik", ["X", "Y"]),
    ("ellipsis_implicit", "...j,j", ["X", "W"]),
    ("outer", "i,j->ij", ["V", "W"]),
    ("outer_implicit", "i,j", ["V", "W"]),
    ("dot", "i,i", ["V", "V"]),
    ("matvec", "ij,j->i", ["B", "W"]),
    ("sum_one_operand", "ij,jk->k", ["A", "B"]),
    ("repeat_in_pair", "ii,ij->j", ["Q", "B"]),
    ("repeat3", "iii->i", ["D"]),
    ("repeat_keep", "iij->ij", ["D"]),
    ("hadamard", "ij,ij->ij", ["A", "A"]),
    ("tensordot", "ijk,ljk->il", ["X", "X"]),
    ("broadcast1", "ij,kj->ik", ["R1", "R2"]),
    ("five", "ab,bc,cd,de,ef->af", ["E1", "E2", "E3", "E4", "E5"]),
    ("int", "ij,jk->ik", ["IA", "IB"]),
    ("mixed_case", "iJ,Jk->ki", ["A", "B"]),
]
for name, sub, ops in EINSUM:
    args = [I[o] for o in ops]
    emit(f"einsum.{name}", jnp.einsum(sub, *args))
    emit_text(f"einsum_case.{name}", sub + "\n" + " ".join(ops))
    path, info = jnp.einsum_path(sub, *[np.asarray(a) for a in args])
    emit_text(f"einsum_path.{name}", ";".join(",".join(str(i) for i in s) for s in path))
    emit_text(f"einsum_report.{name}", str(info))
# greedy and optimal paths on a bigger network
GREEDY = [
    ("ring", "ab,bc,cd,de,ea->", [(3, 4), (4, 5), (5, 6), (6, 3), (3, 3)]),
    ("star", "ai,bi,ci,di,ei,fi->abcdef", [(2, 7), (3, 7), (2, 7), (4, 7), (2, 7), (3, 7)]),
    ("mixed", "abc,cd,dbe,ef,fa->", [(2, 3, 4), (4, 5), (5, 3, 6), (6, 2), (2, 2)]),
    ("dup", "ij,ij,jk,kl->il", [(2, 3), (2, 3), (3, 4), (4, 5)]),
    ("seven", "ab,bc,cd,de,ef,fg,ga->", [(3, 4), (4, 2), (2, 5), (5, 3), (3, 6), (6, 2), (2, 3)]),
    ("ten", "ab,bc,cd,de,ef,fg,gh,hi,ij,ja->bf",
     [(2, 3), (3, 4), (4, 2), (2, 5), (5, 3), (3, 2), (2, 4), (4, 3), (3, 2), (2, 2)]),
]
for name, sub, shapes in GREEDY:
    arrs = [np.zeros(s, np.float32) for s in shapes]
    # (exhaustive searches only where they are quick: opt_einsum's `auto` never runs them on more)
    opts = ["greedy", "branch-2", "branch-1", "auto"] + (["optimal", "branch-all"] if len(shapes) <= 6 else [])
    for opt in opts:
        path, info = opt_einsum.contract_path(sub, *arrs, optimize=opt)
        emit_text(f"einsum_path_{opt}.{name}", sub + "\n" + ";".join("x".join(map(str, s)) for s in shapes)
                  + "\n" + ";".join(",".join(str(i) for i in s) for s in path))

# ---- jax.numpy names (sets, argpartition, insert, block, mask_indices, vectorize) ----
NP_INPUTS = {
    "U1": f32([3.0, 1.0, 2.0, 3.0, np.nan, 1.0, np.nan, -0.0, 0.0], 9),
    "U2": np.array([3, 1, 2, 3, 1], np.int32),
    "U3": np.array([[2, 1], [2, 5]], np.int32),
    "S1": np.array([1, 3, 2, 3], np.int32),
    "S2": np.array([5, 3, 2], np.int32),
    "Z1": np.array([0, 0, 1, 0, 2, 0], np.int32),
    "Z2": np.array([0, 0, 0], np.int32),
    "P1": f32([5.0, 1.0, 4.0, 2.0, 3.0, 1.0], 6),
    "P2": f32([3.0, 1.0, 2.0, 9.0, 7.0, 8.0, 0.5, 0.25, 4.0, 6.0, 5.0, 1.0], 3, 4),
    "N6": np.arange(6, dtype=np.int32).reshape(2, 3),
    "IV": np.array([7, 8], np.int32),
    "IW": np.array([[7, 8, 9]], np.int32),
    "VA": (np.arange(6, dtype=np.float32) * 0.5).reshape(3, 2),
    "VB": f32([1.0, -2.0], 2),
}
for k, v in NP_INPUTS.items():
    emit("in." + k, v)
N = {k: jnp.asarray(v) for k, v in NP_INPUTS.items()}
emit("np_unique.u1", jnp.unique(N["U1"]))
emit("np_unique.u1_size8", jnp.unique(N["U1"], size=8))
emit("np_unique.u1_size3", jnp.unique(N["U1"], size=3))
emit("np_unique.u3", jnp.unique(N["U3"]))
for i, r in enumerate(jnp.unique(N["U2"], size=5, return_index=True, return_inverse=True, return_counts=True)):
    emit(f"np_unique_all_with.u2_size5.{i}", r)
for i, r in enumerate(jnp.unique(N["U2"], size=5, fill_value=9, return_index=True, return_inverse=True,
                                 return_counts=True)):
    emit(f"np_unique_all_with.u2_size5_fill9.{i}", r)
for i, r in enumerate(jnp.unique(N["U1"], return_index=True, return_inverse=True, return_counts=True)):
    emit(f"np_unique_all_with.u1.{i}", r)
for i, r in enumerate(jnp.unique_all(N["U1"])):
    emit(f"np_unique_all.u1.{i}", r)
for i, r in enumerate(jnp.unique_counts(N["U2"])):
    emit(f"np_unique_counts.u2.{i}", r)
for i, r in enumerate(jnp.unique_inverse(N["U3"])):
    emit(f"np_unique_inverse.u3.{i}", r)
emit("np_unique_values.u1", jnp.unique_values(N["U1"]))
# jnp.isdtype / jnp.issubdtype over every dtype and kind: `dtype kind isdtype issubdtype`.
DT = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
      "bfloat16", "float16", "float32", "float64", "complex64", "complex128"]
KINDS = [("bool", jnp.bool_), ("signed integer", jnp.signedinteger),
         ("unsigned integer", jnp.unsignedinteger), ("integral", jnp.integer),
         ("real floating", jnp.floating), ("complex floating", jnp.complexfloating),
         ("numeric", jnp.number)]
rows = []
for d in DT:
    for name, abstract in KINDS:
        rows.append("%s %s %d %d" % (d, name.replace(" ", "_"), jnp.isdtype(jnp.dtype(d), name),
                                     jnp.issubdtype(jnp.dtype(d), abstract)))
    rows.append("%s inexact - %d" % (d, jnp.issubdtype(jnp.dtype(d), jnp.inexact)))
emit_text("dtype_kinds", "\n".join(rows))
PB = np.array([[1, 0, 3, 0, 0, 1, 1, 0, 1, 1], [0, 0, 0, -2, 0, 0, 0, 0, 0, 7]], np.int32)
UB = np.array([[0xA5, 0x01, 0xFF], [0x80, 0x00, 0x3C]], np.uint8)
emit("in.PB", PB)
emit("in.UB", UB)
emit("np_packbits.flat", jnp.packbits(PB))
emit("np_packbits.axis1", jnp.packbits(PB, axis=1))
emit("np_packbits.axis0_little", jnp.packbits(PB, axis=0, bitorder="little"))
emit("np_unpackbits.flat", jnp.unpackbits(UB))
emit("np_unpackbits.axis0", jnp.unpackbits(UB, axis=0))
emit("np_unpackbits.axis1_count5_little", jnp.unpackbits(UB, axis=1, count=5, bitorder="little"))
emit("np_unpackbits.axis1_count30", jnp.unpackbits(UB, axis=1, count=30))
# sort_complex: by real part, ties by imaginary part; real input comes back complex.
SC = np.array([3 + 1j, 1 - 2j, 3 - 1j, 1 + 2j, -0.5 + 0j, 3 + 1j, 1 - 2j], np.complex64)
SR = np.array([[3.0, 1.0, 2.0], [-1.0, 5.0, 0.0]], np.float32)
emit("in.SC", SC)
emit("in.SR", SR)
emit("np_sort_complex.c64", jnp.sort_complex(SC))
emit("np_sort_complex.real2d", jnp.sort_complex(SR))
for f in ["union1d", "intersect1d", "setdiff1d", "setxor1d"]:
    g = getattr(jnp, f)
    emit(f"np_{f}.s", g(N["S1"], N["S2"]))
    emit(f"np_{f}.s_size5", g(N["S1"], N["S2"], size=5))
    emit(f"np_{f}.s_size5_fill", g(N["S1"], N["S2"], size=5, fill_value=-7))
emit("np_trim_zeros.fb", jnp.trim_zeros(N["Z1"]))
emit("np_trim_zeros.f", jnp.trim_zeros(N["Z1"], "f"))
emit("np_trim_zeros.b", jnp.trim_zeros(N["Z1"], "b"))
emit("np_trim_zeros.zeros", jnp.trim_zeros(N["Z2"]))
emit("np_argpartition.p1_2", jnp.argpartition(N["P1"], 2))
emit("np_argpartition.p1_0", jnp.argpartition(N["P1"], 0))
emit("np_argpartition.p1_5", jnp.argpartition(N["P1"], 5))
emit("np_argpartition.p2_1", jnp.argpartition(N["P2"], 1))
emit("np_argpartition.p2_axis0", jnp.argpartition(N["P2"], 1, axis=0))
emit("np_insert.scalar_axis1", jnp.insert(N["N6"], 1, N["IV"], axis=1))
emit("np_insert.many_axis1", jnp.insert(N["N6"], jnp.array([0, 2, 2]), 9, axis=1))
emit("np_insert.flat", jnp.insert(N["N6"], 1, 5))
emit("np_insert.row", jnp.insert(N["N6"], 1, N["IW"], axis=0))
emit("np_insert.negative", jnp.insert(N["N6"], -1, N["IV"], axis=1))
emit("np_block.2d", jnp.block([[jnp.ones((2, 2)), jnp.zeros((2, 1))], [jnp.full((1, 3), 2.0)]]))
emit("np_block.1d", jnp.block([N["VB"], N["VB"], jnp.ones((1,))]))
emit("np_block.promote", jnp.block([[N["VB"]], [N["VB"]]]))
for i, r in enumerate(jnp.mask_indices(3, jnp.triu, 1)):
    emit(f"np_mask_indices.triu1.{i}", r)
for i, r in enumerate(jnp.mask_indices(4, jnp.tril, 0)):
    emit(f"np_mask_indices.tril0.{i}", r)
emit("np_vectorize.dot", jnp.vectorize(lambda a, b: jnp.dot(a, b), signature="(n),(n)->()")(N["VA"], N["VB"]))
emit("np_vectorize.scalar", jnp.vectorize(lambda a, b: a * 2 + b)(N["VA"], N["VB"]))
emit("np_vectorize.outer", jnp.vectorize(lambda a, b: jnp.outer(a, b), signature="(n),(m)->(n,m)")(
    N["VA"], N["VB"]))

# histograms
HX = f32([0.0, 1.0, 0.2, 0.5, 0.75, 0.3, 1.0, 0.1], 8)
HY = f32([0.0, 1.0, 0.9, 0.5, -1.0, 2.0, 0.4, 0.45], 8)
HW = f32([1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.25, 1.0], 8)
for k, v in {"HX": HX, "HY": HY, "HW": HW}.items():
    emit("in." + k, v)
for i, r in enumerate(jnp.histogram2d(HX, HY, bins=(2, 3))):
    emit(f"np_histogram2d.b23.{i}", r)
for i, r in enumerate(jnp.histogram2d(HX, HY, bins=(3, 2), range=[(0.0, 1.0), (-1.0, 1.0)], weights=HW)):
    emit(f"np_histogram2d.weights_range.{i}", r)
h, e = jnp.histogramdd(np.stack([HX, HY, HW], 1), bins=(2, 2, 3), density=True)
emit("np_histogramdd.density.0", h)
for i, x in enumerate(e):
    emit(f"np_histogramdd.density.{i + 1}", x)

# ---- jaxprs ----
sds = jax.ShapeDtypeStruct
emit_jaxpr("top_k", lambda x: lax.top_k(x, 2), sds((3, 4), jnp.float32))
emit_jaxpr("reduce_precision", lambda x: lax.reduce_precision(x, 5, 10), sds((3, 4), jnp.float32))
emit_jaxpr("reduce_and", lambda x: lax.reduce_and(x, (1,)), sds((3, 4), jnp.bool_))
emit_jaxpr("reduce_or", lambda x: lax.reduce_or(x, (0, 1)), sds((3, 4), jnp.bool_))
emit_jaxpr("reduce_xor", lambda x: lax.reduce_xor(x, (0,)), sds((3, 4), jnp.uint32))
emit_jaxpr("optimization_barrier", lambda x, y: lax.optimization_barrier((x, y)), sds((3,), jnp.float32),
           sds((2, 2), jnp.int32))
emit_jaxpr("igamma", lambda a, x: lax.igamma(a, x), sds((3,), jnp.float32), sds((3,), jnp.float32))
emit_jaxpr("rng_bit_generator", lambda k: lax.rng_bit_generator(k, (2, 3)), sds((4,), jnp.uint32))
emit_jaxpr("einsum_mm", lambda a, b: jnp.einsum("ij,jk->ik", a, b), sds((2, 3), jnp.float32),
           sds((3, 4), jnp.float32))
emit_jaxpr("einsum_chain3", lambda a, b, c: jnp.einsum("ij,jk,kl->il", a, b, c),
           sds((2, 3), jnp.float32), sds((3, 4), jnp.float32), sds((4, 5), jnp.float32))
emit_jaxpr("einsum_bmm", lambda a, b: jnp.einsum("bij,bjk->bik", a, b), sds((2, 3, 4), jnp.float32),
           sds((2, 4, 5), jnp.float32))
emit_jaxpr("einsum_trace", lambda a: jnp.einsum("ii", a), sds((3, 3), jnp.float32))
emit_jaxpr("einsum_diag", lambda a: jnp.einsum("ii->i", a), sds((3, 3), jnp.float32))
emit_jaxpr("einsum_transpose_out", lambda a, b: jnp.einsum("ij,jk->ki", a, b), sds((2, 3), jnp.float32),
           sds((3, 4), jnp.float32))
emit_jaxpr("einsum_sum_one", lambda a, b: jnp.einsum("ij,jk->k", a, b), sds((2, 3), jnp.float32),
           sds((3, 4), jnp.float32))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
