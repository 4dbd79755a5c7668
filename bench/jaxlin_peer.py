"""jaxlin's own entries in the comparison: any registered model, trained as a user's run trains it,
and the softmax regression solved to convergence (`jaxlin_solve`, the "solve" section).

The model comes from the registry by name and everything else from the generic pieces
(`make_config`, `load_data`, `start`, `epoch_options`, `make_epoch`), so this code is the same
for every model. The epoch is compiled on its own clock, then each compiled call is timed.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from bench.common import flat, solution_figures, timed_epochs
from jaxlin.engine import make_epoch, regularized_objective, solve_lbfgs
from jaxlin.experiments import epoch_options, load_data, make_config, start
from jaxlin.models import get_model


def compiled_with_time(fn, *args):
    """`fn` jitted and compiled for `args` ahead of time, and the seconds compiling took."""
    clock = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - clock


def jaxlin_peer(model_name: str, impl: str, source: Path, tfds_dir: Path | None, epochs: int) -> dict:
    """{"epoch_s", "compile_s", "load_s"}, the last epoch's metrics and the model's summary."""
    model = get_model(model_name)
    config = make_config(model_name, impl=impl, epochs=epochs, data_dir=source, tfds_dir=tfds_dir)
    clock = time.perf_counter()
    data = jax.block_until_ready(load_data(config, model))
    load_s = time.perf_counter() - clock
    optimizer, state = start(model, config)
    epoch = make_epoch(model.LOSSES[config.impl], optimizer, **epoch_options(model, config, data))
    compiled, compile_s = compiled_with_time(epoch, state, data.train, data)
    metrics = None

    def run_epoch():
        nonlocal state, metrics
        state, metrics = jax.block_until_ready(compiled(state, data.train, data))

    times = timed_epochs(config.epochs, run_epoch)
    return {
        "epoch_s": times,
        "compile_s": compile_s,
        "load_s": load_s,
        **{name: float(value) for name, value in metrics.items()},
        **model.summarize(state.params, data),
    }


def jaxlin_solve(source: Path, tfds_dir: Path | None, settings: dict, norm: str = "l2") -> dict:
    """The registry's softmax regression on the first `num_examples` training images, its concise
    loss + λ · ½‖w‖² (`regularized_objective`) solved by `solve_lbfgs` from zeros (as sklearn
    starts), stopping when the gradient's `norm` ("l2", or "max": sklearn's rule) is <= tol; the
    solution judged by `solution_figures`, as sklearn's is."""
    model = get_model("softmax")
    data = load_data(make_config("softmax", data_dir=source, tfds_dir=tfds_dir), model)
    data = dataclasses.replace(data, train=jax.tree.map(lambda a: a[: settings["num_examples"]], data.train))
    objective = jax.block_until_ready(regularized_objective(model.LOSSES["concise"], data, settings["weight_decay"]))
    start = jax.tree.map(jnp.zeros_like, model.init(jax.random.key(0)))
    sol = solve_lbfgs(objective, start, tol=settings["tol"], max_iter=settings["max_iter"], norm=norm)
    (X, y), (X_test, y_test) = [
        (flat(np.asarray(images)), np.asarray(labels)) for images, labels in (data.train, data.test)
    ]
    return {
        "seconds": sol.seconds,
        "compile_s": sol.compile_seconds,
        "iterations": sol.iterations,
        "converged": sol.converged,
        "stop": {"l2": "‖g‖₂ <= tol", "max": "max|g| <= tol"}[norm],
        **solution_figures(sol.params["w"], sol.params["b"], X, y, X_test, y_test, settings["weight_decay"]),
    }
