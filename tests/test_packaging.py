"""What pyproject.toml promises: runtime dependencies jaxlin imports (chex only for the tests),
tfds's own platform marker for array_record and a reader without it, the lock on every system,
the accelerator extras, the LICENSE, and one command named as it was called."""

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from packaging.requirements import Requirement

from jaxlin._util import filelock
from jaxlin.cli import build_parser, program
from jaxlin.data import load_fashion_mnist, records

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
TIMEOUT = 120  # seconds, for every process a test starts


def _requirements(names) -> dict[str, Requirement]:
    return {r.name.replace("-", "_").lower(): r for r in map(Requirement, names)}


def test_chex_is_only_a_test_dependency_and_jaxlin_never_imports_it():
    assert "chex" not in _requirements(PROJECT["dependencies"])
    assert "chex" in _requirements(PROJECT["optional-dependencies"]["test"])
    assert not [p for p in (REPO / "jaxlin").rglob("*.py") if "chex" in p.read_text()]


def test_python_and_array_record_as_tested_and_as_tfds_declares():
    assert PROJECT["requires-python"] == ">=3.11"  # what CI runs; jax and numpy need it too
    tfds = _requirements(importlib.metadata.requires("tensorflow-datasets") or [])
    ours = _requirements(PROJECT["dependencies"])
    assert str(ours["array_record"].marker) == str(tfds["array_record"].marker)  # platform_system == "Linux"
    assert str(ours["filelock"].marker) == 'sys_platform == "win32"'  # where fcntl is missing


def test_accelerator_extras_require_the_same_jax():
    jax = _requirements(PROJECT["dependencies"])["jax"]
    for extra in ("cuda12", "tpu"):
        (requirement,) = _requirements(PROJECT["optional-dependencies"][extra]).values()
        assert requirement.name == "jax" and requirement.extras == {extra}
        assert requirement.specifier == jax.specifier


def test_license_file_is_the_declared_mit():
    assert PROJECT["license"] == {"text": "MIT"}
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


def test_prepared_as_parquet_where_array_record_is_missing_reads_the_same(tiny_source, tmp_path, monkeypatch):
    splits = ("train", "test")
    want = {split: load_fashion_mnist(split, source_dir=tiny_source, data_dir=tmp_path / "ar") for split in splits}
    assert list((tmp_path / "ar").rglob("*.array_record-*"))
    monkeypatch.setattr(records, "array_record_available", lambda: False)
    for split, (images, labels) in want.items():
        got_images, got_labels = load_fashion_mnist(split, source_dir=tiny_source, data_dir=tmp_path / "pq")
        assert got_images.dtype == images.dtype and got_labels.dtype == labels.dtype
        np.testing.assert_array_equal(got_images, images)
        np.testing.assert_array_equal(got_labels, labels)
    assert list((tmp_path / "pq").rglob("*.parquet-*")) and not list((tmp_path / "pq").rglob("*.array_record-*"))


@pytest.mark.parametrize("posix", [True, False], ids=["fcntl", "filelock-package"])
def test_the_lock_is_exclusive_and_removed_on_release_with_either_backend(tmp_path, monkeypatch, posix):
    if not posix:  # the Windows path, through the `filelock` package's lock for this system
        monkeypatch.setattr(filelock, "fcntl", None)
    path = tmp_path / ".lock"
    with filelock.locked(path, wait=False, remove=True):
        with pytest.raises(filelock.Busy):
            with filelock.locked(path, wait=False):
                pass
    assert not path.exists()
    with filelock.locked(path):  # free again
        assert path.exists()


def test_the_console_script_is_jaxlin_and_main_is_its_entry():
    assert PROJECT["scripts"] == {"jaxlin": "jaxlin.train:main"}
    assert build_parser().prog == "jaxlin"  # main() called from Python (here, by pytest)


def test_program_name_follows_the_module_run(monkeypatch):
    class Main:
        class __spec__:  # noqa: N801 - what runpy sets on __main__
            name = "jaxlin.__main__"

    monkeypatch.setitem(sys.modules, "__main__", Main)
    assert program.name() == "python -m jaxlin"
    monkeypatch.setattr(Main.__spec__, "name", "jaxlin.train")
    assert program.name() == "python -m jaxlin.train"


def _run(*argv):
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO)


def test_python_m_jaxlin_works_and_each_entry_names_itself():
    shown = _run("-m", "jaxlin", "--help")
    assert shown.returncode == 0 and shown.stdout.startswith("usage: python -m jaxlin ") and "--config" in shown.stdout
    refused = _run("-m", "jaxlin.train", "--epochs", "ten")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("python -m jaxlin.train: error: argument --epochs")
    script = Path(sys.executable).with_name("jaxlin")
    if script.is_file():  # installed by pip install -e . (after this version's pyproject.toml)
        run = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=TIMEOUT)
        assert run.returncode == 0 and run.stdout.startswith("usage: jaxlin ")
