"""Ctrl-C while `python -m jaxlin.<command>` starts: importing jax takes seconds, and a Ctrl-C
then would print a KeyboardInterrupt traceback. Until the command installs its own handling
(`jaxlin.cli.signals`), it ends the process with one sentence and exit code 130 instead.
Importing this module installs that handler, only when a command runs (`python -m`, whose package
import sees sys.argv[0] == "-m", or the `jaxlin` script), never for a program or notebook that
imports jaxlin."""

from __future__ import annotations

import os
import signal
import sys
import threading


def _stop(*_) -> None:
    try:
        os.write(2, b"\ninterrupted while starting; nothing was written.\n")
    finally:
        os._exit(130)


_COMMAND = sys.argv[:1] == ["-m"] or os.path.basename(sys.argv[0] if sys.argv else "") == "jaxlin"
if _COMMAND and threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, _stop)
