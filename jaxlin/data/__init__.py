"""The data layer: Fashion-MNIST through tensorflow-datasets without TensorFlow, synthetic data,
device-resident batches, and the registry of datasets that models name.

tensorflow-datasets is imported only when Fashion-MNIST is loaded.
"""

import importlib

import jax
import numpy as np

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
RANDOM_DATASETS = ("synthetic_linear", "polynomial", "high_dim")  # drawn from the key
_NEEDS_TFDS = ("fashion_mnist_builder", "fashion_mnist_dataset", "load_fashion_mnist")


def _is_key(key) -> bool:
    """A typed PRNG key (`jax.random.key`) or a raw one (`jax.random.PRNGKey`: u32[2])."""
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return np.ndim(key) == 0
    return dtype == np.uint32 and np.shape(key) == (2,)


def _described(value) -> str:
    shape = getattr(value, "shape", None)
    return repr(value) if shape is None else f"an array of shape {shape} and dtype {value.dtype}"


def load_dataset(name: str, key=None, *, source_dir=None, tfds_dir=None) -> Dataset:
    """The dataset registered as `name` (see DATASETS), drawn from `key` when it is random.

    source_dir and tfds_dir say where Fashion-MNIST's files are (see `load_fashion_mnist`).
    The random ones (RANDOM_DATASETS) need `key`, e.g. `jax.random.key(0)`: there is no default
    key, so that two draws never silently share their data; the others ignore it.

    Raises:
      ValueError: an unknown name. TypeError: a random dataset without a PRNG key.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; the registered ones are {', '.join(DATASETS)}.")
    if name in RANDOM_DATASETS and not _is_key(key):
        raise TypeError(
            f"load_dataset({name!r}) draws its data at random and needs a PRNG key, e.g. "
            f"load_dataset({name!r}, jax.random.key(0)); got {_described(key)}."
        )
    module, function = DATASETS[name].split(":")
    return getattr(importlib.import_module(module), function)(key, source_dir=source_dir, tfds_dir=tfds_dir)


_LAZY = {name: "jaxlin.data.fashion_mnist" for name in _NEEDS_TFDS}  # they need tensorflow-datasets
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)

__all__ = [
    "DATASETS", "FASHION_MNIST_LABELS", "RANDOM_DATASETS", "DataError", "Dataset", "ShiftedData", "SplitError", "class_pair",
    "covariate_shift", "fashion_mnist_builder", "fashion_mnist_dataset", "fold", "hold_out", "image_batches",
    "kfold", "label_shift", "linear_dataset", "load_dataset", "load_fashion_mnist", "polynomial_data",
    "polynomial_features", "prepare_images", "preprocess_images", "read_idx", "synthetic_data", "text_labels",
    "to_device", "validation_indices", "write_idx",
]  # fmt: skip
