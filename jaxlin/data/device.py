"""Device-resident image data: the whole split lives on the device as uint8; batches are made in jit.

Keeping u8 on the device takes a quarter of the memory of float32, and turning a batch into
float32 in [0, 1] (`prepare_images`, the data step) is fused into the compiled code that uses it,
so no per-batch host-to-device copy ever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxlin._util import checks
from jaxlin.ops.order import iter_batch_indices, take_examples


def to_device(*arrays: np.ndarray) -> tuple[jax.Array, ...]:
    """Copy host arrays to the default device once, keeping their dtypes (u8 images stay u8)."""
    return tuple(jax.device_put(a) for a in arrays)


def preprocess_images(images: jax.Array, resize: int | tuple[int, int] | None = None) -> jax.Array:
    """u8[..., h, w] -> f32[..., h', w'] in [0, 1], resized bilinearly when `resize` is given."""
    x = images.astype(jnp.float32) / 255.0
    if resize is not None:
        height, width = (resize, resize) if isinstance(resize, int) else resize
        checks.positive_int("resize height", height)
        checks.positive_int("resize width", width)
        x = jax.image.resize(x, (*x.shape[:-2], height, width), method="bilinear")
    return x


def prepare_images(batch: tuple) -> tuple:
    """The data step of an image dataset: (u8[b, h, w], labels, ...) -> (f32[b, h, w] in [0, 1],
    labels, ...); whatever follows the images (labels, weights) passes as it is."""
    images, *rest = batch
    return preprocess_images(images), *rest


@partial(jax.jit, static_argnames="resize")
def _gather(images, labels, idx, resize):
    images, labels = take_examples((images, labels), idx)
    return preprocess_images(images, resize), labels


def image_batches(
    key: jax.Array | None,
    images: jax.Array,
    labels: jax.Array,
    batch_size: int,
    *,
    shuffle: bool = True,
    resize: int | tuple[int, int] | None = None,
) -> Iterator[tuple[jax.Array, jax.Array]]:
    """Ready-to-use image minibatches, like the book's `load_data_fashion_mnist` iterators.

    images: u8[n, h, w] and labels: i32[n] (on the device: see `to_device`).
    Yields (f32[b, h', w'] in [0, 1], i32[b]); the last batch is smaller when b does not divide n.
    Unlike `jaxlin.minibatches` (any arrays, as they are), each batch is converted and resized.
    For training, `jaxlin.fit` does the same inside one compiled epoch, which is much faster.
    """
    n = checks.num_examples((images, labels))
    for idx in iter_batch_indices(key, n, batch_size, shuffle=shuffle):
        yield _gather(images, labels, idx, resize)
