"""Writes a seed corpus of real .npy files with numpy: every fixed-size kind numpy has, both
byte orders, ranks 0 to 3, C and Fortran order, empty arrays, nested and aligned structs,
subarrays of subarrays, padding, long doubles, strings with embedded NULs, odd field names,
and format versions 1.0, 2.0 and 3.0.

Usage: npy_corpus.py DIR   (prints how many files it wrote)
"""

import os
import sys

import numpy as np
from numpy.lib import format as npformat

out = sys.argv[1]
arrays = []

scalars = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f2", "f4", "f8", "c8", "c16", "?"]
for code in scalars:
    for order in "<>":
        dt = np.dtype(code).newbyteorder(order) if np.dtype(code).itemsize > 1 else np.dtype(code)
        base = (np.arange(60) % 7 - 2).astype(dt)
        arrays += [
            np.array([], dtype=dt),
            np.array(5, dtype=dt),
            base,
            base.reshape(6, 10),
            base.reshape(6, 10).T,  # Fortran order on disk
            base.reshape(3, 4, 5),
            np.asfortranarray(base.reshape(3, 4, 5)),
        ]

arrays += [
    np.array([1.5, -np.inf, np.nan], dtype=np.longdouble),
    np.array([1 + 2j, np.nan], dtype=np.clongdouble),
    np.array(["2024-01-02", "NaT"], dtype="M8[D]"),
    np.array([3, -4], dtype="m8[ns]"),
    np.array([b"a\x00b", b"", b"\xff\\'\"\n"], dtype="S4"),
    np.array(["a\x00b", "", "caf\u00e9 \U0001F600"], dtype="U5"),
    np.zeros(3, dtype="V5"),
    np.zeros(2, dtype=[]),
    np.zeros(3, dtype="V0"),
    np.zeros(2, dtype="S0"),
]

plain = [("x", "i4", (2,)), ("y", "f8", (2, 2)), ("z", "u1")]
nested = [
    ("x", "i4", (2,)),
    ("info", [("value", "c16"), ("y2", "f8"),
              ("info2", [("name", "S2"), ("value", "c16", (2,)), ("y3", "f8", (2,))]),
              ("flag", "?")]),
    ("color", "S2"),
    ("u", [("name", "U8"), ("value", "c16")]),
    ("y", "f8", (2, 2)),
]
for descr in (plain, nested):
    for order in "<>":
        arrays.append(np.zeros(3, dtype=np.dtype(descr).newbyteorder(order)))
        a = np.zeros(3, dtype=np.dtype(descr).newbyteorder(order))
        a["x"] = [[1, 2], [3, 4], [5, 6]]
        arrays.append(a)

offsets = np.dtype({"names": ["a", "b"], "formats": ["i1", "i2"], "offsets": [0, 4], "itemsize": 8})
arrays += [
    np.zeros(2, dtype=[("c", ("<f8", (5,)), (2,))]),
    np.zeros(2, dtype=np.dtype([("a", "u1"), ("b", "<u8")], align=True)),
    np.zeros(2, dtype=offsets),
    np.zeros(2, dtype=[("x", np.dtype((np.dtype((offsets, (3,))), (4,))))]),
    np.zeros(2, dtype=[("a\"b", "u1"), ("c'd", "u1"), ("e\\f", "u1"), ("g\nh", "u1"), ("caf\u00e9", "u1")]),
    np.zeros(2, dtype=[(("a title", "t"), "<i4")]),
    np.arange(24, dtype="<u2").reshape(2, 3, 4)[:, ::2],
]

n = 0
for a in arrays:
    path = os.path.join(out, f"numpy-{n:04d}.npy")
    np.save(path, a)
    n += 1

# Explicit versions: 2.0 (4-byte header length) and 3.0 (UTF-8 names).
for version, a in [((2, 0), np.arange(5, dtype="<i8")),
                   ((3, 0), np.zeros(2, dtype=[("\u6574\u5f62", "<i8")])),
                   ((1, 0), np.arange(5, dtype=">f4"))]:
    path = os.path.join(out, f"numpy-{n:04d}.npy")
    with open(path, "wb") as f:
        npformat.write_array(f, a, version=version)
    n += 1

# A wide header (over 10,000 bytes): numpy writes it, and reads it only with a larger
# max_header_size; recmap reads it.
path = os.path.join(out, f"numpy-{n:04d}.npy")
np.save(path, np.zeros(2, dtype=[(f"field_{i:05d}", "<u1") for i in range(700)]))
n += 1
print(n)
