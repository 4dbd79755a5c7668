"""D2L 3.1.2, "vectorization for speed": a Python loop over elements against one vectorized op."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def vectorization_demo(n: int = 10000, repeats: int = 5) -> dict[str, float]:
    """Seconds to add two n-vectors: element by element in a Python loop, and as one `a + b`.

    Returns {"python_loop_s", "numpy_s", "jax_s", "speedup"} (speedup = loop / jax), best of `repeats`.
    The JAX add is compiled once beforehand and waited for with `block_until_ready`, since JAX
    dispatches work asynchronously and would otherwise be timed before it has finished.
    """
    a_host, b_host = np.ones(n, np.float32), np.ones(n, np.float32)

    def python_loop():
        c = [0.0] * n
        for i in range(n):
            c[i] = a_host[i] + b_host[i]
        return c

    a, b = jnp.asarray(a_host), jnp.asarray(b_host)
    add = jax.jit(jnp.add)
    add(a, b).block_until_ready()
    loop_s = _best_of(python_loop, repeats)
    jax_s = _best_of(lambda: add(a, b).block_until_ready(), repeats * 20)
    numpy_s = _best_of(lambda: a_host + b_host, repeats * 20)
    return {"python_loop_s": loop_s, "numpy_s": numpy_s, "jax_s": jax_s, "speedup": loop_s / jax_s}
