#!/usr/bin/env python3
"""Writes tests/fixtures/noise_scale.txt: the gradient noise scale of a tiny 3-4-3 sigmoid/softmax net on 12 rows
cut into batches of 3, computed independently of the runner: per-sample gradients by explicit backpropagation in
float64, each batch's mean gradient, the mean of their squared norms (|G_small|^2), the squared norm of their mean
(|G_big|^2), and McCandlish et al.'s two-batch estimators. test_study.c reads it and compares noise_measure.

Format: one "name = numbers..." per line; params in the runner's layout (weight (OUT, IN) row-major, then bias,
layer by layer), x row-major (rows, 3)."""
import numpy as np

rng = np.random.default_rng(14)
NIN, NH, NOUT, ROWS, B = 3, 4, 3, 12, 3
f32 = lambda a: a.astype(np.float32).astype(np.float64)  # values the C side holds exactly
W1, b1 = f32(rng.normal(0, 1, (NH, NIN))), f32(rng.normal(0, 0.5, NH))
W2, b2 = f32(rng.normal(0, 1, (NOUT, NH))), f32(rng.normal(0, 0.5, NOUT))
X = f32(rng.uniform(-1, 1, (ROWS, NIN)))
y = rng.integers(0, NOUT, ROWS)


def sample_grad(x, label):
    """The gradient of one sample's cross-entropy, flattened in the runner's parameter layout."""
    a1 = W1 @ x + b1
    h = 1 / (1 + np.exp(-a1))
    z = W2 @ h + b2
    p = np.exp(z - z.max())
    p /= p.sum()
    dz = p.copy()
    dz[label] -= 1
    dh = W2.T @ dz
    da1 = dh * h * (1 - h)
    return np.concatenate([np.outer(da1, x).ravel(), da1, np.outer(dz, h).ravel(), dz])


g = np.array([sample_grad(X[i], y[i]) for i in range(ROWS)])
nb = ROWS // B
small = [g[k * B:(k + 1) * B].mean(axis=0) for k in range(nb)]
small_sq = np.mean([s @ s for s in small])
G = g[:nb * B].mean(axis=0)
big_sq = G @ G
bb = nb * B
g2 = (bb * big_sq - B * small_sq) / (bb - B)
trace = (small_sq - big_sq) / (1 / B - 1 / bb)

fmt = lambda v: " ".join("%.17g" % t for t in np.ravel(v))
with open("tests/fixtures/noise_scale.txt", "w") as f:
    f.write("# written by tests/reference/noise_scale.py\n")
    f.write("params = %s\n" % fmt(np.concatenate([W1.ravel(), b1, W2.ravel(), b2])))
    f.write("x = %s\n" % fmt(X))
    f.write("y = %s\n" % fmt(y))
    f.write("batch = %d\n" % B)
    f.write("small_sq = %s\nbig_sq = %s\ng2 = %s\ntrace = %s\nb_simple = %s\n"
            % (fmt(small_sq), fmt(big_sq), fmt(g2), fmt(trace), fmt(trace / g2)))
