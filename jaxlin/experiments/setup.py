"""A configured model, trained: the one generic path for every model in the registry.

`train_model(config)` runs one model to the end and `sweep_model(config)` every (learning rate,
seed) pair of the config together; both get the model by name, its data from the data layer and
its losses, evaluation and book settings from the model module, and never branch on which model
it is. `python -m jaxlin.train` uses the same pieces (`load_data`, `start`, `sweep_start`, `epoch_options`) in its
own loop, where it prints and checkpoints.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxlin.data import Dataset, load_dataset
from jaxlin.data.holdout import hold_out
from jaxlin.engine.lbfgs import Solution, regularized_objective, solve_lbfgs
from jaxlin.engine.optimizers import make_optimizer
from jaxlin.engine.sweep import SweepResult, grid, stack, sweep
from jaxlin.engine.training import FitResult, TrainState, fit, init_state
from jaxlin.experiments.config import SOLVERS, Config
from jaxlin.models import get_model


def load_data(config: Config, model: ModuleType | None = None) -> Dataset:
    """The model's dataset, from where the config says (random data drawn from `data_seed`), with
    the config's validation split held out (the same examples for the same `data_seed`), checked by
    the model (`check_data`: ValueError for values it must not train on)."""
    model = model or get_model(config.model)
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


def solve_model(config: Config, data: Dataset | None = None) -> Solution:
    """Solve the config's full-batch problem (`--optimizer lbfgs`): the mean training loss plus
    weight_decay · ½‖w‖² (λ = 0 without weight decay), minimised by L-BFGS to `config.tol` or
    `config.max_iter` iterations, from the parameters the config's seed initialises."""
    if config.optimizer not in SOLVERS:
        raise ValueError(
            f"solve_model runs a full-batch solver (optimizer lbfgs), not {config.optimizer}; use train_model."
        )
    model = get_model(config.model)
    data = checked_data(model, config, data)
    init_key, _ = jax.random.split(jax.random.key(config.seed[0]))  # as `start`: the same first parameters
    objective = regularized_objective(model.LOSSES[config.impl], data, (config.weight_decay or (0.0,))[0])
    return solve_lbfgs(objective, model.init(init_key), tol=config.tol, max_iter=config.max_iter)


def by_batch_size(config: Config) -> list[tuple[dict, Config]]:
    """A sweep cut into groups that train together, one per batch size (it changes the shapes, so
    each is its own compiled epoch): [({"batch_size": b} or {}, the config with that one batch size)]."""
    if len(config.batch_size) == 1:
        return [({}, config)]
    return [({"batch_size": b}, dataclasses.replace(config, batch_size=(b,))) for b in config.batch_size]


def sweep_start(model: ModuleType, config: Config) -> tuple[list[dict], optax.GradientTransformation, TrainState]:
    """Every run of the config (`runs`), the optimizer they share (each learning rate lives in
    its own optimizer state), and their first train states stacked along a model axis."""
    pairs = runs(config)
    starts = [start(model, config, p) for p in pairs]
    return pairs, starts[0][0], stack([state for _, state in starts])


def epoch_options(model: ModuleType, config: Config, data: Dataset) -> dict[str, Any]:
    """What `make_epoch` needs from the model and the data, for this config."""
    return {"batch_size": config.batch_size[0], "has_aux": True, "eval_fn": model.evaluate, "prepare": data.prepare}


def train_model(
    config: Config, data: Dataset | None = None, *, mesh: jax.sharding.Mesh | None = None, on_epoch=None
) -> FitResult:
    """Train the config's model (one run: use `sweep_model` for several learning rates, seeds or
    degrees, `cross_validate` for kfold) for `config.epochs` epochs, or until early stopping.

    Returns FitResult(state, history, best): history holds the training loss (and accuracy), and
    the model's end-of-epoch evaluation, one value per epoch; `state` is the last epoch's train
    state; with `config.early_stopping`, `best` holds the best epoch and its parameters (what the
    command saves as params.npz). `on_epoch(metrics)` is called after each epoch (e.g.
    `jaxlin.LiveCurves().update` draws the curves as they grow). Raises TrainingDiverged on a NaN/inf loss.
    """
    if config.is_sweep or config.kfold:
        raise ValueError("This config asks for several runs (a sweep or kfold): use sweep_model or cross_validate.")
    if config.optimizer in SOLVERS:
        raise ValueError("This config asks for a full-batch solver (lbfgs): use solve_model.")
    model = get_model(config.model)
    data = run_data(model, checked_data(model, config, data), runs(config)[0])
    optimizer, state = start(model, config)
    return fit(
        state.params,
        model.LOSSES[config.impl],
        optimizer,
        data.train,
        key=state.key,
        num_epochs=config.epochs,
        eval_data=data,
        mesh=mesh,
        patience=config.early_stopping,
        on_epoch=on_epoch,
        **epoch_options(model, config, data),
    )


def sweep_model(config: Config, data: Dataset | None = None) -> tuple[list[dict], SweepResult]:
    """Every (learning rate, seed) pair of the config trained together in one vmapped, compiled epoch.

    Returns the runs [{"lr", "seed", and e.g. "degree"}, ...] and the SweepResult; model m is the
    run that `train_model` gives for that run alone (equal to rounding).
    """
    if config.kfold or config.early_stopping:
        raise ValueError(
            "sweep_model trains every run to the end on all the training data: use "
            "cross_validate for kfold, train_model for early stopping."
        )
    model = get_model(config.model)
    data = checked_data(model, config, data)
    all_pairs, results = [], []
    for extra, group in by_batch_size(config):
        pairs, optimizer, states = sweep_start(model, group)
        group_data, per_model = sweep_data(model, group, data, pairs)
        results.append(
            sweep(
                states,
                model.LOSSES[config.impl],
                optimizer,
                group_data.train,
                num_epochs=config.epochs,
                eval_data=group_data,
                per_model_data=per_model,
                **epoch_options(model, group, data),
            )
        )
        all_pairs += [{**pair, **extra} for pair in pairs]
    state = jax.tree_util.tree_map(lambda *leaves: jnp.concatenate(leaves), *(r.state for r in results))
    histories, diverged = (sum((getattr(r, name) for r in results), []) for name in ("histories", "diverged"))
    return all_pairs, SweepResult(state, histories, diverged)


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
