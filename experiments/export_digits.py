#!/usr/bin/python3
# Export sklearn.datasets.load_digits() to HDF5 (default data/digits.h5, or argv[1]) in the
# h5layout.py layout: X float32 [1797, 64] raw pixels 0..16, y int32 [1797], plus sklearn_version.
# Output is byte-deterministic for a given h5py/HDF5/sklearn; written atomically.
import os
import sys

import sklearn
from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5layout import write_layout  # noqa: E402


def export(path):
    d = load_digits()
    return write_layout(path, d.data, d.target, "sklearn.datasets.load_digits",
                        extra=[("sklearn_version", sklearn.__version__)])


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/digits.h5"
    attrs = dict(export(out))
    print(f"export_digits: wrote {out} ({attrs['rows']}x{attrs['features']}, "
          f"{attrs['classes']} classes, fnv1a64 {attrs['fnv1a64']})")
