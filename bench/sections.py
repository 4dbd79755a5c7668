"""The measured sections of `python -m bench`: each is section(args, tfds_dir) -> its results.

The jaxlin parts go through the model registry and the generic pieces (`make_config`,
`load_data`, `start`, `epoch_options`, `make_epoch` / `jit_sweep_epoch`), as a user's run does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from bench.registry import IMPLEMENTATIONS, REQUIRES, SOLVERS
from jaxlin.data import fashion_mnist_builder, load_fashion_mnist, preprocess_images, to_device
from jaxlin.data.synthetic import BOOK_B, BOOK_NUM_EXAMPLES, BOOK_W
from jaxlin.engine import jit_sweep_epoch, make_epoch, unstack
from jaxlin.experiments import epoch_options, load_data, make_config, start, sweep_start, vectorization_demo
from jaxlin.models import get_model
from jaxlin.ops import batch_indices

REPO = Path(__file__).resolve().parents[1]
MODEL = "softmax"  # the model that scaling and sweep measure, by its registry name


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def steady(epoch_s: list[float]) -> list[float]:
    """Epoch times without the first one (worker start-up, caches) when there are more."""
    return epoch_s[1:] if len(epoch_s) > 1 else epoch_s


def book_settings() -> dict:
    """Each task's book settings, read here from jaxlin and handed to its workers: importing
    jaxlin (and so JAX) would add well over a second to every NumPy, PyTorch and scikit-learn
    worker's start-up, which "total wall" counts."""
    linear_data = {"w": BOOK_W, "b": BOOK_B, "num_examples": BOOK_NUM_EXAMPLES}
    return {
        "softmax": get_model("softmax").BOOK._asdict(),
        "mlp": get_model("mlp").BOOK._asdict(),
        "linreg": {**get_model("linreg").BOOK._asdict(), **linear_data},
    }


def spawn(task: str, name: str, book: dict, args, tfds_dir: Path) -> dict | None:
    """One implementation run by bench.worker in its own process: its result with "name" and
    "wall_s", or None when it is skipped (its package missing) or fails."""
    module = REQUIRES.get(name)
    if module and importlib.util.find_spec(module) is None:
        log(f"  {name}: skipped ({module} is not installed; see bench/README.md)")
        return None
    cmd = [
        sys.executable,
        "-m",
        "bench.worker",
        task,
        name,
        "--epochs",
        str(args.epochs),
        "--book",
        json.dumps(book),
        "--data-dir",
        str(args.data_dir),
        "--tfds-dir",
        str(tfds_dir),
    ]
    start_clock = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start_clock
    if done.returncode != 0:
        log(f"  {name}: FAILED\n{done.stderr[-2000:]}")
        return None
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "name": name, "wall_s": wall}


def run_worker(task: str, name: str, book: dict, args, tfds_dir: Path) -> dict | None:
    result = spawn(task, name, book, args, tfds_dir)
    if result is None:
        return None
    times = steady(result["epoch_s"])
    result.update(median_s=statistics.median(times), min_s=min(times), max_s=max(times))
    log(f"  {name}: {result['median_s'] * 1e3:.1f} ms/epoch, wall {result['wall_s']:.1f} s")
    return result


def compare(task: str, args, tfds_dir: Path) -> list[dict]:
    """Every implementation of `task` (bench.registry), each in its own process, with its median
    epoch's ratio to jaxlin's ("ratio_to_jaxlin"; absent when jaxlin's run failed)."""
    impls, book = IMPLEMENTATIONS[task], book_settings()[task]
    log(f"{task}: {', '.join(impls)}")
    rows = [r for r in (run_worker(task, name, book, args, tfds_dir) for name in impls) if r]
    base = next((r["median_s"] for r in rows if r["name"].startswith("jaxlin")), None)
    for r in rows:
        if base is not None:
            r["ratio_to_jaxlin"] = r["median_s"] / base
    return rows


def peers(args, tfds_dir: Path) -> dict:
    """Softmax regression on Fashion-MNIST and the book's linear regression."""
    return {task: compare(task, args, tfds_dir) for task in ("softmax", "linreg")}


def mlp(args, tfds_dir: Path) -> dict:
    """The book's MLP (D2L 4.2/4.3: 784-256-10 ReLU, lr 0.1, batch 256) on Fashion-MNIST: jaxlin's
    registry model "mlp" beside a NumPy MLP and PyTorch written for speed (issue 22)."""
    return {"book": book_settings()["mlp"], "rows": compare("mlp", args, tfds_dir)}


# The L2-regularised softmax regression solved to convergence: λ = 1e-4, so sklearn's C = 1 / (n λ).
SOLVE = {"num_examples": 60000, "weight_decay": 1e-4, "tol": 1e-4, "max_iter": 2000}
SOLVE_QUICK = {**SOLVE, "num_examples": 5000, "max_iter": 50}


def solve(args, tfds_dir: Path) -> dict:
    """jaxlin's `solve_lbfgs` and sklearn's LogisticRegression(lbfgs) on the same objective (mean
    cross-entropy + λ · ½‖w‖², bias free) of the first n training images, each in its own process;
    both solutions judged by the same float64 numpy objective (`bench.common.solution_figures`)."""
    settings = dict(SOLVE_QUICK if args.quick else SOLVE)
    settings["C"] = 1 / (settings["num_examples"] * settings["weight_decay"])
    log(f"solve: {', '.join(SOLVERS)} ({json.dumps(settings)})")
    rows = [r for r in (spawn("solve", name, settings, args, tfds_dir) for name in SOLVERS) if r]
    for r in rows:
        log(
            f"  {r['name']}: {r['seconds']:.1f} s, {r['iterations']} iterations, objective {r['objective']:.8f}, "
            f"|g| {r['grad_norm']:.1e}, test acc {r['test_accuracy']:.4f}"
        )
    return {"settings": settings, "rows": rows}


def pipeline(args, tfds_dir: Path) -> dict:
    out = {}
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

    batch_sizes = [32, 256, 4096] if args.quick else [32, 64, 128, 256, 512, 1024, 2048, 4096]
    sizes = [15000, 60000] if args.quick else [3750, 7500, 15000, 30000, 60000]
    out = {
        "batch_size": {b: epoch_time(b, 60000) for b in batch_sizes},
        "num_examples": {n: epoch_time(256, n) for n in sizes},
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
    "16 learning rates, 1 seed": ([round(0.01 * 1.3**i, 4) for i in range(16)], [0]),
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


def train_command(args, tfds_dir: Path, out: Path, cache: str, *options: str) -> tuple[float, dict]:
    """`python -m jaxlin.train` with `options` into `out`: its wall seconds and its metrics.json."""
    cmd = [sys.executable, "-m", "jaxlin.train", "--data-dir", str(args.data_dir), "--tfds-dir", str(tfds_dir)]
    clock = time.perf_counter()
    done = subprocess.run(
        [*cmd, "--output-dir", str(out), *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "XDG_CACHE_HOME": cache},
    )
    wall = time.perf_counter() - clock
    if done.returncode != 0:
        raise RuntimeError(f"python -m jaxlin.train {' '.join(options)} failed:\n{done.stderr[-2000:]}")
    return wall, json.loads((out / "metrics.json").read_text())


# One model and the sweep section's 16 learning rates, each as a user types it (issue 24's targets 2, 3).
COMMAND_RUNS = {
    "one model": [],
    "16 learning rates, 1 seed": ["--lr", ",".join(map(str, SWEEPS["16 learning rates, 1 seed"][0]))],
}


def command(args, tfds_dir: Path) -> dict:
    """The command's cost of one more epoch, as issue 24 measures it: (wall of N + 2 epochs − wall
    of 2) / N, warm compile cache (a 1-epoch run fills it first), no plots, so that start-up,
    compiling and writing cancel out; for one model and for a 16-model sweep."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        out = command_epochs(args, tfds_dir, cache, Path(tmp))
    log(f"command: {json.dumps(out)}")
    return out


def command_epochs(args, tfds_dir: Path, cache: str, tmp: Path) -> dict:
    n = 3 if args.quick else 10
    out = {}
    for label, options in COMMAND_RUNS.items():
        name = label.replace(" ", "-").replace(",", "")
        train_command(args, tfds_dir, tmp / f"{name}-warm-up", cache, "--no-plots", "--epochs", "1", *options)
        walls = {}
        for epochs in (2, n + 2):
            folder = tmp / f"{name}-{epochs}"
            walls[epochs], metrics = train_command(
                args, tfds_dir, folder, cache, "--no-plots", "--epochs", str(epochs), *options
            )
        # the command's own clock beside it: the median epoch of the longer run (less noisy on a busy machine)
        own = metrics.get("steady_epoch_s")
        out[label] = {"epochs": n, "wall_s": walls, "epoch_s": (walls[n + 2] - walls[2]) / n, "steady_epoch_s": own}
    return out


def cli(args, tfds_dir: Path) -> dict:
    """`python -m jaxlin.train` with its defaults, end to end, as a user runs it (data prepared):
    first with an empty compile cache (cold), then again with the cache it left (warm)."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        for run in ("cold", "warm"):
            wall, metrics = train_command(
                args, tfds_dir, Path(tmp) / run, cache, *(["--epochs", "3"] if args.quick else [])
            )
            out[run] = {
                "wall_s": wall,
                "returncode": 0,
                **{k: metrics.get(k) for k in ("load_s", "first_epoch_s", "steady_epoch_s", "total_s")},
                "test_accuracy": metrics.get("final", {}).get("test_accuracy"),
            }
    log(f"cli: {json.dumps(out)}")
    return out
