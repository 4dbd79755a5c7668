"""The distribution-shift experiment's figure, shift.png: the shift itself, the correction's
weights or estimate, and the target accuracies side by side."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

from jaxlin.data.shift import ShiftedData, ink
from jaxlin.plots.figures import save_figure


def _accuracy_bars(ax, accuracy: dict) -> None:
    names = list(accuracy)
    values = [accuracy[n] for n in names]
    bars = ax.bar(names, values, color=["tab:gray", "tab:green", "tab:purple", "tab:blue"][: len(names)])
    ax.bar_label(bars, labels=[f"{v:.4f}" for v in values], fontsize=8)
    low = min(values)
    ax.set_ylim(max(0.0, low - 0.05), min(1.0, max(values) + 0.02))
    ax.set_title("target test accuracy")
    ax.grid(True, axis="y", alpha=0.3)


def plot_shift(shifted: ShiftedData, figures: dict, arrays: dict, path: str | os.PathLike | None = None):
    """Covariate shift: the images' mean intensity in source and target, the importance weights β,
    the accuracies. Label shift: p, q and the estimate q̂ per class, the accuracies."""
    fig, axes = plt.subplots(
        1, 3 if shifted.kind == "covariate" else 2, figsize=(15 if shifted.kind == "covariate" else 12, 3.8)
    )
    if shifted.kind == "covariate":
        bins = np.linspace(0, 0.8, 41)
        for name, data in (("source", shifted.source), ("target", shifted.target)):
            axes[0].hist(ink(data.train[0]), bins=bins, alpha=0.5, density=True, label=name)
        axes[0].set(xlabel="mean pixel intensity", ylabel="density", title="the shifting property")
        axes[0].legend(fontsize=8)
        beta = arrays["beta"]
        low, high = max(float(beta.min()), 1e-6), max(float(beta.max()), 1e-6)
        axes[1].hist(np.maximum(beta, low), bins=np.geomspace(low, high * 1.01 + 1e-12, 40), color="tab:green")
        axes[1].set_xscale("log")
        b = figures["beta"]
        axes[1].set(
            xlabel="β = min(exp h(x) · n_s/n_t, c)",
            ylabel="source examples",
            title=f"importance weights ({b['clipped_fraction']:.1%} at c = {b['clip']:g})",
        )
    else:
        dist = figures["label_distribution"]
        names = shifted.source.label_names
        if names is None:
            plt.close(fig)
            raise ValueError("A label shift's figure needs the class names: the source data have no `label_names`.")
        x = np.arange(len(names))
        for i, (key, label) in enumerate((("source", "source p"), ("target", "target q"), ("estimated", "estimate q̂"))):
            axes[0].bar(x + (i - 1) * 0.27, dist[key], width=0.27, label=label)
        axes[0].set_xticks(x, names, rotation=45, ha="right", fontsize=8)
        axes[0].set(ylabel="fraction", title=f"label distributions (‖q̂ − q‖₁ = {figures['estimation_error_l1']:.3f})")
        axes[0].legend(fontsize=8)
    _accuracy_bars(axes[-1], figures["target_accuracy"])
    fig.suptitle(shifted.description, fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
