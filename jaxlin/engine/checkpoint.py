"""Save and restore train states and parameters as .npz files, written atomically.

A checkpoint stores each array of one or more named pytrees under its path (e.g. "params['w']",
"opt_state[0].mu['b']", "key") plus a JSON record of metadata. `save_state` and `restore_state`
do this for a whole `TrainState`; `load_params` rebuilds a nested dict of the parameters;
`load_checkpoint` fills template pytrees (e.g. a fresh train state) and refuses a file whose
structure, shapes or dtypes differ. PRNG keys are stored as their raw key data.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import jax
import numpy as np

from jaxlin._util.atomic import strict, write_atomically

_META = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not fit what it is loaded into."""


def _is_key(leaf) -> bool:
    return jax.dtypes.issubdtype(getattr(leaf, "dtype", None), jax.dtypes.prng_key)


def _flatten(tree: Any, prefix: str) -> dict[str, Any]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {prefix + jax.tree_util.keystr(path): leaf for path, leaf in leaves}


def _stored(leaf) -> np.ndarray:
    return np.asarray(jax.random.key_data(leaf) if _is_key(leaf) else leaf)


def save_checkpoint(path: str | os.PathLike, trees: dict[str, Any], metadata: dict | None = None) -> Path:
    """Save named pytrees, e.g. {"params": params, "opt_state": state}, with JSON metadata."""
    arrays: dict[str, np.ndarray] = {}
    for name, tree in trees.items():
        arrays.update({k: _stored(leaf) for k, leaf in _flatten(tree, name).items()})
    arrays[_META] = np.frombuffer(json.dumps(strict(metadata or {}), allow_nan=False).encode(), np.uint8)
    # mypy matches **arrays against savez's `allow_pickle: bool` too, though every key here is an array's path.
    return write_atomically(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def _open(path: str | os.PathLike) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    if not zipfile.is_zipfile(path):  # np.load would take it for a pickle, and its error suggest an unsafe load
        raise CheckpointError(
            f"{path} is not a jaxlin checkpoint (an .npz file written by save_checkpoint): it is corrupt or "
            "truncated, or another kind of file."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        # a jaxlin checkpoint holds no pickled objects: never hint at loading them
        why = "" if "pickle" in str(err) else f" ({err})"
        raise CheckpointError(f"{path} is not a readable checkpoint{why}; it is corrupt or truncated.") from None


def _metadata(path, arrays: dict[str, np.ndarray]) -> dict:
    try:
        metadata = json.loads(arrays[_META].tobytes().decode())
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path} has no readable metadata; it is corrupt or not a jaxlin checkpoint.") from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path} has metadata of the wrong form; it is corrupt or not a jaxlin checkpoint.")
    return metadata


def load_metadata(path: str | os.PathLike) -> dict:
    """The JSON metadata saved with a checkpoint (a dict); CheckpointError if it is unreadable."""
    return _metadata(path, _open(path))


def load_params(path: str | os.PathLike) -> dict[str, Any]:
    """The "params" saved in a checkpoint, as a nested dict of arrays (e.g. {"w": ..., "b": ...})."""
    arrays = _open(path)
    params: dict[str, Any] = {}
    for key, value in arrays.items():
        if not key.startswith("params["):
            continue
        names = [part.strip("'\"") for part in key[len("params[") : -1].split("][")]
        node = params
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = jax.numpy.asarray(value)
    if not params:
        raise CheckpointError(f"{path} holds no parameters.")
    return params


def _restore(saved: np.ndarray, like):
    if _is_key(like):
        return jax.random.wrap_key_data(jax.numpy.asarray(saved), impl=jax.random.key_impl(like))
    return jax.numpy.asarray(saved)


def load_checkpoint(path: str | os.PathLike, templates: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """Fill each template pytree with the saved arrays; returns (trees, metadata).

    Raises CheckpointError when an array is missing or its shape or dtype differs from the template,
    i.e. the checkpoint comes from another model or optimizer.
    """
    arrays = _open(path)
    trees = {}
    for name, template in templates.items():
        expected = _flatten(template, name)
        missing = sorted(set(expected) - set(arrays))
        if missing:
            raise CheckpointError(f"{path} does not match this run: it has no {', '.join(missing[:3])}.")
        for key, like in expected.items():
            like = _stored(like)
            if arrays[key].shape != like.shape or arrays[key].dtype != like.dtype:
                raise CheckpointError(
                    f"{path} does not match this run: {key} is {arrays[key].dtype}{list(arrays[key].shape)}, "
                    f"expected {like.dtype}{list(like.shape)} (another model, optimizer or option?)."
                )
        treedef = jax.tree_util.tree_structure(template)
        trees[name] = jax.tree_util.tree_unflatten(treedef, [_restore(arrays[k], like) for k, like in expected.items()])
    return trees, _metadata(path, arrays)


def save_state(path: str | os.PathLike, state, metadata: dict | None = None, extras: dict | None = None) -> Path:
    """Save a whole `TrainState` (params, opt_state, key, epoch), atomically, with any `extras`
    pytrees (e.g. {"best": the best epoch's params}) in the same file."""
    return save_checkpoint(path, {**state._asdict(), **(extras or {})}, metadata)


def restore_state(path: str | os.PathLike, like):
    """The `TrainState` saved at `path`, shaped like the state `like` (e.g. a fresh one); returns
    (state, metadata). Raises CheckpointError when the file does not fit `like`."""
    trees, metadata = load_checkpoint(path, like._asdict())
    return type(like)(**trees), metadata
