"""What `python -m jaxlin.train` runs: load, train with progress and checkpoints, report, write.

A single run saves checkpoint.npz (parameters, optimizer state, PRNG key, epoch, history) after
every epoch, atomically, and `--resume` continues from it; a sweep (several learning rates or
seeds) trains every model together in one vmapped call. Results are written atomically.
"""
from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from types import SimpleNamespace

import jax
import numpy as np

from jaxlin import linear_regression as linreg
from jaxlin import softmax_regression as softreg
from jaxlin.atomic import write_json
from jaxlin.checkpoint import CheckpointError, load_checkpoint, load_metadata, save_checkpoint
from jaxlin.data import DataError, load_fashion_mnist, text_labels, to_device
from jaxlin.sweep import grid
from jaxlin.training import TrainingDiverged

COLUMNS = {"loss": "loss", "full_loss": "full-data loss", "accuracy": "train acc",
           "test_accuracy": "test acc"}
CHECKPOINT = "checkpoint.npz"
SAME_RUN = ("model", "impl", "optimizer", "lr", "batch_size", "seed")  # what --resume must match


class RunError(Exception):
    """A run could not go on; the message says why and what to do."""


def enable_compile_cache() -> None:
    """Keep compiled programs on disk, so later runs skip most of the compiling (an app's choice,
    which is why the library itself never sets it)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jaxlin" / "xla"
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.05)


def _shown(metrics: dict, fmt: str = ".4g", sep: str = "  ") -> str:
    return sep.join(f"{label} {metrics[k]:{fmt}}" for k, label in COLUMNS.items() if k in metrics)


class Progress:
    """After each epoch: keep the metrics, print one line, and call `save` (the checkpoint)."""

    def __init__(self, num_epochs: int, history: dict | None = None, save=None):
        self.num_epochs, self.save = num_epochs, save
        self.history: dict[str, list] = {k: list(v) for k, v in (history or {}).items()}
        self.last = time.perf_counter()
        self.epoch_seconds: list[float] = []

    def __call__(self, epoch, metrics, params, opt_state):
        now = time.perf_counter()
        self.epoch_seconds.append(now - self.last)
        self.last = now
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(value)
        if self.save is not None:
            self.save(epoch, params, opt_state, self.history)
        width = len(str(self.num_epochs))
        print(f"epoch {epoch + 1:>{width}}/{self.num_epochs}  {self.line(metrics)}  "
              f"({self.epoch_seconds[-1]:.2f} s)", flush=True)

    def line(self, metrics) -> str:
        return _shown(metrics)

    def timing(self) -> dict[str, float]:
        if not self.epoch_seconds:
            return {}
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return {"first_epoch_s": self.epoch_seconds[0], "steady_epoch_s": float(np.median(steady))}


class SweepProgress(Progress):
    """One line per epoch for many models: the best and worst of each metric."""

    def __init__(self, num_epochs: int, configs: list[dict]):
        super().__init__(num_epochs)
        self.configs = configs

    def line(self, metrics) -> str:
        losses = metrics["loss"]
        finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
        if not finite:
            return f"{len(losses)} models, all diverged"
        best = min(finite, key=losses.__getitem__)
        text = f"{len(losses)} models  loss best {losses[best]:.4g} (lr {self.configs[best]['lr']}, " \
               f"seed {self.configs[best]['seed']}), worst {max(losses):.4g}"
        if "test_accuracy" in metrics:
            text += f"  test acc best {max(metrics['test_accuracy']):.4f}"
        return text


def _softmax_task(args) -> SimpleNamespace:
    try:
        start = time.perf_counter()
        train = to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=args.tfds_dir))
        test = to_device(*load_fashion_mnist("test", source_dir=args.data_dir, data_dir=args.tfds_dir))
        load_s = time.perf_counter() - start
    except DataError as err:
        raise RunError(str(err)) from None
    key = jax.random.key(args.seed)
    common = dict(implementation=args.impl, optimizer=args.optimizer, batch_size=args.batch_size)

    def report(params, out: Path) -> dict:
        if not args.no_plots:
            _plot_predictions(params, test, out / "predictions.png")
        return {}

    return SimpleNamespace(
        extra={"load_s": load_s}, key=key,
        train=lambda **kw: softreg.train_softmax_regression(key, train, test, learning_rate=args.lr, **common, **kw),
        fresh_start=lambda: softreg.setup(key, args.optimizer, args.lr),
        sweep=lambda on_epoch: softreg.sweep_softmax_regression(
            train, test, seeds=args.seeds, learning_rates=args.learning_rates, num_epochs=args.epochs,
            on_epoch=on_epoch, **common),
        report=report,
    )


def _linreg_task(args) -> SimpleNamespace:
    key = jax.random.key(args.seed)
    common = dict(implementation=args.impl, optimizer=args.optimizer, batch_size=args.batch_size)

    def report(params, out: Path) -> dict:
        errors = linreg.estimation_errors(params)
        print(f"error in estimating w: {errors['w_error']:.2e}, in estimating b: {errors['b_error']:.2e}")
        return errors

    return SimpleNamespace(
        extra={}, key=key,
        train=lambda **kw: linreg.train_linear_regression(key, learning_rate=args.lr, **common, **kw)[0],
        fresh_start=lambda: linreg.setup(key, args.optimizer, args.lr),
        sweep=lambda on_epoch: linreg.sweep_linear_regression(
            seeds=args.seeds, learning_rates=args.learning_rates, num_epochs=args.epochs,
            on_epoch=on_epoch, **common),
        report=report,
    )


def run(args: argparse.Namespace, config: dict) -> dict:
    started = time.perf_counter()
    if not args.no_compile_cache:
        enable_compile_cache()
    if args.debug_nans:
        jax.config.update("jax_debug_nans", True)
    out: Path = args.output_dir
    if not args.resume and ((out / CHECKPOINT).exists() or (out / "metrics.json").exists()):
        raise RunError(f"{out} already holds a run; continue it with --resume, or choose another --output-dir.")
    lrs = ",".join(map(str, args.learning_rates))
    seeds = ",".join(map(str, args.seeds))
    print(f"jaxlin: {args.model} ({args.impl}), {args.optimizer} lr {lrs}, batch {args.batch_size}, "
          f"{args.epochs} epochs, seed {seeds}, on {len(jax.devices())} {jax.devices()[0].platform} device(s)",
          flush=True)
    task = _softmax_task(args) if args.model == "softmax" else _linreg_task(args)
    summary = (_run_sweep if args.sweep else _run_single)(args, config, task)
    summary["total_s"] = time.perf_counter() - started
    write_json(out / "metrics.json", summary)
    print(f"done in {summary['total_s']:.1f} s. Results in {out}/")
    return summary


def _mesh(args):
    from jaxlin.parallel import data_parallel_mesh

    wanted = args.devices or len(jax.devices())
    if wanted == 1:
        return None
    try:
        return data_parallel_mesh(wanted)
    except ValueError as err:
        raise RunError(f"{err} Pass --devices with at most that many.") from None


def _resume(path: Path, config: dict, task) -> tuple:
    start = task.fresh_start()  # the same run begun afresh: the structure to load into
    templates = {"params": start.params, "opt_state": start.opt_state, "key": jax.random.key_data(task.key)}
    try:
        saved = load_metadata(path).get("run", {})
        different = [k for k in SAME_RUN if saved.get(k) != config[k]]
        if different:
            what = ", ".join(f"{k} {saved.get(k)} (now {config[k]})" for k in different)
            raise RunError(f"Cannot resume: {path} was made with {what}. Resume with the same options, "
                           "or choose another --output-dir.")
        trees, meta = load_checkpoint(path, templates)
    except CheckpointError as err:
        raise RunError(f"Cannot resume: {err} It was left untouched; move it away to start afresh.") from None
    if not np.array_equal(trees["key"], templates["key"]):
        raise RunError(f"Cannot resume: {path} holds another PRNG key than seed {config['seed']} gives; "
                       "it was left untouched.")
    print(f"resuming after epoch {meta['epoch'] + 1} from {path}")
    return trees["params"], trees["opt_state"], meta["epoch"] + 1, meta["history"]


def _run_single(args, config: dict, task) -> dict:
    out: Path = args.output_dir
    params = opt_state = None
    start_epoch, history = 0, {}
    if args.resume:
        params, opt_state, start_epoch, history = _resume(out / CHECKPOINT, config, task)
    run_config = {k: config[k] for k in SAME_RUN}
    key_data = jax.random.key_data(task.key)

    def save(epoch, params, opt_state, history):
        save_checkpoint(out / CHECKPOINT, {"params": params, "opt_state": opt_state, "key": key_data},
                        metadata={"epoch": epoch, "history": history, "run": run_config})

    progress = Progress(args.epochs, history, save)
    if start_epoch < args.epochs:
        try:
            result = task.train(params=params, opt_state=opt_state, start_epoch=start_epoch,
                                num_epochs=args.epochs - start_epoch, on_epoch=progress, mesh=_mesh(args))
        except TrainingDiverged as err:
            saved = progress.epoch_seconds or start_epoch
            raise RunError(f"{err}{' The checkpoint holds the last good epoch.' if saved else ''}") from None
        except FloatingPointError as err:  # from jax_debug_nans
            raise RunError(f"--debug-nans stopped at the first NaN: {str(err).splitlines()[0]}") from None
        except ValueError as err:
            raise RunError(str(err)) from None
        params = result.params
    else:
        print(f"already trained for {start_epoch} epochs; writing its results")
    history = progress.history
    final = {k: v[-1] for k, v in history.items()}
    extra = task.report(params, out)
    save_checkpoint(out / "params.npz", {"params": params}, metadata=config)
    if not args.no_plots:
        from jaxlin.plotting import plot_history
        plot_history(history, out / "curves.png", title=f"{args.model} ({args.impl}), {args.optimizer}")
    print(f"final: {_shown(final, '.4f', ', ')}")
    return {"config": config, "history": history, "final": final, **task.extra, **extra, **progress.timing()}


def _run_sweep(args, config: dict, task) -> dict:
    out: Path = args.output_dir
    configs = grid(args.learning_rates, args.seeds)
    print(f"sweep: {len(configs)} models ({len(args.learning_rates)} learning rates x {len(args.seeds)} seeds), "
          "trained together in one vmapped, compiled epoch")
    progress = SweepProgress(args.epochs, configs)
    _, result = task.sweep(progress)
    runs = []
    print(f"{'lr':>10} {'seed':>5}  final")
    for config_m, history, diverged in zip(configs, result.histories, result.diverged):
        final = {k: v[-1] for k, v in history.items()}
        runs.append({**config_m, "history": history, "final": final, "diverged_epoch": diverged})
        status = f"diverged in epoch {diverged}" if diverged else _shown(final, ".4f", ", ")
        print(f"{config_m['lr']:>10} {config_m['seed']:>5}  {status}")
    save_checkpoint(out / "params.npz", {"params": result.params}, metadata={**config, "runs": configs})
    if not args.no_plots:
        from jaxlin.plotting import plot_sweep
        plot_sweep(runs, out / "lr_sweep.png", title=f"{args.model} ({args.impl}), {args.optimizer}")
    return {"config": config, "runs": runs, **task.extra, **progress.timing()}


def _plot_predictions(params, test, path: Path, n: int = 16) -> None:
    from jaxlin.plotting import prediction_grid
    images, labels = test[0][:n], test[1][:n]
    predicted = np.asarray(softreg.logits(params, images).argmax(-1))
    prediction_grid(np.asarray(images), text_labels(labels), text_labels(predicted), path=path)
