"""An advisory file lock, held while a block runs and dropped by the system if the process dies,
so a killed process never leaves a lock behind.

Where `fcntl` exists (Linux, macOS, every POSIX system), `fcntl.flock` itself: the standard
library, and the lock file can be removed while held (`remove=True`), which the output folders
need. Elsewhere (Windows) the `filelock` package, which locks with `msvcrt` there and is tested on
Windows by its authors; pyproject.toml installs it only there. Kept two-way rather than `filelock`
everywhere because its POSIX lock never removes its file and our removal needs the inode check below.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class Busy(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True, remove: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block.

    wait=False raises Busy at once instead of waiting for another holder; remove=True deletes the
    file on release (while still holding it; a process that locked the deleted file meanwhile
    sees that its file is gone and tries again).
    """
    lock = _posix_lock if fcntl is not None else _package_lock
    with lock(Path(path), wait, remove):
        yield


@contextlib.contextmanager
def _posix_lock(path: Path, wait: bool, remove: bool) -> Iterator[None]:
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
            path.unlink(missing_ok=True)
        f.close()  # closing drops the lock


@contextlib.contextmanager
def _package_lock(path: Path, wait: bool, remove: bool) -> Iterator[None]:
    import filelock  # installed where fcntl is missing (see pyproject.toml)

    lock = filelock.FileLock(os.fspath(path), timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise Busy(path) from None
    try:
        yield
    finally:
        lock.release()
        if remove:  # after the release: Windows removes no open file, so this never races a new holder
            with contextlib.suppress(OSError):
                path.unlink()
