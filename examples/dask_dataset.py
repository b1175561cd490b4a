"""A directory of recmap tables — one .npy per partition (a day, a shard), written and appended
independently — as one Dask array and one Dask dataframe, with no pickled metadata: each
partition is opened with np.load(mmap_mode="r"), which reads its header and maps its records.

    python3 examples/dask_dataset.py DIR     (DIR as examples/trades.rs or tests/dask.rs write it)

Prints the records, the total quantity and the traded value, computed by Dask both ways.
"""

import glob
import os
import sys

import numpy as np


def partitions(directory):
    """The dataset's partitions in order: its .npy files, sorted by name (as `recmap info DIR`)."""
    return sorted(glob.glob(os.path.join(directory, "*.npy")))


def dataset_array(directory, chunk_rows=1 << 20):
    """One dask.array over every partition's records (structured dtypes included)."""
    import dask.array as da

    parts = [np.load(p, mmap_mode="r") for p in partitions(directory)]
    parts = [p for p in parts if len(p)]
    return da.concatenate(
        [da.from_array(p, chunks=(chunk_rows,) + p.shape[1:]) for p in parts], axis=0
    )


def dataset_frame(directory):
    """One dask.dataframe with a partition per file, for struct records; padding fields
    (numpy void, e.g. recmap's `_pad`) are left out."""
    import dask.dataframe as dd
    import pandas as pd

    def load(path):
        a = np.load(path, mmap_mode="r")
        return pd.DataFrame({n: np.asarray(a[n]) for n in a.dtype.names if a.dtype[n].kind != "V"})

    return dd.from_map(load, partitions(directory))


if __name__ == "__main__":
    directory = sys.argv[1]
    arr = dataset_array(directory)
    records = int(arr.shape[0])
    qty = int(arr["qty"].astype(np.uint64).sum().compute())
    value = float((arr["price"] * arr["qty"]).sum().compute())
    frame = dataset_frame(directory)
    f_records = int(frame.shape[0].compute())
    f_value = float((frame["price"] * frame["qty"]).sum().compute())
    print(f"array: records {records} qty {qty} value {value!r}")
    print(f"frame: records {f_records} partitions {frame.npartitions} value {f_value!r}")
