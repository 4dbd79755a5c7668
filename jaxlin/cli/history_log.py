"""history.jsonl: a run's metrics as they happen, one strict-JSON line per epoch.

Each line is written whole and flushed as its epoch ends, so a run that is killed keeps every epoch
it finished (a line cut short by the kill has no newline and is never read back). A one-model run's
line is ``{"epoch": 3, "loss": 0.41, ...}`` (1-based epochs, the names of metrics.json's
"history"); a sweep's or cross-validation's has one line per model per epoch, the model's settings
under "run": ``{"run": {"lr": 0.1, "seed": 0}, "epoch": 3, "loss": 0.41, ...}``. A resumed run
first rewrites the file with the epochs its checkpoint holds, then appends: no epoch appears twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from jaxlin._util.atomic import strict, write_atomically

HISTORY = "history.jsonl"


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(strict(dict(record)), allow_nan=False) + "\n"


def epoch_lines(history: Mapping[str, Sequence], first: int = 0, run: dict | None = None) -> list[str]:
    """The lines of epochs `first`+1 ... len(history) of `history` ({name: [one value per epoch]})."""
    epochs = len(next(iter(history.values()), []))
    head = {} if run is None else {"run": run}
    return [
        _line({**head, "epoch": e + 1, **{name: values[e] for name, values in history.items()}})
        for e in range(first, epochs)
    ]


class HistoryLog:
    """history.jsonl in `folder`, open for appending: `started` is the history the run starts from
    (a resumed run's checkpoint history; None or {} for a new run, which starts the file afresh)."""

    def __init__(self, folder: Path, started: Mapping[str, Sequence] | None = None):
        self.path = Path(folder) / HISTORY
        self._file: TextIO | None = None
        if started:  # at once: the file agrees with the checkpoint even if no epoch follows
            self._open("".join(epoch_lines(started)))
        else:  # the file is made with the first epoch; an earlier, unfinished run's goes now
            self.path.unlink(missing_ok=True)

    def _open(self, text: str = "") -> TextIO:
        write_atomically(self.path, lambda f: f.write(text.encode()))
        self._file = self.path.open("a", encoding="utf-8")
        return self._file

    def _write(self, lines: Iterable[str]) -> None:
        file = self._file or self._open()
        file.write("".join(lines))
        file.flush()

    def append(self, history: Mapping[str, Sequence]) -> None:
        """Write the last epoch of `history` ({name: [one value per epoch]}), flushed."""
        self._write(epoch_lines(history, len(next(iter(history.values()))) - 1))

    def append_models(self, runs: Sequence[dict], epoch: int, metrics: Mapping[str, Sequence]) -> None:
        """Write one line per model of a sweep's epoch (1-based): `metrics` holds a list per name,
        one value per model, in the order of `runs`."""
        self._write(
            _line({"run": run, "epoch": epoch, **{k: v[m] for k, v in metrics.items()}}) for m, run in enumerate(runs)
        )

    def sync(self) -> None:
        """Put what was written on the disk (called with each checkpoint, not every epoch: it costs)."""
        if self._file is not None:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()

    def __enter__(self) -> HistoryLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_history(path: str | os.PathLike) -> list[dict]:
    """The complete lines of a history.jsonl, parsed (a last line cut short by a kill is left out)."""
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def as_history(lines: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """One model's lines as metrics.json holds its history: {name: [one value per epoch]}."""
    history: dict[str, list] = {}
    for line in lines:
        for name, value in line.items():
            if name not in ("epoch", "run"):
                history.setdefault(name, []).append(value)
    return history
