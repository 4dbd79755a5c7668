"""Pictures: image grids (D2L's show_images), training curves (the animator), predictions and
calibration (the reliability diagram). Sweeps' comparisons are in `jaxlin.sweep_plots`."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from jaxlin._util.atomic import write_atomically
from jaxlin.plots.metric_labels import LABELS, ordered


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save a matplotlib figure as PNG, atomically, and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    write_atomically(path, lambda f: f.write(buffer.getvalue()))


def show_images(
    imgs,
    num_rows: int,
    num_cols: int,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
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


def plot_history(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike | None = None,
    title: str | None = None,
    names: Sequence[str] | None = None,
    best_epoch: int | None = None,
):
    """Curves of per-epoch metrics against the epoch (the book's animator, drawn once).

    names: the metrics to draw (default: all, in the order of `jaxlin.plots.metric_labels.LABELS`); without
    accuracies among them (losses, norms) they are drawn on a log scale.
    best_epoch: marked with a vertical line (early stopping).
    """
    names = names or ordered(history)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in names:
        values = history[name]
        many = len(values) > 50
        ax.plot(
            range(1, len(values) + 1), values, marker=None if many else "o", markersize=3, label=LABELS.get(name, name)
        )
    if not any("accuracy" in name for name in names):  # losses (and norms) span decades: a log scale
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


def prediction_grid(
    images,
    true_labels: Sequence[str],
    predicted_labels: Sequence[str],
    num_cols: int = 8,
    path: str | os.PathLike | None = None,
):
    """The book's predict_ch3: each image titled with its true label over the predicted one
    (in red where they differ)."""
    titles = [f"{t}\n{p}" for t, p in zip(true_labels, predicted_labels, strict=True)]
    num_rows = -(-len(titles) // num_cols)
    fig = show_images(images, num_rows, num_cols, titles=titles)
    # strict=False: the grid's last row may have more axes than there are images.
    for ax, t, p in zip(fig.axes, true_labels, predicted_labels, strict=False):
        if t != p:
            ax.title.set_color("tab:red")
    if path is not None:
        save_figure(fig, path)
    return fig


def finish(fig, ax, path, title: str | None, log: bool = False):
    """Grid, legend, title; a log scale when asked and something positive is drawn (a sweep whose
    every model diverged draws only NaN); saved to `path` when given."""
    drawn = [np.asarray(line.get_ydata(), float) for line in ax.lines]
    if log and any(np.any(np.isfinite(y) & (y > 0)) for y in drawn):
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    crowded = len(ax.get_legend_handles_labels()[1]) > 6
    ax.legend(fontsize=8, **({"loc": "upper left", "bbox_to_anchor": (1.02, 1)} if crowded else {}))
    if title:
        fig.suptitle(title) if len(fig.axes) > 1 else ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_reliability(curves: dict, figures: dict, path: str | os.PathLike | None = None, title: str | None = None):
    """Two panels: the reliability diagram (each confidence bin's accuracy against its mean
    confidence; the diagonal is perfect calibration), before and after temperature scaling when
    fitted; and accuracy against coverage when the least confident predictions are withheld.
    curves, figures: from `jaxlin.experiments.reliability.calibrate`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for key, label in (
        ("bins", f"model (ECE {figures['ece']:.3f})"),
        ("bins_after_temperature", "after temperature scaling, T = {temperature:.2f} (ECE {ece:.3f})"),
    ):
        bins = curves.get(key)
        if bins is None:
            continue
        used = np.asarray(bins["count"]) > 0
        if key != "bins":
            label = label.format(temperature=figures["temperature"], ece=figures["ece_after_temperature"])
        left.plot(
            np.asarray(bins["confidence"])[used],
            np.asarray(bins["accuracy"])[used],
            marker="o",
            markersize=4,
            label=label,
        )
    left.set(
        xlabel="confidence (highest probability)",
        ylabel="accuracy",
        xlim=(0, 1),
        ylim=(0, 1),
        title="reliability diagram (test)",
    )
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    right.plot(curves["coverage"], curves["accuracy"])
    right.axvline(
        0.9, color="grey", linestyle=":", label=f"90% coverage: accuracy {figures['accuracy_at_90_coverage']:.3f}"
    )
    right.set(
        xlabel="coverage (fraction of test examples answered)",
        ylabel="accuracy on those",
        title="abstaining when unsure",
    )
    return finish(fig, right, path, title)
