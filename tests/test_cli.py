"""python -m jaxlin.train: end to end on small data, files written, errors, checkpoints."""

import gzip
import json
import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from jaxlin.engine import CheckpointError, load_checkpoint, load_params, save_checkpoint
from jaxlin.models.softmax_regression import logits
from jaxlin.train import main


def _run(capsys, *argv):
    code = main([*argv, "--no-compile-cache"])  # in-process: leave JAX's global config alone
    out = capsys.readouterr()
    return code, out.out, out.err


def test_softmax_run_writes_everything(tiny_source, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = _run(
        capsys,
        "--data-dir",
        str(tiny_source),
        "--tfds-dir",
        str(tmp_path / "tfds"),
        "--output-dir",
        str(out),
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--lr",
        "0.5",
    )
    assert code == 0
    assert stdout.count("epoch ") == 3 and "epoch 3/3" in stdout and "test acc" in stdout
    assert "done in" in stdout
    assert {p.name for p in out.iterdir()} == {
        "metrics.json",
        "curves.png",
        "predictions.png",
        "reliability.png",
        "params.npz",
        "checkpoint.npz",
        "history.jsonl",
    }
    metrics = json.loads((out / "metrics.json").read_text())
    lines = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [line.pop("epoch") for line in lines] == [1, 2, 3]
    assert {k: [line[k] for line in lines] for k in lines[0]} == metrics["history"]
    assert metrics["config"]["epochs"] == 3 and metrics["config"]["optimizer"] == "sgd"
    assert metrics["config"]["batch_size"] == [16] and metrics["config"]["lr"] == [0.5]
    last = {k: v[-1] for k, v in metrics["history"].items()}
    assert {k: metrics["final"][k] for k in last} == last
    assert set(metrics["final"]) - set(last) == {
        "test_accuracy_ci95",
        "test_accuracy_hoeffding95",
        "ece",
        "accuracy_at_90_coverage",
    }
    assert 0 <= metrics["final"]["ece"] <= 1
    assert (
        f"train loss {last['loss']:.4g}  train acc {last['accuracy']:.4g}  test loss {last['test_loss']:.4g}  "
        f"test acc {last['test_accuracy']:.4g}"
    ) in stdout
    assert len(metrics["history"]["loss"]) == 3
    assert 0.0 <= metrics["final"]["test_accuracy"] <= 1.0
    assert metrics["history"]["loss"][-1] < metrics["history"]["loss"][0]
    for png in ("curves.png", "predictions.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    params = load_params(out / "params.npz")
    assert params["w"].shape == (784, 10)
    assert logits(params, jnp.zeros((2, 28, 28))).shape == (2, 10)


def test_linreg_run(tmp_path, capsys):
    code, stdout, _ = _run(capsys, "--model", "linreg", "--impl", "scratch", "--output-dir", str(tmp_path))
    assert code == 0
    assert "epoch 3/3" in stdout and "error in estimating w" in stdout
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["lr"] == [0.03] and metrics["config"]["batch_size"] == [10]
    assert metrics["final"]["full_loss"] < 1e-4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "0"], "learning rate must be a positive, finite number, got 0.0"),
        (["--batch-size", "-5"], "batch_size must be a positive integer, got -5"),
        (["--lr", "0.1,,0.3"], "has an empty item"),
        (["--devices", "3", "--batch-size", "256"], "does not split evenly across 3 devices"),
        (["--batch-size", "ten"], "--batch-size: 'ten' is not a valid int"),
        (["--optimizer", "adamm"], "invalid choice: 'adamm'"),
        (["--model", "cnn"], "invalid choice: 'cnn'"),
    ],
)
def test_bad_options_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_dataset_is_one_paragraph_not_a_traceback(tmp_path, capsys):
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "empty"), "--output-dir", str(tmp_path / "o"))
    assert code == 1
    assert err.startswith("jaxlin: error:") and "does not hold" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_divergence_is_reported_with_the_epoch(tmp_path, capsys):
    code, _, err = _run(capsys, "--model", "linreg", "--lr", "80", "--epochs", "10", "--output-dir", str(tmp_path))
    assert code == 1 and "in epoch" in err and "Lower the learning rate" in err


def test_module_run_fills_the_compile_cache(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jaxlin.train",
            "--model",
            "linreg",
            "--epochs",
            "1",
            "--no-plots",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert any((tmp_path / "cache" / "jaxlin" / "xla").iterdir())


def test_module_entry_point_and_help():
    done = subprocess.run([sys.executable, "-m", "jaxlin.train", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for option in (
        "--model",
        "--impl",
        "--optimizer",
        "--lr",
        "--batch-size",
        "--epochs",
        "--seed",
        "--data-dir",
        "--output-dir",
    ):
        assert option in done.stdout


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    params = {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}
    state = (jnp.array(1, jnp.int32), {"mu": jnp.full((3, 2), 0.5)})
    path = save_checkpoint(tmp_path / "c.npz", {"params": params, "opt_state": state}, {"epoch": 4})
    trees, meta = load_checkpoint(path, {"params": params, "opt_state": state})
    assert meta == {"epoch": 4}
    np.testing.assert_array_equal(trees["opt_state"][1]["mu"], state[1]["mu"])
    np.testing.assert_array_equal(load_params(path)["w"], params["w"])
    with pytest.raises(CheckpointError, match=r"params\['w'\] is float32\[3, 2\], expected float32\[4, 2\]"):
        load_checkpoint(path, {"params": {"w": jnp.ones((4, 2)), "b": jnp.zeros(2)}})
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_params(tmp_path / "bad.npz")
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_params(tmp_path / "none.npz")


def test_reported_test_accuracy_is_the_saved_params_on_the_real_test_split(
    real_source, real_tfds_dir, tmp_path, capsys
):
    """metrics.json's test accuracy against NumPy on the official t10k files, read here with gzip."""
    out = tmp_path / "run"
    code, _, _ = _run(
        capsys,
        "--data-dir",
        str(real_source),
        "--tfds-dir",
        str(real_tfds_dir),
        "--output-dir",
        str(out),
        "--epochs",
        "1",
        "--no-plots",
    )
    assert code == 0
    params = load_params(out / "params.npz")
    images = np.frombuffer(gzip.open(real_source / "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(real_source / "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    scores = images.reshape(10000, 784) / 255.0 @ np.asarray(params["w"], np.float64) + np.asarray(params["b"])
    expected = float((scores.argmax(1) == labels).mean())
    reported = json.loads((out / "metrics.json").read_text())["final"]["test_accuracy"]
    assert abs(reported - expected) <= 2e-4, (reported, expected)  # float32 vs float64: a tie or two


def test_load_params_keeps_nested_names(tmp_path):
    path = save_checkpoint(tmp_path / "p.npz", {"params": {"layer": {"w": jnp.ones(2)}, "b": jnp.zeros(1)}})
    params = load_params(path)
    assert params["layer"]["w"].shape == (2,) and params["b"].shape == (1,)
