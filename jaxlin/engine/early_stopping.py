"""Early stopping (D2L 3.7, exercise 2): stop when the validation loss stops improving, keep the
best epoch's parameters.

`keep_best` wraps the epochs that `train_epochs` yields, so the caller's loop stays its own: it
sees each epoch with the best so far, and the loop ends once the watched figure has not improved
for `patience` epochs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from jaxlin._util import checks


class Best(NamedTuple):
    """The best epoch so far: its number (1-based), its value of the watched figure, its parameters."""

    epoch: int
    value: float
    params: Any


def improves(value: float, best: Best | None) -> bool:
    """Whether `value` is lower than the best's (NaN never is)."""
    return math.isfinite(value) and (best is None or value < best.value)


def patience_ran_out(best: Best | None, epoch: int, patience: int) -> bool:
    """Whether `patience` epochs have passed since the best one, after epoch `epoch` (1-based)."""
    return best is not None and epoch - best.epoch >= patience


def keep_best(
    epochs: Iterable[tuple[Any, Mapping[str, float]]],
    *,
    patience: int,
    monitor: str = "valid_loss",
    best: Best | None = None,
) -> Iterator[tuple[Any, Mapping[str, float], Best | None]]:
    """Yield (state, metrics, best) for each epoch of `epochs` until `metrics[monitor]` has not
    improved for `patience` epochs. `best` continues an earlier run's record (e.g. on resume)."""
    patience = checks.positive_int("patience", patience)
    for state, metrics in epochs:
        if monitor not in metrics:
            raise ValueError(
                f"Early stopping watches {monitor!r}, which the epoch does not report "
                f"(it reports {', '.join(metrics)}); hold out a validation split."
            )
        epoch = int(state.epoch)
        if improves(metrics[monitor], best):
            best = Best(epoch, metrics[monitor], state.params)
        yield state, metrics, best
        if patience_ran_out(best, epoch, patience):
            return


def best_in_history(values: Sequence[float]) -> tuple[int, float] | None:
    """The 1-based epoch with the lowest finite value, and the value (the first one on ties)."""
    finite = [(v, e) for e, v in enumerate(values, start=1) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    value, epoch = min(finite)
    return epoch, value
