"""--config RUN reruns a run with its settings, options beside it override, and --resume alone
continues a run as it was configured; bad files are refused in one line with exit code 2."""

import json
from pathlib import Path

import pytest
from conftest import ctrl_c_after_epoch

from jaxlin.train import main

# A tiny linreg run (synthetic data); --lr is not the book's 0.03, so that a rerun must carry it over.
RUN = ("--model", "linreg", "--lr", "0.05", "--epochs", "2", "--no-plots", "--no-compile-cache")


def _metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


@pytest.fixture
def first(tmp_path, monkeypatch) -> Path:
    """A finished run in tmp_path/first, with tmp_path as the working directory."""
    monkeypatch.chdir(tmp_path)
    assert main([*RUN, "--output-dir", "first"]) == 0
    return tmp_path / "first"


def test_rerun_reproduces_the_history_bit_for_bit_in_a_new_folder(first, tmp_path):
    assert main(["--config", str(first)]) == 0
    (again,) = (tmp_path / "runs").iterdir()  # the output folder is not taken over: a new one
    was, now = _metrics(first), _metrics(again)
    assert now["history"] == was["history"]  # JSON floats round-trip exactly
    assert {**now["config"], "output_dir": None} == {**was["config"], "output_dir": None}
    assert now["config"]["lr"] == [0.05] and now["config"]["plots"] is False


def test_options_given_beside_config_override_only_themselves(first, tmp_path):
    assert main(["--config", str(first / "metrics.json"), "--epochs", "3", "--output-dir", "more"]) == 0
    was, now = _metrics(first), _metrics(tmp_path / "more")
    assert now["config"]["epochs"] == 3 and now["config"]["lr"] == [0.05]  # not the book's lr, a default
    assert now["config"]["output_dir"] == "more"
    assert now["history"]["loss"][:2] == was["history"]["loss"] and len(now["history"]["loss"]) == 3


def test_resume_alone_continues_an_interrupted_run_as_configured(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    three = ("--epochs", "3")
    assert main([*RUN, *three, "--output-dir", "whole"]) == 0

    ctrl_c_after_epoch(monkeypatch, 2)
    assert main([*RUN, *three, "--output-dir", "cut"]) == 130
    assert "Continue with: jaxlin --resume --output-dir cut" in capsys.readouterr().err
    assert not (tmp_path / "cut" / "metrics.json").exists()  # only the checkpoint knows the settings
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)

    assert main(["--resume", "--output-dir", "cut"]) == 0
    out = capsys.readouterr().out
    assert "resuming after epoch 2" in out and "epoch 3/3" in out
    cut, whole = _metrics(tmp_path / "cut"), _metrics(tmp_path / "whole")
    assert cut["history"] == whole["history"] and cut["config"]["lr"] == [0.05]
    # Finished, the run resumes from its metrics.json; --epochs given beside --resume trains on.
    assert main(["--resume", "--output-dir", "cut", "--epochs", "4"]) == 0
    assert len(_metrics(tmp_path / "cut")["history"]["loss"]) == 4


def _refused(capsys, argv, phrase):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    message = err.strip().splitlines()[-1]  # after argparse's usage line
    assert "Traceback" not in err and message.startswith("jaxlin: error:") and phrase in message, err


@pytest.mark.parametrize(
    "content, phrase",
    [
        (None, "does not exist"),
        ("{not json", "is damaged"),
        ('{"config": {"model": "linreg", "lr": NaN}}', "is damaged"),
        ("[1, 2]", "holds no run's config"),
        ('{"config": {"model": "linreg", "lr": "fast"}}', "with the options given"),
        ('{"config": {"model": "linreg", "colour": "red"}}', "Unknown setting(s) colour"),
    ],
)
def test_bad_config_files_are_refused(tmp_path, capsys, content, phrase):
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content)
    _refused(capsys, ["--config", str(path)], phrase)


def test_bad_folders_are_refused(tmp_path, capsys):
    _refused(capsys, ["--config", str(tmp_path)], "holds no metrics.json or checkpoint.npz")
    (tmp_path / "checkpoint.npz").write_bytes(b"PK not a zip file")
    _refused(capsys, ["--config", str(tmp_path)], "Cannot read the settings in")
    (tmp_path / "metrics.json").write_text("{")
    _refused(capsys, ["--resume", "--output-dir", str(tmp_path)], "is damaged")


def test_another_model_is_refused(first, capsys):
    _refused(capsys, ["--config", str(first), "--model", "softmax"], "start a new run without --config")
