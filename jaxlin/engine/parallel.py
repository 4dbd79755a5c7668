"""Data parallelism across local devices with `jax.sharding`.

One mesh axis, "batch", over the devices. The train state and the data set are replicated on
every device; inside the compiled epoch each minibatch whose size the number of devices divides
(every full batch: the batch size must be a multiple of it) is constrained to be split along its
example axis, so each device computes the loss and gradient of its share, and XLA inserts the
all-reduce that sums the gradients. A smaller last batch that does not divide runs replicated.
Nothing else in the training code changes.

Several processes or hosts (`jaxlin.distributed`): once every process has joined,
`jax.devices()` lists all their devices and the same mesh spans them. Each process holds the same
data set, as it does when each loads Fashion-MNIST; `replicate` then makes global arrays of it.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "batch"


def data_parallel_mesh(num_devices: int | None = None) -> Mesh:
    """A 1-D mesh named "batch" over the first `num_devices` devices (default: all of them)."""
    devices = jax.devices()
    if num_devices is None:
        num_devices = len(devices)
    if not 1 <= num_devices <= len(devices):
        raise ValueError(
            f"Asked for {num_devices} devices, but this machine has {len(devices)} "
            f"({', '.join(str(d) for d in devices[:4])}{', ...' if len(devices) > 4 else ''})."
        )
    return Mesh(np.array(devices[:num_devices]), (AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Split the leading (example) axis across the mesh."""
    return NamedSharding(mesh, PartitionSpec(AXIS))


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Put a full copy of every array of `tree` on each device of the mesh (None leaves stay None).

    Across processes each one supplies the copies for its own devices from its own `tree` (the
    same in every process), since `jax.device_put` cannot reach another process's devices.
    """
    sharding = NamedSharding(mesh, PartitionSpec())
    if mesh.is_multi_process:
        return jax.tree.map(lambda leaf: _global_copy(leaf, sharding), tree)
    return jax.device_put(tree, sharding)


def _global_copy(leaf, sharding: NamedSharding):
    if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):  # keys travel as their raw data
        data = _global_copy(jax.random.key_data(leaf), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
    host = np.asarray(leaf)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def local(tree: Any) -> Any:
    """This process's copy of a replicated pytree, as arrays on its first device: for the work
    after training, which each process does alone."""
    return jax.tree.map(lambda a: a.addressable_data(0) if isinstance(a, jax.Array) else a, tree)


class BatchSplitError(ValueError):
    """The batch size does not split evenly across the mesh's devices."""


def check_batch_size(batch_size: int, mesh: Mesh) -> Mesh:
    """`mesh`, once `batch_size` is known to split evenly across its devices (BatchSplitError if not)."""
    devices = mesh.devices.size
    if batch_size % devices:
        raise BatchSplitError(
            f"The batch size {batch_size} does not split evenly across {devices} devices; "
            f"use a multiple of {devices} (e.g. {batch_size - batch_size % devices or devices})."
        )
    return mesh
