"""When one process of a cluster stops, every other one ends promptly, in one sentence naming it.

A process that stops for a reason it knows (a refused output folder, Ctrl-C, a full disk) posts
it in the coordinator's key-value store (`tell_stopped`); the others watch for that post from a
thread (`watching`), since their main thread may be waiting inside an all-reduce, which Python
cannot interrupt. A process that dies without a word (SIGKILL) closes its gloo connections, so
the others' next all-reduce fails (`lost_peer` recognises that error) and they name it.

Ending the process: once a cluster is broken, JAX's own clean-up (the shutdown barrier at exit)
would abort with a C++ stack trace, so `abandon` makes the exit skip it (the results are already
written atomically, or not at all).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

from jax._src import distributed as _jax_distributed  # the coordinator's client: no public handle

from jaxlin.engine.distributed import PeerLost

STOPPED = "jaxlin/stopped"  # "<process id>\t<why>", posted once, by the first process to stop
HEARD = "jaxlin/heard/"  # + process id: that process has read the post
POLL_S = 0.25
ACK_S = 5.0  # how long a stopping process keeps the coordinator up for the others to read its post


def _client():
    return _jax_distributed.global_state.client


def _me() -> tuple[int, int]:
    state = _jax_distributed.global_state
    return state.process_id, state.num_processes


def tell_stopped(reason: str, wait_s: float = ACK_S) -> None:
    """Post why this process stops, then wait (at most `wait_s`) until every other process has
    read it: process 0 hosts the store, which goes when it ends. If another process posted first,
    say that this one has read its post (it is stopping too: no need to wait for it)."""
    client = _client()
    if client is None:
        return
    me, count = _me()
    with contextlib.suppress(Exception):
        client.key_value_set(STOPPED, f"{me}\t{reason}")
    first = stopped_peer()
    if first is not None:
        with contextlib.suppress(Exception):
            client.key_value_set(HEARD + str(me), "1")
    pending = {i for i in range(count) if i != me and (first is None or i != first[0])}
    deadline = time.monotonic() + wait_s
    while pending and time.monotonic() < deadline:
        for other in sorted(pending):
            with contextlib.suppress(Exception):  # not yet read
                client.key_value_try_get(HEARD + str(other))
                pending.discard(other)
        time.sleep(POLL_S / 5)


def stopped_peer() -> tuple[int, str] | None:
    """(id, reason) of the process that posted that it stopped, if one did and it is not this one."""
    client = _client()
    if client is None:
        return None
    try:
        who, _, reason = client.key_value_try_get(STOPPED).partition("\t")
    except Exception:  # not posted, or the store is gone
        return None
    return None if int(who) == _me()[0] else (int(who), reason)


@contextlib.contextmanager
def watching(on_stop: Callable[[int, str], None]) -> Iterator[None]:
    """Within the block, as soon as another process posts that it stopped, call
    `on_stop(peer_id, reason)` from a watcher thread (to say so and clean up), then tell the
    stopped process that this one has read its post, and end this process with exit code 1 at
    once: its main thread may be stuck in an all-reduce with the stopped peer. The telling comes
    last: process 0 may end on it, and a process still connected to it then would abort."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(POLL_S):
            peer = stopped_peer()
            if peer is not None and not done.is_set():
                on_stop(*peer)
                with contextlib.suppress(Exception):
                    _client().key_value_set(HEARD + str(_me()[0]), "1")
                os._exit(1)

    watcher = threading.Thread(target=watch, name="jaxlin-peers", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def lost_peer(err: BaseException) -> bool:
    """Whether `err` (from a compiled call) says a collective failed: a peer died or hung."""
    text = str(err)
    return isinstance(err, PeerLost) or "Gloo" in text or "gloo" in text or "DEADLINE_EXCEEDED" in text


def peer_name() -> str:
    """Which process failed, as far as this one can tell."""
    me, count = _me()
    others = [i for i in range(count) if i != me]
    return f"process {others[0]}" if len(others) == 1 else f"one of processes {', '.join(map(str, others))}"


def abandon(exit_code: int) -> None:
    """Make this process end with `exit_code` right after the messages, skipping JAX's clean-up."""

    def end_now() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(exit_code)

    if _client() is not None:
        atexit.register(end_now)  # atexit runs the last registered first: before JAX's shutdown
