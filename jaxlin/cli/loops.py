"""The epoch loops of `python -m jaxlin.train`, one per kind of run that trains for epochs. Each
builds its run with the library's one implementation (`jaxlin.experiments`), holds the loop over
the epochs that implementation yields, and adds what a command owns: the progress lines,
history.jsonl (a line per epoch, and per model of a sweep), with --tensorboard the event files,
the checkpoint every few seconds (one model: `jaxlin.cli.checkpointer`), the results written to
the output folder.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from jaxlin.cli import figures, report, signals, tensorboard_log
from jaxlin.cli.checkpointer import Checkpointer
from jaxlin.cli.history_log import HistoryLog
from jaxlin.cli.results import write_results
from jaxlin.cli.resume import restore, restore_best
from jaxlin.cli.tensorboard_log import TENSORBOARD, Board, run_name
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


def _series(config: Config, out: Path, run: dict | None = None, resumed_after: int = 0) -> Board | None:
    """With --tensorboard, the event files of the run (or of one model of a sweep, `run`); else None."""
    if not config.tensorboard:
        return None
    if tensorboard_log.missing():
        raise LoopError(tensorboard_log.missing())
    if not resumed_after and run is None:
        tensorboard_log.clear(out)  # an unfinished run's events, in a folder that holds no results
    return Board(out / TENSORBOARD if run is None else out / TENSORBOARD / run_name(run), resumed_after)


def _train_group(config: Config, group, out: Path, log: HistoryLog, clock: report.EpochClock):
    """Train a sweep's group of models for `config.epochs`, each epoch printed, written to
    history.jsonl (a line per model) and with --tensorboard to each model's series; returns
    (states, history with a list per model for each name and epoch, the epochs each diverged in)."""
    history: History = {}
    states, dead = group.states, list[int | None]()
    boards = [_series(config, out, run) for run in group.runs]
    try:
        with EpochPrinter(config.epochs) as printer:
            for epoch, (states, metrics, dead) in enumerate(group_epochs(group, config.epochs)):
                append_metrics(history, metrics)
                log.append_models(group.runs, epoch + 1, metrics)
                for m, board in enumerate(boards):
                    if board is not None:
                        board.scalars(epoch + 1, {name: values[m] for name, values in metrics.items()})
                printer.show(epoch, report.sweep_progress(metrics, group.runs), clock.lap())
                signals.check()
    finally:
        for board in boards:
            if board is not None:
                board.close()
    return states, history, dead


def run_single(config: Config, data: Dataset, out: Path, mesh, saved: dict | None) -> dict:
    """One model: checkpointed every few seconds and when it stops, resumable, optionally stopped early."""
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
    record = {"config": config.identity(), "data": run.data.source, "epoch_order": EPOCH_ORDER}
    record["settings"] = config.to_json()  # settings: for --resume alone
    with HistoryLog(out, history) as log:
        saver = Checkpointer(out / CHECKPOINT, record, log, save=save_state)
        board = _series(config, out, resumed_after=done)
        try:
            with EpochPrinter(config.epochs, done) as printer:
                for epoch, (state, metrics, best) in enumerate(single_epochs(run, state, best), start=done):
                    append_metrics(history, metrics)
                    log.append(history)
                    if board is not None:
                        board.scalars(epoch + 1, metrics)
                    saver.maybe_save(state, history, best)
                    printer.show(epoch, report.shown(metrics), clock.lap())
                    signals.check()  # Ctrl-C or SIGTERM: stop here; `finally` saves this epoch
        except TrainingDiverged as err:
            saver.save_now()
            kept = " The checkpoint holds the last good epoch." if (out / CHECKPOINT).exists() else ""
            raise LoopError(f"{err}{kept}") from None
        finally:
            saver.save_now()  # the last epoch, whatever ended the loop (its end, early stopping, Ctrl-C)
            if board is not None:
                board.close()
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
    if config.tensorboard:
        tensorboard_log.clear(out)
    with HistoryLog(out) as log:
        for group in groups:
            if len(groups) > 1:
                shape = {name: group.runs[0][name] for name in ("batch_size", "hidden") if name in group.runs[0]}
                print(f"{describe(shape)}:")
            clocks.append(report.EpochClock())
            states, history, dead = _train_group(config, group, out, log, clocks[-1])
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
    if config.tensorboard:  # queued after the figures, which it shows too
        for run, row in zip(runs, table, strict=True):
            figures.draw(tensorboard_log.write_final, out, config.epochs, row["final"], run)
        figures.draw(tensorboard_log.write_final, out, config.epochs, {})
    return {"runs": table, **report.EpochClock.merged(clocks)}


def run_kfold(config: Config, data: Dataset, out: Path) -> dict:
    """K-fold cross-validation: every (run, fold) model trained together, then the choice."""
    group = crossval_group(config, data)
    k = config.kfold or 0
    print(
        f"{k}-fold cross-validation: {report.sweep_size(config, len(group.runs) // k)} x {k} folds = "
        f"{len(group.runs)} models, trained together in one vmapped, compiled epoch"
    )
    clock = report.EpochClock()
    if config.tensorboard:
        tensorboard_log.clear(out)
    with HistoryLog(out) as log:
        _, history, _ = _train_group(config, group, out, log, clock)
    result = summarize_folds(group.runs, history["valid_loss"][-1], k)
    folds = report.crossval_table(result)
    if config.plots:
        figures.plot_crossval(config, result, out)
    if config.tensorboard:  # queued after the figure, which it shows too
        for run, row in zip(result.runs, folds, strict=True):
            figures.draw(
                tensorboard_log.write_final, out, config.epochs, {"mean_valid_loss": row["mean_valid_loss"]}, run
            )
        figures.draw(tensorboard_log.write_final, out, config.epochs, {})
    return {"crossval": folds, "chosen": result.chosen, **clock.timing()}
