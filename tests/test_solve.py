"""jaxlin.solve: L-BFGS to convergence on L2-regularised objectives, against float64 references
(scipy's L-BFGS-B on the same objective written in numpy, scikit-learn, ridge's closed form)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.tree_util import Partial
from scipy import optimize

from jaxlin.data import Dataset, prepare_images
from jaxlin.engine import Solution, regularized_objective, solve_lbfgs
from jaxlin.models import get_model
from jaxlin.ops import weights_only

N, D, Q, LAM, TOL = 500, 20, 3, 1e-2, 1e-5


def softmax_data(n, seed):
    rng = np.random.default_rng(seed)
    true_w = np.random.default_rng(0).normal(size=(D, Q))
    X = rng.normal(size=(n, D)).astype(np.float32)
    y = (X @ true_w + rng.gumbel(size=(n, Q))).argmax(1).astype(np.int32)  # a multinomial logit model
    return X, y


def softmax_loss(params, batch):
    X, y = batch
    return optax.softmax_cross_entropy_with_integer_labels(X @ params["w"] + params["b"], y).mean()


def objective64(theta, X, y, lam):
    """The same objective in float64 numpy, with its gradient: theta = [w.ravel(), b]."""
    X = X.astype(np.float64)
    w, b = theta[: D * Q].reshape(D, Q), theta[D * Q :]
    o = X @ w + b
    o = o - o.max(1, keepdims=True)
    lse = np.log(np.exp(o).sum(1))
    value = (lse - o[np.arange(len(y)), y]).mean() + lam / 2 * (w**2).sum()
    p = np.exp(o - lse[:, None])
    p[np.arange(len(y)), y] -= 1
    p /= len(y)
    return value, np.concatenate([(X.T @ p + lam * w).ravel(), p.sum(0)])


def softmax_probs(w, b, X):
    o = X.astype(np.float64) @ w + b
    e = np.exp(o - o.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.fixture(scope="module")
def problem():
    X, y = softmax_data(N, 1)
    objective = regularized_objective(softmax_loss, (jnp.asarray(X), jnp.asarray(y)), LAM)
    start = {"w": jnp.zeros((D, Q)), "b": jnp.zeros(Q)}
    return X, y, objective, start, solve_lbfgs(objective, start, tol=TOL)


def test_the_solution_is_stationary(problem):
    X, y, objective, _, sol = problem
    assert isinstance(sol, Solution) and sol.converged and 0 < sol.iterations < 500
    assert sol.grad_norm <= TOL and sol.seconds >= sol.compile_seconds > 0
    assert sol.objective == pytest.approx(float(objective(sol.params)), rel=1e-6)
    theta = np.concatenate([np.asarray(sol.params["w"]).ravel(), np.asarray(sol.params["b"])]).astype(np.float64)
    assert np.linalg.norm(objective64(theta, X, y, LAM)[1]) < 2 * TOL  # float64's gradient agrees


def test_it_reaches_scipys_float64_optimum(problem):
    X, y, _, _, sol = problem
    ref = optimize.minimize(
        objective64,
        np.zeros(D * Q + Q),
        args=(X, y, LAM),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000},
    )
    assert ref.success
    assert sol.objective == pytest.approx(ref.fun, rel=1e-5)
    w, b = ref.x[: D * Q].reshape(D, Q), ref.x[D * Q :]
    np.testing.assert_allclose(sol.params["w"], w, atol=1e-4)
    X_test, _ = softmax_data(500, 2)
    np.testing.assert_array_equal(
        softmax_probs(np.asarray(sol.params["w"]), np.asarray(sol.params["b"]), X_test).argmax(1),
        softmax_probs(w, b, X_test).argmax(1),
    )


def test_it_solves_sklearns_problem_with_c_from_lambda(problem):
    """sklearn minimises ½‖w‖² + C Σ loss (intercept unpenalised): the same problem when C = 1/(nλ)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y, _, _, sol = problem
    clf = linear_model.LogisticRegression(C=1 / (N * LAM), tol=1e-10, max_iter=10_000).fit(X.astype(np.float64), y)
    theta = np.concatenate([clf.coef_.T.ravel(), clf.intercept_])
    assert sol.objective == pytest.approx(objective64(theta, X, y, LAM)[0], rel=1e-5)
    X_test, _ = softmax_data(500, 2)
    np.testing.assert_allclose(
        softmax_probs(np.asarray(sol.params["w"]), np.asarray(sol.params["b"]), X_test),
        clf.predict_proba(X_test),
        atol=1e-3,
    )


def test_max_iter_stops_it_unconverged(problem):
    _, _, objective, start, _ = problem
    sol = solve_lbfgs(objective, start, tol=TOL, max_iter=3)
    assert sol.iterations == 3 and not sol.converged and sol.grad_norm > TOL


def test_the_max_norm_is_scipys_stopping_rule(problem):
    """norm="max" stops on the largest gradient component, as scipy's pgtol (sklearn's tol) does:
    sooner than the L2 norm with the same tol, at a gradient whose largest component is <= tol."""
    X, y, objective, start, _ = problem
    l2, largest = (solve_lbfgs(objective, start, tol=1e-3, norm=norm) for norm in ("l2", "max"))
    theta = np.concatenate([np.asarray(largest.params["w"]).ravel(), np.asarray(largest.params["b"])])
    grad = objective64(theta.astype(np.float64), X, y, LAM)[1]
    assert largest.converged and largest.iterations < l2.iterations  # 7 and 9
    assert largest.grad_norm == pytest.approx(np.abs(grad).max(), rel=1e-3) and largest.grad_norm <= 1e-3
    assert np.linalg.norm(grad) > 1e-3  # where the L2 rule goes on
    with pytest.raises(ValueError, match="norm must be one of"):
        solve_lbfgs(objective, start, norm="l1")


def test_squared_loss_with_weight_decay_is_ridge():
    """mean ½(ŷ − y)² + λ ½‖w‖², intercept free: w = (X'X + nλI)⁻¹ X'y on centered data."""
    rng = np.random.default_rng(3)
    n, d, lam = 200, 5, 0.1
    X = (rng.normal(size=(n, d)) * [1, 2, 0.5, 3, 1] + 4).astype(np.float32)
    y = (X @ rng.normal(size=d) + 2 + rng.normal(size=n)).astype(np.float32)
    loss = get_model("linreg").LOSSES["concise"]  # (params, (X, y)) -> (mean ½(ŷ − y)², {})
    objective = regularized_objective(loss, (jnp.asarray(X), jnp.asarray(y)), lam)
    sol = solve_lbfgs(objective, {"w": jnp.zeros((d, 1)), "b": jnp.zeros(1)}, tol=1e-5)
    assert sol.converged
    Xc, yc = X - X.mean(0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + n * lam * np.eye(d), Xc.T @ yc)
    np.testing.assert_allclose(sol.params["w"][:, 0], w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sol.params["b"][0], y.mean() - X.mean(0) @ w, rtol=1e-4)


def test_the_penalty_and_its_mask():
    params = {"w": jnp.full((2, 3), 2.0), "b": jnp.ones(3), "inner": {"w": jnp.ones(4)}}
    zero_loss = lambda p, batch: (jnp.float32(0), {})
    assert weights_only(params) == {"w": True, "b": False, "inner": {"w": True}}
    assert float(regularized_objective(zero_loss, None, 0.5)(params)) == pytest.approx(0.5 * 0.5 * (24 + 4))
    everything = regularized_objective(zero_loss, None, 0.5, mask=lambda p: jax.tree.map(lambda _: True, p))
    assert float(everything(params)) == pytest.approx(0.5 * 0.5 * (24 + 3 + 4))
    only_b = regularized_objective(zero_loss, None, 0.5, mask={"w": False, "b": True, "inner": {"w": False}})
    assert float(only_b(params)) == pytest.approx(0.5 * 0.5 * 3)
    with pytest.raises(ValueError, match="weight_decay"):
        regularized_objective(zero_loss, None, -1.0)


def test_a_dataset_is_prepared_and_a_plain_function_is_solved():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data = Dataset(train=(jnp.asarray(images), jnp.array([0, 1])), prepare=prepare_images)
    seen = regularized_objective(lambda p, batch: batch[0].sum() * p["b"], data, 0.0)
    assert float(seen({"b": jnp.float32(1)})) == pytest.approx(images.sum() / 255, rel=1e-5)
    target = jnp.array([1.0, -2.0, 3.0])
    sol = solve_lbfgs(lambda p: 0.5 * jnp.sum((p - target) ** 2 * jnp.array([1.0, 10.0, 100.0])), jnp.zeros(3))
    assert sol.converged and sol.grad_norm <= 1e-4
    np.testing.assert_allclose(sol.params, target, atol=1e-5)


def test_chunks_give_the_iterates_of_one_call(problem):
    """A chunk is the same while_loop stopped sooner and resumed from its carry: one compiled call
    (None), one iteration a chunk (0) and the default ~0.25 s chunks reach bit-identical points."""
    _, _, objective, start, default = problem
    seen: dict = {None: [], 0: []}
    whole, single = (solve_lbfgs(objective, start, tol=TOL, chunk_seconds=c, on_chunk=seen[c].append) for c in seen)
    assert [p.iterations for p in seen[0]] == list(range(1, single.iterations + 1)) and len(seen[None]) <= 2
    for other in (whole, single):
        assert (other.iterations, other.objective, other.grad_norm, other.converged) == (
            default.iterations, default.objective, default.grad_norm, default.converged,
        )  # fmt: skip
        for a, b in zip(jax.tree.leaves(other.params), jax.tree.leaves(default.params), strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_chunk_is_compiled_once(caplog):
    """The chunk's stopping point is an argument of the compiled loop, not a constant: a solve of
    one-iteration chunks compiles the loop once, and a new problem of the same shapes not at all."""
    target = jnp.array([1.0, -2.0, 3.0, 4.0, 5.0])
    scaled = lambda p, t: 0.5 * jnp.sum((p - t) ** 2 * jnp.arange(1.0, 6.0) ** 3)  # ill-conditioned: ~18 iterations
    compiles = lambda: sum("Compiling jit(_chunk)" in r.getMessage() for r in caplog.records)
    with caplog.at_level("WARNING"), jax.log_compiles(True):
        chunks = []
        solve_lbfgs(Partial(scaled, target), jnp.zeros(5), tol=1e-6, chunk_seconds=0, on_chunk=chunks.append)
        assert len(chunks) > 10 and compiles() == 1
        solve_lbfgs(Partial(scaled, 2 * target), jnp.zeros(5), tol=1e-6, chunk_seconds=0)
        assert compiles() == 1
