"""Shared fixtures: small Fashion-MNIST-like IDX files, the real data when it is present, and the
session's own compile cache (the JAX settings the command changes restored after every test)."""

import os
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxlin.cli.command import enable_compile_cache
from jaxlin.data import write_idx

REPO = Path(__file__).resolve().parents[1]
REAL_DATA_CANDIDATES = [os.environ.get("JAXLIN_DATA"), REPO.parent / "shared" / "data" / "fashion-mnist"]


def find_real_data() -> Path | None:
    """The first candidate folder holding the real Fashion-MNIST files, as an absolute path: tests
    run processes and kernels in other folders, where the README's relative
    JAXLIN_DATA=../shared/data/fashion-mnist would point nowhere."""
    found = (Path(c) for c in REAL_DATA_CANDIDATES if c and (Path(c) / "train-images-idx3-ubyte.gz").is_file())
    return next((path.resolve() for path in found), None)


def write_tiny_fashion_mnist(folder: Path, n_train: int = 60, n_test: int = 20, seed: int = 0) -> Path:
    """Four gzip IDX files of a learnable toy problem: class c lights up row block c, plus noise."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) * 7 + seed) % 10  # every class present, in a known order
        images = rng.integers(0, 60, (n, 28, 28))
        for i, c in enumerate(labels):
            images[i, 2 * c + 4 : 2 * c + 6, 4:24] = 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images.astype(np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    return folder


@pytest.fixture(autouse=True, scope="session")
def compile_cache_of_the_session(tmp_path_factory):
    """One XLA compile cache for the session, in a folder of its own: the tests compile the same
    programs again and again, and the suite must never read or write the user's ~/.cache (the
    command's runs, in-process or not, cache in $XDG_CACHE_HOME; matplotlib's font list, also kept
    there, is rebuilt once a session). Figures in docs/testing.md."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg_cache")))
        enable_compile_cache()
        yield


@pytest.fixture(autouse=True)
def jax_config_restored():
    """The three JAX settings the command changes, as they were before each test: a run of the
    command in-process changes them for the whole process (--debug-nans, the compile cache)."""
    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs", "jax_debug_nans")
    before = {name: getattr(jax.config, name) for name in names}
    yield
    for name, value in before.items():
        if getattr(jax.config, name) != value:
            jax.config.update(name, value)


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    return write_tiny_fashion_mnist(tmp_path / "tiny")


@pytest.fixture(scope="session")
def real_source() -> Path:
    found = find_real_data()
    if found is not None:
        return found
    pytest.skip(
        "The real Fashion-MNIST files are absent (set JAXLIN_DATA to their folder, or put "
        "them in ../shared/data/fashion-mnist); this test needs them."
    )


@pytest.fixture(scope="session")
def real_tfds_dir(tmp_path_factory) -> Path:
    """One prepared copy of the real data for the whole session."""
    return tmp_path_factory.mktemp("tfds_real")


def cli_args(source: Path, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    """The command's options for a quick run on the small data in `source`."""
    return [
        "--data-dir",
        str(source),
        "--tfds-dir",
        str(tmp_path / "tfds"),
        "--batch-size",
        "16",
        "--lr",
        "0.5",
        "--no-plots",
        "--no-compile-cache",
        "--output-dir",
        str(out),
        *extra,
    ]


def ctrl_c_after_epoch(monkeypatch, epoch: int) -> None:
    """The command's next run checkpoints every epoch and is interrupted (as by Ctrl-C) right after
    writing epoch `epoch`'s checkpoint."""
    from jaxlin.cli import checkpointer, loops
    from jaxlin.engine import checkpoint

    def save_then_interrupt(path, state, metadata):
        checkpoint.save_state(path, state, metadata)
        if int(state.epoch) == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(loops, "save_state", save_then_interrupt)
    monkeypatch.setattr(checkpointer, "SECONDS_BETWEEN", 0.0)  # a checkpoint every epoch
