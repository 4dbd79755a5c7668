"""What every run that ends with one model writes and prints: params.npz, the plots, the final line."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import jax

from jaxlin.cli import figures, report, signals, tensorboard_log
from jaxlin.data import Dataset
from jaxlin.engine.checkpoint import save_checkpoint
from jaxlin.experiments.config import Config
from jaxlin.experiments.setup import model_of
from jaxlin.experiments.solving import solution_figures, solve_model
from jaxlin.plots.solve_progress import SolvePrinter


def write_results(
    config: Config,
    model: ModuleType,
    data: Dataset,
    params: Any,
    final: dict,
    curves: dict | None,
    out: Path,
    history: dict | None = None,
    best_epoch: int | None = None,
) -> None:
    """params.npz; with plots, curves.png and predictions.png (when there is a history) and
    reliability.png (when there are calibration curves); then the final figures, printed."""
    save_checkpoint(out / "params.npz", {"params": params}, metadata=config.to_json())
    if config.plots:
        if history is not None:
            figures.plot_run(config, model, data, params, history, out, best_epoch=best_epoch)
        if curves is not None:
            figures.plot_calibration(config, curves, final, out)
    if config.tensorboard:  # queued after the figures, which it shows too
        if history is None:  # a solve: no epochs, so no series of its own to keep
            tensorboard_log.clear(out)
        figures.draw(tensorboard_log.write_final, out, len(history["loss"]) if history else 0, final)
    print(f"final: {report.shown(final, ', ')}")


def run_solve(config: Config, data: Dataset, out: Path) -> dict:
    """`--optimizer lbfgs`: the full-batch problem solved to convergence, its progress shown
    (`SolvePrinter`) and Ctrl-C seen between compiled chunks of iterations."""
    n = int(jax.tree_util.tree_leaves(data.train)[0].shape[0])
    print(
        f"L-BFGS on all {n} training examples, weight decay {(config.weight_decay or (0.0,))[0]}, until the "
        f"gradient norm is at most {config.tol:g} (at most {config.max_iter} iterations)",
        flush=True,
    )
    with SolvePrinter(check=signals.check) as printer:
        solution = solve_model(config, data, printer)
    model = model_of(config)
    final, curves = solution_figures(model, solution, data)
    if not solution.converged:
        print(
            f"not converged: the gradient norm is {solution.grad_norm:.3g} after {solution.iterations} iterations "
            "(raise --max-iter, or --tol if float32 cannot go lower)"
        )
    write_results(config, model, data, solution.params, final, curves, out)
    return {"final": final}
