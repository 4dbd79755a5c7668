"""The sections of `python -m bench` that run `python -m jaxlin.train` as a user types it: `cli`
(its defaults end to end, cold and warm compile cache) and `command` (the cost of one more epoch).
Each is section(args, tfds_dir) -> its results, like those of bench/sections.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import REPO, SIXTEEN_LRS, log


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
    "16 learning rates, 1 seed": ["--lr", ",".join(map(str, SIXTEEN_LRS))],
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
                **{k: metrics.get(k) for k in ("load_s", "first_epoch_s", "steady_epoch_s", "total_s")},
                "test_accuracy": metrics.get("final", {}).get("test_accuracy"),
            }
    log(f"cli: {json.dumps(out)}")
    return out
