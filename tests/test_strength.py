"""Regression tests for one-line bugs that once survived the suite (issue 25, "test strength"):
each asserts that a figure or a choice is right, not only that it is there."""

import gzip
from collections import namedtuple
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.special

import jaxlin
from jaxlin.data import DataError, Dataset, prepare_images, write_idx
from jaxlin.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from jaxlin.data.shift import ShiftedData
from jaxlin.engine.early_stopping import best_in_history, keep_best
from jaxlin.engine.optimizers import OPTIMIZERS, make_optimizer
from jaxlin.experiments import distribution_shift, make_config

# --- every optimizer is the optax one, step for step --------------------------------------------

LR, WD = 0.05, 0.3


def _mask(params):  # written out here, not jaxlin's weights_only: the weights "w" only
    return {"w": True, "b": False}


def _decayed(optimizer):
    return optax.chain(optax.add_decayed_weights(WD, mask=_mask), optimizer)


EXPECTED = {  # name -> (without weight decay, with weight decay WD)
    "scratch-sgd": (optax.sgd(LR), _decayed(optax.sgd(LR))),
    "sgd": (optax.sgd(LR), _decayed(optax.sgd(LR))),
    "momentum": (optax.sgd(LR, momentum=0.9), _decayed(optax.sgd(LR, momentum=0.9))),
    "nesterov": (optax.sgd(LR, 0.9, nesterov=True), _decayed(optax.sgd(LR, 0.9, nesterov=True))),
    "adam": (optax.adam(LR), _decayed(optax.adam(LR))),
    "adamw": (optax.adamw(LR, mask=_mask), optax.adamw(LR, weight_decay=WD, mask=_mask)),  # biases never decay
    "rmsprop": (optax.rmsprop(LR), _decayed(optax.rmsprop(LR))),
    "adagrad": (optax.adagrad(LR), _decayed(optax.adagrad(LR))),
}


def _trajectory(optimizer, steps=6):
    """The parameters after each of `steps` steps on a quadratic whose gradient changes each step."""
    params = {"w": jnp.array([[1.0, -2.0], [0.5, 3.0]]), "b": jnp.array([0.7, -1.2])}
    state, path = optimizer.init(params), []
    target = {"w": jnp.array([[0.3, 0.1], [-0.4, 0.2]]), "b": jnp.array([0.1, 0.2])}
    for _ in range(steps):
        grads = jax.tree.map(lambda p, t: 2 * (p - t) + 0.1 * p**2, params, target)
        updates, state = optimizer.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        path.append(params)
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("decay", [False, True])
def test_every_optimizer_is_the_optax_one_step_for_step(name, decay):
    built = make_optimizer(name, LR, WD if decay else None)
    for got, want in zip(_trajectory(built), _trajectory(EXPECTED[name][decay]), strict=True):
        for leaf in ("w", "b"):
            np.testing.assert_allclose(got[leaf], want[leaf], rtol=1e-5, atol=1e-6, err_msg=f"{name} {leaf}")


def test_every_optimizer_has_its_expectation_and_they_differ():
    assert set(OPTIMIZERS) == set(EXPECTED)  # a new optimizer needs its line above
    last = lambda name: _trajectory(EXPECTED[name][0])[-1]["w"]
    assert not np.allclose(last("nesterov"), last("momentum"), rtol=1e-4)  # the test can tell them apart
    assert not np.allclose(last("adamw"), last("adam"), rtol=1e-6)


@pytest.mark.parametrize("decay", [None, WD])
def test_adamw_leaves_the_biases_undecayed(decay):
    params = {"w": jnp.ones((2, 2)), "b": jnp.ones(2)}
    optimizer = make_optimizer("adamw", LR, decay)
    zero = jax.tree.map(jnp.zeros_like, params)
    updates, _ = optimizer.update(zero, optimizer.init(params), params)
    assert float(jnp.abs(updates["b"]).max()) == 0.0 and float(updates["w"].max()) < 0  # only the weights shrink


# --- fit's drop_remainder, early stopping's ties ------------------------------------------------


@pytest.mark.parametrize("drop, steps", [(False, 3), (True, 2)])
def test_fit_honours_drop_remainder(drop, steps):
    """10 examples in batches of 4: 3 steps an epoch (the last of 2), or 2 when it is dropped. The
    loss's gradient is 1 whatever the batch, so each step moves c by −lr."""
    loss = lambda params, batch: params["c"] * jnp.mean(jnp.ones_like(batch[0]))
    data = (jnp.arange(10.0), jnp.zeros(10))
    result = jaxlin.fit(
        {"c": jnp.zeros(())}, loss, jaxlin.sgd(1.0), data, key=jax.random.key(0), batch_size=4, num_epochs=2,
        drop_remainder=drop,
    )  # fmt: skip
    assert float(result.params["c"]) == -2 * steps


State = namedtuple("State", "epoch params")


def _stopped(values, patience):
    epochs = [(State(e, f"params of epoch {e}"), {"valid_loss": v}) for e, v in enumerate(values, start=1)]
    return list(keep_best(epochs, patience=patience))


def test_keep_best_keeps_the_earlier_of_two_tied_epochs_as_resume_does():
    values = [1.0, 0.5, 0.5, 0.7, 0.1]
    seen = _stopped(values, patience=2)
    assert len(seen) == 4  # epoch 4 is 2 epochs after the best: it stops there, never seeing 0.1
    best = seen[-1][2]
    assert (best.epoch, best.value, best.params) == (2, 0.5, "params of epoch 2")
    assert best_in_history([m["valid_loss"] for _, m, _ in seen]) == (best.epoch, best.value)
    assert best_in_history([1.0, float("nan"), 0.5, 0.5]) == (3, 0.5)
    assert _stopped(values, patience=3)[-1][2].epoch == 5


# --- an IDX file with bytes after its data ------------------------------------------------------


@pytest.mark.parametrize("magic, array", [(IMAGES_MAGIC, np.zeros((3, 28, 28))), (LABELS_MAGIC, np.arange(3))])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_an_idx_file_with_trailing_bytes_is_refused(tmp_path, magic, array, suffix):
    path = tmp_path / f"file-idx{suffix}"
    write_idx(path, array.astype(np.uint8))
    assert read_idx(path, magic).shape == array.shape
    raw = path.read_bytes() if not suffix else gzip.decompress(path.read_bytes())
    raw += b"\x00"
    path.write_bytes(gzip.compress(raw) if suffix else raw)
    with pytest.raises(DataError, match="1 bytes after"):
        read_idx(path, magic)


# --- logsumexp of a row that is all −inf ---------------------------------------------------------


def test_logsumexp_of_an_all_minus_infinity_row_is_minus_infinity():
    o = jnp.array([[-jnp.inf, -jnp.inf, -jnp.inf], [0.0, -jnp.inf, 1.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -jnp.inf]])
    got = np.asarray(jaxlin.logsumexp(o))
    want = scipy.special.logsumexp(np.asarray(o, np.float64), axis=-1)
    assert got[0] == -np.inf and not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got, np.asarray(jax.nn.logsumexp(o, axis=-1)), rtol=1e-6)
    assert jaxlin.logsumexp(jnp.full((4,), -jnp.inf)) == -jnp.inf  # one example, not a batch


# --- distribution shift: β's odds, the label-shift confusion matrix ------------------------------

NAMES = tuple(f"class {k}" for k in range(10))


def _blank_images(n):
    """Images of one distribution that carry nothing to tell two samples of it apart by."""
    return jnp.zeros((n, 28, 28), jnp.uint8)


def test_beta_has_mean_one_when_source_and_target_are_one_distribution(monkeypatch):
    """n_source = 2 n_target from one distribution: the domain classifier's best log-odds are
    log(n_t/n_s) everywhere, so β = exp(h) · n_s/n_t = 1 (¼ with the odds inverted, ½ without).
    And each of the three models' target figures is its own parameters' on the target's test set.

    The solver is replaced by that optimum, checked to be one (zero gradient), and the training by
    random parameters, so that the test compiles no L-BFGS loop and no epoch."""

    def optimum(objective, start, **options):
        params = {"w": jnp.zeros_like(start["w"]), "b": jnp.log(jnp.full_like(start["b"], 240 / 480))}
        assert max(float(jnp.abs(g).max()) for g in jax.tree.leaves(jax.jit(jax.grad(objective))(params))) < 1e-6
        return SimpleNamespace(params=params)

    rng, models = np.random.default_rng(2), []

    def train_model(config, data):
        params = {"w": rng.normal(0, 0.02, (784, 10)), "b": rng.normal(0, 0.5, 10)}
        models.append((data, params))
        return SimpleNamespace(params=jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params))

    labels = lambda n: jnp.arange(n, dtype=jnp.int32) % 10
    test = _noisy_images(100, rng)
    source = Dataset(train=(_blank_images(600), labels(600)), test=test, prepare=prepare_images, label_names=NAMES)
    target = Dataset(train=(_blank_images(300), labels(300)), test=test, prepare=prepare_images, label_names=NAMES)
    monkeypatch.setattr(distribution_shift, "solve_lbfgs", optimum)
    monkeypatch.setattr(distribution_shift, "train_model", train_model)
    config = make_config("softmax", shift="covariate", optimizer="sgd", epochs=1)
    shifted = ShiftedData(source, target, "covariate", "one distribution")
    result = distribution_shift.correct_covariate_shift(config, shifted, clip=5.0, log=lambda line: None)
    figures, beta = result.figures, np.asarray(result.arrays["beta"], np.float64)
    assert figures["beta"]["mean"] == pytest.approx(1.0, abs=1e-5) and len(beta) == 600
    summary = {"min": beta.min(), "median": np.median(beta), "max": beta.max(), "mean": beta.mean()}
    summary.update(clipped_fraction=np.mean(beta >= 5.0), effective_sample_size=beta.sum() ** 2 / (beta**2).sum())
    for name, value in summary.items():
        assert figures["beta"][name] == pytest.approx(value, rel=1e-5), name
    (uncorrected, _), (corrected, _), (oracle, _) = models
    assert [uncorrected is source, oracle is target] == [True, True]  # trained on the source, on the target
    np.testing.assert_allclose(corrected.train[2], beta, rtol=1e-6)  # the corrected model trains weighted by β
    images, y = np.asarray(test[0], np.float64).reshape(-1, 784) / 255, np.asarray(test[1])
    for name, (_, params) in zip(("uncorrected", "corrected", "oracle"), models, strict=True):
        z = images @ params["w"] + params["b"]
        loss = np.mean(scipy.special.logsumexp(z, axis=1) - z[np.arange(len(y)), y])
        assert figures["target_accuracy"][name] == pytest.approx(np.mean(z.argmax(1) == y), abs=1e-6), name
        assert figures["target_loss"][name] == pytest.approx(loss, rel=1e-5), name


def _noisy_images(n, rng, q=None):
    """Labels (drawn from q, default uniform), and images where class c brightens row block c for
    2 images in 3 (another block else)."""
    labels = rng.choice(10, n, p=q)
    images = rng.integers(0, 100, (n, 28, 28))
    for i, c in enumerate(labels):
        shown = c if rng.random() < 2 / 3 else rng.integers(10)
        images[i, 2 * shown + 4 : 2 * shown + 6, 4:24] += 120
    return jnp.asarray(images.astype(np.uint8)), jnp.asarray(labels, jnp.int32)


Q = [0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0]


def test_the_label_shift_confusion_matrix_is_the_held_out_source_splits(monkeypatch):
    """The source model's confusion matrix comes from the source examples it did not train on;
    the label distributions, q̂, its errors and the adjusted rule's accuracy follow from it. The
    training is replaced by fixed, imperfect parameters (nothing to compile)."""
    rng = np.random.default_rng(1)
    test = _noisy_images(100, rng)
    source = Dataset(train=_noisy_images(400, rng), test=test, prepare=prepare_images, label_names=NAMES)
    target = Dataset(train=_noisy_images(200, rng, Q), test=test, prepare=prepare_images, label_names=NAMES)
    shifted = ShiftedData(source, target, "label", "label shift", np.asarray(Q))
    signal = np.zeros((28, 28, 10), np.float32)
    for c in range(10):
        signal[2 * c + 4 : 2 * c + 6, 4:24, c] = 0.05
    params = {"w": jnp.asarray(signal.reshape(784, 10) + rng.normal(0, 0.03, (784, 10)), jnp.float32)}
    params["b"] = jnp.zeros(10, jnp.float32)
    trained_on = []

    def train(config, data, log, on_chunk=None):
        trained_on.append(data)
        return params, {"accuracy": 0.5, "loss": 1.0}

    monkeypatch.setattr(distribution_shift, "_train", train)
    config = make_config("softmax", shift="label", optimizer="sgd", epochs=1)
    figures = distribution_shift.correct_label_shift(config, shifted, validation=0.25, log=lambda line: None).figures
    held = trained_on[0]  # the uncorrected model's data: the source, a validation split held out
    assert held.valid is not None and len(held.valid[1]) + len(held.train[1]) == len(source.train[1])

    def confusion(split):  # C[i, j] = P(ŷ = i | y = j), in NumPy
        images, labels = np.asarray(split[0], np.float64).reshape(-1, 784) / 255, np.asarray(split[1])
        predicted = (images @ np.asarray(params["w"]) + np.asarray(params["b"])).argmax(1)
        counts = np.zeros((10, 10))
        np.add.at(counts, (predicted, labels), 1)
        return counts / np.maximum(counts.sum(0), 1)

    held_out = confusion(held.valid)
    assert 0.2 < np.trace(held_out) / 10 < 0.9  # imperfect: the training split's matrix would differ
    assert not np.allclose(held_out, confusion(held.train), atol=1e-3)
    np.testing.assert_allclose(figures["confusion_matrix"], held_out, atol=1e-6)

    # The rest of the estimate, from that matrix: μ the target's predicted classes, q̂ solving C q = μ.
    def scores(images):
        return np.asarray(images, np.float64).reshape(-1, 784) / 255 @ np.asarray(params["w"]) + np.asarray(params["b"])

    fractions = lambda labels: np.bincount(np.asarray(labels), minlength=10) / len(labels)
    p, q, mu = fractions(held.train[1]), fractions(target.train[1]), fractions(scores(target.train[0]).argmax(1))
    q_hat = np.clip(np.linalg.lstsq(held_out, mu, rcond=None)[0], 0, None)
    q_hat /= q_hat.sum()
    distributions = figures["label_distribution"]
    for name, value in (("source", p), ("target", q), ("predicted", mu), ("estimated", q_hat)):
        np.testing.assert_allclose(distributions[name], value, atol=1e-5, err_msg=name)
    assert figures["estimation_error_l1"] == pytest.approx(np.abs(q_hat - q).sum(), abs=1e-5)
    assert figures["prediction_mean_error_l1"] == pytest.approx(np.abs(mu - q).sum(), abs=1e-5)
    with np.errstate(divide="ignore"):  # a class q̂ gives 0 is never predicted
        adjusted = (scores(test[0]) + np.log(q_hat / p)).argmax(1) == np.asarray(test[1])
    assert figures["target_accuracy"]["adjusted"] == pytest.approx(adjusted.mean(), abs=1e-6)
