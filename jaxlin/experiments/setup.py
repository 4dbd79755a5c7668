"""A run, built from its Config: the model (by name, from the registry), its data, each run's
optimizer and first train state, and what the compiled epoch needs. Every kind of run (single,
sweep, K-fold, solve) builds from these pieces; none of them branches on which model it is.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import jax
import optax

from jaxlin.data import Dataset, load_dataset
from jaxlin.data.holdout import hold_out
from jaxlin.engine.optimizers import make_optimizer
from jaxlin.engine.sweep import grid, stack
from jaxlin.engine.train_state import TrainState, init_state
from jaxlin.experiments.config import Config
from jaxlin.models import get_model


def model_of(config: Config) -> ModuleType:
    """The config's model from the registry; for a model with hidden layers, the network the
    config describes (`configure`; a sweep over networks: give one group's config)."""
    model = get_model(config.model)
    architecture = config.architecture()
    return model.configure(**architecture) if architecture else model


def load_data(config: Config, model: ModuleType | None = None) -> Dataset:
    """The model's dataset, from where the config says (random data drawn from `data_seed`), with
    the config's validation split held out (the same examples for the same `data_seed`), checked by
    the model (`check_data`: ValueError for values it must not train on)."""
    model = model or get_model(config.model)  # every network of a model loads and checks the same data
    data = load_dataset(
        model.DATASET, jax.random.key(config.data_seed), source_dir=config.data_dir, tfds_dir=config.tfds_dir
    )
    return checked_data(model, config, data)


def reported_metrics(model: ModuleType, data: Dataset) -> set[str]:
    """The names `model.evaluate` reports on `data` given a validation split (traced, not run)."""
    probe = data if data.valid is not None else dataclasses.replace(data, valid=data.train)
    return set(jax.eval_shape(model.evaluate, jax.eval_shape(model.init, jax.random.key(0)), probe))


def runs(config: Config) -> list[dict]:
    """Every run of the config: [{"lr", "seed", and "weight_decay" and the model's options (e.g.
    "degree") when the config has them}, ...]."""
    return grid(config.lr, config.seed, **config.run_options())


def run_data(model: ModuleType, data: Dataset, run: dict) -> Dataset:
    """The data that `run` trains on: `data` with the run's model options applied (`with_options`)."""
    options = {name: run[name] for name in getattr(model, "OPTIONS", {}) if name in run}
    return model.with_options(data, **options) if options else data


def sweep_data(model: ModuleType, config: Config, data: Dataset, pairs: list[dict]) -> tuple[Dataset, bool]:
    """The data of a sweep's runs and whether they are per model (stacked) or shared: runs that
    differ in a model option (e.g. the degree) each get their own copy."""
    if any(len(values) > 1 for values in config.model_options().values()):  # weight decay lives in the optimizer
        return stack([run_data(model, data, run) for run in pairs]), True
    return run_data(model, data, pairs[0]), False


def checked_data(model: ModuleType, config: Config, data: Dataset | None) -> Dataset:
    """`data` (loaded if None) with the config's validation split held out, unless it has one
    already, and checked by the model."""
    if data is None:
        return load_data(config, model)
    if config.validation is not None and data.valid is None:
        data = hold_out(data, jax.random.fold_in(jax.random.key(config.data_seed), 1), config.validation)
    model.check_data(data)
    return data


def start(
    model: ModuleType, config: Config, run: dict | None = None
) -> tuple[optax.GradientTransformation, TrainState]:
    """A run's optimizer (learning rate and weight decay in its state) and first train state,
    from its seed: one key to initialise the parameters, one to shuffle. run: one of `runs(config)`
    (default: the first)."""
    run = run or runs(config)[0]
    init_key, shuffle_key = jax.random.split(jax.random.key(run["seed"]))
    optimizer = make_optimizer(config.optimizer, run["lr"], run.get("weight_decay"))
    return optimizer, init_state(model.init(init_key), optimizer, shuffle_key)


def by_shape(config: Config) -> list[tuple[dict, Config]]:
    """A sweep cut into groups that train together, one per batch size and network (each changes
    the shapes, so each is its own compiled epoch): [({"batch_size": b, "hidden": h} for those
    that vary, the config with that one batch size and network)]."""
    groups = []
    for b in config.batch_size:
        for h in config.hidden or (None,):
            varied: dict[str, int | list[int]] = {"batch_size": b} if len(config.batch_size) > 1 else {}
            varied.update({"hidden": list(h)} if h is not None and len(config.hidden or ()) > 1 else {})
            groups.append((varied, dataclasses.replace(config, batch_size=(b,), hidden=None if h is None else (h,))))
    return groups


def sweep_start(model: ModuleType, config: Config) -> tuple[list[dict], optax.GradientTransformation, TrainState]:
    """Every run of the config (`runs`), the optimizer they share (each learning rate lives in
    its own optimizer state), and their first train states stacked along a model axis."""
    pairs = runs(config)
    starts = [start(model, config, p) for p in pairs]
    return pairs, starts[0][0], stack([state for _, state in starts])


def epoch_options(model: ModuleType, config: Config, data: Dataset) -> dict[str, Any]:
    """What `make_epoch` needs from the model and the data, for this config."""
    return {
        "batch_size": config.batch_size[0], "has_aux": True, "eval_fn": model.evaluate, "prepare": data.prepare,
        "stochastic": getattr(model, "STOCHASTIC", False),
    }  # fmt: skip


def exact_figures(model: ModuleType, data: Dataset, per_model: bool) -> list[dict[str, float]] | None:
    """For models with a closed form (`solve`), what its exact solution scores on each run's data
    (`evaluate`'s figures, named "exact_<name>"), all runs in one compiled call; else None."""
    if not hasattr(model, "solve"):
        return None
    score = lambda d: model.evaluate(model.solve(d), d)
    figures = jax.device_get(jax.jit(jax.vmap(score) if per_model else score)(data))
    rows = (
        [{k: v[m] for k, v in figures.items()} for m in range(len(next(iter(figures.values()))))]
        if per_model
        else [figures]
    )
    return [{f"exact_{k}": float(v) for k, v in row.items()} for row in rows]
