"""What a process of a run across processes says when the run breaks: one sentence naming the
process that failed, then exit 1 (the mechanics are in `jaxlin.engine.peers`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable

from jaxlin._util.atomic import remove_temporary_files
from jaxlin.cli import program
from jaxlin.engine import peers

AGAIN = "A run across processes does not resume: start them all again."


def name(process_id: int, num_processes: int) -> str:
    return f"process {process_id} of {num_processes}"


def say_a_peer_stopped(me: str, scratch: str) -> Callable[[int, str], None]:
    """What the watcher thread does, before ending this process, when another process posts
    that it stopped: say so, and remove this process's temporary files."""

    def say(peer: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(OSError):
            text = f"{program.name()}: error: {me} stops because process {peer} stopped: {reason}\n"
            os.write(2, text.encode(errors="replace"))
        remove_temporary_files()
        shutil.rmtree(scratch, ignore_errors=True)

    return say


def lost(me: str) -> str:
    """The sentence for a collective that failed: a peer died (SIGKILL, a crash) or hung."""
    posted = peers.stopped_peer()
    if posted is not None:
        return f"{me} stops because process {posted[0]} stopped: {posted[1]}"
    return f"{me} stops: {peers.peer_name()} stopped answering (it was killed or lost its connection). {AGAIN}"


def reason(err: BaseException) -> str:
    """What this process posts for the others when it stops."""
    if isinstance(err, KeyboardInterrupt) or type(err).__name__ == "Interrupted":
        return "interrupted (Ctrl-C or SIGTERM)."
    return str(err) or type(err).__name__
