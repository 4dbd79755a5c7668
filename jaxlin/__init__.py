"""jaxlin: linear neural networks (Dive into Deep Learning, chapter 3) the JAX way.

`import jaxlin` loads jax and optax only; tensorflow-datasets and matplotlib are imported the
first time a name that needs them (`load_fashion_mnist`, the plots) is used.
"""

import importlib

from jaxlin.data import (
    FASHION_MNIST_LABELS,
    DataError,
    Dataset,
    hold_out,
    image_batches,
    load_dataset,
    polynomial_features,
    preprocess_images,
    synthetic_data,
    text_labels,
    to_device,
)
from jaxlin.data.holdout import kfold
from jaxlin.data.shift import ShiftedData, covariate_shift, label_shift
from jaxlin.engine.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_params,
    restore_state,
    save_checkpoint,
    save_state,
)
from jaxlin.engine.early_stopping import Best, keep_best
from jaxlin.engine.lbfgs import Solution, regularized_objective, solve_lbfgs
from jaxlin.engine.optimizers import OPTIMIZERS, make_optimizer, sgd
from jaxlin.engine.parallel import data_parallel_mesh
from jaxlin.engine.sweep import SweepResult, stack, sweep, unstack
from jaxlin.engine.training import (
    FitResult,
    TrainingDiverged,
    TrainState,
    epoch_key,
    fit,
    init_state,
    make_epoch,
    make_train_step,
    train_epochs,
)
from jaxlin.experiments.config import Config, make_config
from jaxlin.experiments.crossval import CrossValidation, cross_validate
from jaxlin.experiments.distribution_shift import (
    ShiftResult,
    correct_covariate_shift,
    correct_label_shift,
    domain_classifier,
)
from jaxlin.experiments.generalization import data_size_curve, exact_fits
from jaxlin.experiments.setup import solve_model, sweep_model, train_model
from jaxlin.models import MODELS, get_model
from jaxlin.ops.affine import affine, batched_affine, init_affine
from jaxlin.ops.calibration import (
    accuracy_at_coverage,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
from jaxlin.ops.closed_form import lstsq, ridge
from jaxlin.ops.example_weights import check_weights, weighted_mean, with_weights
from jaxlin.ops.index_shuffle import index_shuffle
from jaxlin.ops.information import cross_entropy_between, entropy, kl_divergence, surprisal
from jaxlin.ops.intervals import accuracy_interval, examples_needed, hoeffding_interval, normal_interval
from jaxlin.ops.likelihood import best_constant, fit_constant, gaussian_nll, laplace_nll
from jaxlin.ops.losses import absolute_loss, cross_entropy, huber_loss, softmax_cross_entropy, squared_loss
from jaxlin.ops.metrics import accuracy, evaluate
from jaxlin.ops.minibatch import minibatches
from jaxlin.ops.order import batch_indices, random_order
from jaxlin.ops.regularization import decayed, l1_penalty, l1_proximal, l2_penalty, soft_threshold, weights_only
from jaxlin.ops.shift_correction import (
    confusion_matrix,
    effective_sample_size,
    estimate_label_shift,
    importance_weights,
    label_distribution,
    label_shift_weights,
)
from jaxlin.ops.sigmoid import (
    binary_cross_entropy,
    log_sigmoid,
    naive_sigmoid,
    sigmoid,
    sigmoid_binary_cross_entropy,
    softplus,
)
from jaxlin.ops.softmax import log_softmax, logsumexp, naive_softmax, softmax
from jaxlin.plots.progress import LiveCurves

__version__ = "0.1.0"

_LAZY = {  # name -> the module that defines it, imported on first use (it needs tfds or matplotlib)
    "load_fashion_mnist": "jaxlin.data.fashion_mnist",
    "plot_history": "jaxlin.plots.figures",
    "plot_sweep": "jaxlin.plots.sweeps",
    "plot_against": "jaxlin.plots.sweeps",
    "plot_folds": "jaxlin.plots.sweeps",
    "prediction_grid": "jaxlin.plots.figures",
    "show_images": "jaxlin.plots.figures",
    "plot_reliability": "jaxlin.plots.figures",
    "plot_shift": "jaxlin.plots.shift",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jaxlin' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
