"""The models, by name: `get_model("softmax")` imports `jaxlin.models.softmax_regression`.

Adding a model is one module that follows `jaxlin.models.interface` plus one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from jaxlin.models.interface import IMPLEMENTATIONS, Book, Model

MODELS = {
    "softmax": "jaxlin.models.softmax_regression",
    "linreg": "jaxlin.models.linear_regression",
    "polynomial": "jaxlin.models.polynomial_regression",
    "highdim": "jaxlin.models.high_dim_regression",
    "logistic": "jaxlin.models.logistic_regression",
    "mlp": "jaxlin.models.mlp",
}


def get_model(name: str) -> ModuleType:
    """The model module registered as `name`; raises ValueError naming the registered ones."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; the registered ones are {', '.join(MODELS)}.")
    return importlib.import_module(MODELS[name])


__all__ = ["IMPLEMENTATIONS", "MODELS", "Book", "Model", "get_model"]
