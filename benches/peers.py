"""What a Python user would pick, on the same workloads as `recmap bench`: CPython's mmap
(slicing) and numpy.memmap (`.sum()`, `np.take`, `a['price'].sum()`), next to an in-memory
numpy array.

    python3 benches/peers.py [--size 256MiB] [--record 64] [--dir DIR] [--file F]
                             [--column-file Q] [--json]

With --file and --column-file it reads those files (as `recmap bench --peers` passes its own);
otherwise it writes a .npy file of records of `record/8` uint64 words (record i holds
i*W .. i*W+W-1, the same contents `recmap bench` uses) and one of 64-byte quotes (price of
quote i: (i % 1024) / 4, as benches/workloads.rs writes them), warms the page cache, checks
every method's checksum before reporting its time, and prints the same columns as
`recmap bench` (best of 3).
"""

import argparse
import mmap
import os
import re
import tempfile
import time

import numpy as np

RUNS = 3
# benches/workloads.rs's `column::Quote`.
QUOTE = np.dtype([("id", "<u8"), ("price", "<f8"), ("qty", "<u8"), ("time", "<u8"),
                  ("bid", "<f8"), ("ask", "<f8"), ("flags", "<u8", (2,))])


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", text.strip())
    if not m:
        raise SystemExit(f"peers.py: `{text}` is not a size like 256MiB")
    units = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "kb": 1000, "m": 1 << 20, "mib": 1 << 20,
             "mb": 10**6, "g": 1 << 30, "gib": 1 << 30, "gb": 10**9}
    return int(m.group(1)) * units[m.group(2).lower()]


def best(fn, expected, what):
    got = fn()
    if got != expected:
        raise SystemExit(f"peers.py: {what} computed {got}, expected {expected}")
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="256MiB")
    ap.add_argument("--record", type=int, default=64)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--file", default=None, help="an existing file of recmap bench's contents")
    ap.add_argument("--column-file", default=None,
                    help="an existing file of recmap bench's quotes (the column workload)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per result")
    args = ap.parse_args()
    size, rec = parse_size(args.size), args.record
    words_per = rec // 8
    count = size // rec
    results = []

    with tempfile.TemporaryDirectory(prefix="recmap-peers-", dir=args.dir) as d:
        if args.file:
            path = args.file
            count = len(np.load(path, mmap_mode="r"))
        else:
            path = os.path.join(d, "peers.npy")
            arr = np.lib.format.open_memmap(path, mode="w+", dtype="<u8", shape=(count, words_per))
            arr[:] = np.arange(count * words_per, dtype=np.uint64).reshape(count, words_per)
            arr.flush()
            del arr
        data_bytes = count * rec
        n_words = count * words_per
        expected_sum = (n_words * (n_words - 1) // 2) % 2**64

        # scan
        mm = np.load(path, mmap_mode="r")
        mem = np.array(mm)
        t = best(lambda: int(mem.sum(dtype=np.uint64)), expected_sum, "scan/numpy_memory")
        results.append(("scan", "numpy_memory", t, data_bytes, count))
        t = best(lambda: int(mm.sum(dtype=np.uint64)), expected_sum, "scan/numpy_memmap")
        results.append(("scan", "numpy_memmap", t, data_bytes, count))

        # random record reads: the same xorshift indices as `recmap bench`
        n_fast, n_slow = 2_000_000, 200_000
        idx = np.empty(n_fast, dtype=np.int64)
        x = 0x9E3779B97F4A7C15
        mask = 2**64 - 1
        for i in range(n_fast):
            x ^= (x << 13) & mask
            x ^= x >> 7
            x ^= (x << 17) & mask
            idx[i] = x % count
        def record_sum(ids):
            return int((ids.astype(np.uint64) * words_per * words_per
                        + words_per * (words_per - 1) // 2).sum(dtype=np.uint64))
        exp_fast, exp_slow = record_sum(idx), record_sum(idx[:n_slow])
        t = best(lambda: int(np.take(mm, idx, axis=0).sum(dtype=np.uint64)), exp_fast, "random_read/numpy_take")
        results.append(("random_read", "numpy_take", t, n_fast * rec, n_fast))
        t = best(lambda: int(np.take(mem, idx, axis=0).sum(dtype=np.uint64)), exp_fast, "random_read/numpy_memory")
        results.append(("random_read", "numpy_memory", t, n_fast * rec, n_fast))

        header = mm.offset
        with open(path, "rb") as f:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            slow = [int(i) for i in idx[:n_slow]]
            def by_slicing():
                total = 0
                for i in slow:
                    off = header + i * rec
                    total += sum(memoryview(m[off:off + rec]).cast("Q"))
                return total % 2**64
            t = best(by_slicing, exp_slow, "random_read/cpython_mmap")
            results.append(("random_read", "cpython_mmap", t, n_slow * rec, n_slow))
            def slicing_only():
                for i in slow:
                    off = header + i * rec
                    m[off:off + rec]
                return exp_slow
            t = best(slicing_only, exp_slow, "random_read/cpython_mmap_slice_only")
            results.append(("random_read", "cpython_slice", t, n_slow * rec, n_slow))
            m.close()
        del mm

        # column: one field of every 64-byte record, summed (recmap's Table::column)
        if args.column_file:
            qpath = args.column_file
        else:
            qpath = os.path.join(d, "quotes.npy")
            n = size // 64
            q = np.lib.format.open_memmap(qpath, mode="w+", dtype=QUOTE, shape=(n,))
            q["id"] = np.arange(n, dtype=np.uint64)
            q["price"] = (np.arange(n) % 1024) * 0.25
            q.flush()
            del q
        quotes = np.load(qpath, mmap_mode="r")
        if quotes.dtype.itemsize != 64 or "price" not in quotes.dtype.names:
            raise SystemExit(f"peers.py: {qpath} holds {quotes.dtype}, not 64-byte quotes")
        n = len(quotes)
        full, rest = divmod(n, 1024)
        expected_price = (full * (1023 * 1024 // 2) + rest * (rest - 1) // 2) * 0.25
        t = best(lambda: float(quotes["price"].sum()), expected_price, "column/numpy_memmap")
        results.append(("column", "numpy_memmap", t, n * 64, n))
        in_memory = np.array(quotes)
        t = best(lambda: float(in_memory["price"].sum()), expected_price, "column/numpy_memory")
        results.append(("column", "numpy_memory", t, n * 64, n))
        del quotes, in_memory

    if args.json:
        import json
        for w, meth, t, b, ops in results:
            print(json.dumps({"workload": w, "method": meth, "seconds": t, "bytes": b, "ops": ops}))
        return
    print(f"peers.py: {size >> 20} MiB file, {rec}-byte records, warm page cache, best of {RUNS}")
    print(f"{'workload':<13} {'method':<14} {'GB/s':>9} {'ns/record':>12}")
    for w, meth, t, b, ops in results:
        print(f"{w:<13} {meth:<14} {b / t / 1e9:>9.2f} {t * 1e9 / ops:>12.1f}")


main()
