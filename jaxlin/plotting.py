"""Pictures: image grids (D2L's show_images), training curves (the animator) and predictions."""
from __future__ import annotations

import io
import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from jaxlin.atomic import write_atomically
from jaxlin.labels import LABELS, ordered


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
                 title: str | None = None, names: Sequence[str] | None = None):
    """Curves of per-epoch metrics against the epoch (the book's animator, drawn once).

    names: the metrics to draw (default: all, in the order of `jaxlin.labels.LABELS`).
    """
    names = names or ordered(history)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in names:
        values = history[name]
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=LABELS.get(name, name))
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
    ax.set(xlabel="epoch", ylabel=metric, yscale="log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
    return fig
