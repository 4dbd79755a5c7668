"""Preparing the tfds dataset, once, safely: the first run of jaxlin on a machine does this.

Two first runs at once take turns (a file lock), a preparation that was killed halfway leaves
nothing that gets in the way (its `incomplete.*` folder is removed), tfds's progress bars and log
lines are kept out of the terminal (one line says what is prepared, where, and how long it took),
and a prepared copy that was damaged later is prepared again from the source files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import tensorflow_datasets as tfds
from absl import logging as absl_logging

from jaxlin._util.filelock import locked
from jaxlin.data import records, sources
from jaxlin.data.errors import DataError
from jaxlin.data.integrity import PreparedMismatch
from jaxlin.data.tfds_builder import JaxlinFashionMnist

T = TypeVar("T")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """tfds's progress bars, prints and absl warnings go nowhere (they read as errors)."""
    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    tfds.disable_progress_bar()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        tfds.enable_progress_bar()
        absl_logging.set_verbosity(verbosity)


def _usable(data_dir: Path) -> Path:
    if data_dir.exists() and not data_dir.is_dir():
        raise DataError(f"The tfds data folder {data_dir} is a file; pass a folder as --tfds-dir (data_dir=).")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"Cannot make the tfds data folder {data_dir} ({err.strerror}); pass a writable "
            "folder as --tfds-dir (data_dir=)."
        ) from None
    if not os.access(data_dir, os.W_OK):
        raise DataError(
            f"The tfds data folder {data_dir} is not writable; pass a writable folder as "
            "--tfds-dir (data_dir=), or prepare the dataset once where you can write."
        )
    return data_dir


def _not_a_source_folder(data_dir: Path) -> None:
    # tfds would write its lock, downloads/ and a prepared copy (39 MB) beside the raw files, and
    # look for them in <data_dir>/downloads/manual, not finding them. Refused rather than taken as
    # source_dir: then the prepared copy would go to a folder the caller did not name.
    if data_dir.is_dir() and sources.files_in(data_dir) is not None:
        raise DataError(
            f"{data_dir} holds the four Fashion-MNIST source files, but data_dir (--tfds-dir) is the "
            "folder where tfds writes its prepared copy, and jaxlin never writes beside the source "
            "files: pass this folder as source_dir= (--data-dir, or $JAXLIN_DATA) instead, and "
            "leave data_dir to its default or name another folder."
        )


def prepared_folder(data_dir: Path, config_name: str) -> Path:
    """Where tfds keeps the prepared copy of one set of source files."""
    return data_dir / JaxlinFashionMnist.name / config_name / str(JaxlinFashionMnist.VERSION)


class _Damaged(Exception):
    """The prepared copy could not be opened or read."""


def _prepared(files, name: str, data_dir: Path) -> JaxlinFashionMnist:
    config = name if name == "official" else tfds.core.BuilderConfig(name=name)
    with locked(data_dir / f".{JaxlinFashionMnist.name}.lock"):
        try:
            with _quiet():
                builder = JaxlinFashionMnist(
                    source_files=files, data_dir=data_dir, config=config, file_format=records.file_format()
                )
                prepared = builder.is_prepared()
        except Exception as err:  # noqa: BLE001 - e.g. a garbage dataset_info.json
            raise _Damaged(err) from err
        if not prepared:
            for stale in prepared_folder(data_dir, name).parent.glob("incomplete.*"):
                shutil.rmtree(stale, ignore_errors=True)  # left by a preparation that was killed
            if files is None:
                sources.check_online()
            print(
                f"jaxlin: preparing Fashion-MNIST ({name}) in {prepared_folder(data_dir, name)}, once ...",
                end="",
                file=sys.stderr,
                flush=True,
            )
            started, outcome = time.perf_counter(), " failed"
            try:
                with _quiet():
                    builder.download_and_prepare()
                outcome = f" done in {time.perf_counter() - started:.1f} s"
            finally:
                print(outcome, file=sys.stderr, flush=True)
    return builder


def _read_once(files, name: str, data_dir: Path, read: Callable[[JaxlinFashionMnist], T]) -> T:
    builder = _prepared(files, name, data_dir)
    try:
        return read(builder)
    except DataError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure to read a prepared copy means damage
        raise _Damaged(err) from err


def read_prepared(source_dir, data_dir: Path, read: Callable[[JaxlinFashionMnist], T]) -> T:
    """read(builder) for the source files found from `source_dir`, prepared in `data_dir` first if
    need be. A prepared copy that cannot be opened or read (truncated, zeroed or deleted files) is
    prepared again from the source files, once; a failure to prepare is not retried."""
    _not_a_source_folder(data_dir)
    data_dir = _usable(data_dir)
    files = sources.find_local_files(source_dir, data_dir / "downloads" / "manual")
    name = sources.source_id(files)
    folder = prepared_folder(data_dir, name)
    try:
        return _read_once(files, name, data_dir, read)
    except _Damaged as damage:
        why = f" ({damage.__cause__})" if isinstance(damage.__cause__, PreparedMismatch) else ""
        print(f"jaxlin: the prepared copy in {folder} is damaged{why}; preparing it again", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
    try:
        return _read_once(files, name, data_dir, read)
    except _Damaged as damage:
        raise DataError(
            f"The prepared Fashion-MNIST in {folder} cannot be read even after preparing it "
            f"again ({damage}). Delete {folder} and check the disk."
        ) from None
