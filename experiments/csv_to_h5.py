#!/usr/bin/python3
# csv_to_h5.py [--keep-labels] INPUT.csv OUTPUT.h5: rows are features then a label (last column); a first row
# with a non-numeric feature is a header. Labels (integers or any text) are mapped to 0..K-1 in sorted order
# (numerically when every label is an integer) and the y dataset's class_names attribute keeps the original
# label of each class; --keep-labels stores non-negative integer labels as they are, without names.
# Writes the h5layout.py layout atomically.
# Bad input: one line "csv_to_h5: FILE:LINE: reason" (FILE: reason if no line applies) on stderr, exit 3 (usage errors exit 2).
import csv
import math
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5layout import write_layout  # noqa: E402

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NONFINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)


class BadInput(Exception):
    pass


def is_numeric(s):
    return bool(NUMBER.fullmatch(s.strip()) or NONFINITE.fullmatch(s.strip()))


def parse_row(row, lineno, ncols, keep):
    if len(row) != ncols:
        raise BadInput(f"{lineno}: expected {ncols} fields, got {len(row)}")
    feats = []
    for col, s in enumerate(row[:-1], 1):
        if not is_numeric(s):
            raise BadInput(f"{lineno}: field {col} is not numeric: {s.strip()!r}")
        v = float(s)
        if not (math.isfinite(v) and abs(v) <= np.finfo(np.float32).max):
            raise BadInput(f"{lineno}: field {col} is not a finite float32: {s.strip()!r}")
        feats.append(v)
    s = row[-1].strip()
    if not keep:
        if not s:
            raise BadInput(f"{lineno}: empty label")
        return feats, s
    v = float(s) if NUMBER.fullmatch(s) else math.nan
    if not (math.isfinite(v) and v == int(v) and 0 <= v <= 2**31 - 1):
        raise BadInput(f"{lineno}: label is not a non-negative integer: {s!r}")
    return feats, int(v)


def integer_label(s):
    """The integer a label text stands for ("3", "+3", "3.0"), or None."""
    if not NUMBER.fullmatch(s):
        return None
    v = float(s)
    return int(v) if math.isfinite(v) and v == int(v) else None


def map_labels(texts):
    """(labels 0..K-1, class names): classes in sorted order, numeric when every label is an integer."""
    ints = [integer_label(s) for s in texts]
    if all(v is not None for v in ints):
        classes = sorted(set(ints))
        index = {v: k for k, v in enumerate(classes)}
        return [index[v] for v in ints], [str(v) for v in classes]
    classes = sorted(set(texts))
    index = {v: k for k, v in enumerate(classes)}
    return [index[v] for v in texts], classes


def read_csv(path, keep):
    X, y, ncols = [], [], None
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        for row in reader:
            lineno = reader.line_num
            if not row or all(not s.strip() for s in row):
                continue  # blank line
            if ncols is None:
                ncols = len(row)
                if ncols < 2:
                    raise BadInput(f"{lineno}: need at least one feature and a label, got {ncols} field")
                if not all(is_numeric(s) for s in row[:-1]) or (keep and not is_numeric(row[-1])):
                    continue  # header row
            feats, label = parse_row(row, lineno, ncols, keep)
            X.append(feats)
            y.append(label)
    if not y:
        raise BadInput(" no data rows")
    names = None
    if not keep:
        y, names = map_labels(y)
    return np.array(X, dtype="<f4"), np.array(y, dtype="<i4"), names


def main(argv):
    keep = len(argv) == 4 and argv[1] == "--keep-labels"
    if len(argv) != 3 + keep:
        print("usage: csv_to_h5.py [--keep-labels] INPUT.csv OUTPUT.h5", file=sys.stderr)
        return 2
    src, out = argv[1 + keep], argv[2 + keep]
    try:
        X, y, names = read_csv(src, keep)
    except BadInput as e:
        print(f"csv_to_h5: {src}:{e}", file=sys.stderr)
        return 3
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        print(f"csv_to_h5: {src}: cannot read: {e}", file=sys.stderr)
        return 3
    attrs = dict(write_layout(out, X, y, os.path.basename(src), class_names=names))
    print(f"csv_to_h5: wrote {out} ({attrs['rows']}x{attrs['features']}, "
          f"{attrs['classes']} classes, fnv1a64 {attrs['fnv1a64']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
