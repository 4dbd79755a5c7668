"""The implementations compared: jaxlin's two paths and the peers, each timing its own epochs.

Each function returns {"epoch_s": [seconds of each epoch], "test_accuracy": float, ...}. The peers
read the IDX files with plain numpy, as their users would, and never import jaxlin or JAX.
"""
from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np

BOOK = {"batch_size": 256, "lr": 0.1}
LINREG = {"w": (2.0, -3.4), "b": 4.2, "n": 1000, "batch_size": 10, "lr": 0.03}


def read_split(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """u8[n, 28, 28] images and i64[n] labels, read the plain way (no checks: a peer's loader)."""
    images = np.frombuffer(gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    return images.reshape(-1, 28, 28), labels.astype(np.int64)


def _timed_epochs(epochs: int, run_epoch) -> list[float]:
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        run_epoch(epoch)
        times.append(time.perf_counter() - start)
    return times


def _numpy_sgd(X, y, params: list[np.ndarray], grads, batch_size: int, lr: float, epochs: int, rng) -> list[float]:
    """Minibatch SGD in NumPy, updating `params` in place; grads(x, y) gives the batch-mean gradients."""
    def run_epoch(epoch):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            idx = order[i : i + batch_size]
            for param, grad in zip(params, grads(X[idx], y[idx])):
                param -= lr * grad

    return _timed_epochs(epochs, run_epoch)


# Softmax regression on Fashion-MNIST -------------------------------------------------------------

def _jaxlin_epochs(epoch, start, data, eval_data, epochs: int) -> dict:
    """Compile jaxlin's epoch on its own clock, then time `epochs` calls of the compiled program.

    Returns {"epoch_s", "compile_s", "params", "metrics"} (the last epoch's parameters and metrics).
    """
    import jax

    from jaxlin import epoch_key

    state = {"params": start.params, "opt": start.opt_state, "metrics": None}
    jax.block_until_ready(state)
    clock = time.perf_counter()
    compiled = jax.jit(epoch).lower(state["params"], state["opt"], start.shuffle_key, data, eval_data).compile()
    compile_s = time.perf_counter() - clock

    def run_epoch(e):
        state["params"], state["opt"], state["metrics"] = jax.block_until_ready(
            compiled(state["params"], state["opt"], epoch_key(start.shuffle_key, e), data, eval_data))

    times = _timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, "compile_s": compile_s, "params": state["params"], "metrics": state["metrics"]}


def jaxlin_softmax(source: Path, epochs: int, impl: str, tfds_dir: Path | None = None) -> dict:
    import jax

    from jaxlin import load_fashion_mnist, make_epoch, to_device
    from jaxlin import softmax_regression as sr
    from jaxlin.optim import default_optimizer

    clock = time.perf_counter()
    train = to_device(*load_fashion_mnist("train", source_dir=source, data_dir=tfds_dir))
    test = to_device(*load_fashion_mnist("test", source_dir=source, data_dir=tfds_dir))
    jax.block_until_ready((train, test))
    load_s = time.perf_counter() - clock
    start = sr.setup(jax.random.key(0), default_optimizer(impl), BOOK["lr"])
    epoch = make_epoch(sr.LOSSES[impl], start.optimizer, batch_size=BOOK["batch_size"], has_aux=True,
                       eval_fn=sr.evaluate_split)
    run = _jaxlin_epochs(epoch, start, train, test, epochs)
    return {"epoch_s": run["epoch_s"], "compile_s": run["compile_s"], "load_s": load_s,
            "test_accuracy": float(run["metrics"]["test_accuracy"])}


def numpy_softmax(source: Path, epochs: int) -> dict:
    """The same minibatch SGD, written with NumPy: forward, softmax, analytic gradient, update."""
    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    X = train_x.reshape(len(train_x), -1).astype(np.float32) / 255
    X_test = test_x.reshape(len(test_x), -1).astype(np.float32) / 255
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

    times = _numpy_sgd(X, train_y, [W, b], grads, BOOK["batch_size"], BOOK["lr"], epochs, rng)
    return {"epoch_s": times, "test_accuracy": float(((X_test @ W + b).argmax(1) == test_y).mean())}


def torch_softmax(source: Path, epochs: int) -> dict:
    """D2L's PyTorch code (3.7): DataLoader with 4 workers, Flatten + Linear, CrossEntropyLoss, SGD."""
    import torch
    from torch import nn
    from torch.utils import data

    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    to_tensor = lambda x: torch.from_numpy(x.astype(np.float32) / 255).unsqueeze(1)  # ToTensor()
    train_iter = data.DataLoader(data.TensorDataset(to_tensor(train_x), torch.from_numpy(train_y)),
                                 BOOK["batch_size"], shuffle=True, num_workers=4)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    nn.init.zeros_(net[1].bias)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=BOOK["lr"])

    def run_epoch(epoch):
        net.train()
        for X, y in train_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()

    times = _timed_epochs(epochs, run_epoch)
    with torch.no_grad():
        accuracy = (net(to_tensor(test_x)).argmax(1).numpy() == test_y).mean()
    return {"epoch_s": times, "test_accuracy": float(accuracy)}


def sklearn_softmax(source: Path, epochs: int, model: str) -> dict:
    """scikit-learn: multinomial LogisticRegression (lbfgs, to convergence) or SGDClassifier."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    import warnings

    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    X = train_x.reshape(len(train_x), -1).astype(np.float32) / 255
    X_test = test_x.reshape(len(test_x), -1).astype(np.float32) / 255
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
    return {"epoch_s": per_epoch, "test_accuracy": float(clf.score(X_test, test_y)),
            "note": "one fit to convergence (≤100 lbfgs iterations), not epochs" if model == "logreg"
            else "one-vs-rest; fit time / epochs"}


# Linear regression on synthetic data (D2L 3.2-3.3) -----------------------------------------------

def _synthetic_numpy(seed: int = 0):
    rng = np.random.default_rng(seed)
    w = np.asarray(LINREG["w"], np.float32)
    X = rng.normal(size=(LINREG["n"], len(w))).astype(np.float32)
    y = (X @ w + LINREG["b"] + rng.normal(0, 0.01, LINREG["n"])).astype(np.float32)
    return X, y


def jaxlin_linreg(epochs: int) -> dict:
    import jax

    from jaxlin import make_epoch
    from jaxlin import linear_regression as lr

    start = lr.setup(jax.random.key(0), "scratch-sgd", LINREG["lr"], LINREG["n"], LINREG["w"], LINREG["b"])
    epoch = make_epoch(lr.scratch_loss, start.optimizer, batch_size=LINREG["batch_size"])
    run = _jaxlin_epochs(epoch, start, start.data, None, epochs)
    return {"epoch_s": run["epoch_s"], "compile_s": run["compile_s"],
            **lr.estimation_errors(run["params"], LINREG["w"], LINREG["b"])}


def _linreg_errors(w, b) -> dict:
    return {"w_error": float(np.abs(np.asarray(w) - LINREG["w"]).max()), "b_error": float(abs(float(b) - LINREG["b"]))}


def numpy_linreg(epochs: int) -> dict:
    X, y = _synthetic_numpy()
    rng = np.random.default_rng(1)
    w, b = rng.normal(0, 0.01, 2).astype(np.float32), np.zeros(1, np.float32)

    def grads(x, y):
        r = x @ w + b - y
        return x.T @ r / len(y), r.mean(keepdims=True)

    times = _numpy_sgd(X, y, [w, b], grads, LINREG["batch_size"], LINREG["lr"], epochs, rng)
    return {"epoch_s": times, **_linreg_errors(w, b[0])}


def torch_linreg(epochs: int) -> dict:
    """D2L 3.3: TensorDataset + DataLoader (no workers), nn.Linear, MSELoss, SGD."""
    import torch
    from torch import nn
    from torch.utils import data

    X, y = _synthetic_numpy()
    train_iter = data.DataLoader(data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y).reshape(-1, 1)),
                                 LINREG["batch_size"], shuffle=True)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss, trainer = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=LINREG["lr"])

    def run_epoch(epoch):
        for Xb, yb in train_iter:
            l = loss(net(Xb), yb)
            trainer.zero_grad()
            l.backward()
            trainer.step()

    times = _timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, **_linreg_errors(net[0].weight.data[0].numpy(), net[0].bias.data[0])}


IMPLEMENTATIONS = {
    "softmax": {
        "jaxlin-concise": lambda a: jaxlin_softmax(a.data_dir, a.epochs, "concise", a.tfds_dir),
        "jaxlin-scratch": lambda a: jaxlin_softmax(a.data_dir, a.epochs, "scratch", a.tfds_dir),
        "numpy": lambda a: numpy_softmax(a.data_dir, a.epochs),
        "pytorch-d2l": lambda a: torch_softmax(a.data_dir, a.epochs),
        "sklearn-logreg": lambda a: sklearn_softmax(a.data_dir, a.epochs, "logreg"),
        "sklearn-sgd": lambda a: sklearn_softmax(a.data_dir, a.epochs, "sgd"),
    },
    "linreg": {
        "jaxlin": lambda a: jaxlin_linreg(a.epochs),
        "numpy": lambda a: numpy_linreg(a.epochs),
        "pytorch-d2l": lambda a: torch_linreg(a.epochs),
    },
}
REQUIRES = {"pytorch-d2l": "torch", "sklearn-logreg": "sklearn", "sklearn-sgd": "sklearn"}
