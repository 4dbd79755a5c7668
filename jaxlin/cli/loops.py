"""The epoch loops of `python -m jaxlin.train`, one per kind of run that trains for epochs. Each
builds its run with the library's one implementation (`jaxlin.experiments`), holds the loop over
the epochs that implementation yields, and adds what a command owns: the progress lines, the
checkpoint after every epoch (one model), the results written to the output folder.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from jaxlin.cli import figures, report
from jaxlin.cli.results import write_results
from jaxlin.cli.resume import restore, restore_best
from jaxlin.data import Dataset
from jaxlin.engine.checkpoint import save_checkpoint, save_state
from jaxlin.engine.loop import append_metrics
from jaxlin.engine.sweep import unstack
from jaxlin.engine.train_state import History, TrainingDiverged
from jaxlin.experiments.config import Config
from jaxlin.experiments.crossval import crossval_group, summarize_folds
from jaxlin.experiments.single import epochs_left, final_figures, single_epochs, single_run
from jaxlin.experiments.sweeping import group_epochs, group_exact_figures, group_result, sweep_groups
from jaxlin.ops.order import EPOCH_ORDER
from jaxlin.plots.metric_labels import describe
from jaxlin.plots.progress import EpochPrinter

CHECKPOINT = "checkpoint.npz"  # with --early-stopping it holds the best epoch's parameters too


class LoopError(Exception):
    """A loop cannot go on; the message says why and what to do."""


def run_single(config: Config, data: Dataset, out: Path, mesh, saved: dict | None) -> dict:
    """One model: checkpointed after every epoch, resumable, optionally stopped early."""
    run = single_run(config, data, mesh=mesh)
    state, history, best = run.state, {}, None
    if saved is not None:
        state, history = restore(out / CHECKPOINT, config, state, run.data, saved)
        if config.early_stopping and history:
            best = restore_best(out / CHECKPOINT, state, history, saved)
    done, clock = int(state.epoch), report.EpochClock()
    if not epochs_left(run, state, best):
        stopped = " and stopped early" if done < config.epochs else ""
        print(f"already trained for {done} epochs{stopped}; writing its results")
    try:
        with EpochPrinter(config.epochs, done) as printer:
            for epoch, (state, metrics, best) in enumerate(single_epochs(run, state, best), start=done):
                append_metrics(history, metrics)
                record = {"config": config.identity(), "data": run.data.source, "epoch_order": EPOCH_ORDER}
                record["history"] = history
                if best is None:
                    save_state(out / CHECKPOINT, state, record)
                else:  # one atomic file: the state and the best epoch can never disagree
                    save_state(out / CHECKPOINT, state, {**record, "best_epoch": best.epoch}, {"best": best.params})
                printer.show(epoch, report.shown(metrics), clock.lap())
    except TrainingDiverged as err:
        kept = " The checkpoint holds the last good epoch." if (out / CHECKPOINT).exists() else ""
        raise LoopError(f"{err}{kept}") from None
    params, final, curves = final_figures(run, state, history, best)
    if best is not None:
        print(report.stopping_note(best.epoch, len(history["loss"]), config))
    write_results(config, run.model, run.data, params, final, curves, out, history, best and best.epoch)
    return {"history": history, "final": final, **clock.timing()}


def run_sweep(config: Config, data: Dataset, out: Path) -> dict:
    """Every run of a sweep, trained together: one vmapped, compiled epoch per batch size."""
    groups = sweep_groups(config, data)
    size = report.sweep_size(config, sum(len(group.runs) for group in groups))
    per = " per batch size and network" if len(groups) > 1 else ""
    print(f"sweep: {size}, trained together in one vmapped, compiled epoch{per}")
    clocks, runs, histories, diverged, exact, params = [], [], [], [], [], []
    for group in groups:
        if len(groups) > 1:
            shape = {name: group.runs[0][name] for name in ("batch_size", "hidden") if name in group.runs[0]}
            print(f"{describe(shape)}:")
        clocks.append(report.EpochClock())
        history: History = {}
        states, dead = group.states, list[int | None]()
        with EpochPrinter(config.epochs) as printer:
            for epoch, (states, metrics, dead) in enumerate(group_epochs(group, config.epochs)):
                append_metrics(history, metrics)
                printer.show(epoch, report.sweep_progress(metrics, group.runs), clocks[-1].lap())
        result = group_result(group, states, history, dead)
        runs += group.runs
        histories += result.histories
        diverged += result.diverged
        exact += group_exact_figures(group)
        params += [unstack(states.params, m) for m in range(len(group.runs))]
    table = report.sweep_table(runs, histories, diverged, exact if any(exact) else None)
    if len({str(jax.tree_util.tree_map(np.shape, p)) for p in params}) == 1:
        params = jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *params)  # stacked along a run axis
    save_checkpoint(out / "params.npz", {"params": params}, metadata={**config.to_json(), "runs": runs})
    if config.plots:
        figures.plot_sweep_runs(config, table, out)
    return {"runs": table, **report.EpochClock.merged(clocks)}


def run_kfold(config: Config, data: Dataset, out: Path) -> dict:
    """K-fold cross-validation: every (run, fold) model trained together, then the choice."""
    group = crossval_group(config, data)
    k = config.kfold or 0
    print(
        f"{k}-fold cross-validation: {report.sweep_size(config, len(group.runs) // k)} x {k} folds = "
        f"{len(group.runs)} models, trained together in one vmapped, compiled epoch"
    )
    clock, metrics = report.EpochClock(), dict[str, list]()
    with EpochPrinter(config.epochs) as printer:
        for epoch, (_, metrics, _) in enumerate(group_epochs(group, config.epochs)):
            printer.show(epoch, report.sweep_progress(metrics, group.runs), clock.lap())
    result = summarize_folds(group.runs, metrics["valid_loss"], k)
    folds = report.crossval_table(result)
    if config.plots:
        figures.plot_crossval(config, result, out)
    return {"crossval": folds, "chosen": result.chosen, **clock.timing()}
