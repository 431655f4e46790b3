#!/usr/bin/python3
"""The peers of `make bench`, one workload per process so that the whole process is what gets timed: the digits
MLP (64-128-10, sigmoid, softmax, SGD lr 0.1 without momentum or weight decay, batch 32, 50 epochs, pixels / 16,
80/20 split) in scikit-learn or PyTorch, and the 75-run grid of configs/grid.ini in scikit-learn + joblib.

Usage (Debian's /usr/bin/python3):
    bench_peers.py check                        which peers import; exit 0
    bench_peers.py sklearn-digits DATA
    bench_peers.py torch-digits DATA THREADS
    bench_peers.py sklearn-grid DATA JOBS
Each workload prints one line `acc=<test accuracy> train_s=<seconds> ...` last: train_s is the fit alone
(scikit-learn) or the training loop alone (PyTorch), timed inside the process, to set against the runner's own
train_seconds; the timing of the whole process is the caller's (experiments/bench.sh, through /usr/bin/time).
"""
import os
import sys
import time

HIDDEN, LR, BATCH = 128, 0.1, 32
EPOCHS = int(os.environ.get("BENCH_EPOCHS") or 50)  # fewer only for `BENCH_QUICK=1 make bench`
GRID_LR = [0.01 * 100 ** (i / 4) for i in range(5)]  # logspace(0.01, 1, 5), as configs/grid.ini
GRID_HIDDEN = [16, 32, 64, 128, 256]
GRID_SEEDS = [1, 2, 3]


def load(path, seed=1, test_fraction=0.2):
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        x = (f["X"][:] / 16.0).astype(np.float32)
        y = f["y"][:].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    ntest = int(round(test_fraction * len(y)))
    test, train = order[:ntest], order[ntest:]
    return x[train], y[train], x[test], y[test]


def sklearn_model(hidden, lr, seed):
    from sklearn.neural_network import MLPClassifier

    # plain SGD as the runner does it: no momentum, no L2 penalty, no early stop (tol 0, patience > epochs)
    return MLPClassifier(hidden_layer_sizes=(hidden,), activation="logistic", solver="sgd",
                         learning_rate_init=lr, learning_rate="constant", momentum=0.0,
                         nesterovs_momentum=False, alpha=0.0, batch_size=BATCH, max_iter=EPOCHS, tol=0.0,
                         n_iter_no_change=EPOCHS + 1, shuffle=True, random_state=seed)


def sklearn_fit(x, y, xt, yt, hidden, lr, seed):
    """(test accuracy, seconds of the fit alone)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    model = sklearn_model(hidden, lr, seed)
    t0 = time.perf_counter()
    model.fit(x, y)
    seconds = time.perf_counter() - t0
    return model.score(xt, yt), seconds


def sklearn_digits(path):
    import sklearn.neural_network  # noqa: F401  (imported before the clock starts, like torch below)

    x, y, xt, yt = load(path)
    acc, seconds = sklearn_fit(x, y, xt, yt, HIDDEN, LR, 1)
    print(f"acc={acc:.4f} train_s={seconds:.4f}")


def torch_digits(path, threads):
    import torch

    torch.set_num_threads(threads)
    x, y, xt, yt = load(path)
    x, y, xt, yt = (torch.from_numpy(a) for a in (x, y, xt, yt))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(HIDDEN, 10))
    for layer in (model[0], model[2]):  # init = xavier, as configs/digits.ini
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()  # softmax + mean cross-entropy over the batch
    gen = torch.Generator().manual_seed(1)
    t0 = time.perf_counter()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(y), generator=gen)
        for s in range(0, len(y), BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(f"acc={acc:.4f} train_s={seconds:.4f} threads={torch.get_num_threads()}")


def sklearn_grid(path, jobs):
    import sklearn.neural_network  # noqa: F401
    from joblib import Parallel, delayed

    x, y, xt, yt = load(path)
    runs = [(lr, h, s) for lr in GRID_LR for h in GRID_HIDDEN for s in GRID_SEEDS]
    t0 = time.perf_counter()
    fits = Parallel(n_jobs=jobs)(delayed(sklearn_fit)(x, y, xt, yt, h, lr, s) for lr, h, s in runs)
    # train_s: the whole parallel sweep as its caller waits for it (fits, scores, joblib's workers)
    print(f"acc={max(a for a, _ in fits):.4f} train_s={time.perf_counter() - t0:.3f} runs={len(fits)} jobs={jobs}")


def check():
    for name in ("sklearn", "torch", "joblib", "h5py"):
        try:
            mod = __import__(name)
            print(f"{name}\t{getattr(mod, '__version__', '?')}")
        except ImportError as e:
            print(f"{name}\tmissing ({e})")
    try:
        import threadpoolctl
        for lib in threadpoolctl.threadpool_info():
            if lib.get("internal_api") == "openblas":
                print(f"numpy_openblas\t{lib.get('version')} core {lib.get('architecture')}")
    except ImportError:
        print("numpy_openblas\tunknown (no threadpoolctl)")


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        check()
    elif len(argv) == 3 and argv[1] == "sklearn-digits":
        sklearn_digits(argv[2])
    elif len(argv) == 4 and argv[1] == "torch-digits":
        torch_digits(argv[2], int(argv[3]))
    elif len(argv) == 4 and argv[1] == "sklearn-grid":
        sklearn_grid(argv[2], int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
