"""What `python -m jaxlin.train` runs: load, train with progress, report, write the results."""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import jax
import numpy as np

from jaxlin.atomic import write_json
from jaxlin.checkpoint import save_checkpoint
from jaxlin.data import DataError, load_fashion_mnist, text_labels, to_device
from jaxlin.linear_regression import train_linear_regression
from jaxlin.softmax_regression import logits, train_softmax_regression
from jaxlin.training import TrainingDiverged

COLUMNS = {"loss": "loss", "full_loss": "full-data loss", "accuracy": "train acc",
           "test_accuracy": "test acc"}


class RunError(Exception):
    """A run could not go on; the message says why and what to do."""


class Progress:
    """Prints one line per epoch and keeps the wall time of each."""

    def __init__(self, num_epochs: int):
        self.num_epochs = num_epochs
        self.last = time.perf_counter()
        self.epoch_seconds: list[float] = []

    def __call__(self, epoch, metrics, params, opt_state):
        now = time.perf_counter()
        self.epoch_seconds.append(now - self.last)
        self.last = now
        shown = "  ".join(f"{label} {metrics[k]:.4g}" for k, label in COLUMNS.items() if k in metrics)
        width = len(str(self.num_epochs))
        print(f"epoch {epoch + 1:>{width}}/{self.num_epochs}  {shown}  ({self.epoch_seconds[-1]:.2f} s)",
              flush=True)

    def timing(self) -> dict[str, float]:
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return {"first_epoch_s": self.epoch_seconds[0], "steady_epoch_s": float(np.median(steady))}


def _train(train_fn, progress: Progress):
    try:
        return train_fn(on_epoch=progress)
    except TrainingDiverged as err:
        raise RunError(str(err)) from None


def enable_compile_cache() -> None:
    """Keep compiled programs on disk, so later runs skip most of the compiling (an app's choice,
    which is why the library itself never sets it)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jaxlin" / "xla"
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.05)


def run(args: argparse.Namespace, config: dict) -> dict:
    started = time.perf_counter()
    if not args.no_compile_cache:
        enable_compile_cache()
    print(f"jaxlin: {args.model} ({args.impl}), {args.optimizer} lr {args.lr}, batch {args.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}, on {jax.devices()[0].platform}", flush=True)
    key = jax.random.key(args.seed)
    progress = Progress(args.epochs)
    out: Path = args.output_dir
    if args.model == "linreg":
        result, extra = _train(lambda on_epoch: train_linear_regression(
            key, implementation=args.impl, optimizer=args.optimizer, learning_rate=args.lr,
            batch_size=args.batch_size, num_epochs=args.epochs, on_epoch=on_epoch), progress)
        print(f"error in estimating w: {extra['w_error']:.2e}, in estimating b: {extra['b_error']:.2e}")
    else:
        try:
            t = time.perf_counter()
            train = to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=args.tfds_dir))
            test = to_device(*load_fashion_mnist("test", source_dir=args.data_dir, data_dir=args.tfds_dir))
            extra = {"load_s": time.perf_counter() - t}
        except DataError as err:
            raise RunError(str(err)) from None
        progress.last = time.perf_counter()
        result = _train(lambda on_epoch: train_softmax_regression(
            key, train, test, implementation=args.impl, optimizer=args.optimizer,
            learning_rate=args.lr, batch_size=args.batch_size, num_epochs=args.epochs,
            on_epoch=on_epoch), progress)
        if not args.no_plots:
            _plot_predictions(result.params, test, out / "predictions.png")
    final = {k: v[-1] for k, v in result.history.items()}
    save_checkpoint(out / "params.npz", {"params": result.params}, metadata=config)
    if not args.no_plots:
        from jaxlin.plotting import plot_history
        plot_history(result.history, out / "curves.png", title=f"{args.model} ({args.impl}), {args.optimizer}")
    summary = {"config": config, "history": result.history, "final": final,
               **extra, **progress.timing(), "total_s": time.perf_counter() - started}
    write_json(out / "metrics.json", summary)
    shown = ", ".join(f"{label} {final[k]:.4f}" for k, label in COLUMNS.items() if k in final)
    print(f"done in {summary['total_s']:.1f} s: {shown}. Results in {out}/")
    return summary


def _plot_predictions(params, test, path: Path, n: int = 16) -> None:
    from jaxlin.plotting import prediction_grid
    images, labels = test[0][:n], test[1][:n]
    predicted = np.asarray(logits(params, images).argmax(-1))
    prediction_grid(np.asarray(images), text_labels(labels), text_labels(predicted), path=path)
