"""The sections of `python -m bench` that measure jaxlin's engine in this process: pipeline,
breakdown, scaling and sweep. Each is section(args, tfds_dir) -> its results; the peers, mlp and
solve sections are in bench/peer_sections.py, cli and command in bench/commands.py.

The jaxlin parts go through the model registry and the generic pieces (`make_config`,
`load_data`, `start`, `epoch_options`, `make_epoch` / `jit_sweep_epoch`), as a user's run does.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from bench import SIXTEEN_LRS, log
from jaxlin.data import fashion_mnist_builder, load_fashion_mnist, preprocess_images, to_device
from jaxlin.engine import jit_sweep_epoch, make_epoch, unstack
from jaxlin.experiments import epoch_options, load_data, make_config, start, sweep_start, vectorization_demo
from jaxlin.models import get_model
from jaxlin.ops import batch_indices

MODEL = "softmax"  # the model that scaling and sweep measure, by its registry name


def pipeline(args, tfds_dir: Path) -> dict:
    out: dict = {"images": args.train_examples + args.test_examples}
    with tempfile.TemporaryDirectory() as fresh:
        clock = time.perf_counter()
        fashion_mnist_builder(args.data_dir, fresh)
        out["prepare_s"] = time.perf_counter() - clock
    loads = []
    for _ in range(3):
        clock = time.perf_counter()
        images, labels = jax.block_until_ready(
            to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=tfds_dir))
        )
        loads.append(time.perf_counter() - clock)
    out["load_train_to_device_s"] = statistics.median(loads)
    clock = time.perf_counter()
    load_fashion_mnist("train", source_dir=args.data_dir, data_dir=tfds_dir, reader="tfds")
    out["load_train_tfds_decoder_s"] = time.perf_counter() - clock

    @jax.jit
    def feed_epoch(key, images, labels):
        full, _ = batch_indices(key, images.shape[0], 256)

        def body(total, idx):  # gather a batch, make it float32 in [0, 1], use it
            return total + preprocess_images(images[idx]).sum() + labels[idx].sum(), None

        return jax.lax.scan(body, jnp.float32(0), full)[0]

    feed_epoch(jax.random.key(0), images, labels).block_until_ready()
    feeds = []
    for i in range(5 if args.quick else 20):
        clock = time.perf_counter()
        feed_epoch(jax.random.key(i), images, labels).block_until_ready()
        feeds.append(time.perf_counter() - clock)
    out["feed_epoch_batch256_s"] = statistics.median(feeds)
    out["vectorization"] = vectorization_demo(10000)
    log(f"pipeline: {json.dumps(out)}")
    return out


def model_and_data(args, tfds_dir: Path):
    """The measured model's module and its dataset."""
    model = get_model(MODEL)
    return model, load_data(make_config(MODEL, data_dir=args.data_dir, tfds_dir=tfds_dir), model)


def training_options(model, config, data) -> dict:
    """`epoch_options` without the end-of-epoch evaluation: scaling and sweep time training alone."""
    return {**epoch_options(model, config, data), "eval_fn": None}


def median_epoch_s(epoch, state, train, repeats: int) -> float:
    """Median seconds of `repeats` calls of a jitted epoch, each from the state the last returned,
    after one call that compiles it."""
    state, _ = jax.block_until_ready(epoch(state, train, None))
    times = []
    for _ in range(repeats):
        clock = time.perf_counter()
        state, _ = jax.block_until_ready(epoch(state, train, None))
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def scaling(args, tfds_dir: Path) -> dict:
    model, data = model_and_data(args, tfds_dir)

    def epoch_time(batch_size, n):
        config = make_config(MODEL, batch_size=batch_size)
        optimizer, state = start(model, config)
        epoch = jax.jit(make_epoch(model.LOSSES[config.impl], optimizer, **training_options(model, config, data)))
        first_n = jax.tree_util.tree_map(lambda a: a[:n], data.train)
        return median_epoch_s(epoch, state, first_n, 3 if args.quick else 7)

    n = args.train_examples  # 60,000 on Fashion-MNIST: sizes 3,750 to 60,000
    batch_sizes = [32, 256, 4096] if args.quick else [32, 64, 128, 256, 512, 1024, 2048, 4096]
    sizes = [n // 4, n] if args.quick else [n // 16, n // 8, n // 4, n // 2, n]
    out = {
        "examples": n,
        "batch_size": {b: epoch_time(b, n) for b in batch_sizes},
        "num_examples": {size: epoch_time(256, size) for size in sizes},
    }
    log(f"scaling: {json.dumps(out)}")
    return out


def breakdown(args, tfds_dir: Path) -> dict:
    """The parts of one epoch, each timed alone (bench/breakdown.py)."""
    from bench.breakdown import epoch_parts

    out = epoch_parts(*model_and_data(args, tfds_dir), repeats=3 if args.quick else 7)
    log(f"breakdown: {json.dumps(out)}")
    return out


SWEEPS = {  # label: (learning rates, seeds)
    "16 learning rates, 1 seed": (SIXTEEN_LRS, [0]),
    "4 learning rates, 1 seed": ([0.01, 0.03, 0.1, 0.3], [0]),
    "4 learning rates x 3 seeds": ([0.01, 0.03, 0.1, 0.3], [0, 1, 2]),
}


def sweep(args, tfds_dir: Path) -> dict:
    """N models trained together (vmapped, grouped by seed) against one after another, and against
    one model's epoch (issue 13's target: a 16-model same-seed epoch within 3x of one model's)."""
    model, data = model_and_data(args, tfds_dir)
    repeats = 3 if args.quick else 5
    out = {}
    for label, (lrs, seeds) in SWEEPS.items():
        config = make_config(MODEL, lr=lrs, seed=seeds)
        pairs, optimizer, states = sweep_start(model, config)  # each learning rate lives in its state
        options, loss = training_options(model, config, data), model.LOSSES[config.impl]
        single = jax.jit(make_epoch(loss, optimizer, **options))
        each = [median_epoch_s(single, unstack(states, m), data.train, repeats) for m in range(len(pairs))]
        together = median_epoch_s(jit_sweep_epoch(loss, optimizer, **options), states, data.train, repeats)
        out[label] = {
            "models": len(pairs),
            "one_model_s": each[0],
            "sequential_s": sum(each),
            "vmapped_s": together,
            "speedup": sum(each) / together,
            "ratio_to_one_model": together / each[0],
        }
    log(f"sweep: {json.dumps(out)}")
    return out
