"""The checks `make_config` runs on a network's architecture (D2L 4.1-4.6): hidden widths, the
activation, the initialisation and the dropout rates, each raising a ValueError that says what to
fix. Only models with hidden layers (an `ARCHITECTURE` of defaults) take them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import ModuleType

from jaxlin._util import checks

FIELDS = ("hidden", "activation", "init", "dropout")
MAX_WIDTH = 2**20


def _widths(network) -> tuple[int, ...]:
    widths = tuple(network) if isinstance(network, Sequence) and not isinstance(network, str) else (network,)
    if not widths:
        raise ValueError("hidden needs at least one layer's width, e.g. 256 or (256, 128).")
    return tuple(checks.positive_int("a hidden layer's width", w, below=MAX_WIDTH) for w in widths)


def hidden_networks(value) -> tuple[tuple[int, ...], ...]:
    """`hidden` as networks: 256 or (256, 128) is one network; [(256,), (512,)] two, a sweep."""
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and value
        and all(isinstance(v, Sequence) and not isinstance(v, str) for v in value)
    ):
        networks = tuple(_widths(v) for v in value)
    else:
        networks = (_widths(value),)
    if len(set(networks)) < len(networks):
        raise ValueError("hidden repeats a network: the same model would be trained twice.")
    return networks


def _rate(value) -> float:
    in_range = f"a dropout rate must be a number from 0 up to (not including) 1, got {value!r}."
    number = checks.as_number(value)
    if number is not None and number < 0:
        raise ValueError(in_range)
    rate = checks.float32_number("a dropout rate", value, zero=True)  # the one rule of float settings
    if not rate < 1:
        raise ValueError(in_range)
    return rate


def check_architecture(config, module: ModuleType):
    """The config with its architecture checked and filled in from the model's defaults."""
    given = [name for name in FIELDS if getattr(config, name) is not None]
    defaults = getattr(module, "ARCHITECTURE", None)
    if defaults is None:
        if given:
            raise ValueError(
                f"{', '.join(given)} {'is a setting' if len(given) == 1 else 'are settings'} of models with hidden "
                f"layers (--model mlp), not of {config.model}."
            )
        return config
    hidden = hidden_networks(config.hidden if config.hidden is not None else defaults["hidden"])
    activation = config.activation or defaults["activation"]
    if activation not in module.ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {', '.join(module.ACTIVATION_NAMES)}, got {activation!r}.")
    init = config.init or defaults["init"]
    if init not in module.INIT_NAMES:
        raise ValueError(f"init must be one of {', '.join(module.INIT_NAMES)}, got {init!r}.")
    dropout = config.dropout if config.dropout is not None else defaults["dropout"]
    dropout = tuple(_rate(r) for r in (dropout if isinstance(dropout, Sequence) else (dropout,)))
    if len(hidden) > 1 and config.kfold:
        raise ValueError("cross-validation (kfold) takes one network; sweep hidden sizes without it.")
    fewest = min(len(network) for network in hidden)
    if len(dropout) > fewest:
        raise ValueError(
            f"{len(dropout)} dropout rates for a network of {fewest} hidden layer(s): give one rate per hidden layer."
        )
    return dataclasses.replace(config, hidden=hidden, activation=activation, init=init, dropout=dropout)
