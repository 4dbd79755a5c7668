"""--tensorboard: event files read back with TensorBoard's own reader, not just found on disk."""

import json
import sys

import numpy as np
import pytest
from conftest import cli_args

from jaxlin.cli import checkpointer, loops
from jaxlin.engine import checkpoint
from jaxlin.train import main

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
QUICK = ["--model", "linreg", "--no-plots", "--no-compile-cache", "--tensorboard"]


def _read(folder):
    events = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def _series(events, tag):
    return [(e.step, e.value) for e in events.Scalars(tag)]


def _as_logged(history):
    """The history as TensorBoard keeps it: (1-based epoch, the value in float32), finite values only."""
    return {
        name: [(e, float(np.float32(v))) for e, v in enumerate(values, start=1) if v is not None]
        for name, values in history.items()
    }


def test_every_epoch_the_final_figures_and_the_plots(tiny_source, tmp_path):
    out = tmp_path / "run"
    argv = [a for a in cli_args(tiny_source, tmp_path, out, "--epochs", "3", "--tensorboard") if a != "--no-plots"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    events = _read(out / "tensorboard")
    for name, logged in _as_logged(metrics["history"]).items():
        assert _series(events, name) == logged, name
    assert _series(events, "final/test_accuracy") == [(3, pytest.approx(metrics["final"]["test_accuracy"]))]
    images = {tag: events.Images(tag) for tag in events.Tags()["images"]}
    assert set(images) == {f"images/{png.stem}" for png in out.glob("*.png")} >= {"images/curves", "images/predictions"}
    assert all(len(shown) == 1 and shown[0].width > 100 and shown[0].step == 3 for shown in images.values())


def test_a_sweep_writes_one_series_per_model(tmp_path):
    out = tmp_path / "sweep"
    assert main([*QUICK, "--lr", "0.01,0.03", "--epochs", "3", "--output-dir", str(out)]) == 0
    runs = json.loads((out / "metrics.json").read_text())["runs"]
    assert sorted(p.name for p in (out / "tensorboard").iterdir() if p.is_dir()) == ["lr=0.01,seed=0", "lr=0.03,seed=0"]
    for run in runs:
        events = _read(out / "tensorboard" / f"lr={run['lr']},seed={run['seed']}")
        for name, logged in _as_logged(run["history"]).items():
            assert _series(events, name) == logged, name
        assert _series(events, "final/loss") == [(3, pytest.approx(run["final"]["loss"]))]


def test_a_resumed_run_shows_each_epoch_once(tmp_path, monkeypatch):
    """A run killed after epoch 3 whose last checkpoint is epoch 1's, then resumed: TensorBoard
    drops the events of the killed run's epochs 2 and 3 and shows the resumed run's."""
    opts = [*QUICK, "--epochs", "4", "--output-dir", str(tmp_path / "run")]

    def only_epoch_1(path, state, *rest):  # as if the checkpoints of epochs 2 and 3 had not yet come
        if int(state.epoch) == 1:
            checkpoint.save_state(path, state, *rest)
        elif int(state.epoch) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(loops, "save_state", only_epoch_1)
    monkeypatch.setattr(checkpointer, "SECONDS_BETWEEN", 0.0)
    assert main(opts) == 130
    monkeypatch.undo()
    assert main([*opts, "--resume"]) == 0
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    events = _read(tmp_path / "run" / "tensorboard")
    for name, logged in _as_logged(history).items():
        assert _series(events, name) == logged, name


def test_without_tensorboardx_the_option_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if it were not installed
    with pytest.raises(SystemExit) as exited:
        main([*QUICK, "--output-dir", str(tmp_path / "run")])
    assert exited.value.code == 2
    assert 'pip install -e ".[tensorboard]"' in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
