"""Claiming an output folder, so that no run ever writes into another run's folder.

A run claims its folder before it loads data or trains: it makes the folder (a new one for the
default name, adding -2, -3, ... when two runs start in the same second), creates `.lock` in it
with O_EXCL (only one process can), and keeps it until it ends. A lock left by a process that no
longer exists (killed) is taken over. A folder that holds a run's results is refused unless the
run resumes it. Every problem is an OSError subclass or ClaimError with a message that says what
to do.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = ".lock"
RESULTS = ("checkpoint.npz", "metrics.json", "params.npz")


class ClaimError(Exception):
    """The output folder cannot be used; the message says why and what to do."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _lock(folder: Path) -> Path:
    lock = folder / LOCK
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                owner = 0
            if owner and owner != os.getpid() and _alive(owner):
                raise ClaimError(f"{folder} is in use by another run (process {owner}); wait for it to "
                                 "end, or choose another --output-dir.") from None
            lock.unlink(missing_ok=True)  # left by a run that was killed
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return lock
    raise ClaimError(f"{folder}: could not take its lock file {lock}; another run is starting there.")


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
def claimed(folder: Path, *, resume: bool) -> Iterator[Path]:
    """Hold `folder` for this run: made if needed, locked, and checked to hold no other run's results."""
    if folder.exists() and not folder.is_dir():
        raise ClaimError(f"{folder} is a file, not a folder; choose another --output-dir.")
    if resume and not folder.exists():
        raise ClaimError(f"Cannot resume: {folder} does not exist; give the folder of the run to continue.")
    folder.mkdir(parents=True, exist_ok=True)
    lock = _lock(folder)
    try:
        held = [name for name in RESULTS if (folder / name).exists()]
        if held and not resume:
            raise ClaimError(f"{folder} already holds a run ({', '.join(held)}); continue it with --resume, "
                             "or choose another --output-dir.")
        yield folder
    finally:
        lock.unlink(missing_ok=True)
