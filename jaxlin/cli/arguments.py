"""The options of `python -m jaxlin.train` that say what to train and how: the model, the
optimizer and its settings, sweeps, generalization and the distribution-shift experiment. Each is
parsed here (a number, a list) and checked once, by `make_config`."""

from __future__ import annotations

import argparse
from pathlib import Path

from jaxlin.engine.optimizers import OPTIMIZERS
from jaxlin.experiments.config import SOLVERS
from jaxlin.models import IMPLEMENTATIONS, MODELS, get_model


def _number(kind):
    """Parse one number; its range is checked once, by `make_config`."""

    def parse(text: str):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None

    return parse


def list_of(parse):
    """Parse "a,b,c" (or one value) into a list, refusing empty items such as "0.1,,0.3"."""

    def parse_list(text: str):
        parts = text.split(",")
        if len(parts) > 1 and not all(part.strip() for part in parts):
            raise argparse.ArgumentTypeError(f"{text!r} has an empty item; separate the values by single commas")
        return [parse(part) for part in parts] if len(parts) > 1 else parse(text)

    return parse_list


int_option, float_option = _number(int), _number(float)


def folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a folder (or leave the option out)")
    return Path(text).expanduser()


def _summary(name: str) -> str:
    """A registered model in a few words: the first line of its module's docstring."""
    return (get_model(name).__doc__ or name).strip().splitlines()[0].rstrip(".")


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The model, the optimizer, the sweeps, generalization and distribution shift."""
    p.add_argument(
        "--model",
        choices=list(MODELS),
        default="softmax",
        help="; ".join(f"{name}: {_summary(name)}" for name in MODELS),
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
        type=float_option,
        default=None,
        help="lbfgs: stop once the gradient's norm is at most this (default: 1e-4)",
    )
    p.add_argument(
        "--max-iter", type=int_option, default=None, help="lbfgs: at most this many iterations (default: 1000)"
    )
    p.add_argument(
        "--lr",
        type=list_of(float_option),
        default=None,
        help="learning rate, or a comma-separated list to sweep, e.g. 0.01,0.03,0.1 "
        "(default: the model's book setting)",
    )
    p.add_argument(
        "--batch-size",
        type=list_of(int_option),
        default=None,
        help="minibatch size, or a comma-separated list to sweep, e.g. 64,256,1024: one compiled "
        "sweep per batch size (default: the model's book setting)",
    )
    p.add_argument(
        "--epochs", type=int_option, default=None, help="number of epochs (default: the model's book setting)"
    )
    p.add_argument(
        "--seed", type=int_option, default=None, help="PRNG seed for initialisation and shuffling (default: 0)"
    )
    p.add_argument(
        "--seeds",
        type=list_of(int_option),
        default=None,
        help="comma-separated seeds to sweep, e.g. 0,1,2 (instead of --seed). Several learning "
        "rates, seeds or degrees train together, vmapped in one compiled call (one per batch size)",
    )
    p.add_argument(
        "--data-seed",
        type=int_option,
        default=0,
        help="PRNG seed that draws synthetic data, the validation split and the folds",
    )
    p.add_argument(
        "--weight-decay",
        type=list_of(float_option),
        metavar="LAMBDA",
        default=None,
        help="L2 regularisation: add λ·w to the weights' gradient (the gradient of λ·½‖w‖²; "
        "not the biases), e.g. 3; a comma-separated list such as 0,0.1,1,3,10 trains one "
        "model per λ together (default: none)",
    )
    p.add_argument(
        "--degree",
        type=list_of(int_option),
        default=None,
        help="polynomial model: the degree of the fit, 0 to 20 (book: 3 fits, 1 underfits, 20 "
        "overfits), or a comma-separated list such as 0,1,2,3,5,10,20 to compare them in one "
        "compiled sweep (default: 3)",
    )
    p.add_argument(
        "--validation",
        type=float_option,
        metavar="FRACTION",
        default=None,
        help="hold out this fraction of the training split (e.g. 0.1; class-balanced for "
        "Fashion-MNIST, the same examples for a --data-seed) and report validation loss "
        "and accuracy each epoch",
    )
    p.add_argument(
        "--early-stopping",
        type=int_option,
        metavar="PATIENCE",
        default=None,
        help="stop once the validation loss has not improved for PATIENCE epochs and keep the "
        "best epoch's parameters (needs --validation)",
    )
    p.add_argument(
        "--kfold",
        type=int_option,
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
        type=float_option,
        metavar="S",
        default=None,
        help="covariate shift: images kept with probability σ(∓S·z), z the image's standardised mean "
        "intensity; larger is a stronger shift (default: 3)",
    )
    p.add_argument(
        "--beta-clip",
        type=float_option,
        metavar="C",
        default=None,
        help="covariate shift: clip the importance weights at C (default: 10)",
    )
