"""The options of `python -m jaxlin.train` that shape a network with hidden layers (--model mlp,
D2L 4.1-4.8): widths, activation, initialisation, dropout. Checked once, by `make_config`."""

from __future__ import annotations

import argparse

from jaxlin.cli.arguments import float_option, int_option, list_of
from jaxlin.models import get_model

MLP = get_model("mlp")


def add_network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hidden",
        type=list_of(int_option),
        nargs="+",
        metavar="WIDTHS",
        default=None,
        help="mlp: the hidden layers' widths, e.g. 256 (the book's one layer) or 256,256 (two); several "
        "networks, e.g. --hidden 64 256 1024, train one after another and are reported together",
    )
    p.add_argument(
        "--activation",
        choices=MLP.ACTIVATION_NAMES,
        default=None,
        help="mlp: the hidden units' nonlinearity; prelu learns its negative slope (default: relu)",
    )
    p.add_argument(
        "--init",
        choices=MLP.INIT_NAMES,
        default=None,
        help="mlp: the weights' initialisation, the book's N(0, 0.01²) or Xavier uniform (default: normal)",
    )
    p.add_argument(
        "--dropout",
        type=list_of(float_option),
        metavar="RATES",
        default=None,
        help="mlp: the dropout rate after each hidden layer, from the first, e.g. 0.2,0.5 (the book's, for "
        "--hidden 256,256); on in training, off in evaluation (default: none)",
    )


def networks(hidden: list | None) -> tuple[tuple[int, ...], ...] | None:
    """--hidden as networks: each value one network's widths."""
    if hidden is None:
        return None
    return tuple(tuple(value) if isinstance(value, list) else (value,) for value in hidden)
