"""Where one softmax epoch's time goes (issue 13): the command's compiled epoch, and its parts timed
on their own in the same run: the shuffle (one permutation of the training split: the sort-free
`index_shuffle` the epoch uses, beside the one-sort `random_order` it replaced), the random-order gathers
with the u8 -> f32 step, the training steps over data already in order (the floor: no shuffle, no
gather), and the end-of-epoch evaluation."""

from __future__ import annotations

import statistics
import time

import jax

from bench.tables import head
from jaxlin.engine import make_epoch, make_train_step
from jaxlin.experiments import epoch_options, make_config, start
from jaxlin.ops import index_shuffle, random_order, take_examples


def _median_s(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        clock = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def epoch_parts(model, data, repeats: int) -> dict:
    """Median seconds of each part of one epoch at the book's settings (batch 256)."""
    config = make_config("softmax")
    optimizer, state = start(model, config)
    options = epoch_options(model, config, data)
    batch, n = config.batch_size[0], data.train[1].shape[0]
    full = n // batch * batch
    whole = jax.jit(make_epoch(model.LOSSES[config.impl], optimizer, **options))
    training = jax.jit(make_epoch(model.LOSSES[config.impl], optimizer, **{**options, "eval_fn": None}))
    step = make_train_step(model.LOSSES[config.impl], optimizer, has_aux=True)

    @jax.jit
    def in_order(params, opt_state, batches):  # the same steps over batches already cut, in order
        body = lambda carry, b: (step(*carry, data.prepare(b))[:2], None)
        return jax.lax.scan(body, (params, opt_state), batches)[0]

    @jax.jit
    def gathers(key, images, labels):  # the shuffled batches' gathers and data step, summed to keep them
        order = index_shuffle(key, n)[:full].reshape(-1, batch)
        return jax.lax.map(lambda idx: data.prepare(take_examples((images, labels), idx))[0].sum(), order).sum()

    key = jax.random.key(0)
    # cut outside the timed call: slicing inside it would copy the whole split every time
    in_batches = jax.block_until_ready(jax.tree.map(lambda a: a[:full].reshape(-1, batch, *a.shape[1:]), data.train))
    return {
        "examples": n,
        "epoch_s": _median_s(whole, state, data.train, data, repeats=repeats),
        "epoch_without_evaluation_s": _median_s(training, state, data.train, None, repeats=repeats),
        "steps_in_order_s": _median_s(in_order, state.params, state.opt_state, in_batches, repeats=repeats),
        "permutation_s": _median_s(jax.jit(index_shuffle, static_argnums=1), key, n, repeats=repeats),
        "sorted_permutation_s": _median_s(jax.jit(random_order, static_argnums=1), key, n, repeats=repeats),
        "gathers_s": _median_s(gathers, key, *data.train, repeats=repeats),
        "evaluation_s": _median_s(jax.jit(model.evaluate), state.params, data, repeats=repeats),
    }


def breakdown_table(parts: dict) -> list[str]:
    rows = [
        ("the command's epoch: shuffle, gathers, steps, evaluation", "epoch_s"),
        ("the epoch without its evaluation", "epoch_without_evaluation_s"),
        ("the steps alone, over batches already in order (the floor)", "steps_in_order_s"),
        (f"the permutation of {parts['examples']:,} (index_shuffle: Feistel, no sort)", "permutation_s"),
        ("  for comparison: one sort on 64 random bits (before)", "sorted_permutation_s"),
        ("the random-order gathers and u8 -> f32, every batch", "gathers_s"),
        ("the end-of-epoch evaluation (test split)", "evaluation_s"),
    ]
    return [
        *head("where a softmax epoch's time goes (batch 256, each part timed alone)", "part", "ms"),
        *(f"| {label} | {parts[key] * 1e3:.1f} |" for label, key in rows if key in parts),
    ]
