"""What `python -m jaxlin.train` prints: the banner, progress lines, the sweep and fold tables.

Every metric has one label (`jaxlin.plots.metric_labels.LABELS`), used by the progress lines, the summary and
the plots.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import jax
import numpy as np

from jaxlin.experiments.config import Config
from jaxlin.plots.metric_labels import LABELS, describe, ordered


def _value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def shown(metrics: Mapping[str, float], sep: str = "  ") -> str:
    """The metrics as labelled text, e.g. "train loss 0.4465  test acc 0.8312 ± 0.0073"."""
    parts = []
    for k in ordered(metrics):
        if k.endswith(("_ci95", "_hoeffding95")):
            continue
        text = f"{LABELS.get(k, k)} {_value(metrics[k])}"
        if f"{k}_ci95" in metrics:
            text += f" ± {metrics[f'{k}_ci95']:.4f} (95%; Hoeffding ± {metrics[f'{k}_hoeffding95']:.4f})"
        parts.append(text)
    return sep.join(parts)


def banner(config: Config, num_devices: int) -> str:
    lrs, seeds = ",".join(map(str, config.lr)), ",".join(map(str, config.seed))
    extras = [f"weight decay {','.join(map(str, config.weight_decay))}"] if config.weight_decay is not None else []
    extras += [f"degree {','.join(map(str, config.degree))}"] if config.degree is not None else []
    if config.validation is not None:
        extras.append(f"{config.validation:g} of the training data held out for validation")
    if config.early_stopping is not None:
        extras.append(f"early stopping after {config.early_stopping} epochs without improvement")
    if config.kfold is not None:
        extras.append(f"{config.kfold}-fold cross-validation")
    batches = ",".join(map(str, config.batch_size))
    how = (
        f"lbfgs to a gradient norm of {config.tol:g} (at most {config.max_iter} iterations)"
        if config.solves
        else f"{config.optimizer} lr {lrs}, batch {batches}, {config.epochs} epochs"
    )
    return (
        f"jaxlin: {config.model} ({config.impl}), {how}, seed {seeds}, {''.join(e + ', ' for e in extras)}"
        f"on {num_devices} {jax.devices()[0].platform} device(s)"
        f"{f' of {config.num_processes} processes' if config.num_processes else ''}"
    )


def sweep_size(config: Config, num_runs: int) -> str:
    counts = [f"{len(config.lr)} learning rates", f"{len(config.seed)} seeds"]
    counts += [f"{len(config.batch_size)} batch sizes"] if len(config.batch_size) > 1 else []
    counts += [f"{len(v)} {name.replace('_', ' ')}s" for name, v in config.run_options().items()]
    return f"{num_runs} models ({' x '.join(counts)})"


def stopping_note(best_epoch: int, trained: int, config: Config) -> str:
    if trained < config.epochs:
        return (
            f"stopped early after epoch {trained}: the validation loss has not improved for "
            f"{config.early_stopping} epochs; keeping epoch {best_epoch}'s parameters"
        )
    return f"the validation loss was lowest in epoch {best_epoch}; keeping its parameters"


class EpochClock:
    """Seconds per epoch, measured between calls to `lap`."""

    def __init__(self):
        self.last = time.perf_counter()
        self.seconds: list[float] = []

    def lap(self) -> float:
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now
        return self.seconds[-1]

    def timing(self) -> dict[str, float]:
        """{"first_epoch_s" (compiling included), "steady_epoch_s" (median of the others)}."""
        return EpochClock.merged([self])

    @staticmethod
    def merged(clocks: Sequence[EpochClock]) -> dict[str, float]:
        """The timing of runs compiled one after another (a batch-size sweep): the first epoch of
        the first, and the median over every run's epochs after its first (its compile)."""
        clocks = [c for c in clocks if c.seconds]
        if not clocks:
            return {}
        steady = [s for c in clocks for s in c.seconds[1:]] or clocks[0].seconds
        return {"first_epoch_s": clocks[0].seconds[0], "steady_epoch_s": float(np.median(steady))}


def sweep_progress(metrics: Mapping[str, list[float]], pairs: Sequence[dict]) -> str:
    """One line for many models: the best and worst loss, and the best test accuracy."""
    losses = metrics["loss"]
    finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
    if not finite:
        return f"{len(losses)} models, all diverged"
    best = min(finite, key=losses.__getitem__)
    text = (
        f"{len(losses)} models  loss best {losses[best]:.4g} ({describe(pairs[best])}), "
        f"worst {max(losses[i] for i in finite):.4g}"
    )
    if len(finite) < len(losses):
        text += f", {len(losses) - len(finite)} diverged"
    if "test_accuracy" in metrics:
        text += f"  test acc best {max(metrics['test_accuracy']):.4f}"
    elif "valid_loss" in metrics:
        text += f"  valid loss best {min(metrics['valid_loss']):.4g}"
    return text


def _row(names, cells) -> str:
    """A table row whose columns are as wide as the runs' setting names (at least 8)."""
    text = lambda cell: ",".join(map(str, cell)) if isinstance(cell, list) else cell  # a network's widths
    return "  ".join(f"{text(cell):>{max(8, len(name))}}" for name, cell in zip(names, cells, strict=True))


def sweep_table(
    pairs: Sequence[dict],
    histories: Sequence[dict],
    diverged: Sequence[int | None],
    extras: Sequence[dict] | None = None,
) -> list[dict]:
    """Print one row per model and return the runs as metrics.json keeps them; `extras`, one dict
    per model, are figures to add to each final (e.g. the exact fit's)."""
    runs = []
    print(_row(pairs[0], pairs[0]) + "  final")
    for m, (pair, history, epoch) in enumerate(zip(pairs, histories, diverged, strict=True)):
        final = {**{k: v[-1] for k, v in history.items()}, **(extras[m] if extras else {})}
        runs.append({**pair, "history": history, "final": final, "diverged_epoch": epoch})
        print(_row(pair, pair.values()) + "  " + (f"diverged in epoch {epoch}" if epoch else shown(final, ", ")))
    return runs


def crossval_table(result) -> list[dict]:
    """Print each run's mean validation loss over the folds and the one chosen; return them as
    metrics.json keeps them."""
    rows = []
    print(_row(result.runs[0], result.runs[0]) + "  mean valid loss (per fold)")
    for i, (run, mean, losses) in enumerate(zip(result.runs, result.mean, result.fold_losses, strict=True)):
        rows.append({**run, "mean_valid_loss": float(mean), "fold_valid_loss": [float(v) for v in losses]})
        print(
            _row(run, run.values())
            + f"  {mean:.4g} ({_value(rows[-1]['fold_valid_loss'])})"
            + ("  <- chosen" if i == result.best else "")
        )
    if result.chosen is None:
        print("no run has a finite mean validation loss: every one diverged on some fold")
    else:
        print(f"chosen by cross-validation: {describe(result.chosen)}")
    return rows
