"""Save and load parameters (and whole training states) as .npz files, written atomically.

A checkpoint stores each array of a pytree under its path (e.g. "params/w") plus a JSON record
of metadata. `load_params` rebuilds a nested dict of arrays; `load_checkpoint` fills a template
pytree (e.g. a fresh optimizer state) and refuses one whose structure, shapes or dtypes differ.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import jax
import numpy as np

from jaxlin.atomic import write_atomically

_META = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not fit what it is loaded into."""


def _flatten(tree: Any, prefix: str) -> dict[str, np.ndarray]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {prefix + jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves}


def save_checkpoint(path: str | os.PathLike, trees: dict[str, Any], metadata: dict | None = None) -> Path:
    """Save named pytrees, e.g. {"params": params, "opt_state": state}, with JSON metadata."""
    arrays = {}
    for name, tree in trees.items():
        arrays.update(_flatten(tree, name))
    arrays[_META] = np.frombuffer(json.dumps(metadata or {}).encode(), np.uint8)
    return write_atomically(path, lambda f: np.savez(f, **arrays))


def _open(path: str | os.PathLike) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        with np.load(path) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise CheckpointError(f"{path} is not a readable checkpoint ({err}); it is corrupt or truncated.") from None


def load_metadata(path: str | os.PathLike) -> dict:
    return json.loads(_open(path)[_META].tobytes().decode())


def load_params(path: str | os.PathLike) -> dict[str, Any]:
    """The "params" saved in a checkpoint, as a nested dict of arrays (e.g. {"w": ..., "b": ...})."""
    arrays = _open(path)
    params: dict[str, Any] = {}
    for key, value in arrays.items():
        if not key.startswith("params["):
            continue
        names = [part.strip("'\"") for part in key[len("params["):-1].split("][")]
        node = params
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = jax.numpy.asarray(value)
    if not params:
        raise CheckpointError(f"{path} holds no parameters.")
    return params


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
            if arrays[key].shape != like.shape or arrays[key].dtype != like.dtype:
                raise CheckpointError(
                    f"{path} does not match this run: {key} is {arrays[key].dtype}{list(arrays[key].shape)}, "
                    f"expected {like.dtype}{list(like.shape)} (another model, optimizer or option?)."
                )
        leaves, treedef = jax.tree_util.tree_flatten(template)
        trees[name] = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(arrays[k]) for k in expected])
    return trees, json.loads(arrays[_META].tobytes().decode())
