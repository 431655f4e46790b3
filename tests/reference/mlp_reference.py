# Independent NumPy (float64) reference of the MLP training math. Run from the repo root:
#   /usr/bin/python3 tests/reference/mlp_reference.py
# (Re)writes tests/fixtures/ref_NAME_{data,init,expected}.h5 and ref_NAME.ini per case; asserts an FD gradient check.
import os
import numpy as np
import h5py

FIX = "tests/fixtures"
CASES = [  # name, seed, N, F, K, hidden, act, output, loss, optimizer, lr, mu, batch_size, epochs
    ("sig_softmax_sgd", 101, 20, 5, 3, [4], "sigmoid", "softmax", "mean", "sgd", 0.5, 0.9, 8, 3),
    ("tanh_sigmoid_momentum", 102, 18, 4, 3, [4, 3], "tanh", "sigmoid", "sum", "momentum", 0.05, 0.9, 6, 2),
    ("relu_softmax_adam", 103, 16, 6, 4, [6], "relu", "softmax", "mean", "adam", 0.01, 0.9, 0, 5),
    ("binary_sigmoid_sum", 104, 12, 3, 2, [3], "sigmoid", "sigmoid", "sum", "sgd", 0.1, 0.9, 4, 4),
    ("deep_relu_sgd", 105, 15, 4, 3, [5, 4, 3], "relu", "softmax", "mean", "sgd", 0.2, 0.9, 5, 2),
    # weight decay and learning-rate schedules: the extra keys of the [train] section (SCHEDULE_DEFAULTS)
    ("wd_sgd_warmup", 106, 20, 5, 3, [4], "sigmoid", "softmax", "mean", "sgd", 0.5, 0.9, 8, 4,
     {"weight_decay": 0.05, "warmup_epochs": 2}),
    ("wd_momentum_step", 107, 18, 4, 3, [5], "tanh", "softmax", "mean", "momentum", 0.1, 0.9, 6, 5,
     {"weight_decay": 0.01, "schedule": "step", "step_every": 2, "step_factor": 0.5}),
    ("wd_adam_cosine", 108, 16, 6, 4, [6], "relu", "softmax", "mean", "adam", 0.02, 0.9, 8, 6,
     {"weight_decay": 0.002, "schedule": "cosine", "warmup_epochs": 1, "min_learning_rate": 0.001}),
]
SCHEDULE_DEFAULTS = {"weight_decay": 0.0, "schedule": "constant", "warmup_epochs": 0, "step_every": 10,
                     "step_factor": 0.1, "min_learning_rate": 0.0}


def schedule_lr(lr, e, epochs, s):
    """The learning rate of epoch e (0-based): README's formulas for train.warmup_epochs and train.schedule."""
    W = s["warmup_epochs"]
    if e < W:
        return lr * (e + 1) / W
    e1, E1 = e - W, epochs - W
    if s["schedule"] == "step":
        return lr * s["step_factor"] ** (e1 // s["step_every"])
    if s["schedule"] == "cosine":
        return s["min_learning_rate"] + (lr - s["min_learning_rate"]) * (1 + np.cos(np.pi * e1 / E1)) / 2
    return lr

ACT = {"sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)), "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}
DACT = {"sigmoid": lambda a, h: h * (1.0 - h), "tanh": lambda a, h: 1.0 - h * h,
        "relu": lambda a, h: (a > 0).astype(np.float64)}


def per_sample_loss_and_dz(z, y, output):
    """Per-sample losses [B] and dLoss/dz [B, K] for logits z [B, K]."""
    if output == "softmax":
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
        p = np.exp(z - lse[:, None])
        t = np.eye(z.shape[1])[y]
        return lse - z[np.arange(len(y)), y], p - t
    t = y[:, None].astype(np.float64) if z.shape[1] == 1 else np.eye(z.shape[1])[y]
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # log(1+e^z)
    return (softplus - t * z).sum(axis=1), 1.0 / (1.0 + np.exp(-z)) - t


def forward(params, X, act):
    """Returns pre-activations and activations per layer; last a is the logits z."""
    hs, As = [X], []
    for i, (W, b) in enumerate(params):
        a = hs[-1] @ W.T + b
        As.append(a)
        hs.append(a if i == len(params) - 1 else ACT[act](a))
    return As, hs


def objective_and_grad(params, X, y, act, output, loss):
    """Batch objective (mean or sum of per-sample losses) and its gradient per (W, b)."""
    As, hs = forward(params, X, act)
    ls, dz = per_sample_loss_and_dz(As[-1], y, output)
    scale = 1.0 / len(y) if loss == "mean" else 1.0
    delta, grads = dz * scale, []
    for i in range(len(params) - 1, -1, -1):
        grads.append((delta.T @ hs[i], delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ params[i][0]) * DACT[act](As[i - 1], hs[i])
    return ls.sum() * scale, grads[::-1]


def mean_loss(params, X, y, act, output):
    return per_sample_loss_and_dz(forward(params, X, act)[0][-1], y, output)[0].mean()


def fd_check(params, X, y, act, output, loss, eps=1e-6):
    """Relative error max_i |analytic_i - FD_i| / max_i |analytic_i| over all parameters (a per-element
    ratio is dominated by FD roundoff, ~1e-10 absolute, on components that are themselves ~1e-5)."""
    _, grads = objective_and_grad(params, X, y, act, output, loss)
    worst, gmax = 0.0, max(np.abs(g).max() for layer in grads for g in layer)
    for li in range(len(params)):
        for pi in range(2):
            p = params[li][pi]
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                fp = objective_and_grad(params, X, y, act, output, loss)[0]
                p[idx] = old - eps
                fm = objective_and_grad(params, X, y, act, output, loss)[0]
                p[idx] = old
                num, ana = (fp - fm) / (2 * eps), grads[li][pi][idx]
                worst = max(worst, abs(num - ana))
    return worst / gmax


def train(params, X, y, act, output, loss, opt, lr0, mu, bs, epochs, sched=SCHEDULE_DEFAULTS):
    N = len(y)
    bs = N if bs == 0 else bs
    state = [[np.zeros_like(p) for p in layer] for layer in params]   # momentum v / adam m
    state2 = [[np.zeros_like(p) for p in layer] for layer in params]  # adam v
    t = 0
    for e in range(epochs):
        lr = schedule_lr(lr0, e, epochs, sched)
        for s in range(0, N, bs):
            _, grads = objective_and_grad(params, X[s:s + bs], y[s:s + bs], act, output, loss)
            t += 1
            for li in range(len(params)):
                for pi in range(2):
                    p, g = params[li][pi], grads[li][pi] + sched["weight_decay"] * params[li][pi]
                    if opt == "sgd":
                        p -= lr * g
                    elif opt == "momentum":
                        state[li][pi] = mu * state[li][pi] + g
                        p -= lr * state[li][pi]
                    else:  # adam
                        b1, b2 = 0.9, 0.999
                        state[li][pi] = b1 * state[li][pi] + (1 - b1) * g
                        state2[li][pi] = b2 * state2[li][pi] + (1 - b2) * g * g
                        mhat = state[li][pi] / (1 - b1 ** t)
                        vhat = state2[li][pi] / (1 - b2 ** t)
                        p -= lr * mhat / (np.sqrt(vhat) + 1e-8)
    return t


def write_params(path, params, attrs=None):
    with h5py.File(path, "w") as f:
        for i, (W, b) in enumerate(params):
            f.create_dataset(f"weight{i}", data=W.astype(np.float32), track_times=False)
            f.create_dataset(f"bias{i}", data=b.astype(np.float32), track_times=False)
        for k, v in (attrs or {}).items():
            f.attrs[k] = v


def run_case(name, seed, N, F, K, hidden, act, output, loss, opt, lr, mu, bs, epochs, extra=None):
    sched = dict(SCHEDULE_DEFAULTS, **(extra or {}))
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (N, F)).astype(np.float32)
    y = rng.integers(0, K, N).astype(np.int32)
    if not (y == K - 1).any():
        y[-1] = K - 1
    kout = 1 if (output == "sigmoid" and K == 2) else K
    sizes = [F] + hidden + [kout]
    init = [(rng.normal(0.0, 0.5, (o, i)).astype(np.float32), rng.normal(0.0, 0.1, o).astype(np.float32))
            for i, o in zip(sizes[:-1], sizes[1:])]

    base = f"{FIX}/ref_{name}"
    with h5py.File(base + "_data.h5", "w") as f:
        f.create_dataset("X", data=X, track_times=False)
        f.create_dataset("y", data=y, track_times=False)
    write_params(base + "_init.h5", init)

    Xd = X.astype(np.float64)
    params = [[W.astype(np.float64), b.astype(np.float64)] for W, b in init]
    b0 = N if bs == 0 else bs
    fd = fd_check(params, Xd[:b0], y[:b0], act, output, loss)
    assert fd < 1e-6, f"{name}: FD check failed, max rel err {fd:.3e}"
    loss0 = mean_loss(params, Xd, y, act, output)
    steps = train(params, Xd, y, act, output, loss, opt, lr, mu, bs, epochs, sched)
    stored = [[p.astype(np.float32).astype(np.float64) for p in layer] for layer in params]
    loss1 = mean_loss(stored, Xd, y, act, output)  # evaluated on the float32 weights as written
    write_params(base + "_expected.h5", params, {"final_train_loss": np.float64(loss1), "steps": int(steps)})

    with open(base + ".ini", "w") as f:
        f.write(f"[experiment]\nname = ref_{name}\nseeds = 1\n\n"
                f"[data]\nfile = {base}_data.h5\ntest_file = {base}_data.h5\nvalidation_fraction = 0\n\n"
                f"[model]\nhidden = {'-'.join(map(str, hidden))}\nactivation = {act}\noutput = {output}\n"
                f"init_file = {base}_init.h5\n\n"
                f"[train]\noptimizer = {opt}\nlearning_rate = {lr:g}\nmomentum = {mu:g}\nbatch_size = {bs}\n"
                f"epochs = {epochs}\nshuffle = false\nloss = {loss}\n")
        for k, v in (extra or {}).items():
            f.write(f"{k} = {v:g}\n" if isinstance(v, float) else f"{k} = {v}\n")
    print(f"{name:24s} fd_max_rel_err={fd:.2e} steps={steps:2d} "
          f"initial_loss={loss0:.6f} final_loss={loss1:.6f}")
    assert loss1 < loss0, f"{name}: training loss did not decrease"


if __name__ == "__main__":
    os.makedirs(FIX, exist_ok=True)
    for case in CASES:
        run_case(*case)
