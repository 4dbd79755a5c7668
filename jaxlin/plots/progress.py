"""Showing training as it happens: progress on a terminal, and live curves in a notebook (the
book's `Animator`, which redraws the curves after every epoch).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

LONG = 40  # epochs: a longer run gets a progress bar (or about 20 lines), not a line per epoch


def epoch_line(epoch: int, num_epochs: int, text: str, seconds: float) -> str:
    width = len(str(num_epochs))
    return f"epoch {epoch + 1:>{width}}/{num_epochs}  {text}  ({seconds:.2f} s)"


def worth_a_line(epoch: int, num_epochs: int, lines: int = LONG // 2) -> bool:
    """Whether epoch `epoch` (0-based) gets a line of its own: every epoch of a short run, about
    `lines` evenly spaced ones (the first and last among them) of a long one."""
    return num_epochs <= 2 * lines or epoch == 0 or (epoch + 1) % (num_epochs // lines) == 0 or epoch + 1 == num_epochs


def terminal_bar(stream: TextIO, total: int, initial: int = 0, **options: Any) -> Any:
    """A tqdm bar on `stream` when it is a terminal, else None (a log file gets lines instead)."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    # A terminal of unknown size (e.g. under `script`): tqdm would take 0 rows and hide the bar.
    width = {} if shutil.get_terminal_size((0, 0)).columns else {"ncols": 100, "nrows": 24}
    return tqdm(total=total, initial=initial, file=stream, dynamic_ncols=not width, **width, **options)


class EpochPrinter:
    """A run's progress: one line per epoch for a short run; for a long one a tqdm bar when the
    output is a terminal, else (a log file) about 20 evenly spaced lines. Use it as a context."""

    def __init__(self, num_epochs: int, done: int = 0, stream: TextIO | None = None):
        self.num_epochs, self.stream = num_epochs, stream or sys.stdout
        self.bar = terminal_bar(self.stream, num_epochs, done, unit="epoch") if num_epochs - done > LONG else None

    def show(self, epoch: int, text: str, seconds: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)
        elif worth_a_line(epoch, self.num_epochs):
            print(epoch_line(epoch, self.num_epochs, text, seconds), file=self.stream, flush=True)

    def __enter__(self) -> EpochPrinter:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")  # a Jupyter kernel, not terminal IPython


class LiveCurves:
    """Per-epoch curves redrawn in place in a notebook as training goes (the book's `Animator`).

    live = LiveCurves(epochs=10); jaxlin.train_model(config, on_epoch=live.update), or call
    live.update(metrics) in your own loop. Drawing takes about 0.1 s, so it redraws at most every
    `min_seconds`, and always at epoch `epochs` (if given) or when `draw()` is called. Outside a
    notebook it only records `history`.
    """

    def __init__(
        self,
        names: Sequence[str] | None = None,
        title: str | None = None,
        epochs: int | None = None,
        min_seconds: float = 0.5,
    ):
        self.names, self.title, self.epochs, self.min_seconds = names, title, epochs, min_seconds
        self.history: dict[str, list] = {}
        self._handle, self._drawn = None, float("-inf")

    def update(self, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(value)
        last = self.epochs is not None and len(next(iter(self.history.values()))) >= self.epochs
        if last or time.perf_counter() - self._drawn >= self.min_seconds:
            self.draw()

    def draw(self) -> None:
        """Redraw the curves now (in a notebook; elsewhere nothing)."""
        if not self.history or not _in_notebook():
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        from jaxlin.plots.figures import plot_history

        self._drawn = time.perf_counter()
        fig = plot_history(self.history, title=self.title, names=self.names)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)
