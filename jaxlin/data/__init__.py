"""The data layer: Fashion-MNIST through tensorflow-datasets without TensorFlow, synthetic data,
device-resident batches, and the registry of datasets that models name.

tensorflow-datasets is imported only when Fashion-MNIST is loaded.
"""

import importlib

from jaxlin._util.lazy import lazy_attributes
from jaxlin.data.binary import class_pair
from jaxlin.data.classes import FASHION_MNIST_LABELS, text_labels
from jaxlin.data.dataset import Dataset
from jaxlin.data.device import image_batches, prepare_images, preprocess_images, to_device
from jaxlin.data.errors import DataError
from jaxlin.data.holdout import SplitError, fold, hold_out, kfold, validation_indices
from jaxlin.data.idx import read_idx, write_idx
from jaxlin.data.polynomial import polynomial_data, polynomial_features
from jaxlin.data.shift import ShiftedData, covariate_shift, label_shift
from jaxlin.data.synthetic import linear_dataset, synthetic_data

# name -> "module:function"; each function is loader(key, *, source_dir=None, tfds_dir=None) -> Dataset.
DATASETS = {
    "fashion_mnist": "jaxlin.data.fashion_mnist:fashion_mnist_dataset",
    "synthetic_linear": "jaxlin.data.synthetic:linear_dataset",
    "polynomial": "jaxlin.data.polynomial:polynomial_dataset",
    "high_dim": "jaxlin.data.synthetic:high_dim_dataset",
    "tshirt_vs_shirt": "jaxlin.data.binary:tshirt_vs_shirt_dataset",
}
_NEEDS_TFDS = ("fashion_mnist_builder", "fashion_mnist_dataset", "load_fashion_mnist")


def load_dataset(name: str, key=None, *, source_dir=None, tfds_dir=None) -> Dataset:
    """The dataset registered as `name` (see DATASETS), drawn from `key` when it is random.

    source_dir and tfds_dir say where Fashion-MNIST's files are (see `load_fashion_mnist`).
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; the registered ones are {', '.join(DATASETS)}.")
    module, function = DATASETS[name].split(":")
    return getattr(importlib.import_module(module), function)(key, source_dir=source_dir, tfds_dir=tfds_dir)


_LAZY = {name: "jaxlin.data.fashion_mnist" for name in _NEEDS_TFDS}  # they need tensorflow-datasets
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)

__all__ = [
    "DATASETS", "FASHION_MNIST_LABELS", "DataError", "Dataset", "ShiftedData", "SplitError", "class_pair",
    "covariate_shift", "fashion_mnist_builder", "fashion_mnist_dataset", "fold", "hold_out", "image_batches",
    "kfold", "label_shift", "linear_dataset", "load_dataset", "load_fashion_mnist", "polynomial_data",
    "polynomial_features", "prepare_images", "preprocess_images", "read_idx", "synthetic_data", "text_labels",
    "to_device", "validation_indices", "write_idx",
]  # fmt: skip
