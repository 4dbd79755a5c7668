"""A run across processes (`--coordinator`, `--num-processes`, `--process-id`): each process joins
the others, trains beside them, and when the run breaks says so in one sentence naming the process
that failed, then exits 1 (the mechanics are in `jaxlin.engine.distributed` and `jaxlin.engine.peers`)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable

from jaxlin._util.atomic import remove_temporary_files
from jaxlin.cli import program, signals
from jaxlin.cli.errors import CommandError, Interrupted
from jaxlin.engine import peers
from jaxlin.engine.distributed import Cluster, join, leave, wait_for_all
from jaxlin.experiments.config import Config

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
    if isinstance(err, KeyboardInterrupt | Interrupted):
        return "interrupted (Ctrl-C or SIGTERM)."
    return str(err) or type(err).__name__


def run_across_processes(config: Config, run_one: Callable[[Config], dict]) -> dict:
    """`run_one(config)` in each process once all have joined: process 0 prints and writes the
    results, the others train beside it in silence and write nothing that stays. A failure or a
    Ctrl-C in any process ends every one in a sentence (`peers`); returns what metrics.json holds."""
    assert config.coordinator is not None and config.process_id is not None  # make_config sets all three
    assert config.num_processes is not None
    me = name(config.process_id, config.num_processes)
    try:
        join(Cluster(config.coordinator, config.num_processes, config.process_id), stop=signals.requested)
    except RuntimeError as err:
        peers.abandon(1)
        raise CommandError(str(err)) from None
    except KeyboardInterrupt:
        peers.abandon(signals.ABORTED)
        raise Interrupted(f"interrupted while {me} waited for the others to join; nothing was written.") from None
    with tempfile.TemporaryDirectory() as scratch:
        try:
            with peers.watching(say_a_peer_stopped(me, scratch)):
                if config.process_id == 0:
                    summary = run_one(config)
                else:
                    with contextlib.redirect_stdout(io.StringIO()):
                        summary = run_one(dataclasses.replace(config, output_dir=scratch, plots=False))
                wait_for_all()
        except (CommandError, KeyboardInterrupt) as err:
            peers.tell_stopped(reason(err))  # the others end now, not at their all-reduce's timeout
            if isinstance(err, KeyboardInterrupt | Interrupted):  # a run across processes does not resume
                peers.abandon(signals.ABORTED)
                raise Interrupted(f"{me} interrupted. {AGAIN}") from None
            peers.abandon(1)
            raise
        except Exception as err:
            peers.abandon(1)
            if not peers.lost_peer(err):
                peers.tell_stopped(reason(err))
                raise
            raise CommandError(lost(me)) from None
    leave(wait=False)
    if config.process_id:
        print(f"{me}: done; process 0 wrote the results")
    return summary
