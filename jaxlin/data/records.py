"""Reading the prepared Fashion-MNIST files in bulk, in whichever of tfds's formats they are.

tfds writes each example as a serialized `tf.Example` into record files. Two of its formats need
no TensorFlow: `array_record` (the `array_record` package, which tfds itself installs only on
Linux) and `parquet` (pyarrow, which tfds always installs: one binary column `data` holding the
same serialized examples). jaxlin prepares `array_record` where the package imports and `parquet`
elsewhere, and reads either one with a bulk read per file and a protobuf parse per record, much
faster than tfds's per-example decoder (bench/ measures both).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tensorflow_datasets.proto import tf_example_pb2

ARRAY_RECORD_MODULE = "array_record.python.array_record_module"


def array_record_available() -> bool:
    """Whether the `array_record` package can be imported here (tfds installs it on Linux only)."""
    try:
        importlib.import_module(ARRAY_RECORD_MODULE)
    except ImportError:
        return False
    return True


def file_format() -> str:
    """The tfds file format jaxlin prepares in: "array_record" where it imports, else "parquet"."""
    return "array_record" if array_record_available() else "parquet"


def _array_record_records(path: Path) -> list[bytes]:
    reader = importlib.import_module(ARRAY_RECORD_MODULE).ArrayRecordReader(os.fspath(path), "readahead_buffer_size:0")
    try:
        return reader.read_all()
    finally:
        reader.close()


def _parquet_records(path: Path) -> list[bytes]:
    import pyarrow.parquet as pq  # tfds depends on pyarrow; imported here to keep it off other paths

    return pq.read_table(os.fspath(path), columns=["data"]).column("data").to_pylist()


def read_records(paths: Iterable[Path]) -> tuple[np.ndarray, np.ndarray]:
    """The examples in tfds record files, in order: (images u8[n, 28, 28], labels i32[n]).

    The format is told by each file's name (tfds names them `<name>-<split>.<format>-NNNNN-of-NNNNN`).
    Raises ImportError when a file is array_record and the package is missing, KeyError/IndexError
    when the records are not laid out as jaxlin's builder writes them.
    """
    images, labels = [], []
    for path in paths:
        path = Path(path)
        records = _parquet_records(path) if ".parquet" in path.name else _array_record_records(path)
        for record in records:
            feature = tf_example_pb2.Example.FromString(record).features.feature
            images.append(feature["image"].bytes_list.value[0])
            labels.append(feature["label"].int64_list.value[0])
    return (np.frombuffer(b"".join(images), np.uint8).reshape(-1, 28, 28), np.asarray(labels, np.int32))
