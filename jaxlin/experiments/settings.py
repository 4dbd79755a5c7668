"""`make_config`: a model's book settings merged with the options into one frozen, checked Config.

Every value is checked once, here, where it enters (`config_checks`, `architecture`); the layers
below trust the Config they are given.
"""

from __future__ import annotations

import dataclasses

from jaxlin._util import checks
from jaxlin.engine.optimizers import OPTIMIZERS
from jaxlin.experiments import config_checks
from jaxlin.experiments.architecture import check_architecture
from jaxlin.experiments.config import SHIFT_MAX_ITER, SHIFT_WEIGHT_DECAY, Config
from jaxlin.experiments.config_checks import SOLVERS
from jaxlin.models import IMPLEMENTATIONS, get_model


def default_optimizer(impl: str) -> str:
    """Each path's optimizer unless told otherwise: jaxlin's own SGD for scratch, optax's for concise."""
    return "scratch-sgd" if impl == "scratch" else "sgd"


def make_config(model: str = "softmax", **options) -> Config:
    """The configuration of `model` with its book settings, overridden by `options` (Config's
    fields; None means "the default"). Raises ValueError for an unknown name, a value out of range,
    or a combination that does not go together."""
    if not isinstance(model, str):
        raise ValueError(f"model must be a model's name (a string), got {model!r}.")
    unknown = set(options) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise ValueError(f"Unknown setting(s) {', '.join(sorted(unknown))}; see jaxlin.Config.")
    module = get_model(model)
    book, model_options = module.BOOK, getattr(module, "OPTIONS", {})
    options = {k: v for k, v in options.items() if v is not None}
    if options.get("shift") and options.get("optimizer", "lbfgs") in SOLVERS:  # converged: no SGD noise
        options = {"optimizer": "lbfgs", "weight_decay": SHIFT_WEIGHT_DECAY, "max_iter": SHIFT_MAX_ITER, **options}
    if "degree" in options and "degree" not in model_options:
        raise ValueError(f"degree is an option of the polynomial model, not of {model}.")
    if "weight_decay" in options:
        decays = config_checks.as_tuple("weight_decay", options["weight_decay"], config_checks.weight_decay)
        options["weight_decay"] = config_checks.distinct("weight_decay", decays)
    if "degree" in model_options:
        degrees = config_checks.as_tuple(
            "degree", options.get("degree", model_options["degree"]), lambda v: checks.degree(v, module.MAX_DEGREE)
        )
        options["degree"] = config_checks.distinct("degree", degrees)
    impl = options.pop("impl", "concise")
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {', '.join(IMPLEMENTATIONS)}, got {impl!r}.")
    optimizer = options.pop("optimizer", None) or default_optimizer(impl)
    if optimizer not in (*OPTIMIZERS, *SOLVERS):
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of: {', '.join((*OPTIMIZERS, *SOLVERS))}.")
    if optimizer in SOLVERS:
        config_checks.check_solver(
            options,
            hint=" (--shift solves with lbfgs unless you give --optimizer, e.g. --optimizer sgd to train for epochs)"
            if options.get("shift")
            else "",
        )
        options = {"tol": 1e-4, "max_iter": 1000, **options}
    elif "tol" in options or "max_iter" in options:
        raise ValueError("tol and max_iter are settings of the lbfgs solver (--optimizer lbfgs).")
    config = Config(
        model=model,
        impl=impl,
        optimizer=optimizer,
        lr=config_checks.distinct(
            "lr",
            config_checks.as_tuple(
                "lr", options.pop("lr", book.learning_rate), lambda v: checks.positive_float("learning rate", v)
            ),
        ),
        seed=config_checks.distinct("seed", config_checks.as_tuple("seed", options.pop("seed", 0), config_checks.seed)),
        batch_size=config_checks.distinct(
            "batch_size",
            config_checks.as_tuple(
                "batch_size",
                options.pop("batch_size", book.batch_size),
                lambda v: checks.positive_int("batch_size", v, below=2**31),
            ),
        ),
        epochs=checks.positive_int("epochs", options.pop("epochs", book.num_epochs), below=2**31),
        **{k: config_checks.option(k, v) for k, v in options.items()},
    )
    if config.devices is not None:
        devices = checks.positive_int("devices", config.devices)
        uneven = [b for b in config.batch_size if b % devices]
        if uneven:
            raise ValueError(
                f"the batch size {uneven[0]} does not split evenly across {devices} devices; use a multiple "
                f"of {devices} (e.g. {uneven[0] - uneven[0] % devices or devices}), or fewer devices."
            )
        config = dataclasses.replace(config, devices=devices)
    config = dataclasses.replace(config, data_seed=config_checks.seed(config.data_seed, "data_seed"))
    config = config_checks.check_cluster(config)
    config = config_checks.check_shift(config_checks.check_generalization(config))
    config = check_architecture(config, module)
    if config.is_sweep and (config.resume or (config.devices or 1) > 1):
        raise ValueError(
            "a sweep (several learning rates, seeds, batch sizes or degrees) runs on one device "
            "and cannot resume; drop devices/resume or sweep one value"
        )
    if config.resume and config.output_dir is None:
        raise ValueError("resuming needs the folder of the run to continue (--output-dir)")
    return config
