"""Training across processes, on one host or many, with `jax.distributed`.

Every process runs the same command with the same options and loads the whole data set; the
coordinator (process 0) also writes the results. Once the processes have joined, `jax.devices()`
lists every process's devices, `jaxlin.parallel`'s one-axis mesh spans them, and each device
computes the loss and gradient of its share of every minibatch; XLA all-reduces the gradients
across processes (over gloo on CPUs). The train state and data go in as global, replicated
arrays (`parallel.replicate`), since `jax.device_put` cannot reach another process's devices.

JAX aborts the process (a C++ stack trace, exit 134) when its wait for the others times out, and
Python cannot see a Ctrl-C during that wait; so `join` checks the coordinator's port itself first,
then waits for JAX in a thread, with its own shorter deadline and an eye on `stop` (a Ctrl-C flag).
What happens when a process stops later is `jaxlin.engine.peers`'s concern.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

import jax
import numpy as np
from jax._src import distributed as _jax_distributed  # the coordinator's client: no public handle

ENV = {"coordinator": "JAXLIN_COORDINATOR", "num_processes": "JAXLIN_NUM_PROCESSES", "process_id": "JAXLIN_PROCESS_ID"}
OPTIONS = {"coordinator": "--coordinator", "num_processes": "--num-processes", "process_id": "--process-id"}
TIMEOUT_S = 60
HEARTBEAT_S = 10  # a process silent this long is dead to the coordinator
GRACE_S = 30  # JAX's own wait, which aborts the process, ends this long after `join`'s
END_BARRIER = "jaxlin/end"


class PeerLost(RuntimeError):
    """Another process of the cluster died or stopped answering."""


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Where the processes meet (host:port of process 0), how many there are, and which this is."""

    coordinator: str
    num_processes: int
    process_id: int

    @property
    def host_and_port(self) -> tuple[str, int]:
        host, _, port = self.coordinator.rpartition(":")
        return host.strip("[]"), int(port)


def _integer(name: str, value) -> int:
    """A whole number from the command line (text), the environment (text) or the API (an int)."""
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise ValueError(f"{OPTIONS[name]} ({ENV[name]}) must be a whole number, got {value!r}.")


def cluster_settings(
    coordinator=None, num_processes=None, process_id=None, environ: Mapping[str, str] = os.environ
) -> dict:
    """The cluster settings as given, each falling back on its JAXLIN_* variable (an empty or blank
    one is unset, as an unset one); unparsed: `cluster_from` checks them."""
    given = {"coordinator": coordinator, "num_processes": num_processes, "process_id": process_id}
    return {k: v if v is not None else ((environ.get(ENV[k]) or "").strip() or None) for k, v in given.items()}


def cluster_from(coordinator=None, num_processes=None, process_id=None) -> Cluster | None:
    """The cluster that the settings describe; None when they name none. ValueError, saying what
    to fix, when the description is incomplete or wrong."""
    values = {"coordinator": coordinator, "num_processes": num_processes, "process_id": process_id}
    if all(v is None for v in values.values()):
        return None
    missing = [f"{OPTIONS[k]} ({ENV[k]})" for k, v in values.items() if v is None]
    if missing:
        raise ValueError(
            "training across processes needs the coordinator's address, the number of processes "
            f"and this process's id; missing: {', '.join(missing)}."
        )
    host, _, port = str(values["coordinator"]).rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(
            f"{OPTIONS['coordinator']} ({ENV['coordinator']}) must be HOST:PORT with a port from 1 to 65535 "
            f"(e.g. 127.0.0.1:12355), got {values['coordinator']!r}."
        )
    count, rank = _integer("num_processes", values["num_processes"]), _integer("process_id", values["process_id"])
    if count < 1:
        raise ValueError(f"{OPTIONS['num_processes']} ({ENV['num_processes']}) must be at least 1, got {count}.")
    if not 0 <= rank < count:
        raise ValueError(
            f"{OPTIONS['process_id']} ({ENV['process_id']}) must be from 0 to the number of processes - 1 "
            f"({count - 1}, with {OPTIONS['num_processes']} {count}), got {rank}."
        )
    return Cluster(str(values["coordinator"]), count, rank)


def _wait_for_port(host: str, port: int, timeout_s: float, stop: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop():
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def join(cluster: Cluster, timeout_s: float | None = None, stop: Callable[[], bool] = lambda: False) -> None:
    """Join the cluster: call before anything else touches JAX. RuntimeError, in a sentence, if the
    coordinator is not reachable or not all processes join within `timeout_s`; KeyboardInterrupt
    as soon as `stop()` turns true meanwhile. After either, once JAX's wait has begun, the process
    must end through `peers.abandon` (JAX's wait goes on in its thread). `timeout_s`: TIMEOUT_S."""
    timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
    host, port = cluster.host_and_port
    if cluster.process_id == 0:
        try:
            with socket.create_server((host, port)):
                pass  # free: the coordination service can listen there
        except OSError as err:
            raise RuntimeError(
                f"process 0 cannot serve as coordinator on {cluster.coordinator}: "
                f"{err.strerror or err}. Process 0 runs the coordinator: give this host's "
                "address and a free port."
            ) from None
    elif not _wait_for_port(host, port, timeout_s, stop):
        if stop():
            raise KeyboardInterrupt
        raise RuntimeError(
            f"process {cluster.process_id} found no coordinator at {cluster.coordinator} within "
            f"{timeout_s:.0f} s. Start process 0 with the same --coordinator and --num-processes."
        )
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPUs all-reduce over gloo
    jax.config.update("jax_enable_preemption_service", False)  # it would swallow SIGTERM
    jax.config.update("jax_enable_recoverability", True)  # else a dead peer's silence aborts the others
    jax.config.update("jax_logging_level", "ERROR")  # not the warning that recoverability is experimental
    failed: list[BaseException] = []

    def connect() -> None:
        try:
            jax.distributed.initialize(
                coordinator_address=cluster.coordinator,
                num_processes=cluster.num_processes,
                process_id=cluster.process_id,
                initialization_timeout=int(timeout_s) + GRACE_S,
                heartbeat_timeout_seconds=HEARTBEAT_S,
            )
        except Exception as err:
            failed.append(err)

    waiting = threading.Thread(target=connect, name="jaxlin-join", daemon=True)
    waiting.start()
    deadline = time.monotonic() + timeout_s
    while waiting.is_alive() and time.monotonic() < deadline and not stop():
        waiting.join(0.1)
    if waiting.is_alive() and stop():
        raise KeyboardInterrupt
    if failed:
        raise RuntimeError(
            f"process {cluster.process_id} could not join the cluster at {cluster.coordinator}: "
            f"{str(failed[0]).strip().splitlines()[0]}"
        )
    if waiting.is_alive():
        raise RuntimeError(
            f"process {cluster.process_id} waited {timeout_s:.0f} s at {cluster.coordinator} for all "
            f"{cluster.num_processes} processes to join, in vain. Start each with the same --coordinator "
            f"and --num-processes and its own --process-id from 0 to {cluster.num_processes - 1}."
        )


def wait_for_all(timeout_s: float | None = None) -> None:
    """Wait until every process comes here (once a run; JAX's shutdown does not wait for them when
    peers may fail, and a worker still running would lose the coordinator process 0 serves)."""
    client = _jax_distributed.global_state.client
    if client is not None:
        try:
            client.wait_at_barrier(END_BARRIER, int((TIMEOUT_S if timeout_s is None else timeout_s) * 1000))
        except Exception as err:  # JAX's error: a peer died, or did not come in time
            raise PeerLost(str(err)) from None


def leave(wait: bool = True) -> None:
    """Leave the cluster, first waiting for the other processes (`wait_for_all`) unless done.
    Process 0 leaves last: the coordinator it serves goes with it, and a process still talking
    to it then would abort."""
    if wait:
        wait_for_all()
    state = _jax_distributed.global_state
    if state.client is not None and state.process_id == 0:
        state.client.get_live_nodes(list(range(state.num_processes)))  # returns once the others left
    jax.distributed.shutdown()
