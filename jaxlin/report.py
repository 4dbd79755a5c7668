"""What `python -m jaxlin.train` shows and writes: progress lines, the final table, plots.

Every metric has one label (`jaxlin.labels.LABELS`), used by the progress lines, the summary and
the plots.
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from jaxlin.config import Config
from jaxlin.labels import LABELS, ordered

def shown(metrics: Mapping[str, float], sep: str = "  ") -> str:
    """The metrics as labelled text, e.g. "train loss 0.4465  test acc 0.8312"."""
    return sep.join(f"{LABELS.get(k, k)} {metrics[k]:.4g}" for k in ordered(metrics))


def banner(config: Config, num_devices: int) -> str:
    lrs, seeds = ",".join(map(str, config.lr)), ",".join(map(str, config.seed))
    return (f"jaxlin: {config.model} ({config.impl}), {config.optimizer} lr {lrs}, batch {config.batch_size}, "
            f"{config.epochs} epochs, seed {seeds}, on {num_devices} {jax.devices()[0].platform} device(s)")


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
        if not self.seconds:
            return {}
        steady = self.seconds[1:] or self.seconds
        return {"first_epoch_s": self.seconds[0], "steady_epoch_s": float(np.median(steady))}


def epoch_line(epoch: int, num_epochs: int, text: str, seconds: float) -> str:
    width = len(str(num_epochs))
    return f"epoch {epoch + 1:>{width}}/{num_epochs}  {text}  ({seconds:.2f} s)"


def sweep_progress(metrics: Mapping[str, list[float]], pairs: Sequence[dict]) -> str:
    """One line for many models: the best and worst loss, and the best test accuracy."""
    losses = metrics["loss"]
    finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
    if not finite:
        return f"{len(losses)} models, all diverged"
    best = min(finite, key=losses.__getitem__)
    text = (f"{len(losses)} models  loss best {losses[best]:.4g} (lr {pairs[best]['lr']}, "
            f"seed {pairs[best]['seed']}), worst {max(losses[i] for i in finite):.4g}")
    if len(finite) < len(losses):
        text += f", {len(losses) - len(finite)} diverged"
    if "test_accuracy" in metrics:
        text += f"  test acc best {max(metrics['test_accuracy']):.4f}"
    return text


def sweep_table(pairs: Sequence[dict], histories: Sequence[dict], diverged: Sequence[int | None]) -> list[dict]:
    """Print one row per model and return the runs as metrics.json keeps them."""
    runs = []
    print(f"{'lr':>10} {'seed':>5}  final")
    for pair, history, epoch in zip(pairs, histories, diverged):
        final = {k: v[-1] for k, v in history.items()}
        runs.append({**pair, "history": history, "final": final, "diverged_epoch": epoch})
        print(f"{pair['lr']:>10} {pair['seed']:>5}  {f'diverged in epoch {epoch}' if epoch else shown(final, ', ')}")
    return runs


def title(config: Config) -> str:
    return f"{config.model} ({config.impl}), {config.optimizer}"


def plot_run(config: Config, model, data, params, history: dict, out: Path) -> None:
    """curves.png, and for labelled image data predictions.png (the book's predict_ch3)."""
    from jaxlin.plotting import plot_history, prediction_grid

    plot_history(history, out / "curves.png", title=title(config))
    if data.label_names is not None and data.test is not None:
        first = jax.tree_util.tree_map(lambda a: a[:16], data.test)
        predicted = np.asarray(model.predict(params, data.prepared(first)[0]))
        names = lambda ids: [data.label_names[int(i)] for i in ids]
        prediction_grid(np.asarray(first[0]), names(first[1]), names(predicted), path=out / "predictions.png")


def plot_sweep_runs(config: Config, runs: list[dict], out: Path) -> None:
    from jaxlin.plotting import plot_sweep

    plot_sweep(runs, out / "lr_sweep.png", title=title(config))
