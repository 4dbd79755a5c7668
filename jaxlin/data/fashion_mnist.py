"""Load Fashion-MNIST (D2L 3.5) through tfds, offline or online, fast after the first time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import tensorflow_datasets as tfds

from jaxlin.data import sources, splits
from jaxlin.data.classes import FASHION_MNIST_LABELS
from jaxlin.data.dataset import Dataset
from jaxlin.data.device import prepare_images, to_device
from jaxlin.data.integrity import check_split
from jaxlin.data.prepare import read_prepared
from jaxlin.data.records import read_records
from jaxlin.data.tfds_builder import JaxlinFashionMnist

READERS = ("array_record", "tfds")


def fashion_mnist_builder(
    source_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
) -> JaxlinFashionMnist:
    """The tfds builder for the files that `source_dir` and the default places give, prepared.

    Args:
      source_dir: a folder with the four IDX files (see `jaxlin.data.sources` for where else
        jaxlin looks, and that it downloads when it finds nothing).
      data_dir: tfds's data folder for the prepared dataset (default: $TFDS_DATA_DIR or
        ~/tensorflow_datasets).
    """
    return read_prepared(source_dir, _data_dir(data_dir), lambda builder: builder)


def _data_dir(data_dir: str | os.PathLike | None) -> Path:
    return Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()


def _read_records(builder: JaxlinFashionMnist, split: str) -> tuple[np.ndarray, np.ndarray]:
    # One bulk read per file and a protobuf parse per record, much faster than tfds's per-example
    # feature decoder (bench/ measures both); the tests check that both give the same arrays.
    return read_records(builder.info.splits[split].filepaths)


def _read_tfds(builder: JaxlinFashionMnist, split: str) -> tuple[np.ndarray, np.ndarray]:
    source = builder.as_data_source(split=split)
    examples = source.__getitems__(range(len(source)))
    return (np.stack([e["image"] for e in examples]), np.asarray([e["label"] for e in examples], np.int32))


def load_fashion_mnist(
    split: str,
    *,
    source_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    reader: Literal["array_record", "tfds"] = "array_record",
) -> tuple[np.ndarray, np.ndarray]:
    """A split of Fashion-MNIST as host arrays, in the original file order.

    The first call prepares the tfds dataset (seconds); later calls only read it back.

    Args:
      split: "train" (60,000 examples) or "test" (10,000), or slices of them joined with "+" in
        tensorflow-datasets' split syntax, e.g. "train[:50000]", "train[-10%:]", "train[:1%]+test[-5:]"
        (percentages rounded to the closest example as in tfds; see `jaxlin.data.splits`).
      source_dir, data_dir: see `fashion_mnist_builder`.
      reader: "array_record", jaxlin's bulk reader of the prepared files (fast; it reads the
        parquet files that replace array_record where that package is missing, see
        `jaxlin.data.records`), or "tfds", tfds's own per-example decoder (`as_data_source`);
        both give the same arrays, checked against the source files (`jaxlin.data.integrity`).

    Returns:
      images: u8[n, 28, 28]; labels: i32[n] in 0..9 (names: `text_labels`).

    Raises:
      ValueError: a bad split (malformed, an unknown name, past a split's end, or an empty slice).
      DataError: the files are missing (and cannot be downloaded), corrupt or truncated, or
        `data_dir` is the folder of the four source files (pass that as `source_dir`).
    """
    names = splits.split_names(split, sources.SPLIT_PREFIX)  # syntax and names, before any reading
    if reader not in READERS:
        raise ValueError(f"reader must be one of {', '.join(READERS)}; got {reader!r}.")
    sizes, whole = read_prepared(
        source_dir,
        _data_dir(data_dir),
        lambda builder: (
            {name: builder.info.splits[name].num_examples for name in sources.SPLIT_PREFIX},
            {name: _read(builder, name, reader) for name in names},
        ),
    )
    # Outside read_prepared, which takes any error of its reader for a damaged prepared copy.
    slices = splits.read_instructions(split, sizes)
    (name, start, stop), *more = slices
    if not more and (start, stop) == (0, sizes[name]):
        return whole[name]  # one whole split, as read
    images, labels = (np.concatenate([whole[name][i][start:stop] for name, start, stop in slices]) for i in (0, 1))
    return images, labels


def _read(builder: JaxlinFashionMnist, split: str, reader: str) -> tuple[np.ndarray, np.ndarray]:
    if reader == "tfds":
        images, labels = _read_tfds(builder, split)
    else:
        try:
            images, labels = _read_records(builder, split)
        except (KeyError, IndexError, ValueError):  # records not laid out as expected: let tfds decode
            images, labels = _read_tfds(builder, split)
    # A PreparedMismatch here has read_prepared prepare the copy again.
    check_split(
        split,
        images,
        labels,
        recorded=builder.info.splits[split].num_examples,
        source_ids=builder.source_ids(),
    )
    return images, labels


def fashion_mnist_dataset(
    key=None,
    *,
    source_dir: str | os.PathLike | None = None,
    tfds_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Both splits on the device as a Dataset: u8 images and i32 labels, prepared to f32 in jit.

    `key` is ignored (the real data hold no randomness), as every dataset loader takes one.
    """
    del key
    train, test, name = read_prepared(
        source_dir,
        _data_dir(tfds_dir),
        lambda builder: (
            _read(builder, "train", "array_record"),
            _read(builder, "test", "array_record"),
            builder.builder_config.name,
        ),
    )
    return Dataset(
        train=to_device(*train),
        test=to_device(*test),
        prepare=prepare_images,
        label_names=FASHION_MNIST_LABELS,
        source=f"fashion_mnist/{name}",
    )
