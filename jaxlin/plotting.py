"""Pictures: image grids (D2L's show_images), training curves (the animator) and predictions."""
from __future__ import annotations

import io
import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from jaxlin.atomic import write_atomically
from jaxlin.labels import LABELS, describe as report_run, ordered


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save a matplotlib figure as PNG, atomically, and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    write_atomically(path, lambda f: f.write(buffer.getvalue()))


def show_images(
    imgs, num_rows: int, num_cols: int, titles: Sequence[str] | None = None, scale: float = 1.5,
    path: str | os.PathLike | None = None,
):
    """A grid of images, row-major, with optional titles; saved to `path` (PNG) when given.

    imgs: [n, h, w] (u8 or float), n <= num_rows * num_cols. Returns the figure (closed if saved).
    """
    imgs = np.asarray(imgs)
    row_height = scale + (0.35 * max(t.count("\n") + 1 for t in titles) if titles else 0.0)
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * row_height), squeeze=False)
    for i, ax in enumerate(axes.reshape(-1)):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap="gray")
            if titles is not None and i < len(titles):
                ax.set_title(titles[i], fontsize=8)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_history(history: dict[str, Sequence[float]], path: str | os.PathLike | None = None,
                 title: str | None = None, names: Sequence[str] | None = None, best_epoch: int | None = None):
    """Curves of per-epoch metrics against the epoch (the book's animator, drawn once).

    names: the metrics to draw (default: all, in the order of `jaxlin.labels.LABELS`); losses
    alone are drawn on a log scale. best_epoch: marked with a vertical line (early stopping).
    """
    names = names or ordered(history)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in names:
        values = history[name]
        many = len(values) > 50
        ax.plot(range(1, len(values) + 1), values, marker=None if many else "o", markersize=3,
                label=LABELS.get(name, name))
    if all(name.endswith("loss") for name in names):
        ax.set_yscale("log")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch ({best_epoch})")
    ax.set_xlabel("epoch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
    return fig


def prediction_grid(images, true_labels: Sequence[str], predicted_labels: Sequence[str],
                    num_cols: int = 8, path: str | os.PathLike | None = None):
    """The book's predict_ch3: each image titled with its true label over the predicted one
    (in red where they differ)."""
    titles = [f"{t}\n{p}" for t, p in zip(true_labels, predicted_labels)]
    num_rows = -(-len(titles) // num_cols)
    fig = show_images(images, num_rows, num_cols, titles=titles)
    for ax, t, p in zip(fig.axes, true_labels, predicted_labels):
        if t != p:
            ax.title.set_color("tab:red")
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_sweep(runs: Sequence[dict], path: str | os.PathLike | None = None, metric: str = "loss",
               title: str | None = None):
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
        ax.plot(range(1, len(values) + 1), values, color=colours[rates.index(r["lr"])], marker="o",
                markersize=2, alpha=0.8, label=label)
    ax.set(xlabel="epoch", ylabel=metric)
    return _finish(fig, ax, path, title, log=True)


def _finish(fig, ax, path, title: str | None, log: bool = False):
    """Grid, legend, title; a log scale when asked and something positive is drawn (a sweep whose
    every model diverged draws only NaN); saved to `path` when given."""
    if log and any(np.any(np.isfinite(y) & (y > 0)) for y in (np.asarray(line.get_ydata(), float) for line in ax.lines)):
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    crowded = len(ax.get_legend_handles_labels()[1]) > 6
    ax.legend(fontsize=8, **({"loc": "upper left", "bbox_to_anchor": (1.02, 1)} if crowded else {}))
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
    return fig


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
    elif all(float(v).is_integer() for v in values):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


_LOSS_STYLES = (("full_loss", "-"), ("loss", "-"), ("valid_loss", "-."), ("test_loss", "--"),
                ("exact_full_loss", ":"), ("exact_valid_loss", ":"), ("exact_test_loss", ":"))
_ACCURACY_STYLES = (("accuracy", "-"), ("valid_accuracy", "-."), ("test_accuracy", "--"))


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


def plot_against(option: str, runs: Sequence[dict], path: str | os.PathLike | None = None,
                 title: str | None = None):
    """The final figures of a sweep's runs against one of their options (e.g. the degree: D2L 4.4's
    underfitting and overfitting in one picture; or the batch size, D2L 3.7's exercise 1): losses on
    a log scale, and accuracies beside them for classifiers; a line per other setting."""
    accuracies = any(name in runs[0]["final"] for name, _ in _ACCURACY_STYLES)
    fig, axes = plt.subplots(1, 2 if accuracies else 1, figsize=(11 if accuracies else 6, 4), squeeze=False)
    _draw_finals(axes[0, 0], option, runs, _LOSS_STYLES)
    axes[0, 0].set_ylabel("loss after training")
    if accuracies:
        _draw_finals(axes[0, 1], option, runs, _ACCURACY_STYLES)
        axes[0, 1].set_ylabel("accuracy after training")
        axes[0, 1].grid(True, alpha=0.3)
        axes[0, 1].legend(fontsize=8)
    return _finish(fig, axes[0, 0], path, title, log=True)


def plot_folds(result, option: str, path: str | os.PathLike | None = None, title: str | None = None):
    """K-fold cross-validation: each fold's validation loss and their mean against `option`
    (result: a `jaxlin.crossval.CrossValidation`), a mean line per other setting, the chosen run marked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = _groups(result.runs, option)
    for group, members in groups.items():
        x = [result.runs[i][option] for i in members]
        ax.plot(x, np.asarray(result.fold_losses)[members], color="grey", alpha=0.4, linewidth=1)
        ax.plot(x, np.asarray(result.mean)[members], marker="o", markersize=3,
                label="mean over folds" + (f" ({group})" if group else ""))
    ax.plot([], [], color="grey", alpha=0.4, linewidth=1, label="each fold")
    if result.chosen is not None:
        ax.scatter([result.chosen[option]], [result.mean[result.best]], s=80, facecolors="none",
                   edgecolors="tab:red", label=f"chosen: {report_run(result.chosen)}", zorder=3)
    ax.set_ylabel("validation loss")
    _option_axis(ax, option, [run[option] for run in result.runs])
    return _finish(fig, ax, path, title, log=True)


def plot_reliability(curves: dict, figures: dict, path: str | os.PathLike | None = None, title: str | None = None):
    """Two panels: the reliability diagram (each confidence bin's accuracy against its mean
    confidence; the diagonal is perfect calibration), before and after temperature scaling when
    fitted; and accuracy against coverage when the least confident predictions are withheld.
    curves, figures: from `jaxlin.diagnostics.calibrate`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for key, label in (("bins", f"model (ECE {figures['ece']:.3f})"),
                       ("bins_after_temperature", "after temperature scaling, T = {temperature:.2f} (ECE {ece:.3f})")):
        bins = curves.get(key)
        if bins is None:
            continue
        used = np.asarray(bins["count"]) > 0
        if key != "bins":
            label = label.format(temperature=figures["temperature"], ece=figures["ece_after_temperature"])
        left.plot(np.asarray(bins["confidence"])[used], np.asarray(bins["accuracy"])[used], marker="o",
                  markersize=4, label=label)
    left.set(xlabel="confidence (highest probability)", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1),
             title="reliability diagram (test)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    right.plot(curves["coverage"], curves["accuracy"])
    right.axvline(0.9, color="grey", linestyle=":",
                  label=f"90% coverage: accuracy {figures['accuracy_at_90_coverage']:.3f}")
    right.set(xlabel="coverage (fraction of test examples answered)", ylabel="accuracy on those",
              title="abstaining when unsure")
    if title:
        fig.suptitle(title)
    return _finish(fig, right, path, None)
