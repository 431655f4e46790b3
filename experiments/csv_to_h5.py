# csv_to_h5.py INPUT.csv OUTPUT.h5: rows are features then a non-negative integer label (last column);
# a first row with a non-numeric field is a header. Writes the h5layout.py layout atomically.
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


def parse_row(row, lineno, ncols):
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
    v = float(s) if NUMBER.fullmatch(s) else math.nan
    if not (math.isfinite(v) and v == int(v) and 0 <= v <= 2**31 - 1):
        raise BadInput(f"{lineno}: label is not a non-negative integer: {s!r}")
    return feats, int(v)


def read_csv(path):
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
                if not all(is_numeric(s) for s in row):
                    continue  # header row
            feats, label = parse_row(row, lineno, ncols)
            X.append(feats)
            y.append(label)
    if not y:
        raise BadInput(" no data rows")
    return np.array(X, dtype="<f4"), np.array(y, dtype="<i4")


def main(argv):
    if len(argv) != 3:
        print("usage: csv_to_h5.py INPUT.csv OUTPUT.h5", file=sys.stderr)
        return 2
    src, out = argv[1], argv[2]
    try:
        X, y = read_csv(src)
    except BadInput as e:
        print(f"csv_to_h5: {src}:{e}", file=sys.stderr)
        return 3
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        print(f"csv_to_h5: {src}: cannot read: {e}", file=sys.stderr)
        return 3
    attrs = dict(write_layout(out, X, y, os.path.basename(src)))
    print(f"csv_to_h5: wrote {out} ({attrs['rows']}x{attrs['features']}, "
          f"{attrs['classes']} classes, fnv1a64 {attrs['fnv1a64']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
