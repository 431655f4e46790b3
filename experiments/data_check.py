#!/usr/bin/python3
# data_check.py: export digits afresh to a temp file and verify the committed data/digits.h5 matches
# (same arrays: dtype/shape/values, same attributes; byte-identical when the export is deterministic), and import
# data/xor.csv afresh and verify the committed data/xor.h5 is byte-identical (csv_to_h5.py is deterministic).
# Prints one line per file; exit 0 on match, 1 on any difference.
import filecmp
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_digits import export  # noqa: E402
from h5layout import read_layout  # noqa: E402

REL = "data/digits.h5"
XOR, XOR_CSV = "data/xor.h5", "data/xor.csv"


def difference(committed, fresh, fresh2):
    """Return None if committed matches fresh, else a short description of what differs."""
    if not os.path.exists(committed):
        return "file is missing"
    try:
        Xc, yc, ac = read_layout(committed)
    except Exception as e:  # missing file, not HDF5, missing datasets...
        return f"cannot read it ({type(e).__name__}: {e})"
    Xf, yf, af = read_layout(fresh)
    for name, c, f in (("X", Xc, Xf), ("y", yc, yf)):
        if c.dtype != f.dtype or c.shape != f.shape:
            return f"{name} is {c.dtype}{list(c.shape)}, fresh export is {f.dtype}{list(f.shape)}"
        if not np.array_equal(c, f):
            return f"{name} values differ in {int(np.count_nonzero(c != f))} elements"
    for k in sorted(set(ac) | set(af)):
        if ac.get(k) != af.get(k):
            return f"attribute {k} is {ac.get(k)!r}, fresh export has {af.get(k)!r}"
    if filecmp.cmp(fresh, fresh2, shallow=False) and not filecmp.cmp(committed, fresh, shallow=False):
        return "bytes differ (arrays and attributes match; the export is deterministic here)"
    return None


def xor_difference(tmp):
    """Return None if data/xor.h5 is byte-identical to a fresh import of data/xor.csv, else what differs."""
    committed, fresh = os.path.join(HERE, "..", XOR), os.path.join(tmp, "xor.h5")
    if not os.path.exists(committed):
        return "file is missing"
    p = subprocess.run([sys.executable, os.path.join(HERE, "csv_to_h5.py"), os.path.join(HERE, "..", XOR_CSV), fresh],
                       capture_output=True, text=True)
    if p.returncode:
        return f"the import failed: {p.stderr.strip()}"
    return None if filecmp.cmp(committed, fresh, shallow=False) else "bytes differ (make data rewrites it)"


def main():
    committed = os.path.join(HERE, "..", REL)
    with tempfile.TemporaryDirectory() as tmp:
        fresh, fresh2 = os.path.join(tmp, "a.h5"), os.path.join(tmp, "b.h5")
        attrs = dict(export(fresh))
        export(fresh2)  # second export tells whether byte identity is expected
        diff = difference(committed, fresh, fresh2)
        xor = xor_difference(tmp)
    if diff:
        print(f"data-check: {REL} differs from a fresh export: {diff}")
    else:
        print(f"data-check: {REL} matches a fresh export (fnv1a64 {attrs['fnv1a64']})")
    if xor:
        print(f"data-check: {XOR} differs from a fresh import of {XOR_CSV}: {xor}")
    else:
        print(f"data-check: {XOR} matches a fresh import of {XOR_CSV}")
    return 1 if diff or xor else 0


if __name__ == "__main__":
    sys.exit(main())
