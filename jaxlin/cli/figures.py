"""The figures a run of `python -m jaxlin.train` draws into its output folder (matplotlib loads
only here, when a figure is drawn). Inside `drawn_last()` they are queued instead, so that the
results that matter (metrics.json, params.npz) are written first: on a full disk, a figure fails,
not them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec

import jax
import numpy as np

from jaxlin.experiments.config import Config

P = ParamSpec("P")
_QUEUES: list[list[Callable[[], None]]] = []


@contextmanager
def drawn_last() -> Iterator[list[Callable[[], None]]]:
    """A list that collects, within the block, the figures to draw; draw them (call each) after
    the results are written."""
    _QUEUES.append([])
    try:
        yield _QUEUES[-1]
    finally:
        _QUEUES.pop()


def draw(plot: Callable[..., None], *args, **kwargs) -> None:
    """plot(*args, **kwargs) now, or queued within `drawn_last()`."""
    if _QUEUES:
        _QUEUES[-1].append(functools.partial(plot, *args, **kwargs))
    else:
        plot(*args, **kwargs)


def _queued(plot: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(plot)
    def queued(*args: P.args, **kwargs: P.kwargs) -> None:
        draw(plot, *args, **kwargs)

    return queued


def title(config: Config) -> str:
    return f"{config.model} ({config.impl}), {config.optimizer}"


@_queued
def plot_run(config: Config, model, data, params, history: dict, out: Path, best_epoch: int | None = None) -> None:
    """curves.png, and for labelled image data predictions.png (the book's predict_ch3)."""
    from jaxlin.plots.figures import plot_history, prediction_grid

    plot_history(history, out / "curves.png", title=title(config), best_epoch=best_epoch)
    if data.label_names is not None and data.test is not None:
        first = jax.tree_util.tree_map(lambda a: a[:16], data.test)
        predicted = np.asarray(model.predict(params, data.prepared(first)[0]))
        names = lambda ids: [data.label_names[int(i)] for i in ids]
        prediction_grid(np.asarray(first[0]), names(first[1]), names(predicted), path=out / "predictions.png")


@_queued
def plot_sweep_runs(config: Config, runs: list[dict], out: Path) -> None:
    from jaxlin.plots.sweeps import plot_against, plot_sweep

    if len(config.lr) > 1 or len(config.seed) > 1:
        plot_sweep(runs, out / "lr_sweep.png", title=title(config))
    for name, values in [("batch_size", config.batch_size), *config.run_options().items()]:
        if len(values) > 1:
            plot_against(name, runs, out / f"{name}_sweep.png", title=title(config))
    if len(config.hidden or ()) > 1:  # networks by their widths, "256" or "256,128", one tick each
        named = [{**run, "hidden": ",".join(map(str, run["hidden"]))} for run in runs]
        plot_against("hidden", named, out / "hidden_sweep.png", title=title(config))


@_queued
def plot_crossval(config: Config, result, out: Path) -> None:
    from jaxlin.plots.sweeps import plot_folds

    varied = [name for name, values in [*config.run_options().items(), ("lr", config.lr)] if len(values) > 1]
    plot_folds(result, varied[0] if varied else "lr", out / "crossval.png", title=title(config))


@_queued
def plot_calibration(config: Config, curves: dict, final: dict, out: Path) -> None:
    from jaxlin.plots.figures import plot_reliability

    plot_reliability(curves, final, out / "reliability.png", title=title(config))
