"""A solve's progress as it goes (`--optimizer lbfgs`, `--shift`): the iterations, objective and
gradient norm after each chunk of `jaxlin.engine.solve_lbfgs`, on a tqdm bar or in a log's lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from jaxlin.plots.progress import terminal_bar

if TYPE_CHECKING:
    from jaxlin.engine.lbfgs import SolveProgress

EVERY = 5.0  # seconds between two lines in a log file: a 50 s solve writes about ten


def solve_line(progress: SolveProgress, label: str = "L-BFGS") -> str:
    """'L-BFGS  iteration  14/500  objective 0.316293  ‖grad‖ 7.28e-06  (2.8 s)', and on the
    last chunk 'converged' or 'stopped, not converged'."""
    width = len(str(progress.max_iter))
    line = (
        f"{label}  iteration {progress.iterations:>{width}}/{progress.max_iter}  objective {progress.objective:.6g}  "
        f"‖grad‖ {progress.grad_norm:.3g}  ({progress.seconds:.1f} s)"
    )
    return line + (("  converged" if progress.converged else "  stopped, not converged") if progress.done else "")


class SolvePrinter:
    """Shows solves as `on_chunk` sees them: a tqdm bar of the iterations when `stream` (default
    stdout, beside the epoch lines) is a terminal, else a line every `every` seconds of the solve
    and its last one. Solves in turn get one bar or series each (a `done` chunk ends one).
    `check()`, if given, runs first at each chunk: e.g. `jaxlin.cli.signals.check`, whose
    exception stops the solve within a chunk. Use it as a context (it closes an open bar)."""

    def __init__(
        self,
        label: str = "L-BFGS",
        stream: TextIO | None = None,
        every: float = EVERY,
        check: Callable[[], Any] | None = None,
    ):
        self.label, self.stream, self.every, self.check = label, stream or sys.stdout, every, check
        self.bar: Any = None
        self.shown: float | None = None  # the solve's seconds at its last line; None before a solve's first chunk

    def __call__(self, progress: SolveProgress) -> None:
        if self.check is not None:
            self.check()
        if self.shown is None:  # a new solve
            self.shown = 0.0
            self.bar = terminal_bar(self.stream, progress.max_iter, unit="it", desc=self.label, leave=True)
        if self.bar is not None:
            text = f"objective {progress.objective:.6g}  ‖grad‖ {progress.grad_norm:.3g}"
            converged = "  converged" if progress.converged else "  not converged"
            self.bar.set_postfix_str(text + (converged if progress.done else ""), refresh=False)
            self.bar.update(progress.iterations - self.bar.n)
        elif progress.done or progress.seconds - self.shown >= self.every:
            self.shown = progress.seconds
            print(solve_line(progress, self.label), file=self.stream, flush=True)
        if progress.done:
            self.close()

    def close(self) -> None:
        """End the solve shown (its bar closed): the next chunk begins another."""
        if self.bar is not None:
            self.bar.close()
        self.bar, self.shown = None, None

    def __enter__(self) -> SolvePrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
