"""Sweeps: many models in one vmapped call give the results of separate runs."""
import json

import chex
import jax
import numpy as np
import pytest

from jaxlin.data import load_fashion_mnist, to_device
from jaxlin.linear_regression import sweep_linear_regression, train_linear_regression
from jaxlin.softmax_regression import sweep_softmax_regression, train_softmax_regression
from jaxlin.sweep import unstack
from jaxlin.train import main


def test_linreg_sweep_equals_separate_runs_and_reports_divergence():
    configs, result = sweep_linear_regression(seeds=[0, 1], learning_rates=[0.01, 0.03, 5.0])
    assert [c["lr"] for c in configs] == [0.01, 0.01, 0.03, 0.03, 5.0, 5.0]
    assert result.diverged[:4] == [None] * 4 and all(result.diverged[4:])
    for m, config in enumerate(configs[:4]):
        single, _ = train_linear_regression(jax.random.key(config["seed"]), learning_rate=config["lr"])
        chex.assert_trees_all_close(unstack(result.params, m), single.params, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.histories[m]["loss"], single.history["loss"], rtol=1e-5)


def test_softmax_sweep_equals_separate_runs(tiny_source, tmp_path):
    train, test = [to_device(*load_fashion_mnist(s, source_dir=tiny_source, data_dir=tmp_path / "t"))
                   for s in ("train", "test")]
    configs, result = sweep_softmax_regression(train, test, seeds=[0, 3], learning_rates=[0.1, 0.5],
                                               batch_size=16, num_epochs=3)
    assert len(result.histories) == 4
    for m, config in enumerate(configs):
        single = train_softmax_regression(jax.random.key(config["seed"]), train, test, learning_rate=config["lr"],
                                          batch_size=16, num_epochs=3)
        chex.assert_trees_all_close(unstack(result.params, m), single.params, rtol=1e-4, atol=1e-6)
        for name in ("loss", "accuracy", "test_accuracy"):
            np.testing.assert_allclose(result.histories[m][name], single.history[name], rtol=1e-4, atol=1e-6)


def test_cli_sweep(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["--model", "linreg", "--lr", "0.01,0.03,0.1", "--seeds", "0,1", "--output-dir", str(out),
                 "--no-compile-cache"])
    stdout = capsys.readouterr().out
    assert code == 0 and "6 models" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [(r["lr"], r["seed"]) for r in metrics["runs"]] == [(lr, s) for lr in (0.01, 0.03, 0.1) for s in (0, 1)]
    assert all(len(r["history"]["loss"]) == 3 for r in metrics["runs"])
    assert (out / "lr_sweep.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("extra", [["--resume", "--output-dir", "x"], ["--devices", "2"]])
def test_cli_sweep_refuses_resume_and_devices(extra, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "linreg", "--lr", "0.01,0.03", *extra])
    assert exit_info.value.code == 2 and "a sweep" in capsys.readouterr().err
