"""The book's MLP (D2L 4.2: 784 → 256 ReLU units → 10, weights N(0, 0.01²), zero biases) written
with NumPy: forward and backward by hand, minibatch SGD updating the arrays in place
(`bench.common.numpy_sgd`, as the other NumPy peers). Plain numpy, never JAX; the book's settings
come from the parent process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.common import flat_images, numpy_sgd


def numpy_mlp(source: Path, epochs: int, book: dict) -> dict:
    X, train_y, X_test, test_y = flat_images(source)
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(0, 0.01, (784, 256)).astype(np.float32), np.zeros(256, np.float32)
    W2, b2 = rng.normal(0, 0.01, (256, 10)).astype(np.float32), np.zeros(10, np.float32)

    def grads(x, y):
        h = np.maximum(x @ W1 + b1, 0)
        o = h @ W2 + b2
        p = np.exp(o - o.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        p /= len(y)  # d(mean loss)/do = (softmax − onehot) / batch
        dh = p @ W2.T
        dh *= h > 0  # ReLU's derivative
        return x.T @ dh, dh.sum(axis=0), h.T @ p, p.sum(axis=0)

    times = numpy_sgd(X, train_y, [W1, b1, W2, b2], grads, book, epochs, rng)
    test_logits = np.maximum(X_test @ W1 + b1, 0) @ W2 + b2
    return {"epoch_s": times, "test_accuracy": float((test_logits.argmax(1) == test_y).mean())}
