"""Continuing a run from its checkpoint.npz: first what must match (checked before any data are
loaded), then the restore. A checkpoint that does not pass is left untouched."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from jaxlin._util import checks
from jaxlin.engine.checkpoint import CheckpointError, load_checkpoint, load_metadata, restore_state
from jaxlin.engine.early_stopping import Best, best_in_history
from jaxlin.experiments.config import Config
from jaxlin.ops.order import EPOCH_ORDER


class ResumeError(Exception):
    """The checkpoint cannot be resumed; the message says why and what to do."""


def _show(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _listed(value):
    """A setting as a list: checkpoints from before batch sizes could be swept hold a number."""
    return value if isinstance(value, list) else [value]


def _refuse_changes(path: Path, was: dict, now: dict) -> None:
    different = {k: v for k, v in now.items() if _listed(was.get(k)) != _listed(v)}
    if different:
        what = ", ".join(f"{k} {_show(was.get(k))} (now {_show(v)})" for k, v in different.items())
        raise ResumeError(
            f"Cannot resume: {path} was made with {what}. Resume with the same options, or choose another --output-dir."
        )


def _covers(history, epochs: int) -> bool:
    """Whether a saved history holds `epochs` numbers for each metric, the loss among them."""
    return (
        isinstance(history, dict)
        and ("loss" in history or epochs == 0)
        and all(
            isinstance(v, list) and len(v) == epochs and all(isinstance(x, (int, float)) or x is None for x in v)
            for v in history.values()
        )
    )


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
    if done < 0 or not _covers(history, done):
        raise ResumeError(
            f"Cannot resume: {path} is inconsistent (its history does not cover its {done} "
            "epochs); it was left untouched. Start afresh in another --output-dir."
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
    try:
        checks.finite(f"{path}'s parameters", state.params)
    except ValueError as err:
        raise ResumeError(f"Cannot resume: {err}") from None
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
