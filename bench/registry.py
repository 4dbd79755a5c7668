"""Every implementation and solver, by name: what the peers, mlp and solve sections run, each in its
own process (bench.worker), and the optional package each peer needs.

The implementations live in peers.py, numpy_expert.py, numpy_mlp.py, torch_expert.py and jaxlin_peer.py, which
import only bench.common; this module is the one that imports them. jaxlin's entries are imported
when run, never here: importing JAX takes over a second, which the other workers' "total wall"
would count.
"""

from __future__ import annotations

from bench.numpy_expert import numpy_softmax_expert
from bench.numpy_mlp import numpy_mlp
from bench.peers import numpy_linreg, numpy_softmax, sklearn_softmax, sklearn_solve, torch_linreg, torch_softmax
from bench.torch_expert import torch_mlp_expert, torch_softmax_expert


def _jaxlin(task: str, impl: str):
    """The worker entry for jaxlin's `impl` path of the registered model `task`."""

    def run(a):
        from bench.jaxlin_peer import jaxlin_peer  # imports JAX: only jaxlin's own workers pay for it

        return jaxlin_peer(task, impl, a.data_dir, a.tfds_dir, a.epochs)

    return run


def _jaxlin_solve(norm: str):
    def run(a):
        from bench.jaxlin_peer import jaxlin_solve  # imports JAX: only jaxlin's own worker pays for it

        return jaxlin_solve(a.data_dir, a.tfds_dir, a.book, norm)

    return run


# task (a model's registry name) -> implementation name -> run(worker arguments) -> result.
# The peers section runs softmax and linreg, the mlp section mlp (bench/peer_sections.py).
IMPLEMENTATIONS = {
    "softmax": {
        "jaxlin-concise": _jaxlin("softmax", "concise"),
        "jaxlin-scratch": _jaxlin("softmax", "scratch"),
        "numpy": lambda a: numpy_softmax(a.data_dir, a.epochs, a.book),
        "numpy-expert": lambda a: numpy_softmax_expert(a.data_dir, a.epochs, a.book),
        "pytorch-d2l": lambda a: torch_softmax(a.data_dir, a.epochs, a.book),
        "pytorch-expert": lambda a: torch_softmax_expert(a.data_dir, a.epochs, a.book),
        "sklearn-logreg": lambda a: sklearn_softmax(a.data_dir, a.epochs, "logreg"),
        "sklearn-sgd": lambda a: sklearn_softmax(a.data_dir, a.epochs, "sgd"),
    },
    "mlp": {
        "jaxlin-concise": _jaxlin("mlp", "concise"),
        "numpy": lambda a: numpy_mlp(a.data_dir, a.epochs, a.book),
        "pytorch-expert": lambda a: torch_mlp_expert(a.data_dir, a.epochs, a.book),
    },
    "linreg": {
        "jaxlin": _jaxlin("linreg", "scratch"),
        "numpy": lambda a: numpy_linreg(a.epochs, a.book),
        "pytorch-d2l": lambda a: torch_linreg(a.epochs, a.book),
    },
}
# The solvers of the "solve" section: name -> run(worker arguments; a.book holds its settings) -> result
# jaxlin twice: its own stopping rule (stricter) and sklearn's, so that like is timed against like.
SOLVERS = {
    "jaxlin-lbfgs": _jaxlin_solve("l2"),
    "jaxlin-lbfgs-max": _jaxlin_solve("max"),
    "sklearn-lbfgs": lambda a: sklearn_solve(a.data_dir, a.book),
}
TASKS = {**IMPLEMENTATIONS, "solve": SOLVERS}  # what bench.worker runs
REQUIRES = {
    "pytorch-d2l": "torch",
    "pytorch-expert": "torch",
    "sklearn-logreg": "sklearn",
    "sklearn-sgd": "sklearn",
    "sklearn-lbfgs": "sklearn",
}
