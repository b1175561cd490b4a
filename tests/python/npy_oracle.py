"""numpy as the oracle for `recmap dump`: for each .npy file given, loads it with numpy and
runs `recmap dump --format json` on it, and checks that both agree record by record.

Usage: npy_oracle.py [--limit N] RECMAP FILE...   (compares the first N records, default
all). Prints one line per file: "ok N" (N records compared),
"refused-both" (numpy and recmap both refuse), or "MISMATCH ..." / "RECMAP-REFUSES ..." /
"NUMPY-REFUSES ...".
"""

import json
import os
import shutil
import math
import subprocess
import sys

import numpy as np


def canon(value, dtype):
    """numpy's value in the shape recmap prints it: structs as dicts, subarrays as lists,
    complex as [re, im], bytes with Python's escapes, floats as floats (NaN/inf as None)."""
    if dtype.fields is not None:
        names = [n for n in dtype.names]
        return {n: canon(value[n], dtype.fields[n][0]) for n in names}
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        arr = np.asarray(value)
        return nested(arr, base)
    return scalar(value, dtype)


def nested(arr, base):
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return canon(arr[()], base)
    return [nested(arr[i], base) for i in range(arr.shape[0])]


def scalar(v, dtype):
    k = dtype.kind
    if k == "b":
        return bool(v)
    if k in "iu":
        return int(v)
    if k in "Mm":
        return int(np.asarray(v).view(np.int64))
    if k == "f":
        f = float(v)
        return None if not math.isfinite(f) else f
    if k == "c":
        c = complex(v)
        return [None if not math.isfinite(x) else x for x in (c.real, c.imag)]
    if k == "S":
        raw = bytes(v)
        return repr(raw)[2:-1].replace("\\'", "'").replace('\\"', '"') if raw else ""
    if k == "U":
        # numpy keeps code points that are no Unicode scalar value (and repr shows them as
        # \UXXXXXXXX); recmap prints exactly that escape.
        return "".join(
            c if ord(c) <= 0x10FFFF and not 0xD800 <= ord(c) <= 0xDFFF else f"\\U{ord(c):08x}"
            for c in str(v)
        )
    if k == "V":
        return bytes(v).hex()
    raise ValueError(f"kind {k}")


def same(a, b, kind_tol=1e-6):
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return a == b or abs(a - b) <= kind_tol * max(1.0, abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b) or (a == b and not isinstance(a, bool) and not isinstance(b, bool))


def check(recmap, path, limit=None):
    try:
        arr = np.load(path, allow_pickle=False)
        numpy_error = None
    except ValueError as e:
        # numpy refuses headers over 10,000 bytes unless told otherwise (a resource guard, not
        # a format rule); recmap reads them, so compare with the guard raised.
        if "max_header_size" not in str(e):
            arr, numpy_error = None, e
        else:
            arr, numpy_error = np.load(path, allow_pickle=False, max_header_size=1 << 30), None
    except Exception as e:  # noqa: BLE001 - any refusal counts
        arr, numpy_error = None, e
    args = [recmap, "dump", "--format", "json", path]
    if limit is not None and arr is not None and arr.ndim > 0:
        args += ["--range", f"0..{min(limit, arr.shape[0])}"]
    elif limit is not None and arr is None:
        args += ["--range", "0..0"]
    run = subprocess.run(args, capture_output=True, timeout=60)
    if numpy_error is not None:
        if run.returncode != 0:
            return "refused-both"
        keep = os.environ.get("NPY_ORACLE_KEEP")
        if keep:
            shutil.copy(path, keep)
        return f"NUMPY-REFUSES {path}: {numpy_error!r}; recmap printed {len(run.stdout)} bytes"
    if run.returncode != 0:
        return f"RECMAP-REFUSES {path}: {run.stderr.decode(errors='replace').strip()}"
    ours = [json.loads(line) for line in run.stdout.decode().splitlines()]
    n = arr.shape[0] if arr.ndim > 0 else 1
    if limit is not None:
        n = min(n, limit)
    try:
        records = [arr[()]] if arr.ndim == 0 else [arr[i] for i in range(n)]
        base = arr.dtype
        theirs = [canon(r, base) if arr.ndim <= 1 else nested(np.asarray(r), base) for r in records]
    except Exception as e:  # noqa: BLE001 - numpy loaded the file but cannot show its values
        # e.g. a 'U' value that is no code point: numpy raises, recmap prints \U escapes.
        return f"numpy-cannot-show {path}: {e!r}"
    if len(ours) != len(theirs):
        return f"MISMATCH {path}: {len(ours)} records, numpy has {len(theirs)}"
    for i, (a, b) in enumerate(zip(theirs, ours)):
        if not same(a, b):
            return f"MISMATCH {path}: record {i}: numpy {str(a)[:200]} recmap {str(b)[:200]}"
    return f"ok {len(ours)}"


if __name__ == "__main__":
    args = sys.argv[1:]
    limit = None
    if args[0] == "--limit":
        limit, args = int(args[1]), args[2:]
    recmap = args[0]
    for path in args[1:]:
        print(check(recmap, path, limit), flush=True)
