"""The peers compared with jaxlin, each timing its own epochs: NumPy (the MLP's is in numpy_mlp.py),
PyTorch (D2L's code; the one written for speed is in torch_expert.py) and scikit-learn, and the
solve section's scikit-learn solver. jaxlin's own entries are in jaxlin_peer.py; registry.py names
them all.

Each function returns {"epoch_s": [seconds of each epoch], "test_accuracy": float, ...}; the
solvers of the "solve" section return {"seconds", "iterations", ...} instead. The peers
read the IDX files with plain numpy, as their users would, and never import jaxlin or JAX: they get
the book's settings (`book`, a dict of `Book` fields plus, for linreg, the true w and b and the
number of examples) from the parent process, which reads them from jaxlin's models.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bench.common import flat_images, numpy_sgd, read_split, solution_figures, timed_epochs

# Softmax regression on Fashion-MNIST -------------------------------------------------------------


def numpy_softmax(source: Path, epochs: int, book: dict) -> dict:
    """The same minibatch SGD, written with NumPy: forward, softmax, analytic gradient, update."""
    X, train_y, X_test, test_y = flat_images(source)
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

    times = numpy_sgd(X, train_y, [W, b], grads, book, epochs, rng)
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
            batch_loss = loss(net(X), y)
            trainer.zero_grad()
            batch_loss.mean().backward()
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

    X, train_y, X_test, test_y = flat_images(source)
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


def sklearn_solve(source: Path, settings: dict) -> dict:
    """LogisticRegression(lbfgs) on the first `num_examples` training images with C = 1 / (n · λ):
    the same objective as jaxlin's. Its tol is scipy's on the largest gradient component."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    X, y, X_test, y_test = flat_images(source)
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

    times = numpy_sgd(X, y, [w, b], grads, book, epochs, rng)
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
            batch_loss = loss(net(Xb), yb)
            trainer.zero_grad()
            batch_loss.backward()
            trainer.step()

    times = timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, **_linreg_errors(net[0].weight.data[0].numpy(), net[0].bias.data[0], book)}
