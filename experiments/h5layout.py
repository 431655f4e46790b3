# Shared HDF5 dataset layout for the MLP suite: X float32 [N, F], y int32 [N], root attributes
# source, [extra...], rows, features, classes, fnv1a64, sha256 (checksums over X bytes then y bytes,
# little-endian, C order). write_layout() writes atomically (temp file in the same dir + os.replace).
import hashlib
import os
import tempfile

import h5py
import numpy as np

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


def canonical(X, y):
    """Return (X, y) as little-endian C-contiguous float32 [N, F] and int32 [N]."""
    X = np.ascontiguousarray(X, dtype="<f4")
    y = np.ascontiguousarray(y, dtype="<i4")
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"bad shapes X{X.shape} y{y.shape}")
    return X, y


def checksums(X, y):
    """(fnv1a64 as 16 lowercase hex digits, sha256 hex) of X bytes followed by y bytes."""
    X, y = canonical(X, y)
    data = X.tobytes() + y.tobytes()
    return f"{fnv1a64(data):016x}", hashlib.sha256(data).hexdigest()


def layout_attrs(X, y, source, extra=()):
    """Ordered list of (name, value) root attributes; strings are str, counts are int."""
    X, y = canonical(X, y)
    fnv, sha = checksums(X, y)
    classes = int(y.max()) + 1 if y.size else 0  # labels are 0..classes-1
    return ([("source", source)] + list(extra) +
            [("rows", int(X.shape[0])), ("features", int(X.shape[1])), ("classes", classes),
             ("fnv1a64", fnv), ("sha256", sha)])


def write_layout(path, X, y, source, extra=(), class_names=None):
    """Write X, y and attributes to path atomically; returns the attribute list. class_names (a list of str,
    one per class): the y dataset's class_names attribute, variable-length UTF-8 strings."""
    X, y = canonical(X, y)
    attrs = layout_attrs(X, y, source, extra)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".h5", dir=d)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:  # contiguous, uncompressed, no timestamps
            f.create_dataset("X", data=X, dtype="<f4", track_times=False)
            ys = f.create_dataset("y", data=y, dtype="<i4", track_times=False)
            if class_names is not None:
                ys.attrs.create("class_names", list(class_names), dtype=h5py.string_dtype("utf-8"))
            for name, value in attrs:  # fixed-length ASCII strings, int64 scalars
                f.attrs[name] = np.bytes_(value.encode("ascii")) if isinstance(value, str) \
                    else np.int64(value)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return attrs


def read_layout(path):
    """Return (X, y, attrs dict with str/int values) from a layout file."""
    with h5py.File(path, "r") as f:
        X, y = f["X"][()], f["y"][()]
        attrs = {k: v.decode("ascii", "replace") if isinstance(v, bytes) else
                 v if isinstance(v, str) else int(v) for k, v in f.attrs.items()}
    return X, y, attrs
