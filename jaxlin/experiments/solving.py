"""The full-batch problem of a config solved to convergence (`--optimizer lbfgs`): the library's
one implementation of a solve, on `jaxlin.engine.solve_chunks`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import jax

from jaxlin.data import Dataset
from jaxlin.engine.lbfgs import Solution, SolveProgress, solve_chunks
from jaxlin.engine.objective import regularized_objective
from jaxlin.experiments.config import Config
from jaxlin.experiments.reliability import scores
from jaxlin.experiments.setup import checked_data, model_of


def solve_model_chunks(config: Config, data: Dataset | None = None) -> Iterator[SolveProgress]:
    """`solve_model`'s solve in chunks of iterations: a `SolveProgress` after each (the last one
    `done`, its `.solution()` what `solve_model` returns), for a caller's loop that shows progress
    or stops between chunks (`jaxlin.engine.solve_chunks`)."""
    config.require("solve", "solve_model")
    model = model_of(config)
    data = checked_data(model, config, data)
    assert config.tol is not None and config.max_iter is not None  # make_config sets both for every solve
    init_key, _ = jax.random.split(jax.random.key(config.seed[0]))  # as `start`: the same first parameters
    objective = regularized_objective(model.LOSSES[config.impl], data, (config.weight_decay or (0.0,))[0])
    return solve_chunks(objective, model.init(init_key), tol=config.tol, max_iter=config.max_iter)


def solve_model(
    config: Config, data: Dataset | None = None, on_chunk: Callable[[SolveProgress], Any] | None = None
) -> Solution:
    """Solve the config's full-batch problem (`--optimizer lbfgs`): the mean training loss plus
    weight_decay · ½‖w‖² (λ = 0 without weight decay), minimised by L-BFGS to `config.tol` or
    `config.max_iter` iterations, from the parameters the config's seed initialises.
    `on_chunk(progress)` is called after each chunk of iterations (about 0.25 s; to show progress,
    or raise to stop)."""
    for progress in solve_model_chunks(config, data):
        if on_chunk is not None:
            on_chunk(progress)
    return progress.solution()


def solution_figures(model: ModuleType, solution: Solution, data: Dataset) -> tuple[dict[str, Any], dict | None]:
    """What a solve reports: the solver's figures, the model's evaluation and summary of the
    solution, and for classifiers the test split's calibration figures; with the curves to draw."""
    evaluated = jax.device_get(jax.jit(model.evaluate)(solution.params, data))
    figures, curves = scores(model, solution.params, data)
    final = {
        "objective": solution.objective, "grad_norm": solution.grad_norm, "iterations": solution.iterations,
        "converged": solution.converged, "solve_s": solution.seconds, "compile_s": solution.compile_seconds,
        **{name: float(value) for name, value in evaluated.items()}, **figures,
    }  # fmt: skip
    return final, curves
