"""A hostile environment and damaged files (issue 25, items 2, 4, 6, 8, 9): damaged checkpoints are
refused in one sentence naming the file, a full disk loses the figures rather than metrics.json,
odd output encodings degrade to ASCII, temporary files never outlive their run."""

import errno
import io
import json
import sys

import numpy as np
import pytest

import jaxlin as jl
from jaxlin._util.atomic import remove_stale, write_atomically
from jaxlin.cli.output_folder import claimed
from jaxlin.engine import checkpoint
from jaxlin.train import main

RUN = ["--model", "linreg", "--no-compile-cache"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A 2-epoch linreg run: its folder (shared: copy before changing it)."""
    out = tmp_path_factory.mktemp("hostile") / "run"
    assert main([*RUN, "--epochs", "2", "--no-plots", "--output-dir", str(out)]) == 0
    return out


def _damaged(finished_run, tmp_path, change) -> list[str]:
    """The folder of a copy of `finished_run` whose checkpoint metadata `change` edited, and the
    argv that resumes it."""
    out = tmp_path / "run"
    out.mkdir()
    path = out / "checkpoint.npz"
    path.write_bytes((finished_run / "checkpoint.npz").read_bytes())
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    metadata = checkpoint.load_metadata(path)
    change(metadata, arrays)
    arrays["__meta__"] = np.frombuffer(json.dumps(metadata).encode(), np.uint8)
    np.savez(path, **arrays)
    return [*RUN, "--epochs", "3", "--no-plots", "--output-dir", str(out), "--resume"]


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda m, a: m["history"]["loss"].__setitem__(0, None), "loss holds null at epoch 1"),
        (lambda m, a: m["history"]["loss"].__setitem__(1, float("nan")), "loss holds NaN at epoch 2"),
        (lambda m, a: m["history"]["loss"].append(1.0), "does not cover its 2 epochs"),
        (lambda m, a: a.update({"params['w']": a["params['w']"] * np.nan}), "NaN or infinite"),
    ],
)
def test_a_damaged_history_or_parameters_are_refused_naming_the_file(finished_run, tmp_path, capsys, change, says):
    argv = _damaged(finished_run, tmp_path, change)
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert says in err and str(tmp_path / "run" / "checkpoint.npz") in err and "clean the data" not in err
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_setting_saved_as_a_string_is_shown_as_one(finished_run, tmp_path, capsys):
    argv = _damaged(finished_run, tmp_path, lambda m, a: m["config"].update(lr=[str(m["config"]["lr"][0])]))
    assert main([*argv, "--lr", "0.03"]) == 1  # linreg's default learning rate
    assert 'lr "0.03" (now 0.03)' in capsys.readouterr().err


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b'{"config": {"lr": [0.1]}}\n'])
def test_load_params_on_another_kind_of_file_says_so_and_never_hints_at_pickle(tmp_path, content):
    path = tmp_path / "metrics.json"
    path.write_bytes(content)
    with pytest.raises(jl.CheckpointError, match="not a jaxlin checkpoint") as refused:
        jl.load_params(path)
    assert "pickle" not in str(refused.value)


def test_a_full_disk_keeps_metrics_json_and_params_and_says_what_to_do(tmp_path, capsys, monkeypatch):
    """The figures come last: the one that meets the full disk fails, the results are kept."""
    from jaxlin.plots import figures as plots

    def full(path, write):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(plots, "write_atomically", full)
    out = tmp_path / "run"
    assert main([*RUN, "--epochs", "2", "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert "curves.png" in err and "free space, then --resume" in err
    assert json.loads((out / "metrics.json").read_text())["final"]
    assert jl.load_params(out / "params.npz")


def test_a_failed_write_names_its_file_and_leaves_no_temporary_one(tmp_path):
    def half_then_full(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as failed:
        write_atomically(tmp_path / "metrics.json", half_then_full)
    assert failed.value.errno == errno.ENOSPC and failed.value.filename == str(tmp_path / "metrics.json")
    assert list(tmp_path.iterdir()) == []


def test_a_claimed_folder_loses_the_temporary_files_a_killed_run_left(tmp_path):
    (tmp_path / ".checkpoint.npz.k3_x9a2q.tmp").write_bytes(b"half a checkpoint")
    (tmp_path / ".metrics.json.ab12cd34.tmp").write_text("{")
    (tmp_path / ".notes.tmp").write_text("the user's own, not named as ours")
    with claimed(tmp_path, resume=False):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", ".notes.tmp"]
    assert remove_stale(tmp_path) == []


@pytest.mark.parametrize("run", [False, True])
def test_an_ascii_terminal_gets_ascii_not_a_crash(tmp_path, monkeypatch, run):
    """PYTHONIOENCODING=ascii or LC_ALL=C: "‖w‖" and the help's symbols degrade to ASCII."""
    argv = ["--model", "highdim", "--epochs", "1", "--no-plots", "--no-compile-cache", "--output-dir", str(tmp_path)]
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    try:
        code = main(argv if run else ["--help"])
    except SystemExit as exit:  # --help
        code = exit.code
    sys.stdout.flush()
    assert code == 0
    assert b"||w||" in raw.getvalue()
