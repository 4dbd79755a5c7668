"""Continuing a run from its checkpoint.npz: first what must match (checked before any data are
loaded), then the restore. A checkpoint that does not pass is left untouched."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax
import numpy as np

from jaxlin.engine.checkpoint import CheckpointError, load_checkpoint, load_metadata, restore_state
from jaxlin.engine.early_stopping import Best, best_in_history
from jaxlin.experiments.config import Config
from jaxlin.ops.order import EPOCH_ORDER


class ResumeError(Exception):
    """The checkpoint cannot be resumed; the message says why and what to do."""


def _show(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _pair(was, now) -> str:
    """`0.1 (now 0.2)`; as JSON where the two would print alike, e.g. the string "0.1" and 0.1."""
    was, now = _show(was), _show(now)
    if str(was) == str(now):
        was, now = json.dumps(was), json.dumps(now)
    return f"{was} (now {now})"


def _listed(value):
    """A setting as a list: checkpoints from before batch sizes could be swept hold a number."""
    return value if isinstance(value, list) else [value]


def _refuse_changes(path: Path, was: dict, now: dict) -> None:
    different = {k: v for k, v in now.items() if _listed(was.get(k)) != _listed(v)}
    if different:
        what = ", ".join(f"{k} {_pair(was.get(k), v)}" for k, v in different.items())
        raise ResumeError(
            f"Cannot resume: {path} was made with {what}. Resume with the same options, or choose another --output-dir."
        )


def _history_problem(history, epochs: int) -> str | None:
    """What is wrong with a saved history that must hold `epochs` finite numbers for each metric,
    the loss among them; None if nothing (the loop saves no NaN: it stops when the loss is one)."""
    if not isinstance(history, dict) or ("loss" not in history and epochs > 0):
        return "it has no history of the training loss"
    for name, values in history.items():
        if not isinstance(values, list) or len(values) != epochs:
            return f"its history of {name} does not cover its {epochs} epochs"
        for epoch, value in enumerate(values, start=1):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return f"its history of {name} holds {json.dumps(value)} at epoch {epoch}, not a number"
    return None


def check_checkpoint(path: Path, config: Config) -> dict:
    """The checkpoint's metadata, once it is known to be this configuration's run."""
    if not path.is_file():
        raise ResumeError(
            f"Cannot resume: {path.parent} holds no {path.name} (a run saves one after its "
            "first epoch; a sweep saves none). Start the run without --resume."
        )
    try:
        saved = load_metadata(path)
    except CheckpointError as err:
        raise ResumeError(f"Cannot resume: {err} It was left untouched; move it away to start afresh.") from None
    if not isinstance(saved.get("config"), dict):
        raise ResumeError(
            f"Cannot resume: {path} was not written by this version of jaxlin; "
            "it was left untouched. Start a new run in another --output-dir."
        )
    if saved.get("epoch_order") != EPOCH_ORDER:
        raise ResumeError(
            f"Cannot resume: {path} was made by an earlier jaxlin, whose epochs were shuffled by "
            "another random stream (before the sort-free index_shuffle); resumed now, the run would "
            "no longer match an uninterrupted one. It was left untouched; start the run afresh "
            "in another --output-dir."
        )
    _refuse_changes(path, saved["config"], config.identity())
    return saved


def restore(path: Path, config: Config, fresh, data, saved: dict):
    """The saved train state and history, shaped like the `fresh` state, on the same data."""
    _refuse_changes(path, {"data": saved.get("data")}, {"data": data.source})
    try:
        state, _ = restore_state(path, like=fresh)
    except CheckpointError as err:
        raise ResumeError(f"Cannot resume: {err} It was left untouched; move it away to start afresh.") from None
    if not np.array_equal(jax.random.key_data(state.key), jax.random.key_data(fresh.key)):
        raise ResumeError(
            f"Cannot resume: {path} holds another PRNG key than seed {config.seed[0]} gives; it was left untouched."
        )
    history, done = saved.get("history"), int(state.epoch)
    problem = "it has trained a negative number of epochs" if done < 0 else _history_problem(history, done)
    if problem:
        raise ResumeError(
            f"Cannot resume: {path} is inconsistent ({problem}); it was left untouched. Start afresh in another --output-dir."
        )
    if done > config.epochs:
        raise ResumeError(
            f"Cannot resume: {path} has trained {done} epochs, more than --epochs {config.epochs}; "
            f"pass --epochs {done} or more."
        )
    hyperparams = getattr(fresh.opt_state, "hyperparams", {})
    for name, value in hyperparams.items():
        if not np.array_equal(state.opt_state.hyperparams[name], value):
            was, now = np.asarray(state.opt_state.hyperparams[name]), np.asarray(value)
            raise ResumeError(
                f"Cannot resume: {path} holds {name} {was:.6g} in its optimizer state, not the "
                f"configured {now:.6g}; it was left untouched."
            )
    bad = sum(int(np.size(leaf) - np.isfinite(leaf).sum()) for leaf in jax.tree_util.tree_leaves(state.params))
    if bad:
        raise ResumeError(
            f"Cannot resume: {path} is damaged (its parameters hold {bad} NaN or infinite value(s)); it was left "
            "untouched. Start afresh in another --output-dir."
        )
    print(f"resuming after epoch {done} from {path}")
    return state, history


def restore_best(path: Path, state, history: dict, saved: dict) -> Best | None:
    """The best epoch of a resumed run that stops early: from its history, with its parameters
    from the checkpoint (saved with the state in the same file)."""
    found = best_in_history(history.get("valid_loss", []))
    if found is None:
        return None
    epoch, value = found
    if saved.get("best_epoch") != epoch:
        raise ResumeError(
            f"Cannot resume early stopping: {path} records best epoch {saved.get('best_epoch')}, "
            f"but its history says {epoch}; it was left untouched. Start afresh in another --output-dir."
        )
    try:
        trees, _ = load_checkpoint(path, {"best": state.params})
    except CheckpointError as err:
        raise ResumeError(f"Cannot resume early stopping: {err} Start afresh in another --output-dir.") from None
    return Best(epoch, value, trees["best"])
