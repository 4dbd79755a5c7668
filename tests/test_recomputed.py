"""Every figure a run writes to metrics.json, recomputed independently (NumPy and SciPy, float64)
from the saved parameters (params.npz) and the IDX files themselves, not only checked for presence.

One run of the command on a small, noisy image problem (the model gets about a third right, so
no figure sits at a bound): softmax regression, full-batch SGD (one step an epoch, so the whole
run can be replayed in NumPy), a validation split (so the temperature and ECE after it appear).
"""

import gzip
import json
import math
import re
import struct
from pathlib import Path

import jax
import numpy as np
import pytest
from conftest import cli_args
from scipy import optimize, special, stats

import jaxlin
from jaxlin.data import write_idx
from jaxlin.data.holdout import validation_indices
from jaxlin.models import get_model
from jaxlin.train import main

EPOCHS, LR, SEED, DATA_SEED, VALIDATION = 3, 1.0, 0, 0, 0.2
N_TRAIN, N_TEST, BINS = 150, 60, 15


def write_noisy_images(folder: Path, seed: int = 3) -> Path:
    """Four gzip IDX files: class c brightens row block c, for 3 images in 4 (another block else)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        labels = (np.arange(n) * 7 + seed) % 10
        images = rng.integers(0, 120, (n, 28, 28))
        for i, c in enumerate(labels):
            shown = c if rng.random() < 0.75 else rng.integers(10)
            images[i, 2 * shown + 4 : 2 * shown + 6, 4:24] += 80
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.clip(images, 0, 255).astype(np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    return folder


def read_idx(path: Path) -> np.ndarray:
    """An IDX file read with the standard library alone (not jaxlin's reader)."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def split(source: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(f64[n, 784] pixels in [0, 1], int[n] labels) of one split's files."""
    images = read_idx(source / f"{prefix}-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    return images, read_idx(source / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """The IDX files in their folder (prepared once, in the module's tfds folder), and the splits
    a run with the validation split VALIDATION of data seed DATA_SEED trains and is scored on."""
    tmp = tmp_path_factory.mktemp("recomputed")
    source = write_noisy_images(tmp / "data")
    x, y = split(source, "train")
    # Which examples are held out is the library's choice (drawn from the data seed); that they
    # are these is checked below through the validation figures, recomputed on them.
    train_idx, valid_idx = validation_indices(jax.random.fold_in(jax.random.key(DATA_SEED), 1), y, len(y), VALIDATION)
    data = {"train": (x[train_idx], y[train_idx]), "valid": (x[valid_idx], y[valid_idx]), "test": split(source, "t10k")}
    return tmp, source, data


def command(noisy, name: str, *options: str) -> tuple[dict, dict]:
    """Run the command on the noisy data (a validation split held out) with `options` (--lr and
    --batch-size among them, unless it solves): its metrics.json and its params.npz (float64)."""
    tmp, source, _ = noisy
    out = tmp / name
    argv = cli_args(
        source, tmp, out, "--validation", str(VALIDATION), "--seed", str(SEED), "--data-seed", str(DATA_SEED)
    )
    for option in ("--lr", "--batch-size"):  # each run gives its own (an L-BFGS solve takes neither)
        del argv[argv.index(option) : argv.index(option) + 2]
    assert main([*argv, *options]) == 0
    params = {k: np.asarray(v, np.float64) for k, v in jaxlin.load_params(out / "params.npz").items()}
    return json.loads((out / "metrics.json").read_text()), params


@pytest.fixture(scope="module")
def run(noisy):
    """The command run once with full-batch SGD: its metrics.json, its params.npz, the data."""
    metrics, params = command(noisy, "sgd", "--epochs", str(EPOCHS), "--batch-size", "4096", "--lr", str(LR))
    return metrics, params, noisy[2]


def logits(params, x):
    return x @ params["w"] + params["b"]


def cross_entropy(z, y):
    return float(np.mean(special.logsumexp(z, axis=1) - z[np.arange(len(y)), y]))


def accuracy(z, y):
    return float(np.mean(z.argmax(1) == y))


def ece(z, y, bins=BINS):
    """Σ_b n_b/n |accuracy_b − confidence_b|, bin b holding confidences in (b/B, (b+1)/B]."""
    p = special.softmax(z, axis=1)
    conf, right = p.max(1), p.argmax(1) == y
    total = 0.0
    for b in range(bins):
        inside = (conf > b / bins) & (conf <= (b + 1) / bins)
        if inside.any():
            total += inside.sum() * abs(right[inside].mean() - conf[inside].mean())
    return total / len(y)


def temperature(z, y):
    """argmin over T in [0.05, 20] of the cross-entropy of z / T, by SciPy's bounded scalar search."""
    found = optimize.minimize_scalar(
        lambda log_t: cross_entropy(z / math.exp(log_t), y),
        bounds=(math.log(0.05), math.log(20)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return math.exp(found.x)


def test_the_test_figures(run):
    metrics, params, data = run
    final, (x, y) = metrics["final"], data["test"]
    z = logits(params, x)
    assert final["test_accuracy"] == pytest.approx(accuracy(z, y), abs=1e-6)
    assert final["test_loss"] == pytest.approx(cross_entropy(z, y), abs=1e-5)
    assert final["ece"] == pytest.approx(ece(z, y), abs=1e-5)
    kept = np.argsort(-special.softmax(z, axis=1).max(1), kind="stable")[: math.ceil(0.9 * len(y))]
    assert final["accuracy_at_90_coverage"] == pytest.approx(accuracy(z[kept], y[kept]), abs=1e-6)
    assert 0.1 < final["test_accuracy"] < 0.9  # the error bars below are then not at a bound


def test_the_error_bars_are_the_test_splits(run):
    metrics, _, data = run
    final, n = metrics["final"], len(data["test"][1])
    p, z = final["test_accuracy"], stats.norm.ppf(0.975)
    assert final["test_accuracy_ci95"] == pytest.approx(z * math.sqrt(p * (1 - p) / n), abs=1e-6)
    assert final["test_accuracy_hoeffding95"] == pytest.approx(math.sqrt(math.log(2 / 0.05) / (2 * n)), abs=1e-9)
    assert final["test_accuracy_ci95"] == pytest.approx(jaxlin.normal_interval(p, n), abs=1e-9)
    assert final["test_accuracy_hoeffding95"] == pytest.approx(jaxlin.hoeffding_interval(n), abs=1e-9)


def test_the_validation_figures_and_the_temperature_fitted_on_them(run):
    metrics, params, data = run
    final, (xv, yv), (xt, yt) = metrics["final"], data["valid"], data["test"]
    zv, zt = logits(params, xv), logits(params, xt)
    assert final["valid_accuracy"] == pytest.approx(accuracy(zv, yv), abs=1e-6)
    assert final["valid_loss"] == pytest.approx(cross_entropy(zv, yv), abs=1e-5)
    t = temperature(zv, yv)
    assert 0.1 < t < 10 and abs(t - temperature(zt, yt)) > 0.1  # the test split would give another
    assert final["temperature"] == pytest.approx(t, rel=1e-4)  # float32 L-BFGS against float64 Brent
    assert final["ece_after_temperature"] == pytest.approx(ece(zt / final["temperature"], yt), abs=1e-5)


def test_every_epoch_replayed_in_numpy(run):
    """Full-batch SGD is one step an epoch: replay it from the first parameters, in float64. The
    training figures are those of the parameters before each step, the held-out ones after it."""
    metrics, params, data = run
    init_key, _ = jax.random.split(jax.random.key(SEED))
    w = {k: np.asarray(v, np.float64) for k, v in get_model("softmax").init(init_key).items()}
    x, y = data["train"]
    expected: dict[str, list[float]] = {}
    for _ in range(EPOCHS):
        z = logits(w, x)
        for name, value in (("loss", cross_entropy(z, y)), ("accuracy", accuracy(z, y))):
            expected.setdefault(name, []).append(value)
        residual = (special.softmax(z, axis=1) - np.eye(10)[y]) / len(y)
        w = {"w": w["w"] - LR * x.T @ residual, "b": w["b"] - LR * residual.sum(0)}
        for split_name in ("valid", "test"):
            zs, ys = logits(w, data[split_name][0]), data[split_name][1]
            expected.setdefault(f"{split_name}_loss", []).append(cross_entropy(zs, ys))
            expected.setdefault(f"{split_name}_accuracy", []).append(accuracy(zs, ys))
    history, final = metrics["history"], metrics["final"]
    assert set(history) == set(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(history[name], values, rtol=1e-4, atol=1e-5, err_msg=name)
        assert final[name] == history[name][-1]
    for name in ("w", "b"):
        np.testing.assert_allclose(params[name], w[name], rtol=1e-4, atol=1e-5)


def test_an_lbfgs_solves_objective_and_gradient_norm(noisy):
    """--optimizer lbfgs reports the regularised objective, mean cross-entropy + λ/2 ‖w‖² on the
    training split (the validation examples held out), and its gradient's L2 norm at the solution."""
    lam = 1e-2
    metrics, params = command(noisy, "lbfgs", "--optimizer", "lbfgs", "--weight-decay", str(lam), "--max-iter", "20")
    final, (x, y) = metrics["final"], noisy[2]["train"]
    z = logits(params, x)
    assert final["objective"] == pytest.approx(cross_entropy(z, y) + lam / 2 * np.sum(params["w"] ** 2), rel=1e-5)
    residual = (special.softmax(z, axis=1) - np.eye(10)[y]) / len(y)
    grad = np.concatenate([(x.T @ residual + lam * params["w"]).ravel(), residual.sum(0)])
    assert final["grad_norm"] == pytest.approx(np.linalg.norm(grad), rel=1e-3, abs=1e-6)
    zt, yt = logits(params, noisy[2]["test"][0]), noisy[2]["test"][1]
    assert final["test_accuracy"] == pytest.approx(accuracy(zt, yt), abs=1e-6)
    assert final["test_loss"] == pytest.approx(cross_entropy(zt, yt), abs=1e-5)
    assert final["ece"] == pytest.approx(ece(zt, yt), abs=1e-5)


def test_each_sweep_runs_figures_are_its_own_parameters(noisy):
    """A sweep saves every run's parameters stacked along a first axis, in the order of metrics.json's
    runs: each run's last held-out figures are those of its own slice."""
    metrics, params = command(noisy, "sweep", "--epochs", "2", "--batch-size", "32", "--lr", "0.05,2")
    runs = metrics["runs"]
    assert [run["lr"] for run in runs] == [0.05, 2.0] and params["w"].shape == (2, 784, 10)
    losses = []
    for m, run in enumerate(runs):
        for split_name in ("valid", "test"):
            x, y = noisy[2][split_name]
            z = logits({"w": params["w"][m], "b": params["b"][m]}, x)
            assert run["final"][f"{split_name}_accuracy"] == pytest.approx(accuracy(z, y), abs=1e-6)
            assert run["final"][f"{split_name}_loss"] == pytest.approx(cross_entropy(z, y), rel=1e-5)
        losses.append(run["final"]["test_loss"])
    assert abs(losses[0] - losses[1]) > 1e-3  # two different models: a swap would show


EARLY = ("--early-stopping", "1", "--batch-size", "16", "--lr", "2")


@pytest.fixture(scope="module")
def early(noisy):
    """A run stopped early (its validation loss rose after epoch 2 or so): metrics.json, params.npz."""
    return command(noisy, "early", "--epochs", "8", *EARLY)


def test_early_stopping_keeps_and_scores_the_best_epochs_parameters(noisy, early):
    """With --early-stopping, params.npz and the final figures are the best epoch's (the lowest
    validation loss, the first of equals), not the last's."""
    (metrics, params), data = early, noisy[2]
    history, final = metrics["history"], metrics["final"]
    losses = history["valid_loss"]
    assert len(losses) < 8, "the run was meant to stop early; choose settings that make it"
    best = losses.index(min(losses)) + 1
    assert final["best_epoch"] == best < len(losses) and losses[-1] > losses[best - 1]
    for split_name in ("valid", "test"):
        x, y = data[split_name]
        z = logits(params, x)
        assert final[f"{split_name}_loss"] == pytest.approx(cross_entropy(z, y), rel=1e-5)
        assert final[f"{split_name}_loss"] == history[f"{split_name}_loss"][best - 1]
        assert final[f"{split_name}_accuracy"] == pytest.approx(accuracy(z, y), abs=1e-6)
    assert final["ece"] == pytest.approx(ece(logits(params, data["test"][0]), data["test"][1]), abs=1e-5)


def test_a_run_that_stopped_early_does_not_train_again_when_epochs_grow(noisy, early, capsys):
    """--resume with more --epochs: the run had stopped, so it writes the same results again."""
    capsys.readouterr()
    metrics, params = command(noisy, "early", "--epochs", "20", *EARLY, "--resume")
    printed = capsys.readouterr().out
    assert "stopped early" in printed and not re.search(r"^epoch \d+/", printed, re.MULTILINE)  # no epoch trained
    assert metrics["history"] == early[0]["history"] and metrics["final"] == early[0]["final"]
    np.testing.assert_array_equal(params["w"], early[1]["w"])


def test_no_figure_goes_unchecked(run):
    """The figures the tests above recompute are all that metrics.json's "final" holds: a new one
    needs its recomputation here."""
    checked = {"accuracy", "loss", "test_accuracy", "test_loss", "valid_accuracy", "valid_loss", "ece"}
    checked |= {"accuracy_at_90_coverage", "test_accuracy_ci95", "test_accuracy_hoeffding95", "temperature"}
    assert set(run[0]["final"]) == checked | {"ece_after_temperature"}


def test_a_linear_regression_runs_figures(tmp_path):
    """linreg's metrics.json: the full-data loss ½ mean (ŷ − y)² and the distances to the book's
    true w = (2, −3.4), b = 4.2, from params.npz and the synthetic data of data seed 0."""
    out = tmp_path / "out"
    assert (
        main(["--model", "linreg", "--epochs", "2", "--no-plots", "--no-compile-cache", "--output-dir", str(out)]) == 0
    )
    final = json.loads((out / "metrics.json").read_text())["final"]
    params = {k: np.asarray(v, np.float64) for k, v in jaxlin.load_params(out / "params.npz").items()}
    x, y = (np.asarray(a, np.float64) for a in jaxlin.load_dataset("synthetic_linear", jax.random.key(0)).train)
    assert final["full_loss"] == pytest.approx(
        np.mean(0.5 * (x @ params["w"][:, 0] + params["b"][0] - y) ** 2), rel=1e-5
    )
    assert final["w_error"] == pytest.approx(np.abs(params["w"][:, 0] - [2, -3.4]).max(), abs=1e-6)
    assert final["b_error"] == pytest.approx(abs(params["b"][0] - 4.2), abs=1e-6)
    assert set(final) == {"loss", "full_loss", "w_error", "b_error"}  # the training loss: an epoch's running mean
