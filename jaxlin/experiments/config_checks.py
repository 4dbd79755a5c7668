"""The checks `make_config` runs on each setting, each raising a ValueError that says what to fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from jaxlin._util import checks
from jaxlin.data.shift import DEFAULT_STRENGTH, MAX_STRENGTH
from jaxlin.engine.distributed import cluster_from
from jaxlin.ops.shift_correction import DEFAULT_CLIP


def as_tuple(name: str, value, check) -> tuple:
    values = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else (value,)
    if not values:
        raise ValueError(f"{name} is an empty list; give at least one value.")
    return tuple(check(v) for v in values)


def seed(value, name: str = "seed") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if not 0 <= value < 2**32:  # jax.random.key keeps 32 bits: 2**32 would be seed 0 again
        raise ValueError(f"{name} must be from 0 to {2**32 - 1}, got {value}.")
    return int(value)


def weight_decay(value) -> float:
    return checks.float32_number("weight_decay", value, zero=True)


def distinct(name: str, values: tuple) -> tuple:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{name} repeats {', '.join(map(str, repeated))}: the same model would be trained twice.")
    return values


def option(name: str, value):
    if name.endswith("_dir"):
        if not str(value):
            raise ValueError(f"{name} is empty; give a folder (or leave it out).")
        return str(Path(value).expanduser())
    if name in ("resume", "debug_nans", "plots", "compile_cache") and not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return value


SOLVERS = ("lbfgs",)  # full-batch, to convergence: no epochs, minibatches or learning rate


def check_solver(options: dict, hint: str = "") -> None:
    given = sorted(
        k
        for k in ("lr", "batch_size", "epochs", "early_stopping", "kfold", "resume")
        if options.get(k) not in (None, False)
    )
    if given:
        raise ValueError(
            f"lbfgs solves the full-batch problem to convergence (no epochs, no minibatches); "
            f"{', '.join(given)} do(es) not apply (use tol and max_iter){hint}."
        )
    for name, check in (
        ("tol", lambda v: checks.positive_float("tol", v)),
        ("max_iter", lambda v: checks.positive_int("max_iter", v, below=2**31)),
    ):
        if name in options:
            options[name] = check(options[name])
    if (
        len(tuple(as_tuple("seed", options.get("seed", 0), seed))) > 1
        or len(as_tuple("weight_decay", options.get("weight_decay", 0.0), weight_decay)) > 1
    ):
        raise ValueError("lbfgs solves one problem: give one seed and one weight decay.")


def check_generalization(config):
    """The config with its generalization options checked and converted (a float, ints)."""
    if config.validation is not None:
        held_out = checks.positive_float("validation", config.validation)
        if not held_out < 1:
            raise ValueError(
                f"validation is the fraction of training examples held out, between 0 and 1 "
                f"(e.g. 0.1); got {config.validation}."
            )
        config = dataclasses.replace(config, validation=held_out)
    if config.early_stopping is not None:
        patience = checks.positive_int("early_stopping (the patience, in epochs)", config.early_stopping)
        config = dataclasses.replace(config, early_stopping=patience)
        if config.validation is None:
            raise ValueError(
                "early stopping watches the validation loss: hold out a validation split too (--validation FRACTION)"
            )
        if config.is_sweep or config.kfold:
            raise ValueError(
                "early stopping works on one run: give one learning rate, seed, batch size and degree, without kfold."
            )
    if config.kfold is not None:
        config = dataclasses.replace(config, kfold=checks.positive_int("kfold", config.kfold))
        if config.kfold < 2:
            raise ValueError(f"kfold needs at least 2 folds, got {config.kfold}.")
        if len(config.batch_size) > 1:
            raise ValueError("cross-validation (kfold) takes one batch size; sweep batch sizes without it.")
        if config.validation is not None or config.resume or (config.devices or 1) > 1:
            raise ValueError(
                "cross-validation makes its own validation folds and runs on one device without "
                "resuming: drop --validation, --resume and --devices"
            )
    return config


SHIFTS = ("covariate", "label")
MIN_CLIP, MAX_CLIP = 1.0, 1e6  # the importance weights' cap, β ≤ beta_clip


def check_shift(config):
    """The config with its distribution-shift options checked and their defaults filled in."""
    covariate_only = {"shift_strength": config.shift_strength, "beta_clip": config.beta_clip}
    if config.shift is None:
        given = [name for name, value in covariate_only.items() if value is not None]
        if given:
            raise ValueError(f"{', '.join(given)} are settings of the covariate-shift experiment (--shift covariate).")
        return config
    if config.shift not in SHIFTS:
        raise ValueError(f"shift must be one of {', '.join(SHIFTS)}, got {config.shift!r}.")
    if config.model != "softmax":
        raise ValueError(f"the distribution-shift experiment trains softmax regressions; drop --model {config.model}.")
    clashes = [
        name
        for name, on in (
            ("a sweep", config.is_sweep),
            ("kfold", config.kfold),
            ("validation", config.validation),
            ("early stopping", config.early_stopping),
            ("resume", config.resume),
            ("several devices", (config.devices or 1) > 1),
        )
        if on
    ]
    if clashes:
        raise ValueError(
            f"the distribution-shift experiment trains three single models (uncorrected, corrected, "
            f"oracle) with its own splits; it does not combine with {', '.join(clashes)}."
        )
    if config.shift == "label" and any(v is not None for v in covariate_only.values()):
        raise ValueError("shift_strength and beta_clip are settings of the covariate shift, not the label shift.")
    if config.shift == "covariate":
        strength = checks.positive_float(
            "shift_strength", DEFAULT_STRENGTH if config.shift_strength is None else config.shift_strength
        )
        if strength > MAX_STRENGTH:
            raise ValueError(
                f"shift_strength must be at most {MAX_STRENGTH:g}: beyond it the selection probabilities "
                f"round to 0, source and target stop overlapping and importance weights do not exist."
            )
        clip = beta_clip(DEFAULT_CLIP if config.beta_clip is None else config.beta_clip)
        config = dataclasses.replace(config, shift_strength=strength, beta_clip=clip)
    return config


def beta_clip(value) -> float:
    """The importance weights' cap, from MIN_CLIP to MAX_CLIP (within float32's range, too)."""
    as_float = float(value) if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else None
    if as_float is not None and 0 < as_float < np.inf and not MIN_CLIP <= as_float <= MAX_CLIP:
        raise ValueError(
            f"beta_clip must be from {MIN_CLIP:g} to {MAX_CLIP:g}, got {value!r}: it caps the importance "
            "weights β; a cap below 1 would flatten even β = 1 (an example as likely in the target as in the "
            "source), and above the most one example would outweigh the whole training set."
        )
    return checks.positive_float("beta_clip", value)


def check_cluster(config):
    """A run across processes: all three of its settings, valid, and a run that can be shared."""
    cluster = cluster_from(config.coordinator, config.num_processes, config.process_id)
    if cluster is None:
        return config
    if config.kind != "single" or config.resume or config.devices:
        raise ValueError(
            "training across processes runs one model with a minibatch optimizer, on every device "
            "of every process, from the start: drop --num-processes, or drop the sweep, --kfold, "
            "--shift, lbfgs, --resume or --devices"
        )
    return dataclasses.replace(config, **dataclasses.asdict(cluster))
