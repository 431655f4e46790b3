#!/usr/bin/python3
"""Synthetic data for the scaling section of `make bench`: scikit-learn's make_classification (10 classes, half
the features informative up to 32, seed 0) written to HDF5 as the runner reads it (X float32 [rows, features],
y int32 [rows]), atomically. The files are big and cheap to remake, so they live under build/, never committed.

Usage (Debian's /usr/bin/python3): make_classification.py ROWS FEATURES OUT.h5
Prints one line `rows=... features=... bytes=... seconds=...`.
"""
import os
import sys
import tempfile
import time

import h5py
import numpy as np
from sklearn.datasets import make_classification


def export(rows, features, path):
    t0 = time.perf_counter()
    informative = min(32, features // 2)
    # made in slices of 100,000 rows: make_classification builds float64 arrays, 6 GB at 10^6 x 784 in one go
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".h5", dir=d)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            xs = f.create_dataset("X", shape=(rows, features), dtype="<f4", track_times=False)
            ys = f.create_dataset("y", shape=(rows,), dtype="<i4", track_times=False)
            step = 100_000
            for i, at in enumerate(range(0, rows, step)):
                n = min(step, rows - at)
                # every slice from seed 0 (the same class centres), shuffled and given fresh noise of its own:
                # rows past the first slice are noisy copies, which costs the timing nothing
                x, y = make_classification(n_samples=n, n_features=features, n_informative=informative,
                                           n_redundant=0, n_classes=10, n_clusters_per_class=1,
                                           class_sep=2.0, shuffle=False, random_state=0)
                rng = np.random.default_rng(i)
                order = rng.permutation(n)
                x = x[order] + rng.normal(0, 0.5, size=x.shape)
                xs[at:at + n] = x.astype("<f4")
                ys[at:at + n] = y[order].astype("<i4")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    size = os.path.getsize(path)
    print(f"rows={rows} features={features} bytes={size} seconds={time.perf_counter() - t0:.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    export(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
