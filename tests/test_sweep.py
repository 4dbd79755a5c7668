"""Sweeps: many models in one vmapped call give the results of separate runs."""

import json
import sys

import chex
import jax
import numpy as np
import pytest

import jaxlin
from jaxlin.engine import unstack
from jaxlin.train import main


def test_linreg_sweep_equals_separate_runs_and_reports_divergence():
    pairs, result = jaxlin.sweep_model(jaxlin.make_config("linreg", seed=[0, 1], lr=[0.01, 0.03, 5.0]))
    assert [c["lr"] for c in pairs] == [0.01, 0.01, 0.03, 0.03, 5.0, 5.0]
    assert result.diverged[:4] == [None] * 4 and all(result.diverged[4:])
    for m, pair in enumerate(pairs[:4]):
        single = jaxlin.train_model(jaxlin.make_config("linreg", seed=pair["seed"], lr=pair["lr"]))
        chex.assert_trees_all_close(unstack(result.params, m), single.params, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.histories[m]["loss"], single.history["loss"], rtol=1e-5)


def test_softmax_sweep_equals_separate_runs(tiny_source, tmp_path):
    data = jaxlin.load_dataset("fashion_mnist", source_dir=tiny_source, tfds_dir=tmp_path / "t")
    settings = dict(batch_size=16, epochs=3)
    pairs, result = jaxlin.sweep_model(jaxlin.make_config("softmax", seed=[0, 3], lr=[0.1, 0.5], **settings), data)
    assert len(result.histories) == 4
    for m, pair in enumerate(pairs):
        single = jaxlin.train_model(jaxlin.make_config("softmax", seed=pair["seed"], lr=pair["lr"], **settings), data)
        chex.assert_trees_all_close(unstack(result.params, m), single.params, rtol=1e-4, atol=1e-6)
        for name in ("loss", "accuracy", "test_accuracy"):
            np.testing.assert_allclose(result.histories[m][name], single.history[name], rtol=1e-4, atol=1e-6)


def test_cli_sweep(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(
        ["--model", "linreg", "--lr", "0.01,0.03,0.1", "--seeds", "0,1", "--output-dir", str(out), "--no-compile-cache"]
    )
    stdout = capsys.readouterr().out
    assert code == 0 and "6 models" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [(r["lr"], r["seed"]) for r in metrics["runs"]] == [(lr, s) for lr in (0.01, 0.03, 0.1) for s in (0, 1)]
    assert all(len(r["history"]["loss"]) == 3 for r in metrics["runs"])
    assert all(r["final"] == {k: v[-1] for k, v in r["history"].items()} for r in metrics["runs"])
    assert (out / "lr_sweep.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("extra", [["--resume", "--output-dir", "x"], ["--devices", "2"]])
def test_cli_sweep_refuses_resume_and_devices(extra, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "linreg", "--lr", "0.01,0.03", *extra])
    assert exit_info.value.code == 2 and "a sweep" in capsys.readouterr().err


def test_sweep_progress_and_divergence_marks():
    from jaxlin.cli.report import sweep_progress
    from jaxlin.engine import mark_diverged

    line = sweep_progress(
        {"loss": [0.5, 0.1, float("nan")]}, [{"lr": 1, "seed": 0}, {"lr": 2, "seed": 0}, {"lr": 3, "seed": 0}]
    )
    assert "loss best 0.1 (lr 2, seed 0), worst 0.5, 1 diverged" in line
    assert mark_diverged([None, None, 4], [1.0, float("inf"), float("nan")], 6) == [None, 7, 4]


def test_a_batch_size_sweep_equals_separate_runs_and_is_one_command(tmp_path, capsys):
    config = jaxlin.make_config("linreg", batch_size=[5, 20], lr=[0.01, 0.03], epochs=2)
    pairs, swept = jaxlin.sweep_model(config)
    assert [(p["batch_size"], p["lr"]) for p in pairs] == [(5, 0.01), (5, 0.03), (20, 0.01), (20, 0.03)]
    for m, pair in enumerate(pairs):
        alone = jaxlin.train_model(jaxlin.make_config("linreg", batch_size=pair["batch_size"], lr=pair["lr"], epochs=2))
        np.testing.assert_allclose(swept.params["w"][m], alone.params["w"], rtol=1e-5, atol=1e-6)
    assert (
        main(
            [
                "--model",
                "linreg",
                "--batch-size",
                "5,20",
                "--lr",
                "0.01,0.03",
                "--epochs",
                "2",
                "--output-dir",
                str(tmp_path / "run"),
                "--no-compile-cache",
            ]
        )
        == 0
    )
    runs = json.loads((tmp_path / "run" / "metrics.json").read_text())["runs"]
    assert [r["batch_size"] for r in runs] == [5, 5, 20, 20] and (tmp_path / "run" / "batch_size_sweep.png").is_file()
    np.testing.assert_allclose(
        [r["final"]["full_loss"] for r in runs], [h["full_loss"][-1] for h in swept.histories], rtol=1e-5
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"batch_size": [64, 64]}, "batch_size repeats 64"),
        ({"batch_size": [64, 256], "kfold": 5}, "one batch size"),
        ({"batch_size": [64, 256], "resume": True, "output_dir": "x"}, "cannot resume"),
    ],
)
def test_batch_size_lists_that_cannot_be_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        jaxlin.make_config("softmax", **options)


def test_models_with_one_order_share_it_and_match_the_per_model_path(tiny_source, tmp_path):
    """Models sharing a seed share its order: drawn and gathered once per group (one wide matmul);
    the result is the per-model vmap's, whether one group, several, or none (every seed its own)."""
    from jaxlin.experiments import epoch_options, sweep_start

    sweeps = sys.modules["jaxlin.engine.sweep"]
    data = jaxlin.load_dataset("fashion_mnist", source_dir=tiny_source, tfds_dir=tmp_path / "tfds")
    model = jaxlin.get_model("softmax")
    for seeds, groups in (([0], [[0, 1, 2]]), ([0, 1], [[0, 2, 4], [1, 3, 5]]), ([0, 1, 2], None)):
        lrs = [0.1, 0.3, 1.0] if len(seeds) < 3 else [0.1]
        config = jaxlin.make_config("softmax", lr=lrs, seed=seeds, batch_size=16)
        _, optimizer, states = sweep_start(model, config)
        found = sweeps.order_groups(states)
        assert (found is None) if groups is None else found.tolist() == groups
        epoch = sweeps.jit_sweep_epoch(model.LOSSES["concise"], optimizer, **epoch_options(model, config, data))
        per_model = jax.jit(
            jax.vmap(
                jaxlin.make_epoch(model.LOSSES["concise"], optimizer, **epoch_options(model, config, data)),
                in_axes=(0, None, None),
            )
        )
        for _ in range(2):
            (mine, metrics), (theirs, their_metrics) = (
                epoch(states, data.train, data),
                per_model(states, data.train, data),
            )
            chex.assert_trees_all_close(
                (mine.params, mine.opt_state, mine.epoch),
                (theirs.params, theirs.opt_state, theirs.epoch),
                rtol=1e-6,
                atol=1e-7,
            )
            chex.assert_trees_all_close(metrics, their_metrics, rtol=1e-6, atol=1e-7)
            chex.assert_trees_all_equal(jax.random.key_data(mine.key), jax.random.key_data(theirs.key))
            states = mine
