# Writes the small, deliberately broken HDF5 files that tests/cli_test.sh feeds to the runner. Run from the repo
# root:   /usr/bin/python3 tests/reference/make_bad_data.py
# (Re)writes tests/bad_data/*.h5 (and not_hdf5.h5, a text file). Files are written with track_times=False and a
# fixed NumPy seed, so running it again gives the same bytes. The configs that point at these files
# (tests/bad_data/*.ini) and the expected messages (tests/bad_data/*.expected) are committed by hand.
import os
import numpy as np
import h5py

OUT = "tests/bad_data"
ROWS, FEATURES, CLASSES, HIDDEN = 40, 8, 3, 5  # the configs say hidden = 5


def good_arrays():
    rng = np.random.default_rng(20240601)
    X = rng.uniform(0.0, 1.0, size=(ROWS, FEATURES)).astype(np.float32)
    y = (np.arange(ROWS) % CLASSES).astype(np.int32)
    return X, y


def write(name, **datasets):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w") as f:
        for key, value in datasets.items():
            f.create_dataset(key, data=value, track_times=False)
    return path


def checkpoint(name, shapes):
    """A checkpoint with the given datasets (name -> shape), filled with small finite values."""
    rng = np.random.default_rng(7)
    write(name, **{k: rng.normal(0.0, 0.1, size=s).astype(np.float32) for k, s in shapes.items()})


def main():
    os.makedirs(OUT, exist_ok=True)
    X, y = good_arrays()

    # valid files the broken cases are built around
    good = write("good.h5", X=X, y=y)
    write("good_4_features.h5", X=X[:, :4].copy(), y=y)  # a test_file with a different feature count

    # not HDF5 at all, and a valid file cut short
    with open(os.path.join(OUT, "not_hdf5.h5"), "w") as f:
        f.write("x0,x1,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    with open(good, "rb") as f:
        head = f.read(1000)
    with open(os.path.join(OUT, "truncated.h5"), "wb") as f:
        f.write(head)

    # structure
    write("no_features.h5", y=y)
    write("no_labels.h5", X=X)
    write("features_rank1.h5", X=X[:, 0].copy(), y=y)
    write("labels_rank2.h5", X=X, y=y.reshape(ROWS, 1))
    write("rows_mismatch.h5", X=X, y=y[:-1].copy())
    write("zero_rows.h5", X=np.zeros((0, FEATURES), np.float32), y=np.zeros((0,), np.int32))

    # values
    neg = y.copy()
    neg[7] = -1
    write("negative_label.h5", X=X, y=neg)
    write("float_labels.h5", X=X, y=y.astype(np.float32))
    nan = X.copy()
    nan[3, 2] = np.nan
    write("nan_feature.h5", X=nan, y=y)
    inf = X.copy()
    inf[5, 1] = np.inf
    write("inf_feature.h5", X=inf, y=y)
    write("single_class.h5", X=X, y=np.zeros(ROWS, np.int32))
    big = y.astype(np.uint64)
    big[9] = np.iinfo(np.uint64).max  # reported as read, not clipped to 2^63-1
    write("uint64_label.h5", X=X, y=big)
    huge = X.copy()
    huge[2, 4] = 3e38  # finite, but not once multiplied by the config's data.scale = 1e30
    write("overflow_after_scale.h5", X=huge, y=y)

    # the layout's fnv1a64 attribute (experiments/h5layout.py) that does not match X and y: refused as damaged;
    # the same attribute beside X stored as float64, not the layout's types: another tool's, so not checked
    with h5py.File(os.path.join(OUT, "stale_fnv1a64.h5"), "w") as f:
        f.create_dataset("X", data=X, track_times=False)
        f.create_dataset("y", data=y, track_times=False)
        f.attrs["fnv1a64"] = np.bytes_(b"0123456789abcdef")
    with h5py.File(os.path.join(OUT, "other_fnv1a64.h5"), "w") as f:
        f.create_dataset("X", data=X.astype(np.float64), track_times=False)
        f.create_dataset("y", data=y, track_times=False)
        f.attrs["fnv1a64"] = np.bytes_(b"0123456789abcdef")

    # storage that would read as fill values: a virtual dataset whose source file is missing, and external
    # storage shorter than the data (HDF5 takes its relative name from the working directory: the repo root)
    # (through the low-level API: h5py's create_virtual_dataset stamps a creation time)
    space = h5py.h5s.create_simple(X.shape)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_virtual(space, b"vds_source_missing.h5", b"X", space)
    with h5py.File(os.path.join(OUT, "vds_missing_source.h5"), "w") as f:
        h5py.h5d.create(f.id, b"X", h5py.h5t.NATIVE_FLOAT, space, dcpl=dcpl).close()
        f.create_dataset("y", data=y, track_times=False)
    with open(os.path.join(OUT, "external_short.bin"), "wb") as f:
        f.write(X.tobytes()[:100])
    with h5py.File(os.path.join(OUT, "external_short.h5"), "w") as f:
        f.create_dataset("X", shape=X.shape, dtype=np.float32, track_times=False,
                         external=[(OUT + "/external_short.bin", 0, X.nbytes)])
        f.create_dataset("y", data=y, track_times=False)

    # checkpoints for a model FEATURES -> HIDDEN -> CLASSES (weight k is [out, in], nn.Linear layout)
    fits = {"weight0": (HIDDEN, FEATURES), "bias0": (HIDDEN,), "weight1": (CLASSES, HIDDEN), "bias1": (CLASSES,)}
    checkpoint("init_wrong_shape.h5",
               {"weight0": (10, FEATURES), "bias0": (10,), "weight1": (CLASSES, 10), "bias1": (CLASSES,)})
    checkpoint("init_missing_bias1.h5", {k: s for k, s in fits.items() if k != "bias1"})
    checkpoint("init_extra_layer.h5", dict(fits, weight2=(CLASSES, CLASSES), bias2=(CLASSES,)))


if __name__ == "__main__":
    main()
