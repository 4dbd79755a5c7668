"""history.jsonl (a line per epoch, flushed as it ends) and the checkpoint written every few seconds."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO

from jaxlin.cli import checkpointer, loops, signals
from jaxlin.cli.history_log import as_history, read_history
from jaxlin.engine import checkpoint
from jaxlin.train import main

QUICK = ["--model", "linreg", "--no-plots", "--no-compile-cache"]


def _metrics(out):
    return json.loads((out / "metrics.json").read_text())


def _not_strict(name):
    raise AssertionError(f"{name} is not strict JSON")


def test_history_jsonl_holds_metrics_json_history_and_few_checkpoints(tmp_path, monkeypatch):
    saves = []
    monkeypatch.setattr(loops, "save_state", lambda path, state, *rest: saves.append(int(state.epoch)))
    monkeypatch.setattr(checkpointer, "SECONDS_BETWEEN", 1e9)  # as if the epochs took no time
    assert main([*QUICK, "--epochs", "5", "--output-dir", str(tmp_path / "run")]) == 0
    lines = read_history(tmp_path / "run" / "history.jsonl")
    assert [line["epoch"] for line in lines] == [1, 2, 3, 4, 5]
    assert as_history(lines) == _metrics(tmp_path / "run")["history"]  # the same floats, exactly
    # The first epoch is saved (a run can be resumed at once) and the last, not each one between.
    assert saves == [1, 5]


def test_a_sweep_writes_a_line_per_model_and_epoch(tmp_path):
    out = tmp_path / "sweep"
    assert main([*QUICK, "--lr", "0.03,80", "--epochs", "3", "--output-dir", str(out)]) == 0
    text = (out / "history.jsonl").read_text()
    lines = [json.loads(line, parse_constant=_not_strict) for line in text.splitlines()]
    assert [(line["run"]["lr"], line["epoch"]) for line in lines] == [
        (0.03, 1),
        (80, 1),
        (0.03, 2),
        (80, 2),
        (0.03, 3),
        (80, 3),
    ]
    for row in _metrics(out)["runs"]:  # lr 80 diverges: its NaN is null in both files
        mine = [line for line in lines if line["run"] == {"lr": row["lr"], "seed": row["seed"]}]
        assert as_history(mine) == row["history"]


def test_ctrl_c_between_checkpoints_saves_the_last_epoch(tmp_path, monkeypatch, capsys):
    """Ctrl-C (signals.check raising after epoch 3, when the last checkpoint is epoch 1's): the loop
    saves epoch 3 on its way out, and the resumed run equals an uninterrupted one."""
    opts = [*QUICK, "--epochs", "5"]
    assert main([*opts, "--output-dir", str(tmp_path / "whole")]) == 0
    log = tmp_path / "cut" / "history.jsonl"

    def ctrl_c_after_epoch_3():
        if log.exists() and len(read_history(log)) == 3:
            raise signals.Interrupted

    monkeypatch.setattr(signals, "check", ctrl_c_after_epoch_3)
    monkeypatch.setattr(checkpointer, "SECONDS_BETWEEN", 1e9)  # no checkpoint but epoch 1's until Ctrl-C
    assert main([*opts, "--output-dir", str(tmp_path / "cut")]) == 130
    monkeypatch.undo()
    assert len(checkpoint.load_metadata(tmp_path / "cut" / "checkpoint.npz")["history"]["loss"]) == 3
    assert main([*opts, "--output-dir", str(tmp_path / "cut"), "--resume"]) == 0
    assert "resuming after epoch 3" in capsys.readouterr().out
    assert _metrics(tmp_path / "cut")["history"] == _metrics(tmp_path / "whole")["history"]
    assert [line["epoch"] for line in read_history(log)] == [1, 2, 3, 4, 5]


def test_a_killed_run_keeps_its_epochs_and_resumes_without_duplicates(tmp_path):
    """SIGKILL (nothing runs on the way out): history.jsonl keeps the finished epochs, more than
    the checkpoint (written every few seconds) holds; --resume cuts it back to the checkpoint."""
    out = tmp_path / "run"
    opts = ["--model", "polynomial", "--no-plots", "--no-compile-cache", "--output-dir", str(out)]
    log = out / "history.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(
        [sys.executable, "-m", "jaxlin.train", *opts, "--epochs", "1000000"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # start-up and compiling on a busy machine
        while not (log.exists() and len(read_history(log)) >= 5) and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    lines = read_history(log)
    assert len(lines) >= 5 and [line["epoch"] for line in lines] == list(range(1, len(lines) + 1))
    with log.open("a") as f:  # a line cut short by the kill: never read
        f.write('{"epoch": 99, "loss": 0.')
    assert read_history(log) == lines
    saved = checkpoint.load_metadata(out / "checkpoint.npz")["history"]
    done = len(saved["loss"])
    assert 1 <= done <= len(lines) and as_history(lines[:done]) == saved

    assert main([*opts, "--resume", "--epochs", str(done + 2)]) == 0
    lines = read_history(log)
    assert [line["epoch"] for line in lines] == list(range(1, done + 3))  # no epoch twice
    assert as_history(lines) == _metrics(out)["history"]


@pytest.mark.parametrize("lines", [["{}\n", '{"a": 1}\n'], []])
def test_read_history_reads_complete_lines_only(tmp_path, lines):
    path = tmp_path / "history.jsonl"
    path.write_text("".join(lines) + '{"cut": ')
    assert read_history(path) == [json.loads(line) for line in lines]
