"""An advisory file lock (`fcntl.flock`): held while a block runs, released by the kernel if the
process dies, so a killed process never leaves a lock behind."""
from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing, and left in place: removing it would
    let two processes lock two different files) for the block; with ``wait=False`` raise Busy at
    once instead of waiting for another holder."""
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(path) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
