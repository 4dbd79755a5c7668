"""Every figure (the book's animator curves, image grids, reliability diagrams, sweeps, folds,
distribution shift), the metrics' labels, and the progress of a run (lines, a bar, live curves).
matplotlib loads only when a figure is drawn. Imports `ops`, `models` and `data`.
"""

from jaxlin._util.lazy import lazy_attributes
from jaxlin.plots.metric_labels import LABELS, describe, ordered
from jaxlin.plots.progress import EpochPrinter, LiveCurves

_LAZY = {  # name -> the module that draws it, imported on first use (it needs matplotlib)
    "plot_history": "jaxlin.plots.figures",
    "plot_reliability": "jaxlin.plots.figures",
    "prediction_grid": "jaxlin.plots.figures",
    "save_figure": "jaxlin.plots.figures",
    "show_images": "jaxlin.plots.figures",
    "plot_against": "jaxlin.plots.sweeps",
    "plot_folds": "jaxlin.plots.sweeps",
    "plot_sweep": "jaxlin.plots.sweeps",
    "plot_shift": "jaxlin.plots.shift",
}
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)

__all__ = [
    "EpochPrinter", "LABELS", "LiveCurves", "describe", "ordered", "plot_against", "plot_folds", "plot_history",
    "plot_reliability", "plot_shift", "plot_sweep", "prediction_grid", "save_figure", "show_images",
]  # fmt: skip
