"""Weight decay (D2L 4.5): penalties, the scratch and optax paths, λ sweeps, ridge, the L1
proximal step, the book's high-dimensional experiment, and optax's contracts for our transforms."""

import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlin
from jaxlin.data import prepare_images
from jaxlin.ops import l1_penalty, l1_proximal, l2_penalty, soft_threshold, weights_only
from jaxlin.train import main

PARAMS = {"w": jnp.array([[1.0, -2.0], [3.0, 0.5]]), "b": jnp.array([10.0, -10.0])}


def test_penalties_and_their_gradients_leave_biases_alone():
    assert float(l2_penalty(PARAMS)) == pytest.approx(0.5 * (1 + 4 + 9 + 0.25))
    assert float(l1_penalty(PARAMS)) == pytest.approx(6.5)
    grad = jax.grad(l2_penalty)(PARAMS)
    np.testing.assert_array_equal(grad["w"], PARAMS["w"])
    np.testing.assert_array_equal(grad["b"], 0.0)
    np.testing.assert_array_equal(jax.grad(l1_penalty)(PARAMS)["w"], jnp.sign(PARAMS["w"]))
    assert weights_only(PARAMS) == {"w": True, "b": False}


def test_soft_threshold_matches_numpy():
    x = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(
        soft_threshold(jnp.asarray(x), 0.5), np.sign(x) * np.maximum(np.abs(x) - 0.5, 0), atol=1e-7
    )


def _fashion_like(n=96):
    k1, k2 = jax.random.split(jax.random.key(0))
    images = jax.random.randint(k1, (n, 28, 28), 0, 256).astype(jnp.uint8)
    labels = jax.random.randint(k2, (n,), 0, 10)
    return jaxlin.Dataset(
        train=(images, labels),
        test=(images[:32], labels[:32]),
        prepare=prepare_images,
        label_names=tuple("abcdefghij"),
        source="test/fashion-like",
    )


@pytest.mark.parametrize("model, data", [("linreg", None), ("softmax", _fashion_like())], ids=["linreg", "softmax"])
def test_scratch_optax_and_penalty_in_the_loss_give_the_same_parameters(model, data):
    options = dict(weight_decay=0.5, epochs=2, batch_size=16)
    scratch = jaxlin.train_model(jaxlin.make_config(model, impl="scratch", **options), data)
    concise = jaxlin.train_model(jaxlin.make_config(model, impl="concise", **options), data)
    np.testing.assert_allclose(scratch.params["w"], concise.params["w"], rtol=1e-5, atol=1e-6)
    # the book's from-scratch way: plain SGD on loss + λ·½‖w‖²
    module = jaxlin.get_model(model)
    data = data or jaxlin.experiments.load_data(jaxlin.make_config(model))
    penalised = lambda p, batch: (module.LOSSES["scratch"](p, batch)[0] + 0.5 * l2_penalty(p), {})
    start = jaxlin.experiments.start(module, jaxlin.make_config(model, **options))[1]
    by_loss = jaxlin.fit(
        start.params,
        penalised,
        jaxlin.sgd(jaxlin.make_config(model).lr[0]),
        data.train,
        key=start.key,
        batch_size=16,
        num_epochs=2,
        has_aux=True,
        prepare=data.prepare,
    )
    np.testing.assert_allclose(by_loss.params["w"], scratch.params["w"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_loss.params["b"], scratch.params["b"], rtol=1e-5, atol=1e-6)


def test_a_weight_decay_sweep_equals_separate_runs():
    config = jaxlin.make_config("highdim", weight_decay=[0, 3], epochs=20)
    pairs, swept = jaxlin.sweep_model(config)
    for m, pair in enumerate(pairs):
        alone = jaxlin.train_model(jaxlin.make_config("highdim", weight_decay=pair["weight_decay"], epochs=20))
        np.testing.assert_allclose(swept.params["w"][m], alone.params["w"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(swept.histories[m]["w_norm"], alone.history["w_norm"], rtol=1e-5)


def test_the_books_experiment_overfits_without_decay_and_generalizes_with_it():
    runs = {wd: jaxlin.train_model(jaxlin.make_config("highdim", weight_decay=wd)).history for wd in (0, 3)}
    free, decayed = ({k: v[-1] for k, v in runs[wd].items()} for wd in (0, 3))
    assert free["full_loss"] < 1e-3 and free["test_loss"] > 10  # fits the 20 examples, not the rest
    assert decayed["test_loss"] < free["test_loss"] / 100
    assert free["w_norm"] > 10 and decayed["w_norm"] < 1  # the book: about 15 and 0.34


def test_ridge_matches_numpy_and_converged_training_with_weight_decay():
    data = jaxlin.load_dataset("high_dim", jax.random.key(0))
    X, y = data.train
    w, b = jaxlin.ridge(X, y, 3.0)
    X64, y64 = np.asarray(X, np.float64), np.asarray(y, np.float64)
    Xc, yc = X64 - X64.mean(0), y64 - y64.mean()
    w64 = np.linalg.solve(Xc.T @ Xc + 20 * 3.0 * np.eye(200), Xc.T @ yc)
    np.testing.assert_allclose(w, w64, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(b, y64.mean() - X64.mean(0) @ w64, atol=1e-6)
    loss = lambda p, batch: (0.5 * (batch[0] @ p["w"][:, 0] + p["b"][0] - batch[1]) ** 2).mean()
    trained = jaxlin.fit(
        {"w": jnp.zeros((200, 1)), "b": jnp.zeros(1)},
        loss,
        jaxlin.make_optimizer("sgd", 0.05, 3.0),
        (X, y),
        key=jax.random.key(0),
        batch_size=20,
        num_epochs=2000,
    )
    np.testing.assert_allclose(trained.params["w"][:, 0], w64, atol=1e-6)
    np.testing.assert_allclose(trained.params["b"][0], y64.mean() - X64.mean(0) @ w64, atol=1e-6)


def test_the_l1_proximal_step_reaches_the_lasso_solution_with_exact_zeros():
    n, d, lam, lr = 64, 8, 0.3, 0.5
    q, _ = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (n, d)))
    X = q * jnp.sqrt(n)  # XᵀX/n = I: the lasso solution is the soft-thresholded least squares one
    y = X @ jnp.array([2.0, -1.0, 0.2, -0.1, 0.0, 0.5, 0.25, -3.0]) + 0.1 * jax.random.normal(jax.random.key(1), (n,))
    expected = soft_threshold(X.T @ y / n, lam)
    loss = lambda p: (0.5 * (X @ p["w"] - y) ** 2).mean()
    solver = optax.chain(optax.sgd(lr), l1_proximal(lr, lam))
    params, state = {"w": jnp.zeros(d)}, solver.init({"w": jnp.zeros(d)})
    for _ in range(200):
        updates, state = solver.update(jax.grad(loss)(params), state, params)
        params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(params["w"], expected, atol=1e-5)
    assert int((params["w"] == 0).sum()) == int((expected == 0).sum()) > 0  # exact zeros, not small values


# Optax's contracts, for every transformation jaxlin writes ----------------------------------------

TRANSFORMS = {
    "sgd": lambda: jaxlin.sgd(0.1),
    "sgd with weight decay": lambda: jaxlin.sgd(0.1, weight_decay=0.5),
    "l1_proximal": lambda: optax.chain(optax.sgd(0.1), l1_proximal(0.1, 0.5)),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_update_accepts_extra_arguments(name):
    opt = TRANSFORMS[name]()
    state = opt.init(PARAMS)
    updates, _ = opt.update(PARAMS, state, PARAMS, value=jnp.float32(1.0), grad=PARAMS, value_fn=lambda p: 0.0)
    chex.assert_trees_all_equal_shapes_and_dtypes(updates, PARAMS)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_updates_keep_the_parameters_dtype_and_state_shapes_are_stable_under_jit(name, dtype):
    params = jax.tree_util.tree_map(lambda a: a.astype(dtype), PARAMS)
    opt = TRANSFORMS[name]()
    state = opt.init(params)
    updates, new_state = jax.jit(opt.update)(params, state, params)
    chex.assert_trees_all_equal_dtypes(updates, params)
    chex.assert_trees_all_equal_shapes_and_dtypes(new_state, state)


def test_sgd_works_under_inject_hyperparams_and_multisteps():
    injected = optax.inject_hyperparams(jaxlin.sgd)(learning_rate=0.1, weight_decay=0.5)
    direct = jaxlin.sgd(0.1, weight_decay=0.5)
    a, _ = injected.update(PARAMS, injected.init(PARAMS), PARAMS)
    b, _ = direct.update(PARAMS, direct.init(PARAMS), PARAMS)
    chex.assert_trees_all_close(a, b)
    accumulate = optax.MultiSteps(jaxlin.sgd(0.1), every_k_schedule=2)
    state = accumulate.init(PARAMS)
    grads = [jax.tree_util.tree_map(lambda x: x * s, PARAMS) for s in (1.0, 3.0)]
    first, state = accumulate.update(grads[0], state, PARAMS)
    second, _ = accumulate.update(grads[1], state, PARAMS)
    chex.assert_trees_all_close(first, jax.tree_util.tree_map(jnp.zeros_like, PARAMS))
    chex.assert_trees_all_close(second, jax.tree_util.tree_map(lambda x: -0.1 * 2.0 * x, PARAMS), rtol=1e-6)


# The command ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "nan", "abc", "inf"])
def test_a_bad_weight_decay_exits_2(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--model", "highdim", "--weight-decay", value, "--output-dir", str(tmp_path / "run")])
    assert exit_.value.code == 2 and "--weight-decay" in capsys.readouterr().err


def test_the_weight_decay_is_in_the_banner_metrics_and_resume_check(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--model", "highdim", "--epochs", "3", "--no-plots", "--no-compile-cache", "--output-dir", str(out)]
    assert main([*argv, "--weight-decay", "3"]) == 0
    assert "weight decay 3.0" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["weight_decay"] == [3.0] and "w_norm" in metrics["final"]
    (out / "metrics.json").unlink()
    assert main([*argv, "--weight-decay", "1", "--resume"]) == 1
    assert "weight_decay 3.0 (now 1.0)" in capsys.readouterr().err


def test_lbfgs_solves_the_high_dimensional_problem_to_ridge(tmp_path, capsys):
    config = jaxlin.make_config("highdim", optimizer="lbfgs", weight_decay=3.0, tol=1e-6)
    solution = jaxlin.experiments.solve_model(config)
    X, y = jaxlin.experiments.load_data(config).train
    w, b = jaxlin.ridge(X, y, 3.0)
    assert solution.converged and solution.grad_norm <= 1e-6
    np.testing.assert_allclose(solution.params["w"][:, 0], w, atol=1e-5)
    np.testing.assert_allclose(solution.params["b"][0], b, atol=1e-5)
    out = tmp_path / "run"
    assert (
        main(
            [
                "--model",
                "highdim",
                "--optimizer",
                "lbfgs",
                "--weight-decay",
                "3",
                "--tol",
                "1e-6",
                "--output-dir",
                str(out),
                "--no-compile-cache",
            ]
        )
        == 0
    )
    final = json.loads((out / "metrics.json").read_text())["final"]
    assert final["converged"] is True and final["grad_norm"] <= 1e-6 and final["iterations"] >= 1
    np.testing.assert_allclose(jaxlin.load_params(out / "params.npz")["w"][:, 0], w, atol=1e-5)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--lr", "0.1"], "lr do(es) not apply"),
        (["--epochs", "5"], "epochs do(es) not apply"),
        (["--weight-decay", "0,1"], "one weight decay"),
        (["--tol", "1e-3"], None),
    ],
)
def test_lbfgs_options_that_do_not_apply_exit_2(extra, message, tmp_path, capsys):
    argv = ["--model", "highdim", *extra, "--output-dir", str(tmp_path / "run")]
    if message is None:  # --tol without lbfgs
        argv = argv[:2] + ["--tol", "1e-3", "--output-dir", str(tmp_path / "run")]
        message = "settings of the lbfgs solver"
    else:
        argv = [*argv, "--optimizer", "lbfgs"]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
