"""The implementations compared, each timing its own epochs: the peers here, jaxlin's in jaxlin_peer.py.

Each function returns {"epoch_s": [seconds of each epoch], "test_accuracy": float, ...}; the
solvers of the "solve" section (SOLVERS) return {"seconds", "iterations", ...} instead. The peers
read the IDX files with plain numpy, as their users would, and never import jaxlin or JAX: they get
the book's settings (`book`, a dict of `Book` fields plus, for linreg, the true w and b and the
number of examples) from the parent process, which reads them from jaxlin's models.
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


def timed_epochs(epochs: int, run_epoch) -> list[float]:
    """Seconds of each of `epochs` calls of run_epoch()."""
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return times


def _numpy_sgd(X, y, params: list[np.ndarray], grads, book: dict, epochs: int, rng) -> list[float]:
    """Minibatch SGD in NumPy, updating `params` in place; grads(x, y) gives the batch-mean gradients."""
    batch_size, lr = book["batch_size"], book["learning_rate"]

    def run_epoch():
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            idx = order[i : i + batch_size]
            for param, grad in zip(params, grads(X[idx], y[idx])):
                param -= lr * grad

    return timed_epochs(epochs, run_epoch)


def _jaxlin(task: str, impl: str):
    """The worker entry for jaxlin's `impl` path of the registered model `task`."""

    def run(a):
        from bench.jaxlin_peer import jaxlin_peer  # imports JAX: only jaxlin's own workers pay for it

        return jaxlin_peer(task, impl, a.data_dir, a.tfds_dir, a.epochs)

    return run


# Softmax regression on Fashion-MNIST -------------------------------------------------------------


def flat(images: np.ndarray) -> np.ndarray:
    """u8[n, 28, 28] -> f32[n, 784] in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def _flat_images(source: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and test images as f32[n, 784] in [0, 1], with their labels."""
    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    return flat(train_x), train_y, flat(test_x), test_y


def numpy_softmax(source: Path, epochs: int, book: dict) -> dict:
    """The same minibatch SGD, written with NumPy: forward, softmax, analytic gradient, update."""
    X, train_y, X_test, test_y = _flat_images(source)
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.01, (784, 10)).astype(np.float32)
    b = np.zeros(10, np.float32)

    def grads(x, y):
        o = x @ W + b
        p = np.exp(o - o.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1  # d(mean loss)/do = (softmax − onehot) / batch
        p /= len(y)
        return x.T @ p, p.sum(axis=0)

    times = _numpy_sgd(X, train_y, [W, b], grads, book, epochs, rng)
    return {"epoch_s": times, "test_accuracy": float(((X_test @ W + b).argmax(1) == test_y).mean())}


def torch_softmax(source: Path, epochs: int, book: dict) -> dict:
    """D2L's PyTorch code (3.7): DataLoader with 4 workers, Flatten + Linear, CrossEntropyLoss, SGD."""
    import torch
    from torch import nn
    from torch.utils import data

    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    to_tensor = lambda x: torch.from_numpy(x.astype(np.float32) / 255).unsqueeze(1)  # ToTensor()
    train_iter = data.DataLoader(
        data.TensorDataset(to_tensor(train_x), torch.from_numpy(train_y)),
        book["batch_size"],
        shuffle=True,
        num_workers=4,
    )
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    nn.init.zeros_(net[1].bias)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=book["learning_rate"])

    def run_epoch():
        net.train()
        for X, y in train_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()

    times = timed_epochs(epochs, run_epoch)
    with torch.no_grad():
        accuracy = (net(to_tensor(test_x)).argmax(1).numpy() == test_y).mean()
    return {"epoch_s": times, "test_accuracy": float(accuracy)}


def sklearn_softmax(source: Path, epochs: int, model: str) -> dict:
    """scikit-learn: multinomial LogisticRegression (lbfgs, to convergence) or SGDClassifier."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    X, train_y, X_test, test_y = _flat_images(source)
    if model == "logreg":
        clf = LogisticRegression(max_iter=100)
    else:
        clf = SGDClassifier(loss="log_loss", max_iter=epochs, tol=None, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, train_y)
    total = time.perf_counter() - start
    per_epoch = [total / epochs] * epochs if model == "sgd" else [total]
    return {
        "epoch_s": per_epoch,
        "test_accuracy": float(clf.score(X_test, test_y)),
        "note": "one fit to convergence (≤100 lbfgs iterations), not epochs"
        if model == "logreg"
        else "one-vs-rest; fit time / epochs",
    }


# L2-regularised softmax regression solved to convergence (the "solve" section) ------------------


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


def sklearn_solve(source: Path, settings: dict) -> dict:
    """LogisticRegression(lbfgs) on the first `num_examples` training images with C = 1 / (n · λ):
    the same objective as jaxlin's. Its tol is scipy's on the largest gradient component."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    X, y, X_test, y_test = _flat_images(source)
    X, y = X[: settings["num_examples"]], y[: settings["num_examples"]]
    clf = LogisticRegression(C=settings["C"], tol=settings["tol"], max_iter=settings["max_iter"])
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "iterations": int(clf.n_iter_[0]),
        "stop": "max|g| <= tol",
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        **solution_figures(clf.coef_.T, clf.intercept_, X, y, X_test, y_test, settings["weight_decay"]),
    }


def _jaxlin_solve(norm: str):
    def run(a):
        from bench.jaxlin_peer import jaxlin_solve  # imports JAX: only jaxlin's own worker pays for it

        return jaxlin_solve(a.data_dir, a.tfds_dir, a.book, norm)

    return run


# Linear regression on synthetic data (D2L 3.2-3.3) -----------------------------------------------


def _synthetic_numpy(book: dict, seed: int = 0):
    rng = np.random.default_rng(seed)
    w, n = np.asarray(book["w"], np.float32), book["num_examples"]
    X = rng.normal(size=(n, len(w))).astype(np.float32)
    y = (X @ w + book["b"] + rng.normal(0, 0.01, n)).astype(np.float32)
    return X, y


def _linreg_errors(w, b, book: dict) -> dict:
    return {"w_error": float(np.abs(np.asarray(w) - book["w"]).max()), "b_error": float(abs(float(b) - book["b"]))}


def numpy_linreg(epochs: int, book: dict) -> dict:
    X, y = _synthetic_numpy(book)
    rng = np.random.default_rng(1)
    w, b = rng.normal(0, 0.01, 2).astype(np.float32), np.zeros(1, np.float32)

    def grads(x, y):
        r = x @ w + b - y
        return x.T @ r / len(y), r.mean(keepdims=True)

    times = _numpy_sgd(X, y, [w, b], grads, book, epochs, rng)
    return {"epoch_s": times, **_linreg_errors(w, b[0], book)}


def torch_linreg(epochs: int, book: dict) -> dict:
    """D2L 3.3: TensorDataset + DataLoader (no workers), nn.Linear, MSELoss, SGD."""
    import torch
    from torch import nn
    from torch.utils import data

    X, y = _synthetic_numpy(book)
    train_iter = data.DataLoader(
        data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y).reshape(-1, 1)), book["batch_size"], shuffle=True
    )
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss, trainer = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=book["learning_rate"])

    def run_epoch():
        for Xb, yb in train_iter:
            l = loss(net(Xb), yb)
            trainer.zero_grad()
            l.backward()
            trainer.step()

    times = timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, **_linreg_errors(net[0].weight.data[0].numpy(), net[0].bias.data[0], book)}


def _torch_expert(a):
    from bench.torch_expert import torch_softmax_expert  # its own module: it imports this one

    return torch_softmax_expert(a.data_dir, a.epochs, a.book)


# task (a model's registry name) -> implementation name -> run(worker arguments) -> result
IMPLEMENTATIONS = {
    "softmax": {
        "jaxlin-concise": _jaxlin("softmax", "concise"),
        "jaxlin-scratch": _jaxlin("softmax", "scratch"),
        "numpy": lambda a: numpy_softmax(a.data_dir, a.epochs, a.book),
        "pytorch-d2l": lambda a: torch_softmax(a.data_dir, a.epochs, a.book),
        "pytorch-expert": lambda a: _torch_expert(a),
        "sklearn-logreg": lambda a: sklearn_softmax(a.data_dir, a.epochs, "logreg"),
        "sklearn-sgd": lambda a: sklearn_softmax(a.data_dir, a.epochs, "sgd"),
    },
    "linreg": {
        "jaxlin": _jaxlin("linreg", "scratch"),
        "numpy": lambda a: numpy_linreg(a.epochs, a.book),
        "pytorch-d2l": lambda a: torch_linreg(a.epochs, a.book),
    },
}
# The solvers of the "solve" section: name -> run(worker arguments; a.book holds its settings) -> result
# jaxlin twice: its own stopping rule (stricter) and sklearn's, so that like is timed against like.
SOLVERS = {
    "jaxlin-lbfgs": _jaxlin_solve("l2"),
    "jaxlin-lbfgs-max": _jaxlin_solve("max"),
    "sklearn-lbfgs": lambda a: sklearn_solve(a.data_dir, a.book),
}
TASKS = {**IMPLEMENTATIONS, "solve": SOLVERS}  # what bench.worker runs
REQUIRES = {
    "pytorch-d2l": "torch",
    "pytorch-expert": "torch",
    "sklearn-logreg": "sklearn",
    "sklearn-sgd": "sklearn",
    "sklearn-lbfgs": "sklearn",
}
