"""Pictures that compare the runs of a sweep: loss curves coloured by learning rate, final figures
against an option (degree, batch size), and K-fold cross-validation's curves."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from jaxlin.plots.figures import finish
from jaxlin.plots.metric_labels import LABELS, describe


def plot_sweep(
    runs: Sequence[dict], path: str | os.PathLike | None = None, metric: str = "loss", title: str | None = None
):
    """One curve of `metric` per run of a sweep (runs: [{"lr", "seed", "history"}, ...]), coloured
    by learning rate, on a log scale: the book's "how fast does the loss drop for each learning rate"."""
    fig, ax = plt.subplots(figsize=(6, 4))
    rates = sorted({r["lr"] for r in runs})
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(rates)))
    labelled = set()
    for r in runs:
        values = np.asarray(r["history"][metric], float)
        label = None if r["lr"] in labelled else f"lr {r['lr']}"  # one legend entry per learning rate
        labelled.add(r["lr"])
        ax.plot(
            range(1, len(values) + 1),
            values,
            color=colours[rates.index(r["lr"])],
            marker="o",
            markersize=2,
            alpha=0.8,
            label=label,
        )
    ax.set(xlabel="epoch", ylabel=metric)
    return finish(fig, ax, path, title, log=True)


def _groups(runs: Sequence[dict], option: str) -> dict[str, list[int]]:
    """The runs' indices grouped by every setting but `option` (the settings all runs share left
    out of the names): {"lr 0.1, seed 0": [0, 1, ...]}."""
    settings = [k for k in runs[0] if k not in ("history", "final", "diverged_epoch", option)]
    varied = [k for k in settings if len({run[k] for run in runs}) > 1]
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(", ".join(f"{k} {run[k]}" for k in varied), []).append(i)
    return groups


def _option_axis(ax, option: str, values) -> None:
    ax.set_xlabel(option)
    if option == "lr":
        ax.set_xscale("log")
    elif option == "batch_size":
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(set(values)), [str(v) for v in sorted(set(values))])
    elif option == "weight_decay":  # 0 (no penalty) and a log scale of the others
        positive = [v for v in values if v > 0]
        ax.set_xscale("symlog", linthresh=min(positive) if positive else 1.0)
    elif all(isinstance(v, (int, float)) and float(v).is_integer() for v in values):  # not a network's "64,32"
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


_LOSS_STYLES = (
    ("full_loss", "-"),
    ("loss", "-"),
    ("valid_loss", "-."),
    ("test_loss", "--"),
    ("exact_full_loss", ":"),
    ("exact_valid_loss", ":"),
    ("exact_test_loss", ":"),
)
_SECOND_PANELS = {  # the second panel's figures, if a run has them, and its label
    "accuracy after training": (("accuracy", "-"), ("valid_accuracy", "-."), ("test_accuracy", "--")),
    "‖w‖ after training": (("w_norm", "-"),),
}


def _draw_finals(ax, option: str, runs: Sequence[dict], styles) -> None:
    """One line per (metric, group of runs sharing every other setting) against `option`."""
    groups = _groups(runs, option)
    for g, (group, members) in enumerate(groups.items()):
        x, finals = [runs[i][option] for i in members], [runs[i]["final"] for i in members]
        for name, style in styles:
            exact = name.startswith("exact_")  # the exact fit depends on the option only: drawn once
            if name not in finals[0] or (name == "loss" and "full_loss" in finals[0]) or (exact and g > 0):
                continue
            label = LABELS.get(name, name) + (f" ({group})" if group and not exact else "")
            colour = "k" if exact else None if len(groups) == 1 else plt.cm.tab10(g % 10)
            ax.plot(x, [final[name] for final in finals], style, marker="o", markersize=3, label=label, color=colour)
    _option_axis(ax, option, [run[option] for run in runs])


def plot_against(option: str, runs: Sequence[dict], path: str | os.PathLike | None = None, title: str | None = None):
    """The final figures of a sweep's runs against one of their options (e.g. the degree: D2L 4.4's
    underfitting and overfitting in one picture; or the batch size, D2L 3.7's exercise 1): losses on
    a log scale, and accuracies (or ‖w‖) beside them; a line per other setting."""
    second = next(
        (label for label, styles in _SECOND_PANELS.items() if any(name in runs[0]["final"] for name, _ in styles)), None
    )
    fig, axes = plt.subplots(1, 2 if second else 1, figsize=(11 if second else 6, 4), squeeze=False)
    _draw_finals(axes[0, 0], option, runs, _LOSS_STYLES)
    axes[0, 0].set_ylabel("loss after training")
    if second:
        _draw_finals(axes[0, 1], option, runs, _SECOND_PANELS[second])
        axes[0, 1].set_ylabel(second)
        axes[0, 1].grid(True, alpha=0.3)
        axes[0, 1].legend(fontsize=8)
    return finish(fig, axes[0, 0], path, title, log=True)


def plot_folds(result, option: str, path: str | os.PathLike | None = None, title: str | None = None):
    """K-fold cross-validation: each fold's validation loss and their mean against `option`
    (result: a `jaxlin.experiments.crossval.CrossValidation`), a mean line per other setting, the chosen run marked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = _groups(result.runs, option)
    for group, members in groups.items():
        x = [result.runs[i][option] for i in members]
        ax.plot(x, np.asarray(result.fold_losses)[members], color="grey", alpha=0.4, linewidth=1)
        ax.plot(
            x,
            np.asarray(result.mean)[members],
            marker="o",
            markersize=3,
            label="mean over folds" + (f" ({group})" if group else ""),
        )
    ax.plot([], [], color="grey", alpha=0.4, linewidth=1, label="each fold")
    if result.chosen is not None:
        ax.scatter(
            [result.chosen[option]],
            [result.mean[result.best]],
            s=80,
            facecolors="none",
            edgecolors="tab:red",
            label=f"chosen: {describe(result.chosen)}",
            zorder=3,
        )
    ax.set_ylabel("validation loss")
    _option_axis(ax, option, [run[option] for run in result.runs])
    return finish(fig, ax, path, title, log=True)
