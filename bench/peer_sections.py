"""The sections of `python -m bench` that run every implementation in its own process (bench.worker,
by the names in bench.registry): peers, mlp and solve. Each is section(args, tfds_dir) -> its
results, like those of bench/sections.py.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import REPO, log
from bench.registry import IMPLEMENTATIONS, REQUIRES, SOLVERS
from jaxlin.data.synthetic import BOOK_B, BOOK_NUM_EXAMPLES, BOOK_W
from jaxlin.models import get_model


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
    settings["num_examples"] = min(settings["num_examples"], args.train_examples)  # both solvers take the first n
    settings["C"] = 1 / (settings["num_examples"] * settings["weight_decay"])
    log(f"solve: {', '.join(SOLVERS)} ({json.dumps(settings)})")
    rows = [r for r in (spawn("solve", name, settings, args, tfds_dir) for name in SOLVERS) if r]
    for r in rows:
        log(
            f"  {r['name']}: {r['seconds']:.1f} s, {r['iterations']} iterations, objective {r['objective']:.8f}, "
            f"|g| {r['grad_norm']:.1e}, test acc {r['test_accuracy']:.4f}"
        )
    return {"settings": settings, "rows": rows}
