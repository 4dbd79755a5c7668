"""Rerunning and resuming without retyping: the settings of a run, read back from its folder, as
the base that the options given on the command line override.

`--config RUN` takes them from RUN/metrics.json (written when a run ends), or from
RUN/checkpoint.npz (saved every few seconds and when a run is stopped, so an interrupted run has one
too); `--resume --output-dir RUN` takes them from the same files of the run it continues. Some settings are never
carried over (`NOT_CARRIED`): a rerun gets a new folder unless --output-dir names one, and the
processes of a run across hosts are given anew by each command.
"""

from __future__ import annotations

import json
from pathlib import Path

from jaxlin.engine.checkpoint import CheckpointError, load_metadata

METRICS, CHECKPOINT = "metrics.json", "checkpoint.npz"
NOT_CARRIED = ("output_dir", "resume", "coordinator", "num_processes", "process_id")
_SOLVER_SETTINGS = ("tol", "max_iter")


class RerunError(Exception):
    """The saved settings cannot be read; the message says why and what to do."""


def saved_settings(path: Path) -> tuple[Path, dict]:
    """--config PATH: (the file read, the run's settings as `Config.to_json` wrote them), from a
    run's folder (its metrics.json, else its checkpoint.npz), a metrics.json or a checkpoint.npz."""
    if path.is_dir():
        found = [path / name for name in (METRICS, CHECKPOINT) if (path / name).is_file()]
        if not found:
            raise RerunError(f"--config {path}: the folder holds no {METRICS} or {CHECKPOINT}; give a run's folder.")
        path = found[0]
    elif not path.is_file():
        raise RerunError(f"--config {path} does not exist; give a run's folder or its {METRICS}.")
    return path, (_from_checkpoint(path) if path.suffix == ".npz" else _from_metrics(path))


def resumed_settings(folder: Path) -> tuple[Path, dict] | None:
    """--resume: the settings of the run in `folder`, from its metrics.json, else its
    checkpoint.npz; None if it has neither or the checkpoint is unreadable (the resume itself
    then says what is wrong)."""
    if (folder / METRICS).is_file():
        return folder / METRICS, _from_metrics(folder / METRICS)
    try:
        return folder / CHECKPOINT, _from_checkpoint(folder / CHECKPOINT)
    except RerunError:
        return None


def merged(saved: dict, options: dict, given: set[str], *, resume: bool = False) -> dict:
    """make_config's settings: the `saved` ones (less `NOT_CARRIED`), overridden by the `given`
    ones of `options` (the command line's, defaults included); those never carried over come from
    `options` always. Another --model is refused (RerunError: the saved book settings would be
    stale); resumed, the options alone are taken, and the checkpoint refuses them with its reason."""
    if "model" in given and options["model"] != saved.get("model"):
        if resume:
            return options
        raise RerunError(
            f"--model {options['model']} differs from the saved run's model ({saved.get('model')}), whose book "
            "settings it holds; start a new run without --config."
        )
    settings = {k: v for k, v in saved.items() if k not in NOT_CARRIED}
    if "optimizer" in given:  # the solver's own settings go with the solver
        settings = {k: v for k, v in settings.items() if k not in _SOLVER_SETTINGS}
    if isinstance(settings.get("hidden"), list):  # JSON lists back to the networks' tuples
        settings["hidden"] = tuple(tuple(h) if isinstance(h, list) else h for h in settings["hidden"])
    return {**settings, **{k: v for k, v in options.items() if k in given or k in NOT_CARRIED}}


def _strict(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _from_metrics(path: Path) -> dict:
    try:
        summary = json.loads(path.read_text(encoding="utf-8"), parse_constant=_strict)
    except OSError as err:
        raise RerunError(f"Cannot read {path}: {err.strerror or err}.") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, NaN
        raise RerunError(f"{path} is damaged ({err}); give another run, or the options themselves.") from None
    config = summary.get("config") if isinstance(summary, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise RerunError(f"{path} holds no run's config (it was not written by jaxlin); give another run's folder.")
    return config


def _from_checkpoint(path: Path) -> dict:
    try:
        saved = load_metadata(path)
    except (CheckpointError, OSError) as err:
        raise RerunError(f"Cannot read the settings in {path}: {err}") from None
    for key in ("settings", "config"):  # "config" alone (what a run is, not how long): older checkpoints
        if isinstance(saved.get(key), dict) and isinstance(saved[key].get("model"), str):
            return saved[key]
    raise RerunError(f"{path} holds no run's config (it was not written by this jaxlin); give another run.")
