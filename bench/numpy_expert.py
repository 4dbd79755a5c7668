"""Softmax regression in NumPy written for speed (issue 24), beside the plain NumPy loop of
bench/peers.py: the training split kept as one uint8 array f32-converted a batch at a time (as
jaxlin's data step does), one permutation per epoch, fancy-index gathers, BLAS matmuls, the
1/255 folded into the logits' and the gradient's scalars, SGD updating the arrays in place, and
the test accuracy at the end of every epoch (as jaxlin's compiled epoch evaluates). Plain numpy,
never JAX; BLAS's number of threads is left at its default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.common import read_split, timed_epochs


def numpy_softmax_expert(source: Path, epochs: int, book: dict) -> dict:
    """{"epoch_s": [seconds of each epoch], "test_accuracy": after the last epoch}."""
    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    images = np.ascontiguousarray(train_x.reshape(len(train_x), -1))  # u8[n, 784]
    test_images = test_x.reshape(len(test_x), -1).astype(np.float32)  # f32[m, 784] in 0..255
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.01, (784, 10)).astype(np.float32)
    b = np.zeros(10, np.float32)
    batch_size, lr, n = book["batch_size"], book["learning_rate"], len(train_y)
    rows = np.arange(batch_size)
    accuracy: list[float] = []

    def run_epoch():
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            x = images[idx].astype(np.float32)  # f32[b, 784] in 0..255
            o = x @ W
            o *= np.float32(1 / 255)  # (x / 255) W without a pass over x
            o += b
            o -= o.max(axis=1, keepdims=True)
            np.exp(o, out=o)
            o /= o.sum(axis=1, keepdims=True)
            o[rows[: len(idx)], train_y[idx]] -= 1  # softmax − onehot: d(loss sum)/do
            o *= np.float32(lr / len(idx))
            b[...] -= o.sum(axis=0)  # in place (the closure keeps the arrays)
            W[...] -= (x.T @ o) * np.float32(1 / 255)
        logits = test_images @ W * np.float32(1 / 255) + b
        accuracy.append(float((logits.argmax(1) == test_y).mean()))

    times = timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, "test_accuracy": accuracy[-1]}
