"""The command line: python -m jaxlin.train [options]. Run with --help for the options.

By default it trains softmax regression on Fashion-MNIST the concise way with the book's settings
(SGD, learning rate 0.1, batch 256, 10 epochs), prints one line per epoch and a summary, and writes
metrics.json, curves.png, predictions.png, params.npz and (after every epoch) checkpoint.npz into
the output folder. Several --lr or --seeds values make a sweep; --devices trains data parallel.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from jaxlin.optim import IMPLEMENTATIONS, OPTIMIZERS, default_optimizer
from jaxlin.runs import RunError, run

DEFAULTS = {  # the book's settings for each model
    "softmax": {"lr": 0.1, "batch_size": 256, "epochs": 10},
    "linreg": {"lr": 0.03, "batch_size": 10, "epochs": 3},
}


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _list_of(parse):
    def parse_list(text: str):
        return [parse(part) for part in text.split(",") if part.strip()] or parse(text)
    return parse_list


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jaxlin.train",
        description="Train a linear network from D2L chapter 3: softmax regression on Fashion-MNIST "
                    "(default) or linear regression on synthetic data.",
        epilog="Fashion-MNIST is looked for in --data-dir, then $JAXLIN_DATA, then tfds's manual folder "
               "(<tfds-dir>/downloads/manual), then /usr/share/datasets/fashion-mnist (Debian's "
               "dataset-fashion-mnist); if it is in none of them, tfds downloads it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", choices=sorted(DEFAULTS), default="softmax",
                   help="softmax: softmax regression on Fashion-MNIST; linreg: linear regression on "
                        "synthetic data y = Xw + b + noise")
    p.add_argument("--impl", choices=IMPLEMENTATIONS, default="concise",
                   help="scratch: the book's from-scratch softmax, cross-entropy and SGD; "
                        "concise: the stable optax loss and optimizers")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=None,
                   help="default: scratch-sgd with --impl scratch, sgd with --impl concise")
    p.add_argument("--lr", type=_list_of(_positive(float)), default=None,
                   help="learning rate, or a comma-separated list to sweep, e.g. 0.01,0.03,0.1 "
                        "(default: 0.1 for softmax, 0.03 for linreg)")
    p.add_argument("--batch-size", type=_positive(int), default=None,
                   help="minibatch size (default: 256 for softmax, 10 for linreg)")
    p.add_argument("--epochs", type=_positive(int), default=None,
                   help="number of epochs (default: 10 for softmax, 3 for linreg)")
    p.add_argument("--seed", type=int, default=0, help="PRNG seed for initialisation and shuffling")
    p.add_argument("--seeds", type=_list_of(int), default=None,
                   help="comma-separated seeds to sweep, e.g. 0,1,2 (instead of --seed). Several learning "
                        "rates and/or seeds train together, vmapped in one compiled call")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the four Fashion-MNIST files (train-images-idx3-ubyte.gz, ...)")
    p.add_argument("--tfds-dir", type=Path, default=None,
                   help="tfds data folder for the prepared dataset (default: $TFDS_DATA_DIR or "
                        "~/tensorflow_datasets)")
    p.add_argument("--output-dir", type=Path, default=None,
                   help="where results go (default: runs/<time>-<model>-<impl>)")
    p.add_argument("--devices", type=_positive(int), default=None,
                   help="split each minibatch across this many local devices, data parallel (default: all; "
                        "the batch size must be a multiple of it)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose checkpoint.npz is in --output-dir (saved after every epoch)")
    p.add_argument("--debug-nans", action="store_true",
                   help="turn on jax_debug_nans: stop at the first operation that makes a NaN")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--no-compile-cache", action="store_true",
                   help="do not keep compiled XLA programs in $XDG_CACHE_HOME/jaxlin/xla (~/.cache/jaxlin/xla), "
                        "which saves a few seconds of compiling on every later run")
    return p


def resolve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Fill the model-specific defaults and the output folder; refuse combinations that do not go."""
    for name, value in DEFAULTS[args.model].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.learning_rates = args.lr if isinstance(args.lr, list) else [args.lr]
    args.seeds = args.seeds if isinstance(args.seeds, list) else [args.seed if args.seeds is None else args.seeds]
    args.sweep = len(args.learning_rates) * len(args.seeds) > 1
    args.lr, args.seed = args.learning_rates[0], args.seeds[0]
    args.optimizer = default_optimizer(args.impl, args.optimizer)
    if args.sweep and (args.resume or (args.devices or 1) > 1):
        parser.error("a sweep (several --lr or --seeds) runs on one device and cannot --resume; "
                     "drop --devices/--resume or sweep one value")
    if args.resume and args.output_dir is None:
        parser.error("--resume needs --output-dir: the folder of the run to continue")
    if args.output_dir is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        kind = "sweep" if args.sweep else args.impl
        args.output_dir = Path("runs") / f"{stamp}-{args.model}-{kind}"
    return args


def config_of(args: argparse.Namespace) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = resolve(parser, parser.parse_args(argv))
    try:
        run(args, config_of(args))
    except RunError as err:
        print(f"python -m jaxlin.train: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted. Continue with: python -m jaxlin.train --resume --output-dir {args.output_dir} "
              "(and the same options)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
