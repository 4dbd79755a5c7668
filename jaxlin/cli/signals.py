"""Ctrl-C and SIGTERM, handled in one place: the first sets a flag that the loops check between
compiled calls (`check()`: after an epoch and its checkpoint, after a solver chunk), so a run
always stops where Python is in control and writes nothing by halves; a second one aborts at once.

Why a flag and not KeyboardInterrupt: Python raises that wherever it happens to be, e.g. inside
`np.savez` (a "Can't close the ZIP file" traceback) or inside JAX's garbage-collection callback,
which swallows it ("Exception ignored ... KeyboardInterrupt") so the run goes on to its end.
A watcher thread reads the signals from a wakeup pipe, so the second Ctrl-C aborts even while the
main thread waits inside a long compiled call (where Python handlers do not run).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from jaxlin._util.atomic import remove_temporary_files

SIGNALS = (signal.SIGINT, signal.SIGTERM)
ABORTED = 130  # the shell's exit code for a run ended by Ctrl-C


class Interrupted(KeyboardInterrupt):
    """A stop asked for by SIGINT or SIGTERM, raised by `check()` between compiled calls."""


_state: dict = {"count": 0, "hint": None}
_requested = threading.Event()


def requested() -> bool:
    """Whether a SIGINT or SIGTERM has arrived since `installed()` began."""
    return _requested.is_set()


def check() -> None:
    """Raise `Interrupted` if a SIGINT or SIGTERM has arrived; call it between compiled calls."""
    if _requested.is_set():
        raise Interrupted()


def set_hint(hint: Callable[[], str]) -> None:
    """What gives the sentence a second Ctrl-C prints when it aborts at once (e.g. how to resume)."""
    _state["hint"] = hint


def _arrived() -> None:
    _state["count"] += 1
    if _state["count"] == 1:
        _requested.set()
        return
    remove_temporary_files()
    try:
        hint = _state["hint"]() if _state["hint"] else "interrupted at once."
    except Exception:  # a hint that fails must not keep the process alive
        hint = "interrupted at once."
    with contextlib.suppress(OSError):
        os.write(2, f"\n{hint}\n".encode(errors="replace"))
    os._exit(ABORTED)


def _exit_now(*_) -> None:
    remove_temporary_files()
    os._exit(ABORTED)


def _watch(read_fd: int) -> None:
    while True:
        try:
            arrived = os.read(read_fd, 64)
        except OSError:
            return
        if not arrived:
            os.close(read_fd)
            return
        for _ in arrived:
            _arrived()


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Handle SIGINT and SIGTERM as described above for the block (in the main thread only;
    elsewhere, e.g. a test calling `main` in a thread, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = {signum: signal.signal(signum, lambda *_: None) for signum in SIGNALS}
    old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    _state.update(count=0, hint=None)
    _requested.clear()
    threading.Thread(target=_watch, args=(read_fd,), name="jaxlin-signals", daemon=True).start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_wakeup)
        stopping = _requested.is_set()  # the run said its sentence: a second signal now only ends it sooner
        for signum, handler in previous.items():
            signal.signal(signum, _exit_now if stopping else handler)
        os.close(write_fd)  # the watcher reads end-of-file, closes its end and ends
        _requested.clear()
