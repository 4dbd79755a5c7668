"""checkpoint.npz of a one-model run, written at most every SECONDS_BETWEEN seconds.

Rewriting the checkpoint (the state and the whole history) after every epoch made a run's cost
grow with the square of its epochs; written every few seconds, and always once more when the run
ends, by early stopping, a diverged epoch, Ctrl-C or SIGTERM (`save_now` in the loop's `finally`),
its cost is a bounded share of the run. The epochs in between are in history.jsonl as they
happen; a run resumed from the checkpoint continues bit for bit from the epoch it holds, and its
history.jsonl is cut back to that epoch (`jaxlin.cli.history_log`). Only a SIGKILL or a crash of
the machine loses the epochs since the last write (at most SECONDS_BETWEEN seconds of training).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jaxlin.cli.history_log import HistoryLog
from jaxlin.engine.checkpoint import save_state
from jaxlin.engine.early_stopping import Best
from jaxlin.engine.train_state import History, TrainState

SECONDS_BETWEEN = 2.0  # at most one checkpoint per this many seconds, besides the last


class Checkpointer:
    """Saves `path` with the state, the history so far and the `record` (a dict of JSON metadata),
    plus the best epoch's parameters with early stopping; `log`, when given, is synced first, so
    that history.jsonl on disk always holds at least the checkpoint's epochs. `save` writes the
    file (`jaxlin.engine.checkpoint.save_state`'s arguments)."""

    def __init__(self, path: Path, record: dict[str, Any], log: HistoryLog | None = None, save=save_state):
        self.path, self.record, self.log, self._save = path, record, log, save
        self._pending: tuple[TrainState, History, int, Best | None] | None = None
        self._last = -float("inf")  # the first epoch is saved at once: a run can be resumed early

    def maybe_save(self, state: TrainState, history: History, best: Best | None) -> bool:
        """Note the epoch just finished (`history` holds one value per epoch up to it); save it if
        the last checkpoint is SECONDS_BETWEEN old. Returns whether it saved."""
        self._pending = (state, history, len(history["loss"]), best)
        if time.monotonic() - self._last < SECONDS_BETWEEN:
            return False
        return self.save_now()

    def save_now(self) -> bool:
        """Save the last epoch given to `maybe_save`, unless it is saved already. Returns whether it saved.
        Call it when the run stops for any reason (e.g. in a `finally`)."""
        if self._pending is None:
            return False
        state, history, done, best = self._pending
        self._pending = None  # not retried if the write fails: the old checkpoint stays whole
        if self.log is not None:
            self.log.sync()
        record = {**self.record, "history": {name: values[:done] for name, values in history.items()}}
        if best is None:
            self._save(self.path, state, record)
        else:  # one atomic file: the state and the best epoch can never disagree
            self._save(self.path, state, {**record, "best_epoch": best.epoch}, {"best": best.params})
        self._last = time.monotonic()
        return True
