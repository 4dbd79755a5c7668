"""The command line of `python -m jaxlin.train`: argparse in, one frozen Config out."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from jaxlin.engine.distributed import cluster_from
from jaxlin.engine.optimizers import OPTIMIZERS
from jaxlin.experiments.config import SOLVERS, Config, make_config
from jaxlin.models import IMPLEMENTATIONS, MODELS, get_model


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


def _weight_decay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid int") from None


def _folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a folder (or leave the option out)")
    return Path(text).expanduser()


class _Help(argparse.HelpFormatter):
    """Shows an option's default unless its help already speaks of it, or it has none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" not in text and not (
            action.default is None or action.default is False or action.default == argparse.SUPPRESS
        ):
            text += " (default: %(default)s)"
        return text


def _book_settings() -> str:
    return "; ".join(
        f"{name}: lr {b.learning_rate}, batch {b.batch_size}, {b.num_epochs} epochs"
        for name, b in ((name, get_model(name).BOOK) for name in MODELS)
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jaxlin.train",
        description="Train a linear network from D2L chapters 3 and 4: softmax regression on Fashion-MNIST "
        "(default), linear regression on synthetic data, polynomial regression (D2L 4.4), the "
        "weight-decay experiment (4.5) or logistic regression (4.9); or run the distribution-shift "
        "experiment (--shift). With the book's settings "
        f"unless told otherwise ({_book_settings()}).",
        epilog="Fashion-MNIST is looked for in --data-dir, then $JAXLIN_DATA, then tfds's manual folder "
        "(<tfds-dir>/downloads/manual), then /usr/share/datasets/fashion-mnist (Debian's "
        "dataset-fashion-mnist); if it is in none of them, tfds downloads it.",
        formatter_class=_Help,
    )
    p.add_argument(
        "--model",
        choices=list(MODELS),
        default="softmax",
        help="softmax: softmax regression on Fashion-MNIST; linreg: linear regression on "
        "synthetic data y = Xw + b + noise; polynomial: a polynomial fit to noisy samples "
        "of a cubic (D2L 4.4); highdim: 200 inputs, 20 examples (4.5); logistic: binary "
        "logistic regression, Fashion-MNIST's T-shirts/tops vs shirts (4.9)",
    )
    p.add_argument(
        "--impl",
        choices=IMPLEMENTATIONS,
        default="concise",
        help="scratch: the book's from-scratch softmax, cross-entropy and SGD; "
        "concise: the stable optax loss and optimizers",
    )
    p.add_argument(
        "--optimizer",
        choices=sorted((*OPTIMIZERS, *SOLVERS)),
        default=None,
        help="default: scratch-sgd with --impl scratch, sgd with --impl concise. lbfgs solves the "
        "full-batch problem (with --weight-decay as its L2 strength) to convergence instead of "
        "training for epochs: see --tol and --max-iter",
    )
    p.add_argument(
        "--tol",
        type=_positive(float),
        default=None,
        help="lbfgs: stop once the gradient's norm is at most this (default: 1e-4)",
    )
    p.add_argument(
        "--max-iter", type=_positive(int), default=None, help="lbfgs: at most this many iterations (default: 1000)"
    )
    p.add_argument(
        "--lr",
        type=_list_of(_positive(float)),
        default=None,
        help="learning rate, or a comma-separated list to sweep, e.g. 0.01,0.03,0.1 "
        "(default: the model's book setting)",
    )
    p.add_argument(
        "--batch-size",
        type=_list_of(_positive(int)),
        default=None,
        help="minibatch size, or a comma-separated list to sweep, e.g. 64,256,1024: one compiled "
        "sweep per batch size (default: the model's book setting)",
    )
    p.add_argument(
        "--epochs", type=_positive(int), default=None, help="number of epochs (default: the model's book setting)"
    )
    p.add_argument("--seed", type=_int, default=None, help="PRNG seed for initialisation and shuffling (default: 0)")
    p.add_argument(
        "--seeds",
        type=_list_of(_int),
        default=None,
        help="comma-separated seeds to sweep, e.g. 0,1,2 (instead of --seed). Several learning "
        "rates, seeds or degrees train together, vmapped in one compiled call (one per batch size)",
    )
    p.add_argument(
        "--data-seed",
        type=_int,
        default=0,
        help="PRNG seed that draws synthetic data, the validation split and the folds",
    )
    p.add_argument(
        "--weight-decay",
        type=_list_of(_weight_decay),
        metavar="LAMBDA",
        default=None,
        help="L2 regularisation: add λ·w to the weights' gradient (the gradient of λ·½‖w‖²; "
        "not the biases), e.g. 3; a comma-separated list such as 0,0.1,1,3,10 trains one "
        "model per λ together (default: none)",
    )
    p.add_argument(
        "--degree",
        type=_list_of(_int),
        default=None,
        help="polynomial model: the degree of the fit, 0 to 20 (book: 3 fits, 1 underfits, 20 "
        "overfits), or a comma-separated list such as 0,1,2,3,5,10,20 to compare them in one "
        "compiled sweep (default: 3)",
    )
    p.add_argument(
        "--validation",
        type=float,
        metavar="FRACTION",
        default=None,
        help="hold out this fraction of the training split (e.g. 0.1; class-balanced for "
        "Fashion-MNIST, the same examples for a --data-seed) and report validation loss "
        "and accuracy each epoch",
    )
    p.add_argument(
        "--early-stopping",
        type=_positive(int),
        metavar="PATIENCE",
        default=None,
        help="stop once the validation loss has not improved for PATIENCE epochs and keep the "
        "best epoch's parameters (needs --validation)",
    )
    p.add_argument(
        "--kfold",
        type=_int,
        metavar="K",
        default=None,
        help="K-fold cross-validation of the runs asked for (e.g. --degree 0,1,...,20): every "
        "run on every fold, trained together; prints and plots the mean validation loss "
        "and the run it chooses. K must divide the number of training examples (equal folds)",
    )
    p.add_argument(
        "--shift",
        choices=["covariate", "label"],
        default=None,
        help="the distribution-shift experiment (D2L 4.9) on Fashion-MNIST drawn into a source and a "
        "target (--data-seed draws them): trains softmax regression uncorrected, corrected "
        "(importance weights from a logistic-regression domain classifier, or the label "
        "distribution estimated by a confusion matrix) and the oracle, and reports each one's "
        "target test accuracy. Each model is solved to convergence with lbfgs and --weight-decay "
        "1e-4 unless you give --optimizer (e.g. sgd, for the book's epochs)",
    )
    p.add_argument(
        "--shift-strength",
        type=_positive(float),
        metavar="S",
        default=None,
        help="covariate shift: images kept with probability σ(∓S·z), z the image's standardised mean "
        "intensity; larger is a stronger shift (default: 3)",
    )
    p.add_argument(
        "--beta-clip",
        type=_positive(float),
        metavar="C",
        default=None,
        help="covariate shift: clip the importance weights at C (default: 10)",
    )
    p.add_argument(
        "--data-dir",
        type=_folder,
        default=None,
        help="folder with the four Fashion-MNIST files (train-images-idx3-ubyte.gz, ...)",
    )
    p.add_argument(
        "--tfds-dir",
        type=_folder,
        default=None,
        help="tfds data folder for the prepared dataset (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)",
    )
    p.add_argument(
        "--output-dir",
        type=_folder,
        default=None,
        help="where results go (default: a new folder runs/<time>-<model>-<impl, sweep or Kfold>)",
    )
    p.add_argument(
        "--devices",
        type=_positive(int),
        default=None,
        help="split each minibatch across this many local devices, data parallel (default: the "
        "most local devices that split the batch evenly; the batch size must be a multiple of it)",
    )
    p.add_argument(
        "--coordinator",
        metavar="HOST:PORT",
        default=None,
        help="train across processes (hosts): process 0's address, the same for every process "
        "(default: $JAXLIN_COORDINATOR); needs --num-processes and --process-id too",
    )
    p.add_argument(
        "--num-processes",
        metavar="N",
        default=None,
        help="how many processes train together (default: $JAXLIN_NUM_PROCESSES)",
    )
    p.add_argument(
        "--process-id",
        metavar="I",
        default=None,
        help="this process's number, 0 to N-1; process 0 coordinates and writes the results "
        "(default: $JAXLIN_PROCESS_ID)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run whose checkpoint.npz is in --output-dir (saved after every epoch)",
    )
    p.add_argument(
        "--debug-nans", action="store_true", help="turn on jax_debug_nans: stop at the first operation that makes a NaN"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="do not keep compiled XLA programs in $XDG_CACHE_HOME/jaxlin/xla (~/.cache/jaxlin/xla), "
        "which saves a few seconds of compiling on every later run",
    )
    return p


def _seeds(parser: argparse.ArgumentParser, args: argparse.Namespace):
    if args.seed is not None and args.seeds is not None:
        parser.error("give --seed or --seeds, not both")
    return args.seeds if args.seeds is not None else args.seed


def parse_config(argv: list[str] | None = None) -> Config:
    """The Config that the command line `argv` asks for; exits with code 2 and a message if it is bad."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        cluster = cluster_from(args.coordinator, args.num_processes, args.process_id)
        config = make_config(
            args.model,
            impl=args.impl,
            optimizer=args.optimizer,
            lr=args.lr,
            seed=_seeds(parser, args),
            batch_size=args.batch_size,
            epochs=args.epochs,
            data_seed=args.data_seed,
            weight_decay=args.weight_decay,
            degree=args.degree,
            validation=args.validation,
            early_stopping=args.early_stopping,
            kfold=args.kfold,
            tol=args.tol,
            max_iter=args.max_iter,
            shift=args.shift,
            shift_strength=args.shift_strength,
            beta_clip=args.beta_clip,
            devices=args.devices,
            data_dir=args.data_dir,
            **(dataclasses.asdict(cluster) if cluster else {}),
            tfds_dir=args.tfds_dir,
            output_dir=args.output_dir,
            resume=args.resume,
            debug_nans=args.debug_nans,
            plots=not args.no_plots,
            compile_cache=not args.no_compile_cache,
        )
    except ValueError as err:
        parser.error(str(err))
    return config
