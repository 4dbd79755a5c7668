"""What the implementations share, and nothing else: reading the IDX files the plain way, flattening
the images, timing epochs, the NumPy peers' minibatch SGD, and judging a solution of the "solve"
section in float64.

Plain numpy only: the peers import this module and must never import jaxlin or JAX. It imports no
other bench module, so every implementation's module can import it and none imports another.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np


def read_split(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """u8[n, 28, 28] images and i64[n] labels, read the plain way (no checks: a peer's loader)."""
    images = np.frombuffer(gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    return images.reshape(-1, 28, 28), labels.astype(np.int64)


def flat(images: np.ndarray) -> np.ndarray:
    """u8[n, 28, 28] -> f32[n, 784] in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def flat_images(source: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and test images as f32[n, 784] in [0, 1], with their labels."""
    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    return flat(train_x), train_y, flat(test_x), test_y


def timed_epochs(epochs: int, run_epoch) -> list[float]:
    """Seconds of each of `epochs` calls of run_epoch()."""
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return times


def numpy_sgd(X, y, params: list[np.ndarray], grads, book: dict, epochs: int, rng) -> list[float]:
    """Minibatch SGD in NumPy, updating `params` in place; grads(x, y) gives the batch-mean gradients."""
    batch_size, lr = book["batch_size"], book["learning_rate"]

    def run_epoch():
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            idx = order[i : i + batch_size]
            for param, grad in zip(params, grads(X[idx], y[idx]), strict=True):
                param -= lr * grad

    return timed_epochs(epochs, run_epoch)


def solution_figures(w, b, X, y, X_test, y_test, weight_decay: float) -> dict:
    """One solution judged the same way whoever found it, in float64: the objective mean
    cross-entropy + λ · ½‖w‖² (bias unpenalised) on (X f32[n, 784], y), its gradient's L2 norm
    and largest component, and the test accuracy. w: [784, 10], b: [10]."""
    w, b, X = np.asarray(w, np.float64), np.asarray(b, np.float64), X.astype(np.float64)
    o = X @ w + b
    o -= o.max(axis=1, keepdims=True)
    lse = np.log(np.exp(o).sum(axis=1))
    p = np.exp(o - lse[:, None])
    p[np.arange(len(y)), y] -= 1
    p /= len(y)
    grad = np.concatenate([(X.T @ p + weight_decay * w).ravel(), p.sum(axis=0)])
    return {
        "objective": float((lse - o[np.arange(len(y)), y]).mean() + weight_decay / 2 * (w**2).sum()),
        "grad_norm": float(np.linalg.norm(grad)),
        "grad_max": float(np.abs(grad).max()),
        "test_accuracy": float(((X_test @ w + b).argmax(1) == y_test).mean()),
    }
