"""The training loops of `python -m jaxlin.train`, one per kind of run, each visible and its own:
one model (checkpointed every epoch, resumable, optionally stopped early), a sweep of models
trained together, and K-fold cross-validation. Each shows its progress (`EpochPrinter`) and
returns what metrics.json keeps.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from jaxlin.cli import report
from jaxlin.cli.resume import restore, restore_best
from jaxlin.engine.checkpoint import save_checkpoint, save_state
from jaxlin.engine.early_stopping import keep_best
from jaxlin.engine.parallel import local, replicate
from jaxlin.engine.sweep import jit_sweep_epoch, mark_diverged, split_history, unstack
from jaxlin.engine.training import TrainingDiverged, append_metrics, check_finite, jit_epoch, train_epochs
from jaxlin.experiments.config import Config
from jaxlin.experiments.crossval import crossval_start, summarize_folds
from jaxlin.experiments.reliability import calibrate
from jaxlin.experiments.setup import (
    by_batch_size,
    epoch_options,
    exact_figures,
    run_data,
    runs,
    solve_model,
    start,
    sweep_data,
    sweep_start,
)
from jaxlin.ops.order import EPOCH_ORDER
from jaxlin.plots.progress import EpochPrinter

CHECKPOINT = "checkpoint.npz"  # with --early-stopping it holds the best epoch's parameters too


class LoopError(Exception):
    """A loop cannot go on; the message says why and what to do."""


def run_single(config: Config, model, data, out: Path, mesh, saved: dict | None) -> dict:
    optimizer, state = start(model, config)
    data = run_data(model, data, runs(config)[0])
    history: dict = {}
    if saved is not None:
        state, history = restore(out / CHECKPOINT, config, state, data, saved)
    best = restore_best(out / CHECKPOINT, state, history, saved) if config.early_stopping and history else None
    epoch_fn = jit_epoch(model.LOSSES[config.impl], optimizer, mesh=mesh, **epoch_options(model, config, data))
    local_data = data
    if mesh is not None:
        state, data = replicate((state, data), mesh)
    done, clock = int(state.epoch), report.EpochClock()
    stopped = best is not None and done - best.epoch >= config.early_stopping
    epochs = ()
    if done < config.epochs and not stopped:
        epochs = train_epochs(epoch_fn, state, data.train, data, num_epochs=config.epochs - done)
    else:
        print(f"already trained for {done} epochs{' and stopped early' if stopped else ''}; writing its results")
    epochs = (
        keep_best(epochs, patience=config.early_stopping, best=best)
        if config.early_stopping
        else ((state, metrics, None) for state, metrics in epochs)
    )
    try:
        with EpochPrinter(config.epochs, done) as printer:
            for epoch, (state, metrics, best) in enumerate(epochs, start=done):
                check_finite(metrics, epoch)
                append_metrics(history, metrics)
                record = {
                    "config": config.identity(),
                    "data": data.source,
                    "epoch_order": EPOCH_ORDER,
                    "history": history,
                }
                if best is None:
                    save_state(out / CHECKPOINT, state, record)
                else:  # one atomic file: the state and the best epoch can never disagree
                    save_state(out / CHECKPOINT, state, {**record, "best_epoch": best.epoch}, {"best": best.params})
                printer.show(epoch, report.shown(metrics), clock.lap())
    except TrainingDiverged as err:
        kept = " The checkpoint holds the last good epoch." if (out / CHECKPOINT).exists() else ""
        raise LoopError(f"{err}{kept}") from None
    if mesh is not None and mesh.is_multi_process:  # the rest is each process's own work
        state, best, data = local(state), local(best), local_data
    params, final = state.params, {k: v[-1] for k, v in history.items()}
    if best is not None:
        params, final = best.params, {**{k: v[best.epoch - 1] for k, v in history.items()}, "best_epoch": best.epoch}
        print(report.stopping_note(best.epoch, len(history["loss"]), config))
    final.update(model.summarize(params, data))
    curves = None
    if hasattr(model, "logits") and data.test is not None:
        figures, curves = calibrate(model, params, data)
        final.update(figures)
    save_checkpoint(out / "params.npz", {"params": params}, metadata=config.to_json())
    if config.plots:
        report.plot_run(config, model, data, params, history, out, best_epoch=best and best.epoch)
        if curves is not None:
            report.plot_calibration(config, curves, final, out)
    print(f"final: {report.shown(final, ', ')}")
    return {"history": history, "final": final, **clock.timing()}


def run_sweep(config: Config, model, data, out: Path) -> dict:
    groups = by_batch_size(config)
    print(
        f"sweep: {report.sweep_size(config, len(runs(config)) * len(groups))}, trained together in one "
        f"vmapped, compiled epoch{' per batch size' if len(groups) > 1 else ''}"
    )
    clocks = []
    pairs, histories, diverged, exact, params = [], [], [], [], []
    for extra, group in groups:
        if extra:
            print(f"batch size {extra['batch_size']}:")
        clocks.append(report.EpochClock())
        trained = _sweep_group(group, model, data, clocks[-1])
        pairs += [{**pair, **extra} for pair in trained[0]]
        for kept, more in zip((histories, diverged, exact, params), trained[1:]):
            kept += more
    table = report.sweep_table(pairs, histories, diverged, exact if any(exact) else None)
    stacked = jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *params)
    save_checkpoint(out / "params.npz", {"params": stacked}, metadata={**config.to_json(), "runs": pairs})
    if config.plots:
        report.plot_sweep_runs(config, table, out)
    return {"runs": table, **report.EpochClock.merged(clocks)}


def _sweep_group(config: Config, model, data, clock) -> tuple[list, list, list, list, list]:
    """Train the runs that share one batch size; their pairs, histories, divergence epochs, exact
    figures (or {}) and parameters, one entry per run."""
    pairs, optimizer, states = sweep_start(model, config)
    data, per_model = sweep_data(model, config, data, pairs)
    epoch_fn = jit_sweep_epoch(
        model.LOSSES[config.impl], optimizer, per_model_data=per_model, **epoch_options(model, config, data)
    )
    history: dict = {}
    diverged: list[int | None] = [None] * len(pairs)
    with EpochPrinter(config.epochs) as printer:
        for epoch, (states, metrics) in enumerate(
            train_epochs(epoch_fn, states, data.train, data, num_epochs=config.epochs)
        ):
            mark_diverged(diverged, metrics["loss"], epoch)
            append_metrics(history, metrics)
            printer.show(epoch, report.sweep_progress(metrics, pairs), clock.lap())
    exact = (exact_figures(model, data, per_model) if per_model else None) or [{}] * len(pairs)
    params = [unstack(states.params, m) for m in range(len(pairs))]
    return pairs, split_history(history, len(pairs)), diverged, exact, params


def run_kfold(config: Config, model, data, out: Path) -> dict:
    models, optimizer, states, datasets = crossval_start(model, config, data)
    print(
        f"{config.kfold}-fold cross-validation: {report.sweep_size(config, len(models) // config.kfold)} "
        f"x {config.kfold} folds = {len(models)} models, trained together in one vmapped, compiled epoch"
    )
    epoch_fn = jit_sweep_epoch(
        model.LOSSES[config.impl], optimizer, per_model_data=True, **epoch_options(model, config, data)
    )
    clock, metrics = report.EpochClock(), {}
    with EpochPrinter(config.epochs) as printer:
        for epoch, (states, metrics) in enumerate(
            train_epochs(epoch_fn, states, datasets.train, datasets, num_epochs=config.epochs)
        ):
            printer.show(epoch, report.sweep_progress(metrics, models), clock.lap())
    result = summarize_folds(models, metrics["valid_loss"], config.kfold)
    folds = report.crossval_table(result)
    if config.plots:
        report.plot_crossval(config, result, out)
    return {"crossval": folds, "chosen": result.chosen, **clock.timing()}


def run_solve(config: Config, model, data, out: Path) -> dict:
    """`--optimizer lbfgs`: the full-batch problem solved to convergence, one compiled loop."""
    n = int(jax.tree_util.tree_leaves(data.train)[0].shape[0])
    print(
        f"L-BFGS on all {n} training examples, weight decay {(config.weight_decay or (0.0,))[0]}, until the "
        f"gradient norm is at most {config.tol:g} (at most {config.max_iter} iterations), in one compiled loop"
    )
    solution = solve_model(config, data)
    final = {
        "objective": solution.objective,
        "grad_norm": solution.grad_norm,
        "iterations": solution.iterations,
        "converged": solution.converged,
        "solve_s": solution.seconds,
        "compile_s": solution.compile_seconds,
        **{k: float(v) for k, v in jax.device_get(jax.jit(model.evaluate)(solution.params, data)).items()},
        **model.summarize(solution.params, data),
    }
    curves = None
    if hasattr(model, "logits") and data.test is not None:
        figures, curves = calibrate(model, solution.params, data)
        final.update(figures)
    save_checkpoint(out / "params.npz", {"params": solution.params}, metadata=config.to_json())
    if config.plots and curves is not None:
        report.plot_calibration(config, curves, final, out)
    if not solution.converged:
        print(
            f"not converged: the gradient norm is {solution.grad_norm:.3g} after {solution.iterations} iterations "
            f"(raise --max-iter, or --tol if float32 cannot go lower)"
        )
    print(f"final: {report.shown(final, ', ')}")
    return {"final": final}
