"""Writes the tiny .npy/.npz files in tests/golden/npy/ with NumPy itself (np.save,
np.lib.format.write_array for versions 2.0 and 3.0, np.savez, np.savez_compressed) and
npy.txt, the values each file holds, for tests/nn/data_readers.rs. Each golden line is named
`file:member:dtype` (member `-` for a .npy file; dtype the file's NumPy dtype) and holds the
values in a dtype golden_format.py writes (int16/int64/uint64 as int32, float16 as float32).
Run from the repository root:

    python3 tests/golden/make_npy.py
"""
import io
import os
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from golden_format import array_line  # noqa: E402

OUT = "tests/golden/npy"

ARRAYS = {
    "v1_f4.npy": ((1, 0), np.arange(6, dtype="<f4").reshape(2, 3) / 4),
    "v1_i2_be.npy": ((1, 0), np.array([[-2, 300], [7, -32768]], dtype=">i2")),
    "v1_f8_fortran.npy": ((1, 0), np.asfortranarray(np.arange(6.0).reshape(2, 3) - 2.5)),
    "v1_f4_fortran_3d.npy": ((1, 0), np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4))),
    "v2_u1.npy": ((2, 0), np.array([1, 2, 255], dtype="u1")),
    "v3_c8.npy": ((3, 0), np.array([1 + 2j, -3.5 + 0j], dtype="<c8")),
    "v1_c16_be.npy": ((1, 0), np.array([[0.5 - 1j], [2 + 0.25j]], dtype=">c16")),
    "v1_b1.npy": ((1, 0), np.array([[[True, False]], [[False, True]]])),
    "v1_f2.npy": ((1, 0), np.array([0.5, -2.0, 65504.0], dtype="<f2")),
    "v1_u8_be.npy": ((1, 0), np.array([5, 2**31 - 1], dtype=">u8")),
    "v1_i8_scalar.npy": ((1, 0), np.array(-7, dtype="<i8")),
    "v1_f8_empty.npy": ((1, 0), np.zeros((0, 3), dtype="<f8")),
}


def golden(x):
    """The values of `x` in a dtype golden_format writes."""
    x = np.asarray(x)
    if x.dtype.kind in "iu" and x.dtype != np.uint8:
        return x.astype(np.int32)
    if x.dtype == np.float16:
        return x.astype(np.float32)
    if x.dtype.byteorder == ">":
        return x.astype(x.dtype.newbyteorder("<"))
    return x


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, (version, x) in ARRAYS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            np.lib.format.write_array(f, x, version=version)
        lines.append(array_line(f"{name}:-:{x.dtype.name}", golden(x)))
    a = np.arange(4, dtype="<i4").reshape(2, 2)
    b = np.linspace(0, 1, 5).astype("<f4")
    np.savez(os.path.join(OUT, "stored.npz"), a=a, b=b)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), a, np.asfortranarray(a * 3.0))
    for member, x in (("a", a), ("b", b)):
        lines.append(array_line(f"stored.npz:{member}:{x.dtype.name}", golden(x)))
    for member, x in (("arr_0", a), ("arr_1", a * 3.0)):
        lines.append(array_line(f"deflated.npz:{member}:{x.dtype.name}", golden(x)))
    # Check the archives' compression methods, which the tests rely on.
    for name, method in (("stored.npz", zipfile.ZIP_STORED), ("deflated.npz", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(os.path.join(OUT, name)) as z:
            assert all(i.compress_type == method for i in z.infolist()), name
    with open("tests/golden/npy.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
