"""Training, the `flax.training` of jaxlin: the train state, the compiled epoch, the epoch loop
(`fit_epochs`, `fit`), sweeps of many models in one compiled call, optimizers, the L-BFGS
solver, early stopping, checkpoints, devices and processes. Imports `ops` and `_util`.
"""

# fmt: off
from jaxlin.engine.checkpoint import (
    CheckpointError, load_checkpoint, load_metadata, load_params, restore_state, save_checkpoint, save_state,
)
from jaxlin.engine.distributed import Cluster, cluster_from, cluster_settings, join, leave
from jaxlin.engine.early_stopping import Best, best_in_history, keep_best, patience_ran_out
from jaxlin.engine.epoch import epoch_key, jit_epoch, make_epoch, make_train_step
from jaxlin.engine.lbfgs import Solution, SolveProgress, solve_chunks, solve_lbfgs
from jaxlin.engine.loop import Epoch, append_metrics, check_finite, fit, fit_epochs, train_epochs
from jaxlin.engine.objective import regularized_objective
from jaxlin.engine.optimizers import OPTIMIZERS, make_optimizer, sgd
from jaxlin.engine.parallel import (
    BatchSplitError, batch_sharding, check_batch_size, data_parallel_mesh, local, replicate,
)
from jaxlin.engine.sweep import (
    SweepResult, grid, jit_sweep_epoch, mark_diverged, split_history, stack, sweep, sweep_epochs, unstack,
)
from jaxlin.engine.train_state import EvalFn, FitResult, History, LossFn, TrainingDiverged, TrainState, init_state
# fmt: on

# fmt: off
__all__ = [
    "BatchSplitError", "Best", "CheckpointError", "Cluster", "Epoch", "EvalFn", "FitResult", "History", "LossFn",
    "OPTIMIZERS", "Solution", "SolveProgress", "SweepResult", "TrainState", "TrainingDiverged", "append_metrics",
    "batch_sharding", "best_in_history", "check_batch_size", "check_finite", "cluster_from", "cluster_settings",
    "data_parallel_mesh", "epoch_key", "fit", "fit_epochs", "grid", "init_state", "jit_epoch", "jit_sweep_epoch",
    "join", "keep_best", "leave", "load_checkpoint", "load_metadata", "load_params", "local", "make_epoch",
    "make_optimizer", "make_train_step", "mark_diverged", "patience_ran_out", "regularized_objective", "replicate",
    "restore_state", "save_checkpoint", "save_state", "sgd", "solve_chunks", "solve_lbfgs", "split_history",
    "stack", "sweep", "sweep_epochs", "train_epochs", "unstack",
]
# fmt: on
