"""Claiming an output folder, so that no run ever writes into another run's folder.

A run claims its folder before it loads data or trains: it makes the folder (a new one for the
default name, adding -2, -3, ... when two runs start in the same second) and holds a lock on
`.lock` in it until it ends (the kernel drops the lock of a killed run). A folder that holds a
run's results is refused unless the run resumes it. Temporary files a killed run left there
(`.checkpoint.npz.*.tmp`, ...) are removed once the folder is held. Every problem is an OSError or a ClaimError
with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jaxlin._util.atomic import remove_stale
from jaxlin._util.filelock import Busy, locked

LOCK = ".lock"
RESULTS = ("checkpoint.npz", "metrics.json", "params.npz")


class ClaimError(Exception):
    """The output folder cannot be used; the message says why and what to do."""


def new_folder(base: Path) -> Path:
    """Make and return `base`, or `base-2`, `base-3`, ... if it exists (two runs in one second)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise ClaimError(f"Too many runs named {base}*; choose an --output-dir.")


@contextmanager
def claimed(folder: Path, *, resume: bool, made: bool = False) -> Iterator[Path]:
    """Hold `folder` for this run: made if needed, locked, and checked to hold no other run's results.

    A folder this run made (or that the caller says it made, `made`) is removed again if the run
    ends without writing anything into it, e.g. when its data cannot be loaded.
    """
    if folder.exists() and not folder.is_dir():
        raise ClaimError(f"{folder} is a file, not a folder; choose another --output-dir.")
    if resume and not folder.exists():
        raise ClaimError(f"Cannot resume: {folder} does not exist; give the folder of the run to continue.")
    made = made or not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with _held(folder, resume):
            yield folder
    finally:
        if made and not any(folder.iterdir()):
            try:
                folder.rmdir()
            except OSError:  # another run got in first: the folder is its now
                pass


@contextmanager
def _held(folder: Path, resume: bool) -> Iterator[None]:
    try:
        with locked(folder / LOCK, wait=False, remove=True):
            held = [name for name in RESULTS if (folder / name).exists()]
            if held and not resume:
                resumable = "checkpoint.npz" in held
                raise ClaimError(
                    f"{folder} already holds a run ({', '.join(held)}); "
                    f"{'continue it with --resume, or ' if resumable else ''}choose another --output-dir."
                )
            remove_stale(folder)  # only now: while the lock is held no other run writes here
            yield
    except Busy:
        raise ClaimError(
            f"{folder} is in use by another run; wait for it to end, or choose another --output-dir."
        ) from None
