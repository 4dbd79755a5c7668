"""What `python -m jaxlin.train` does with a Config: claim the output folder, load the data, run
the kind of run the Config names (`Config.kind`: the loops in `jaxlin.cli.loops`, the solve in
`jaxlin.cli.results`, the shift in `jaxlin.cli.shift`), write metrics.json, and turn every failure
into one paragraph and an exit code. Across processes, each joins the others first
(`jaxlin.engine.distributed`); process 0 prints and writes.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shlex
import time
from datetime import UTC, datetime
from pathlib import Path

import jax

from jaxlin._util.atomic import write_json
from jaxlin.cli import cluster, figures, program, report, signals
from jaxlin.cli.errors import CommandError, Interrupted, OptionError
from jaxlin.cli.loops import CHECKPOINT, LoopError, run_kfold, run_single, run_sweep
from jaxlin.cli.output_folder import ClaimError, claimed, new_folder
from jaxlin.cli.results import run_solve
from jaxlin.cli.resume import ResumeError, check_checkpoint
from jaxlin.cli.shift import run_shift
from jaxlin.data.holdout import SplitError
from jaxlin.engine.parallel import BatchSplitError, data_parallel_mesh
from jaxlin.experiments.config import Config
from jaxlin.experiments.setup import load_data, reported_metrics
from jaxlin.models import get_model


def enable_compile_cache() -> None:
    """Keep compiled programs on disk, so later runs skip most of the compiling (an app's choice,
    which is why the library itself never sets it)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jaxlin" / "xla"
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.05)


def run(config: Config) -> dict:
    """Train as `config` says, print progress, write the results; returns what metrics.json holds.

    The output folder is claimed (made, locked, checked) before any data are loaded. Across
    processes, each joins the others first; process 0 prints and writes the results, the others
    train beside it in silence and write nothing that stays.
    """
    if config.num_processes is None:
        return _run(config)
    return cluster.run_across_processes(config, _run)


def _run(config: Config) -> dict:
    started = time.perf_counter()
    if config.compile_cache:
        enable_compile_cache()
    if config.debug_nans:
        jax.config.update("jax_debug_nans", True)
    out = Path(config.output_dir) if config.output_dir else None
    mesh = data_parallel(config) if config.kind == "single" else None
    try:
        made = out is None
        out = out or new_folder(_default_folder(config))
        with claimed(out, resume=config.resume, made=made):
            # what a second Ctrl-C, stopping the run at once, prints
            signals.set_hint(lambda: interrupted_message(out, config.kind))
            return _run_in(dataclasses.replace(config, output_dir=str(out)), out, mesh, started)
    except (ClaimError, ResumeError, LoopError) as err:
        raise CommandError(str(err)) from None
    except KeyboardInterrupt:  # signals.check() after Ctrl-C or SIGTERM, or a Ctrl-C in a test's own process
        raise Interrupted(interrupted_message(out, config.kind)) from None
    except OSError as err:
        then = "then --resume" if out is not None and (out / CHECKPOINT).exists() else "then run the command again"
        hint = {
            errno.ENOSPC: f" The disk is full: free space, {then}.",
            errno.EROFS: " The disk is read-only.",
            errno.EACCES: " You may not write there.",
            errno.ENOTDIR: " A part of the path is a file.",
        }
        raise CommandError(
            f"Could not read or write {err.filename or 'a file'}: {err.strerror or err}.{hint.get(err.errno or 0, '')}"
        ) from None


def interrupted_message(out: Path | None, kind: str = "single") -> str:
    """The one sentence an interrupted run ends with: how to resume it, or why it cannot be."""
    if out is not None and (out / CHECKPOINT).exists():
        return f"interrupted. Continue with: {program.name()} --resume --output-dir {shlex.quote(str(out))}"
    unsaved = {
        "single": "before its first checkpoint was saved",
        "solve": "(an L-BFGS solve saves no checkpoint)",
        "shift": "(a distribution-shift run saves no checkpoint)",
    }
    why = unsaved.get(kind, "(a sweep or cross-validation saves no checkpoint)")
    return f"interrupted {why}: nothing to resume; start the run again."


def _default_folder(config: Config) -> Path:
    """runs/<time>-<model>-<impl, sweep, Kfold, solve or the shift>."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kind = {"single": config.impl, "kfold": f"{config.kfold}fold", "shift": f"{config.shift}-shift"}
    return Path("runs") / f"{stamp}-{config.model}-{kind.get(config.kind, config.kind)}"


def _run_in(config: Config, out: Path, mesh, started: float) -> dict:
    model = get_model(config.model)
    saved = check_checkpoint(out / CHECKPOINT, config) if config.resume else None
    print(report.banner(config, 1 if mesh is None else mesh.devices.size), flush=True)
    try:
        data = load_data(config, model)
    except SplitError as err:
        raise OptionError(str(err)) from None
    except ValueError as err:  # DataError, or a value the model must not train on
        raise CommandError(str(err)) from None
    if (config.early_stopping or config.kfold) and "valid_loss" not in reported_metrics(model, data):
        raise OptionError(
            f"The {config.model} model reports no validation loss, which early stopping and "
            "cross-validation watch; drop --early-stopping / --kfold."
        )
    load_s = time.perf_counter() - started
    signals.check()  # a Ctrl-C while the data loaded
    with figures.drawn_last() as later:  # the figures after metrics.json: on a full disk they fail, not it
        try:
            match config.kind:
                case "shift":
                    summary = run_shift(config, data, out)
                case "solve":
                    summary = run_solve(config, data, out)
                case "kfold":
                    summary = run_kfold(config, data, out)
                case "sweep":
                    summary = run_sweep(config, data, out)
                case _:
                    summary = run_single(config, data, out, mesh, saved)
        except SplitError as err:
            raise OptionError(str(err)) from None
        except BatchSplitError as err:  # across processes, where the Config cannot know the devices
            raise OptionError(
                f"{err} They are the devices of all {config.num_processes} processes; change --batch-size."
            ) from None
        except FloatingPointError as err:  # from jax_debug_nans
            raise CommandError(f"--debug-nans stopped at the first NaN: {str(err).splitlines()[0]}") from None
    summary = {"config": config.to_json(), **summary, "load_s": load_s, "total_s": time.perf_counter() - started}
    write_json(out / "metrics.json", summary)
    for figure in later:
        figure()
    print(f"done in {summary['total_s']:.1f} s. Results in {out}/")
    if "runs" in summary and all(run["diverged_epoch"] for run in summary["runs"]):
        raise CommandError(f"Every model of the sweep diverged (results in {out}/). Lower the learning rates.")
    if "crossval" in summary and summary["chosen"] is None:
        raise CommandError(
            f"Every run diverged on at least one fold, so cross-validation chose none (results "
            f"in {out}/). Lower the learning rates."
        )
    return summary


def data_parallel(config: Config) -> jax.sharding.Mesh | None:
    """The mesh to train on, or None for one device: --devices, or else every device across
    processes (or one would sit idle), or else as many local devices as split the batch evenly."""
    available = len(jax.devices())  # across processes, all of theirs
    if config.num_processes:
        wanted = available
    else:
        wanted = config.devices or max(n for n in range(1, available + 1) if config.batch_size[0] % n == 0)
    try:
        return None if wanted == 1 else data_parallel_mesh(wanted)
    except ValueError as err:
        raise CommandError(f"{err} Change --devices (or leave it out).") from None
