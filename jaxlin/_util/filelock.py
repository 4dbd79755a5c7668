"""An advisory file lock (`fcntl.flock`): held while a block runs, and dropped by the kernel if
the process dies, so a killed process never leaves a lock behind."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True, remove: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block.

    wait=False raises Busy at once instead of waiting for another holder; remove=True deletes the
    file on release (while still holding it; a process that locked the deleted file meanwhile
    sees that its file is gone and tries again).
    """
    while True:
        f = open(path, "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            f.close()
            raise Busy(path) from None
        try:
            if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        f.close()  # the file was removed by its last holder after we opened it: take the new one
    try:
        yield
    finally:
        if remove:
            Path(path).unlink(missing_ok=True)
        f.close()  # closing drops the lock
