"""A run across processes that breaks ends every process in one sentence naming the one that
failed, with exit 1 (130 for Ctrl-C), never JAX's C++ abort (exit 134) or a raw traceback:
process 0 left alone, a process that refuses its output folder, a process killed mid-run.

Slow (two processes on 127.0.0.1, each importing JAX: 10-25 s a test on two shared cores)."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

from conftest import cli_args

# The child sets the join timeout through the module constant (no option or variable for it).
CHILD = "import sys, jaxlin.engine.distributed as d; d.TIMEOUT_S = float(sys.argv[1]); from jaxlin.train import main; sys.exit(main(sys.argv[2:]))"
BOUND_S = 40  # no test waits longer for a process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, process_id, port, timeout_s=20):
    cluster = ["--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id", str(process_id)]
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(timeout_s), *args, *cluster],
        text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _end(*procs):
    """(returncode, stdout, stderr) of each, within BOUND_S; every process ended whatever happens."""
    try:
        return [(p, *p.communicate(timeout=BOUND_S)) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _one_sentence(err: str, *wanted: str) -> None:
    assert "Traceback" not in err and "Check failure" not in err and "F1" not in err, err[-3000:]
    assert all(w in err for w in wanted), err[-3000:]


def _wait_until(ready, limit_s=BOUND_S):
    deadline = time.monotonic() + limit_s
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_process_0_alone_stops_on_ctrl_c_and_after_its_timeout(tmp_path):
    port = _free_port()
    waiting = _start(["--output-dir", str(tmp_path / "a")], 0, port, timeout_s=30)
    _wait_until(lambda: _listening(port))  # JAX's wait for process 1 has begun
    time.sleep(0.5)
    waiting.send_signal(signal.SIGINT)
    started = time.monotonic()
    ((p, _, err),) = _end(waiting)
    assert p.returncode == 130 and time.monotonic() - started < 5
    _one_sentence(err, "interrupted while process 0 of 2 waited for the others to join")

    ((p, _, err),) = _end(_start(["--output-dir", str(tmp_path / "b")], 0, _free_port(), timeout_s=2))
    assert p.returncode == 1
    _one_sentence(err, "process 0 waited 2 s at 127.0.0.1:", "for all 2 processes to join, in vain")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_refused_output_folder_stops_the_other_process_at_once(tiny_source, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "metrics.json").write_text("{}")
    port = _free_port()
    args = cli_args(tiny_source, tmp_path, taken, "--epochs", "50")
    started = time.monotonic()
    first, second = _end(_start(args, 0, port), _start(args, 1, port))
    assert time.monotonic() - started < 30  # not the all-reduce's 30 s timeout after the refusal
    assert first[0].returncode == 1 and second[0].returncode == 1
    _one_sentence(first[2], "already holds a run")
    _one_sentence(second[2], "process 1 of 2 stops because process 0 stopped:", "already holds a run")


def test_a_killed_process_ends_the_other_in_a_sentence(tiny_source, tmp_path):
    port = _free_port()
    args = cli_args(tiny_source, tmp_path, tmp_path / "run", "--epochs", "100000")
    coordinator, worker = _start(args, 0, port), _start(args, 1, port)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in coordinator.stdout], daemon=True).start()
    try:
        deadline = time.monotonic() + 2 * BOUND_S  # starting: data, compiling, on a busy machine
        while not lines.get(timeout=max(deadline - time.monotonic(), 0.1)).startswith("epoch"):
            pass  # the banner; training has begun at the first epoch's line
        worker.kill()
        coordinator.wait(timeout=BOUND_S)
        err = coordinator.stderr.read()
    finally:
        for p in (coordinator, worker):
            p.kill()
            p.wait()
    assert coordinator.returncode == 1
    _one_sentence(err, "process 0 of 2 stops: process 1 stopped answering")
