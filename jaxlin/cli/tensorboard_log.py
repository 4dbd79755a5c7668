"""`--tensorboard`: TensorBoard event files under <run>/tensorboard/, written with tensorboardX
(`pip install -e ".[tensorboard]"`; it loads only here, when a run asks for it).

Every epoch's metrics are scalars named as in metrics.json's history ("loss", "test_accuracy", ...)
at step = the 1-based epoch; the final figures are scalars "final/<name>" at the last epoch's step
(0 for a solve or a shift, which have no epochs); the run's PNG figures are images "images/<name>"
at the same step. A sweep writes one series per model, in a subfolder named after its settings
(`lr=0.1,seed=0`), so that TensorBoard draws them side by side. Read them with
`tensorboard --logdir <run>/tensorboard`.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

TENSORBOARD = "tensorboard"  # the folder in the run's folder
INSTALL = 'pip install -e ".[tensorboard]"'
FLUSH_SECONDS = 2  # a killed run loses at most this much of its event files


def missing() -> str | None:
    """The one sentence to say when tensorboardX is not installed (None when it is)."""
    if importlib.util.find_spec("tensorboardX") is None:
        return f"--tensorboard needs the tensorboardX package, which is not installed: {INSTALL}"
    return None


def run_name(run: Mapping[str, Any]) -> str:
    """A model's folder name from its settings: {"lr": 0.1, "seed": 0} -> "lr=0.1,seed=0"."""
    shown = lambda v: "-".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
    return ",".join(f"{name}={shown(value)}" for name, value in run.items())


def _numbers(values: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, float]]:
    """The finite numbers of `values`, nested dicts flattened into "a/b" names."""
    for name, value in values.items():
        if isinstance(value, Mapping):
            yield from _numbers(value, f"{prefix}{name}/")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            yield f"{prefix}{name}", float(value)


class Board:
    """One series of event files in `folder`; `resumed_after`: the epoch a resumed run continues
    from (the events of later epochs, from the interrupted run, are purged when read)."""

    def __init__(self, folder: Path, resumed_after: int = 0, suffix: str = ""):
        from tensorboardX import SummaryWriter

        purge = resumed_after + 1 if resumed_after else None
        # the file's name holds its second only: two writers in one second (a run and its resume,
        # in one process or two) would share a file, and the second would erase the first's events
        unique = f".{os.getpid()}.{time.time_ns()}{suffix}"
        self._writer = SummaryWriter(str(folder), purge_step=purge, flush_secs=FLUSH_SECONDS, filename_suffix=unique)

    def scalars(self, step: int, values: Mapping[str, Any], prefix: str = "") -> None:
        """Every finite number of `values` (nested dicts as "a/b"), named `prefix` + its name."""
        for name, value in _numbers(values, prefix):
            self._writer.add_scalar(name, value, step)

    def images(self, step: int, paths: Iterable[Path]) -> None:
        """The PNG files at `paths`, as images "images/<file name without .png>"."""
        import numpy as np
        from PIL import Image  # matplotlib's own dependency

        for path in paths:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
            self._writer.add_image(f"images/{path.stem}", pixels, step, dataformats="HWC")

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def clear(out: Path) -> None:
    """Remove the event files an earlier, unfinished run left in `out`/tensorboard (a run that
    starts afresh in a folder that holds no results writes its own)."""
    for path in (out / TENSORBOARD).rglob("events.out.tfevents.*"):
        path.unlink(missing_ok=True)


def write_final(out: Path, step: int, final: Mapping[str, Any], run: Mapping[str, Any] | None = None) -> None:
    """The final figures and every PNG in `out` (drawn by then: queue this with `figures.draw`)."""
    folder = out / TENSORBOARD if run is None else out / TENSORBOARD / run_name(run)
    with Board(folder, suffix=".final") as board:
        board.scalars(step, final, "final/")
        if run is None:
            board.images(step, sorted(out.glob("*.png")))
