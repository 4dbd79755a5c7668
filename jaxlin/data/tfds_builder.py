"""A tfds builder for Fashion-MNIST that needs no TensorFlow.

tfds's own `fashion_mnist` builder extracts with `tf.io.gfile`, so it cannot prepare without
TensorFlow. This one parses the IDX files with numpy (`jaxlin.data.idx`, which checks them) and
writes `array_record` (`parquet` where array_record is missing: `jaxlin.data.records`), in the
original order (`disable_shuffling=True`). Each configuration is one set of source files:
"official" for the real data (local or downloaded), "custom-<hash>" for anything else, so a small
test set and the real one are never mixed up in one data_dir.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from jaxlin.data.errors import DataError
from jaxlin.data.idx import IMAGES_MAGIC, LABELS_MAGIC, content_id, read_idx
from jaxlin.data.sources import BASE_URL, FILE_NAMES, OFFICIAL_IDS, SPLIT_PREFIX

NUM_CLASSES = 10


class JaxlinFashionMnist(tfds.core.GeneratorBasedBuilder):
    """Fashion-MNIST: 60,000 train and 10,000 test images, u8[28, 28], labels 0-9."""

    VERSION = tfds.core.Version("1.0.0")
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="official", description="The real Fashion-MNIST.")]

    def __init__(self, *, source_files: dict[str, Path] | None = None, **kwargs):
        self._source_files = source_files  # None: download the official files
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description="Fashion-MNIST (Zalando Research), prepared by jaxlin without TensorFlow.",
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(
                        shape=(28, 28), dtype=np.uint8, encoding=tfds.features.Encoding.BYTES
                    ),
                    "label": tfds.features.ClassLabel(num_classes=NUM_CLASSES),
                }
            ),
            supervised_keys=("image", "label"),
            disable_shuffling=True,
            homepage="https://github.com/zalandoresearch/fashion-mnist",
        )

    def source_ids(self) -> dict[str, str]:
        """The `content_id` of each of the four source files, by name: what a split read back must match."""
        if self.builder_config.name == "official":
            return dict(OFFICIAL_IDS)  # also when the files are gone (downloaded once, or deleted)
        return {name: content_id(path) for name, path in (self._source_files or {}).items()}

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        files = self._source_files
        if files is None:
            files = dl_manager.download({name: f"{BASE_URL}{name}.gz" for name in FILE_NAMES})
        return {split: self._generate_examples(files, prefix) for split, prefix in SPLIT_PREFIX.items()}

    def _generate_examples(self, files, prefix: str):
        images, labels = read_split(files[f"{prefix}-images-idx3-ubyte"], files[f"{prefix}-labels-idx1-ubyte"])
        for i in range(len(labels)):
            yield i, {"image": images[i], "label": int(labels[i])}


def read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check one split's image and label files: (u8[n, 28, 28], u8[n])."""
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise DataError(f"{images_path} holds images of {images.shape[1:]} pixels; Fashion-MNIST's are 28 x 28.")
    if len(labels) == 0:
        raise DataError(f"{labels_path} holds no examples (its header says 0); it is not a usable split.")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels; "
            "the two files must come from the same split."
        )
    if len(labels) and labels.max() >= NUM_CLASSES:
        bad = int(np.argmax(labels >= NUM_CLASSES))
        raise DataError(
            f"{labels_path} has label {labels[bad]} at index {bad}; Fashion-MNIST labels are 0-9. "
            "The file is corrupt or is not a Fashion-MNIST label file."
        )
    return images, labels
