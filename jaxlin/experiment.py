"""A configured model, trained: the one generic path for every model in the registry.

`train_model(config)` runs one model to the end and `sweep_model(config)` every (learning rate,
seed) pair of the config together; both get the model by name, its data from the data layer and
its losses, evaluation and book settings from the model module, and never branch on which model
it is. `python -m jaxlin.train` uses the same pieces (`load_data`, `start`, `sweep_start`, `epoch_options`) in its
own loop, where it prints and checkpoints.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import jax
import optax

from jaxlin.config import Config
from jaxlin.data import Dataset, load_dataset
from jaxlin.models import get_model
from jaxlin.optim import make_optimizer
from jaxlin.sweep import SweepResult, grid, stack, sweep
from jaxlin.training import FitResult, TrainState, fit, init_state


def load_data(config: Config, model: ModuleType | None = None) -> Dataset:
    """The model's dataset, from where the config says (random data drawn from `data_seed`),
    checked by the model (`check_data`: ValueError for values it must not train on)."""
    model = model or get_model(config.model)
    data = load_dataset(model.DATASET, jax.random.key(config.data_seed),
                        source_dir=config.data_dir, tfds_dir=config.tfds_dir)
    model.check_data(data)
    return data


def _checked(model: ModuleType, config: Config, data: Dataset | None) -> Dataset:
    if data is None:
        return load_data(config, model)
    model.check_data(data)
    return data


def start(model: ModuleType, config: Config, lr: float | None = None,
          seed: int | None = None) -> tuple[optax.GradientTransformation, TrainState]:
    """A run's optimizer (learning rate in its state) and first train state, from its seed: one
    key to initialise the parameters, one to shuffle. lr and seed default to the config's first."""
    lr, seed = config.lr[0] if lr is None else lr, config.seed[0] if seed is None else seed
    init_key, shuffle_key = jax.random.split(jax.random.key(seed))
    optimizer = make_optimizer(config.optimizer, lr)
    return optimizer, init_state(model.init(init_key), optimizer, shuffle_key)


def sweep_start(model: ModuleType, config: Config) -> tuple[list[dict], optax.GradientTransformation, TrainState]:
    """Every (learning rate, seed) pair of the config, the optimizer they share (each learning
    rate lives in its own optimizer state), and their first train states stacked along a model axis."""
    pairs = grid(config.lr, config.seed)
    starts = [start(model, config, p["lr"], p["seed"]) for p in pairs]
    return pairs, starts[0][0], stack([state for _, state in starts])


def epoch_options(model: ModuleType, config: Config, data: Dataset) -> dict[str, Any]:
    """What `make_epoch` needs from the model and the data, for this config."""
    return {"batch_size": config.batch_size, "has_aux": True, "eval_fn": model.evaluate,
            "prepare": data.prepare}


def train_model(config: Config, data: Dataset | None = None, *, mesh: jax.sharding.Mesh | None = None) -> FitResult:
    """Train the config's model (its first learning rate and seed) for `config.epochs` epochs.

    Returns FitResult(state, history): history holds the training loss (and accuracy), and the
    model's end-of-epoch evaluation, one value per epoch. Raises TrainingDiverged on a NaN/inf loss.
    """
    model = get_model(config.model)
    data = _checked(model, config, data)
    optimizer, state = start(model, config)
    return fit(state.params, model.LOSSES[config.impl], optimizer, data.train, key=state.key,
               num_epochs=config.epochs, eval_data=data, mesh=mesh, **epoch_options(model, config, data))


def sweep_model(config: Config, data: Dataset | None = None) -> tuple[list[dict], SweepResult]:
    """Every (learning rate, seed) pair of the config trained together in one vmapped, compiled epoch.

    Returns the pairs [{"lr", "seed"}, ...] and the SweepResult; model m is the run that
    `train_model` gives for that pair alone (equal to rounding).
    """
    model = get_model(config.model)
    data = _checked(model, config, data)
    pairs, optimizer, states = sweep_start(model, config)
    return pairs, sweep(states, model.LOSSES[config.impl], optimizer, data.train, num_epochs=config.epochs,
                        eval_data=data, **epoch_options(model, config, data))
