"""Run by tests/test_parallel.py in a subprocess with 4 forced CPU devices; prints JSON."""

import json

import jax
import jax.numpy as jnp
import numpy as np

import jaxlin
from jaxlin.engine import parallel

assert len(jax.devices()) == 4, jax.devices()


def scratch_loss(params, batch):
    X, y = batch
    return jaxlin.squared_loss(jaxlin.batched_affine(params, X)[:, 0], y).mean()


key = jax.random.key(0)
data = jaxlin.synthetic_data(key, jnp.array([2.0, -3.4]), 4.2, 206)  # 25 batches of 8, then 6
params = jaxlin.init_affine(jax.random.key(1), 2, 1)
mesh = parallel.data_parallel_mesh(4)
single = jaxlin.fit(params, scratch_loss, jaxlin.sgd(0.03), data, key=key, batch_size=8, num_epochs=3)
sharded = jaxlin.fit(params, scratch_loss, jaxlin.sgd(0.03), data, key=key, batch_size=8, num_epochs=3, mesh=mesh)

opt = jaxlin.sgd(0.03)
epoch = jax.jit(jaxlin.make_epoch(scratch_loss, opt, batch_size=8, batch_sharding=parallel.batch_sharding(mesh)))
hlo = epoch.lower(*parallel.replicate((jaxlin.init_state(params, opt, key), data), mesh)).compile().as_text()
print(
    json.dumps(
        {
            "max_param_diff": max(
                float(np.abs(np.asarray(a) - np.asarray(b)).max())
                for a, b in zip(
                    jax.tree_util.tree_leaves(single.params), jax.tree_util.tree_leaves(sharded.params), strict=True
                )
            ),
            "loss_single": single.history["loss"],
            "loss_sharded": sharded.history["loss"],
            "param_devices": len(sharded.params["w"].sharding.device_set),
            "all_reduce_in_epoch": "all-reduce" in hlo,
        }
    )
)
