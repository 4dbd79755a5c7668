"""python -m jaxlin.train's generalization options: the polynomial model, degree sweeps, K-fold,
--validation and --early-stopping (with resume), and their bad values."""

import json

import numpy as np
import pytest
from conftest import cli_args

from jaxlin.engine import load_checkpoint, load_params
from jaxlin.train import main


def _run(capsys, *argv):
    code = main([*argv, "--no-compile-cache"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_polynomial_run_reports_weights_and_draws_log_curves(tmp_path, capsys):
    code, stdout, _ = _run(
        capsys, "--model", "polynomial", "--degree", "3", "--epochs", "100", "--output-dir", str(tmp_path / "run")
    )
    assert code == 0
    assert sum(line.startswith("epoch ") for line in stdout.splitlines()) == 21  # the first and every 5th
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["final"]["true_weights"] == [5.0, 1.2, -3.4, 5.6, 0.0]
    assert metrics["final"]["weights"][4] == 0.0 and "test_loss" in metrics["history"]
    assert "learned weights (first 5) [" in stdout and (tmp_path / "run" / "curves.png").is_file()


def test_degree_sweep_and_cross_validation(tmp_path, capsys):
    code, stdout, _ = _run(
        capsys, "--model", "polynomial", "--degree", "1,3,20", "--epochs", "60", "--output-dir", str(tmp_path / "sweep")
    )
    assert code == 0 and "3 models (1 learning rates x 1 seeds x 3 degrees)" in stdout
    runs = json.loads((tmp_path / "sweep" / "metrics.json").read_text())["runs"]
    assert [r["degree"] for r in runs] == [1, 3, 20]
    assert runs[0]["final"]["exact_test_loss"] > runs[1]["final"]["exact_test_loss"]  # degree 1 underfits
    assert (tmp_path / "sweep" / "degree_sweep.png").is_file()

    code, stdout, _ = _run(
        capsys,
        "--model",
        "polynomial",
        "--degree",
        "1,3",
        "--kfold",
        "4",
        "--epochs",
        "60",
        "--output-dir",
        str(tmp_path / "cv"),
    )
    assert code == 0 and "chosen by cross-validation: lr 0.01, seed 0, degree 3" in stdout
    metrics = json.loads((tmp_path / "cv" / "metrics.json").read_text())
    assert metrics["chosen"]["degree"] == 3 and len(metrics["crossval"][0]["fold_valid_loss"]) == 4
    assert (tmp_path / "cv" / "crossval.png").is_file()


def test_early_stopping_keeps_the_best_epoch_and_resumes_to_the_same_result(tmp_path, capsys):
    # these settings make the validation loss bounce: lowest in epoch 11, then 3 epochs without improvement
    options = (
        "--model",
        "polynomial",
        "--degree",
        "20",
        "--lr",
        "0.6",
        "--seed",
        "1",
        "--validation",
        "0.3",
        "--early-stopping",
        "3",
        "--no-plots",
    )
    straight, split = tmp_path / "straight", tmp_path / "split"
    code, stdout, _ = _run(capsys, *options, "--epochs", "16", "--output-dir", str(straight))
    assert code == 0 and "stopped early after epoch 14" in stdout and "keeping epoch 11's parameters" in stdout
    assert _run(capsys, *options, "--epochs", "12", "--output-dir", str(split))[0] == 0  # best so far: epoch 11
    assert _run(capsys, *options, "--epochs", "16", "--resume", "--output-dir", str(split))[0] == 0
    a, b = (json.loads((folder / "metrics.json").read_text()) for folder in (straight, split))
    assert a["history"] == b["history"] and a["final"] == b["final"] and a["final"]["best_epoch"] == 11
    assert a["final"]["valid_loss"] == a["history"]["valid_loss"][10] == min(a["history"]["valid_loss"])
    kept = load_checkpoint(straight / "checkpoint.npz", {"best": {"w": np.zeros(21, np.float32)}})[0]["best"]["w"]
    for folder in (straight, split):
        np.testing.assert_array_equal(load_params(folder / "params.npz")["w"], kept)


def test_validation_split_on_fashion_mnist_style_data(tiny_source, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(capsys, *cli_args(tiny_source, tmp_path, out, "--epochs", "2", "--validation", "0.2"))[0] == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"valid_loss", "valid_accuracy", "test_loss", "test_accuracy"} <= set(metrics["history"])
    assert {
        "test_accuracy_ci95",
        "test_accuracy_hoeffding95",
        "ece",
        "temperature",
        "ece_after_temperature",
        "accuracy_at_90_coverage",
    } <= set(metrics["final"])
    assert metrics["final"]["temperature"] > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "polynomial", "--validation", "1.5"], "between 0 and 1"),
        (["--model", "polynomial", "--kfold", "1"], "at least 2 folds"),
        (["--early-stopping", "3"], "--validation"),
        (["--model", "polynomial", "--degree", "21"], "from 0 to 20"),
        (["--degree", "3"], "option of the polynomial model"),
        (["--model", "polynomial", "--degree", "1,3", "--validation", "0.2", "--early-stopping", "2"], "one run"),
        (["--model", "polynomial", "--kfold", "5", "--validation", "0.2"], "drop --validation"),
    ],
)
def test_bad_generalization_options_exit_2(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--output-dir", str(tmp_path / "run")])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--validation", "0.001"], "leaves no validation examples"),
        (["--kfold", "3"], "try one of 2, 4, 5"),
    ],
)
def test_splits_the_data_cannot_make_exit_2_and_leave_no_folder(argv, message, tmp_path, capsys):
    code, _, stderr = _run(capsys, "--model", "polynomial", *argv, "--output-dir", str(tmp_path / "run"))
    assert code == 2 and message in stderr
    assert not (tmp_path / "run").exists()


def test_linreg_reports_validation_loss_and_stops_early(tmp_path, capsys):
    code, stdout, _ = _run(
        capsys,
        "--model",
        "linreg",
        "--validation",
        "0.2",
        "--early-stopping",
        "1",
        "--epochs",
        "5",
        "--no-plots",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert code == 0 and "valid loss" in stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(metrics["history"]["valid_loss"]) == len(metrics["history"]["loss"]) and "best_epoch" in metrics["final"]


def test_cross_validation_where_every_run_diverges_keeps_its_results_and_exits_1(tmp_path, capsys):
    code, stdout, stderr = _run(
        capsys,
        "--model",
        "polynomial",
        "--degree",
        "1,3",
        "--kfold",
        "2",
        "--lr",
        "1e30",
        "--epochs",
        "3",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert code == 1 and "chose none" in stderr and "every one diverged" in stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())  # strict JSON: NaN became null
    assert metrics["chosen"] is None and (tmp_path / "run" / "crossval.png").is_file()


def test_cross_validation_too_big_for_memory_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("jaxlin.experiments.crossval.MAX_STACKED_BYTES", 10_000)
    code, _, stderr = _run(capsys, "--model", "polynomial", "--kfold", "4", "--output-dir", str(tmp_path / "run"))
    assert code == 2 and "copies of the training data" in stderr
