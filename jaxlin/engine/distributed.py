"""Training across processes, on one host or many, with `jax.distributed`.

Every process runs the same command with the same options and loads the whole data set; the
coordinator (process 0) also writes the results. Once the processes have joined, `jax.devices()`
lists every process's devices, `jaxlin.parallel`'s one-axis mesh spans them, and each device
computes the loss and gradient of its share of every minibatch; XLA all-reduces the gradients
across processes (over gloo on CPUs). The train state and data go in as global, replicated
arrays (`parallel.replicate`), since `jax.device_put` cannot reach another process's devices.

A process that cannot reach the coordinator would abort inside XLA after its timeout, with a C++
stack trace; `join` first waits for the coordinator's port itself, so that case ends in a sentence.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Mapping

import jax
import numpy as np

ENV = {"coordinator": "JAXLIN_COORDINATOR", "num_processes": "JAXLIN_NUM_PROCESSES", "process_id": "JAXLIN_PROCESS_ID"}
OPTIONS = {"coordinator": "--coordinator", "num_processes": "--num-processes", "process_id": "--process-id"}
TIMEOUT_S = 60
HEARTBEAT_S = 10  # a process silent this long has died: the others stop


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


def _wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def join(cluster: Cluster, timeout_s: float = TIMEOUT_S) -> None:
    """Join the cluster: call before anything else touches JAX. RuntimeError if the coordinator
    is not reachable within `timeout_s` (checked before JAX's own connect, which would abort)."""
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
    elif not _wait_for_port(host, port, timeout_s):
        raise RuntimeError(
            f"process {cluster.process_id} found no coordinator at {cluster.coordinator} within "
            f"{timeout_s:.0f} s. Start process 0 with the same --coordinator and --num-processes."
        )
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPUs all-reduce over gloo
    jax.config.update("jax_enable_preemption_service", False)  # it would swallow SIGTERM
    jax.distributed.initialize(
        coordinator_address=cluster.coordinator,
        num_processes=cluster.num_processes,
        process_id=cluster.process_id,
        initialization_timeout=int(timeout_s),
        heartbeat_timeout_seconds=HEARTBEAT_S,
    )


def leave() -> None:
    """Leave the cluster (waits for the other processes at a barrier)."""
    jax.distributed.shutdown()
