"""Ctrl-C and SIGTERM on `python -m jaxlin.train`, and a closed stdout: each ends in one sentence
and the right exit code, leaves no temporary file, and says how to resume (issue 25, items 2, 7, 10).
Each test drives a real process (a signal lands where the process happens to be), with a bounded
wait; the model is the small synthetic polynomial, with more epochs than it will live for."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TIMEOUT = 60  # seconds; a run that ignores its signal runs for minutes, so the test fails, not hangs


def _start(out: Path, *extra: str, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    argv = [sys.executable, "-m", "jaxlin.train", "--model", "polynomial", "--no-plots", "--no-compile-cache"]
    return subprocess.Popen([*argv, "--output-dir", str(out), *extra], stdout=stdout, stderr=subprocess.PIPE, text=True)


def _when_checkpointed(process: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not (out / "checkpoint.npz").exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "no checkpoint within the time limit"
        time.sleep(0.05)


def _ended(process: subprocess.Popen) -> tuple[int, list[str]]:
    try:
        _, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the run did not stop after its signal")
    return process.returncode, [line for line in err.splitlines() if line.strip()]


def _temporary(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if path.name.endswith(".tmp"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_stops_with_130_the_resume_hint_and_no_temporary_file(tmp_path, signum):
    out = tmp_path / "run"
    process = _start(out, "--epochs", "1000000")
    _when_checkpointed(process, out)
    process.send_signal(signum)
    code, lines = _ended(process)
    assert code == 130
    assert len(lines) == 1 and "--resume --output-dir" in lines[0] and str(out) in lines[0], lines
    assert _temporary(out) == []


def test_a_second_ctrl_c_stops_at_once_in_one_sentence(tmp_path):
    out = tmp_path / "run"
    process = _start(out, "--epochs", "1000000")
    _when_checkpointed(process, out)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    code, lines = _ended(process)
    assert code == 130
    assert len(lines) == 1 and "interrupted" in lines[0], lines  # never a traceback
    assert _temporary(out) == []


def test_ctrl_c_while_starting_ends_in_one_sentence(tmp_path):
    out = tmp_path / "run"
    process = _start(out, "--epochs", "1000000")
    time.sleep(0.5)  # jax is still being imported (it takes seconds)
    process.send_signal(signal.SIGINT)
    code, lines = _ended(process)
    assert code == 130
    assert len(lines) == 1 and "interrupted" in lines[0] and "Traceback" not in lines[0], lines


def test_a_stale_temporary_file_is_removed_at_the_next_start(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".checkpoint.npz.k3_x9a2q.tmp").write_bytes(b"half a checkpoint, from a killed run")
    (out / ".notes.tmp").write_text("the user's, not a run's")
    code, _ = _ended(_start(out, "--epochs", "2"))
    assert code == 0
    assert _temporary(out) == [".notes.tmp"]


def test_a_closed_stdout_does_not_stop_training(tmp_path):
    """`python -m jaxlin.train ... | head -1`: the run goes on and writes its results."""
    out = tmp_path / "run"
    process = _start(out, "--epochs", "300", stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("jaxlin: polynomial")
    process.stdout.close()  # as `head -1` does
    code, lines = _ended(process)
    assert code == 0, lines
    assert (out / "metrics.json").is_file() and "Traceback" not in "\n".join(lines)
    assert os.path.getsize(out / "params.npz") > 0
