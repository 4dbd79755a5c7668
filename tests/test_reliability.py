"""What jaxlin guarantees: no run loses its own or another's results, every bad input ends in one
clear paragraph (exit 1 or 2, no traceback), and a wrong value is refused where data enter."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import cli_args

import jaxlin
from jaxlin.cli import loops
from jaxlin.data import DataError, load_fashion_mnist, write_idx
from jaxlin.engine.checkpoint import load_metadata
from jaxlin.train import main

TIMEOUT = 120  # seconds, for every process a test starts


def _fails_cleanly(capsys, argv, code, *phrases):
    """main(argv) exits with `code`, its message one paragraph holding every phrase, no traceback."""
    if code == 2:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    else:
        assert main(argv) == code
    err = capsys.readouterr().err
    message = err.strip().splitlines()[-1]  # after argparse's usage, or a progress line
    assert "Traceback" not in err and "\n" not in message and message.startswith("jaxlin: error:"), err
    for phrase in phrases:
        assert phrase in err, err
    return err


def _train(*args, cwd, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "jaxlin.train", "--no-plots", "--no-compile-cache", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# Results are never lost ------------------------------------------------------------------------


def test_two_runs_started_together_get_a_folder_each(tmp_path):
    runs = [_train("--model", "linreg", "--lr", lr, cwd=tmp_path) for lr in ("0.03", "0.05")]
    for run in runs:
        _, err = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, err
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2
    assert sorted(json.loads((f / "metrics.json").read_text())["config"]["lr"][0] for f in folders) == [0.03, 0.05]


def test_a_folder_in_use_is_refused(tmp_path):
    """The first run trains until it is stopped, so the second always finds it running (a short
    first run raced the second's start-up, and lost when its compiling was quick)."""
    out = tmp_path / "shared"
    first = _train("--model", "linreg", "--epochs", "1000000", "--output-dir", str(out), cwd=tmp_path)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (out / "checkpoint.npz").exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.poll() is None, first.communicate()[1]
        second = _train("--model", "linreg", "--lr", "0.01", "--output-dir", str(out), cwd=tmp_path)
        _, err = second.communicate(timeout=TIMEOUT)
        assert second.returncode == 1 and "in use by another run" in err and "Traceback" not in err
        assert load_metadata(out / "checkpoint.npz")["config"]["lr"] == [0.03]  # still the first run's
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 130 and "--resume --output-dir" in err, err  # stopped as a user stops it
    assert not (out / "metrics.json").exists()  # an interrupted run writes none: no run finished here
    assert not (out / ".lock").exists()


def test_a_run_killed_while_holding_its_folder_leaves_it_usable(tmp_path):
    """SIGKILL mid-run: the kernel drops its lock, and --resume takes the folder over."""
    out = tmp_path / "run"
    first = _train("--model", "linreg", "--epochs", "100000", "--output-dir", str(out), cwd=tmp_path)
    deadline = time.monotonic() + TIMEOUT
    while not (out / "checkpoint.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()
    first.communicate(timeout=TIMEOUT)
    with np.load(out / "checkpoint.npz") as saved:
        done = str(int(saved["epoch"]))
    again = _train("--model", "linreg", "--epochs", done, "--resume", "--output-dir", str(out), cwd=tmp_path)
    stdout, err = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0 and "already trained for" in stdout, err


@pytest.mark.parametrize("sweep", [False, True])
def test_an_output_path_that_is_a_file_is_refused_before_training(tmp_path, capsys, sweep):
    target = tmp_path / "f"
    target.write_text("x")
    lrs = ["--lr", "0.1,0.3"] if sweep else []
    assert main(["--model", "linreg", *lrs, "--output-dir", str(target)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("jaxlin: error:") and "is a file" in err and err.count("\n") == 1, err
    assert out == "" and target.read_text() == "x"  # refused before the banner, before any epoch


def test_a_full_disk_is_one_message(tmp_path, capsys, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "run" / "checkpoint.npz"))

    monkeypatch.setattr(loops, "save_state", no_space)
    _fails_cleanly(
        capsys,
        ["--model", "linreg", "--no-compile-cache", "--output-dir", str(tmp_path / "run")],
        1,
        "No space left on device",
        "checkpoint.npz",
    )


# Wrong values are refused where data enter -----------------------------------------------------


@pytest.mark.parametrize("bad_label", [-1, 10])
def test_labels_out_of_range_are_refused_before_training(bad_label):
    images = jnp.zeros((8, 28, 28), jnp.uint8)
    labels = jnp.arange(8, dtype=jnp.int32).at[3].set(bad_label)
    data = jaxlin.Dataset(train=(images, labels), test=(images, labels % 10), prepare=jaxlin.data.prepare_images)
    with pytest.raises(ValueError, match=f"train labels holds a label of {bad_label}; the labels must be 0 to 9"):
        jaxlin.train_model(jaxlin.make_config("softmax", epochs=1, batch_size=4), data)


def test_non_finite_inputs_are_refused_not_reported_as_divergence():
    X, y = jaxlin.synthetic_data(jax.random.key(0), jnp.array([1.0, 2.0]), 0.5, 20)
    X = X.at[4, 1].set(jnp.nan)
    loss = jaxlin.get_model("linreg").LOSSES["concise"]
    with pytest.raises(ValueError, match=r"data\[0\] holds 1 NaN or infinite value"):
        jaxlin.fit(
            jaxlin.init_affine(jax.random.key(1), 2, 1),
            loss,
            jaxlin.sgd(0.1),
            (X, y),
            key=jax.random.key(2),
            batch_size=5,
            num_epochs=1,
            has_aux=True,
        )
    with pytest.raises(ValueError, match="NaN or infinite"):
        jaxlin.train_model(jaxlin.make_config("linreg"), jaxlin.Dataset(train=(X, y)))


def test_swapped_train_and_test_files_are_refused(real_source, tmp_path):
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    for kind in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
        os.symlink(real_source / f"train-{kind}", swapped / f"t10k-{kind}")
        os.symlink(real_source / f"t10k-{kind}", swapped / f"train-{kind}")
    with pytest.raises(DataError, match=r"misnamed \(train and test swapped\?\)"):
        load_fashion_mnist("train", source_dir=swapped, data_dir=tmp_path / "tfds")


def test_resume_on_other_data_is_refused(tmp_path, capsys):
    from conftest import write_tiny_fashion_mnist

    a, b = write_tiny_fashion_mnist(tmp_path / "a", seed=0), write_tiny_fashion_mnist(tmp_path / "b", seed=1)
    out = tmp_path / "run"
    assert main(cli_args(a, tmp_path, out, "--epochs", "1")) == 0
    _fails_cleanly(
        capsys,
        cli_args(b, tmp_path, out, "--epochs", "2", "--resume"),
        1,
        "Cannot resume",
        "was made with data fashion_mnist/custom-",
    )


# Bad files and options: one paragraph, never a traceback ----------------------------------------


@pytest.mark.parametrize("size", [0, 7])
def test_a_tiny_gzip_file(tiny_source, tmp_path, size):
    path = tiny_source / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:size])
    with pytest.raises(DataError, match=f"is {size} bytes long, too short to be a gzip file"):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")


def test_an_empty_split(tiny_source, tmp_path):
    write_idx(tiny_source / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8))
    write_idx(tiny_source / "t10k-labels-idx1-ubyte.gz", np.zeros((0,), np.uint8))
    with pytest.raises(DataError, match="holds no examples"):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")


def _shard(folder, split):
    return next(folder.rglob(f"*-{split}.array_record-*"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: _shard(f, "train").unlink(),
        lambda f: _shard(f, "train").write_bytes(_shard(f, "train").read_bytes()[:100]),
        lambda f: _shard(f, "train").write_bytes(bytes(_shard(f, "train").stat().st_size)),
        lambda f: next(f.rglob("dataset_info.json")).write_text(""),
        lambda f: next(f.rglob("dataset_info.json")).write_text("{garbage"),
        lambda f: next(f.rglob("dataset_info.json")).unlink(),
    ],
    ids=["deleted-shard", "truncated-shard", "zeroed-shard", "empty-info", "garbage-info", "deleted-info"],
)
def test_a_damaged_prepared_copy_is_prepared_again(tiny_source, tmp_path, damage, capsys):
    tfds_dir = tmp_path / "tfds"
    before = load_fashion_mnist("train", source_dir=tiny_source, data_dir=tfds_dir)
    damage(tfds_dir / "jaxlin_fashion_mnist")
    after = load_fashion_mnist("train", source_dir=tiny_source, data_dir=tfds_dir)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])


def test_a_failed_first_preparation_is_not_taken_for_damage(tiny_source, tmp_path, monkeypatch, capsys):
    from jaxlin.data.tfds_builder import JaxlinFashionMnist

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(JaxlinFashionMnist, "download_and_prepare", disk_full)
    with pytest.raises(OSError, match="No space left"):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")
    err = capsys.readouterr().err
    assert err.endswith("once ... failed\n") and "damaged" not in err


def test_two_first_preparations_at_once_both_succeed(tiny_source, tmp_path):
    code = (
        f"import jaxlin; print(len(jaxlin.load_fashion_mnist('test', source_dir={str(tiny_source)!r}, "
        f"data_dir={str(tmp_path / 'tfds')!r})[1]))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0 and out.strip() == "20", err


def test_first_preparation_is_one_clean_line_and_cleans_a_killed_one(tiny_source, tmp_path):
    stale = tmp_path / "tfds" / "jaxlin_fashion_mnist"
    load_fashion_mnist("test", source_dir=tiny_source, data_dir=tmp_path / "tfds")  # to learn the folder name
    config_dir = next(stale.iterdir())
    shutil.rmtree(config_dir)
    (config_dir / "incomplete.ABC123_1.0.0").mkdir(parents=True)  # as a SIGKILL halfway leaves it
    code = (
        f"import jaxlin; jaxlin.load_fashion_mnist('test', source_dir={str(tiny_source)!r}, "
        f"data_dir={str(tmp_path / 'tfds')!r})"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("jaxlin: preparing Fashion-MNIST (custom-") and " done in " in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == "", done.stderr
    assert not list(config_dir.glob("incomplete.*"))


@pytest.mark.parametrize(
    "edit, phrase",
    [
        (lambda a: a.pop("__meta__"), "no readable metadata"),
        (lambda a: a.update(__meta__=np.frombuffer(b"{not json", np.uint8)), "no readable metadata"),
        (lambda a: a.update(__meta__=np.frombuffer(b"[1, 2]", np.uint8)), "metadata of the wrong form"),
        (lambda a: a.update(__meta__=np.frombuffer(b'{"epoch": 1}', np.uint8)), "not written by this version"),
        (lambda a: a.pop("epoch"), "has no epoch"),
        (lambda a: a.update(epoch=np.array("one")), "epoch is <U3[], expected int32[]"),
        (lambda a: a.update(epoch=np.array(-5, np.int32)), "is inconsistent"),
        (lambda a: a.update(epoch=np.array(2, np.int32)), "is inconsistent"),
    ],
)
def test_a_malformed_checkpoint_is_refused_and_left_untouched(tiny_source, tmp_path, capsys, edit, phrase):
    out = tmp_path / "run"
    assert main(cli_args(tiny_source, tmp_path, out, "--epochs", "1")) == 0
    path = out / "checkpoint.npz"
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    edit(arrays)
    np.savez(path, **arrays)
    before = path.read_bytes()
    capsys.readouterr()
    _fails_cleanly(
        capsys, cli_args(tiny_source, tmp_path, out, "--epochs", "3", "--resume"), 1, "Cannot resume", phrase
    )
    assert path.read_bytes() == before


def test_resume_without_a_checkpoint_says_so_before_loading_data(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    err = _fails_cleanly(
        capsys,
        ["--resume", "--output-dir", str(tmp_path / "run"), "--data-dir", str(tmp_path / "nowhere")],
        1,
        "holds no checkpoint.npz",
    )
    assert "nowhere" not in err
    _fails_cleanly(capsys, ["--resume", "--output-dir", str(tmp_path / "missing")], 1, "does not exist")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--lr", "inf"], "learning rate must be a positive, finite number"),
        (["--lr", "inf,0.1"], "learning rate must be a positive, finite number"),
        (["--lr", "nan"], "learning rate must be a positive, finite number, got nan"),
        (["--seed", "99999999999999999999999"], "seed must be from 0 to 4294967295"),
        (["--seed", "-1"], "seed must be from 0 to 4294967295"),
        (["--batch-size", "2147483648"], "batch_size must be below 2147483648"),
        (["--seeds", "0,x"], "--seeds: 'x' is not a valid int"),
        (["--seeds", "0,0"], "seed repeats 0"),
        (["--lr", "0.1,0.1"], "lr repeats 0.1"),
        (["--epochs", "2147483648"], "epochs must be below 2147483648"),
    ],
)
def test_options_that_parse_but_cannot_run_exit_2(capsys, argv, phrase):
    _fails_cleanly(capsys, ["--model", "linreg", *argv], 2, phrase)


def test_a_tfds_dir_that_is_a_file(tiny_source, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    _fails_cleanly(
        capsys,
        ["--data-dir", str(tiny_source), "--tfds-dir", str(tmp_path / "file"), "--output-dir", str(tmp_path / "run")],
        1,
        "is a file; pass a folder as --tfds-dir",
    )


# Messages that say what happened ---------------------------------------------------------------


@pytest.mark.parametrize("lrs", ["0.5", "0.1,0.5"])
def test_ctrl_c_before_any_checkpoint_does_not_suggest_resume(tiny_source, tmp_path, capsys, monkeypatch, lrs):
    def ctrl_c(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(loops, "append_metrics", ctrl_c)
    argv = cli_args(tiny_source, tmp_path, tmp_path / "run", "--epochs", "2")
    argv[argv.index("--lr") + 1] = lrs
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "nothing to resume" in err and "--resume" not in err


def test_a_diverged_sweep_model_is_shown_and_metrics_json_stays_strict(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "--model",
                "linreg",
                "--lr",
                "0.03,80",
                "--epochs",
                "5",
                "--no-plots",
                "--no-compile-cache",
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    assert "1 diverged" in capsys.readouterr().out
    text = (out / "metrics.json").read_text()

    def refuse(constant):
        raise AssertionError(f"{constant} is not strict JSON")

    runs = json.loads(text, parse_constant=refuse)["runs"]
    assert runs[1]["diverged_epoch"] and None in runs[1]["history"]["loss"]


def test_linreg_runs_by_default_on_a_host_with_4_devices(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jaxlin.train",
            "--model",
            "linreg",
            "--no-plots",
            "--no-compile-cache",
            "--output-dir",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert "on 2 cpu device(s)" in done.stdout  # batch 10: the most devices that split it evenly


# Found by an adversarial pass ------------------------------------------------------------------


def test_debug_nans_in_a_sweep_and_a_sweep_that_all_diverges(tmp_path, capsys):
    _fails_cleanly(
        capsys,
        [
            "--model",
            "linreg",
            "--lr",
            "0.03,80",
            "--epochs",
            "5",
            "--debug-nans",
            "--no-plots",
            "--no-compile-cache",
            "--output-dir",
            str(tmp_path / "a"),
        ],
        1,
        "--debug-nans stopped at the first NaN",
    )
    import jax

    jax.config.update("jax_debug_nans", False)
    _fails_cleanly(
        capsys,
        [
            "--model",
            "linreg",
            "--lr",
            "80,100",
            "--epochs",
            "3",
            "--no-plots",
            "--no-compile-cache",
            "--output-dir",
            str(tmp_path / "b"),
        ],
        1,
        "Every model of the sweep diverged",
    )
    assert (tmp_path / "b" / "metrics.json").is_file()


def _edit_checkpoint(path, edit):
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    edit(arrays)
    np.savez(path, **arrays)


def _with_meta(arrays, **changes):
    meta = json.loads(arrays["__meta__"].tobytes())
    arrays["__meta__"] = np.frombuffer(json.dumps({**meta, **changes}).encode(), np.uint8)


@pytest.mark.parametrize(
    "edit, phrase",
    [
        (
            lambda a: a.update({"opt_state.hyperparams['learning_rate']": np.float32(0.5)}),
            "holds learning_rate 0.5 in its optimizer state, not the configured 0.03",
        ),
        (lambda a: a.update({"params['w']": np.full_like(a["params['w']"], np.nan)}), "NaN or infinite"),
        (lambda a: _with_meta(a, history={}), "is inconsistent"),
        (lambda a: _with_meta(a, history={"loss": ["x", "y"], "full_loss": [1.0, 2.0]}), "is inconsistent"),
    ],
    ids=["other-lr", "nan-params", "empty-history", "text-history"],
)
def test_a_checkpoint_whose_contents_do_not_fit_is_refused(tmp_path, capsys, edit, phrase):
    out = tmp_path / "run"
    linreg = ["--model", "linreg", "--no-plots", "--no-compile-cache", "--output-dir", str(out)]
    assert main([*linreg, "--epochs", "2"]) == 0
    _edit_checkpoint(out / "checkpoint.npz", edit)
    capsys.readouterr()
    _fails_cleanly(capsys, [*linreg, "--epochs", "4", "--resume"], 1, "Cannot resume", phrase)


def test_resume_with_fewer_epochs_than_done_is_refused(tmp_path, capsys):
    linreg = ["--model", "linreg", "--no-plots", "--no-compile-cache", "--output-dir", str(tmp_path / "run")]
    assert main([*linreg, "--epochs", "3"]) == 0
    capsys.readouterr()
    _fails_cleanly(capsys, [*linreg, "--epochs", "1", "--resume"], 1, "trained 3 epochs, more than --epochs 1")


def test_a_finished_sweep_folder_is_refused_without_suggesting_resume(tmp_path, capsys):
    sweep = [
        "--model",
        "linreg",
        "--lr",
        "0.01,0.03",
        "--no-plots",
        "--no-compile-cache",
        "--output-dir",
        str(tmp_path / "sweep"),
    ]
    assert main(sweep) == 0
    capsys.readouterr()
    err = _fails_cleanly(capsys, sweep, 1, "already holds a run")
    assert "--resume" not in err


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--lr", "1e-50"], "out of float32's range"),
        (["--lr", "1e39"], "out of float32's range"),
        (["--output-dir", ""], "--output-dir: is empty"),
        (["--seed", "5", "--seeds", "0,1"], "give --seed or --seeds, not both"),
    ],
)
def test_more_options_that_cannot_run_exit_2(capsys, argv, phrase):
    _fails_cleanly(capsys, ["--model", "linreg", *argv], 2, phrase)


def test_devices_that_do_not_fit_leave_no_folder(tmp_path, capsys):
    _fails_cleanly(
        capsys,
        ["--model", "linreg", "--batch-size", "16", "--devices", "8", "--output-dir", str(tmp_path / "run")],
        1,
        "Asked for 8 devices",
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "model, data, phrase",
    [
        (
            "softmax",
            jaxlin.Dataset(train=(jnp.zeros((8, 28, 28), jnp.uint8), jnp.zeros(8, jnp.int32))),
            "needs a test split",
        ),
        (
            "softmax",
            jaxlin.Dataset(
                train=(jnp.zeros((8, 32, 32)), jnp.zeros(8, jnp.int32)),
                test=(jnp.zeros((8, 32, 32)), jnp.zeros(8, jnp.int32)),
            ),
            r"images \[n, 28, 28\]",
        ),
        ("linreg", jaxlin.Dataset(train=(jnp.zeros((8, 3)), jnp.zeros(8))), r"X \[n, 2\] and y \[n\]"),
    ],
)
def test_data_of_the_wrong_shape_are_refused(model, data, phrase):
    with pytest.raises(ValueError, match=phrase):
        jaxlin.train_model(jaxlin.make_config(model, epochs=1, batch_size=4), data)


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"lr": True}, "learning rate must be a positive number"),
        ({"resume": "no"}, "resume must be True or False"),
        ({"lr": []}, "lr is an empty list"),
    ],
)
def test_make_config_refuses_values_of_the_wrong_kind(options, phrase):
    with pytest.raises(ValueError, match=phrase):
        jaxlin.make_config("linreg", **options)
    assert jaxlin.make_config("linreg", seed=np.int64(3)).seed == (3,)


def test_a_gzip_file_without_gz_in_its_name(tiny_source, tmp_path):
    gz = tiny_source / "train-labels-idx1-ubyte.gz"
    gz.rename(tiny_source / "train-labels-idx1-ubyte")
    with pytest.raises(DataError, match="is gzip-compressed, but its name does not end in .gz"):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")
