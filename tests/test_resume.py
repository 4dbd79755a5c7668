"""Checkpoints every epoch, --resume, interruption, refusals, determinism, --debug-nans."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import cli_args, ctrl_c_after_epoch

from jaxlin.engine import checkpoint
from jaxlin.train import main


def _same_params(a, b):
    with np.load(a) as x, np.load(b) as y:
        keys = [k for k in x.files if k.startswith("params")]
        return bool(keys) and all(np.array_equal(x[k], y[k]) for k in keys)


@pytest.mark.parametrize(
    "options",
    [
        ("--optimizer", "sgd"),
        ("--optimizer", "momentum"),
        ("--optimizer", "adam"),
        ("--model", "mlp", "--hidden", "16,8", "--dropout", "0.3,0.5"),  # per-step keys: the same masks
    ],
)
def test_interrupted_then_resumed_equals_uninterrupted(tiny_source, tmp_path, monkeypatch, capsys, options):
    """Bit for bit, with optimizers whose state matters (momentum, adam's moments and count), and
    with dropout, whose masks come from each step's key."""
    opts = ("--epochs", "4", *options)
    assert main(cli_args(tiny_source, tmp_path, tmp_path / "whole", *opts)) == 0

    ctrl_c_after_epoch(monkeypatch, 2)
    assert main(cli_args(tiny_source, tmp_path, tmp_path / "cut", *opts)) == 130
    assert "--resume" in capsys.readouterr().err
    assert not (tmp_path / "cut" / "metrics.json").exists()
    monkeypatch.undo()

    assert main(cli_args(tiny_source, tmp_path, tmp_path / "cut", *opts, "--resume")) == 0
    out = capsys.readouterr().out
    assert "resuming after epoch 2" in out and "epoch 3/4" in out and "epoch 2/4" not in out
    for name in ("params.npz", "checkpoint.npz"):  # the checkpoint holds the optimizer state too
        with np.load(tmp_path / "cut" / name) as cut, np.load(tmp_path / "whole" / name) as whole:
            assert sorted(cut.files) == sorted(whole.files)
            for key in cut.files:
                if key != "__meta__":
                    np.testing.assert_array_equal(cut[key], whole[key], err_msg=key)
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())["history"]
    cut = json.loads((tmp_path / "cut" / "metrics.json").read_text())["history"]
    assert cut == whole and len(cut["loss"]) == 4


def test_seed_changes_the_run(tiny_source, tmp_path):
    for seed in ("1", "2"):
        assert main(cli_args(tiny_source, tmp_path, tmp_path / seed, "--epochs", "1", "--seed", seed)) == 0
    assert not _same_params(tmp_path / "1" / "params.npz", tmp_path / "2" / "params.npz")


def test_a_checkpoint_write_that_fails_halfway_leaves_the_old_file(tmp_path, monkeypatch):
    path = checkpoint.save_checkpoint(tmp_path / "c.npz", {"params": {"w": np.ones(3)}}, {"epoch": 0})
    before = path.read_bytes()

    def savez_then_fail(f, **arrays):
        f.write(b"PK half a zip file")
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint.np, "savez", savez_then_fail)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save_checkpoint(path, {"params": {"w": np.zeros(3)}}, {"epoch": 1})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left behind


def test_refusals_leave_the_checkpoint_untouched(tiny_source, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "2")) == 0
    checkpoint = out / "checkpoint.npz"
    before = checkpoint.read_bytes()
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "3")) == 1
    assert "already holds a run" in capsys.readouterr().err
    for only in ("metrics.json", "checkpoint.npz"):  # either file alone marks a run
        lone = tmp_path / f"only-{only}"
        lone.mkdir()
        (lone / only).write_bytes((out / only).read_bytes())
        assert main(cli_args(tiny_source, tmp_path, lone, "--epochs", "3")) == 1
        assert "already holds a run" in capsys.readouterr().err
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "3", "--resume", "--seed", "7")) == 1
    assert "made with seed 0 (now 7)" in capsys.readouterr().err
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "3", "--resume", "--optimizer", "adam")) == 1
    assert "optimizer sgd (now adam)" in capsys.readouterr().err
    assert checkpoint.read_bytes() == before
    checkpoint.write_bytes(before[: len(before) // 2])
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "3", "--resume")) == 1
    assert "corrupt or truncated" in capsys.readouterr().err
    assert checkpoint.read_bytes() == before[: len(before) // 2]


def test_two_runs_with_one_seed_are_identical(tiny_source, tmp_path):
    for name in ("a", "b"):
        assert main(cli_args(tiny_source, tmp_path, tmp_path / name, "--epochs", "3", "--seed", "5")) == 0
    assert _same_params(tmp_path / "a" / "params.npz", tmp_path / "b" / "params.npz")
    histories = [json.loads((tmp_path / n / "metrics.json").read_text())["history"] for n in ("a", "b")]
    assert histories[0] == histories[1]


@pytest.mark.parametrize("debug_nans", [False, True])
def test_divergence_stops_with_the_epoch(tmp_path, debug_nans):
    argv = [
        sys.executable,
        "-m",
        "jaxlin.train",
        "--model",
        "linreg",
        "--lr",
        "80",
        "--epochs",
        "10",
        "--no-plots",
        "--no-compile-cache",
        "--output-dir",
        str(tmp_path),
    ]
    done = subprocess.run(argv + (["--debug-nans"] if debug_nans else []), capture_output=True, text=True)
    assert done.returncode == 1
    if debug_nans:
        assert "--debug-nans stopped at the first NaN" in done.stderr
    else:
        assert "in epoch" in done.stderr and "Traceback" not in done.stderr


def test_a_checkpoint_with_another_key_is_refused(tiny_source, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "1")) == 0
    path = out / "checkpoint.npz"
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["key"] = arrays["key"] + 1  # same options, another PRNG key
    np.savez(path, **arrays)
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "2", "--resume")) == 1
    assert "another PRNG key" in capsys.readouterr().err


def _linreg_checkpoint(out, epochs=2):
    """A finished 2-epoch linreg run in `out`: its argv (epochs at argv[3]) and checkpoint path."""
    argv = ["--model", "linreg", "--epochs", str(epochs), "--output-dir", str(out), "--no-plots", "--no-compile-cache"]
    assert main(argv) == 0
    (out / "metrics.json").unlink()
    return argv, out / "checkpoint.npz"


def _rewrite_metadata(path, change):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    metadata = checkpoint.load_metadata(path)
    change(metadata)
    arrays["__meta__"] = np.frombuffer(json.dumps(metadata).encode(), np.uint8)
    np.savez(path, **arrays)


def test_a_checkpoint_from_before_batch_size_lists_resumes(tmp_path, capsys):
    """Checkpoints written before batch sizes could be swept hold the batch size as a number."""
    argv, path = _linreg_checkpoint(tmp_path / "run")
    _rewrite_metadata(path, lambda m: m["config"].update(batch_size=m["config"]["batch_size"][0]))
    assert main([*argv[:3], "3", *argv[4:], "--resume"]) == 0
    assert "resuming after epoch 2" in capsys.readouterr().out


def test_a_checkpoint_from_before_the_sort_free_shuffle_is_refused(tmp_path, capsys):
    """Its epochs were shuffled by another random stream: resuming could not match a fresh run."""
    argv, path = _linreg_checkpoint(tmp_path / "run")
    _rewrite_metadata(path, lambda m: m.pop("epoch_order"))
    before = path.read_bytes()
    assert main([*argv[:3], "3", *argv[4:], "--resume"]) == 1
    err = capsys.readouterr().err
    assert "another random stream" in err and "start the run afresh" in err and "Traceback" not in err
    assert path.read_bytes() == before
