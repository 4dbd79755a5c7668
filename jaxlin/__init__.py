"""jaxlin: Dive into Deep Learning's linear networks and multilayer perceptrons (chapters 3-4), the JAX way.

The package is built in layers, each a subpackage importing only from those before it:
`ops` (pure maths on arrays) -> `engine` (training) -> `data`, `models` -> `experiments` (the
frozen `Config` and the book's experiments) -> `plots` -> `cli` (`python -m jaxlin.train`). This
top level re-exports the names the book's sections, the README and the notebooks use.

`import jaxlin` loads jax and optax only; tensorflow-datasets and matplotlib are imported the
first time a name that needs them (`load_fashion_mnist`, the plots) is used.
"""

# first, before jax loads: a Ctrl-C while `python -m jaxlin.train` starts ends in one sentence
import jaxlin._util.starting  # noqa: F401

# fmt: off
from jaxlin._util.lazy import lazy_attributes
from jaxlin.data import (
    FASHION_MNIST_LABELS, DataError, Dataset, ShiftedData, covariate_shift, hold_out, image_batches, kfold,
    label_shift, load_dataset, polynomial_features, preprocess_images, synthetic_data, text_labels, to_device,
)
from jaxlin.engine import (
    OPTIMIZERS, Best, CheckpointError, Epoch, FitResult, Solution, SweepResult, TrainingDiverged, TrainState,
    data_parallel_mesh, epoch_key, fit, fit_epochs, init_state, keep_best, load_checkpoint, load_params, make_epoch,
    make_optimizer, make_train_step, regularized_objective, restore_state, save_checkpoint, save_state, sgd,
    solve_lbfgs, stack, sweep, train_epochs, unstack,
)
from jaxlin.experiments import (
    Config, CrossValidation, ShiftResult, correct_covariate_shift, correct_label_shift, cross_validate,
    data_size_curve, domain_classifier, exact_fits, make_config, solve_model, sweep_model, train_model,
)
from jaxlin.models import MODELS, get_model
from jaxlin.ops import (
    absolute_loss, accuracy, accuracy_at_coverage, accuracy_interval, affine, backprop_mlp, batch_indices,
    batched_affine, best_constant, binary_cross_entropy, check_weights, confusion_matrix, coverage_curve,
    cross_entropy, cross_entropy_between, decayed, dropout_layer, effective_sample_size, entropy,
    estimate_label_shift, evaluate, examples_needed, expected_calibration_error, fit_constant, fit_temperature,
    gaussian_nll, hoeffding_interval, huber_loss, importance_weights, index_shuffle, init_affine, kl_divergence,
    l1_penalty, l1_proximal, l2_penalty, label_distribution, label_shift_weights, laplace_nll, log_sigmoid,
    log_softmax, logsumexp, lstsq, minibatches, naive_sigmoid, naive_softmax, normal_interval, prelu, random_order,
    reliability_bins, relu, ridge, sigmoid, sigmoid_binary_cross_entropy, soft_threshold, softmax,
    softmax_cross_entropy, softplus, squared_loss, surprisal, weighted_mean, weights_only, with_weights,
    xavier_normal, xavier_uniform,
)
# fmt: on

__version__ = "0.1.0"

_PLOTS = ("LiveCurves", "plot_against", "plot_folds", "plot_history", "plot_reliability", "plot_shift", "plot_sweep",
          "prediction_grid", "show_images")  # fmt: skip
# name -> the subpackage that exports it, imported on first use (it needs tensorflow-datasets or matplotlib)
_LAZY_DATA = {"load_fashion_mnist": "jaxlin.data"}
_LAZY_PLOTS = {name: "jaxlin.plots" for name in _PLOTS}
__getattr__, __dir__ = lazy_attributes(__name__, globals(), {**_LAZY_DATA, **_LAZY_PLOTS})

# fmt: off
__all__ = [
    "Best", "CheckpointError", "Config", "CrossValidation", "DataError", "Dataset", "Epoch", "FASHION_MNIST_LABELS",
    "FitResult", "LiveCurves", "MODELS", "OPTIMIZERS", "ShiftResult", "ShiftedData", "Solution", "SweepResult",
    "TrainState", "TrainingDiverged", "absolute_loss", "accuracy", "accuracy_at_coverage", "accuracy_interval",
    "affine", "backprop_mlp", "batch_indices", "batched_affine", "best_constant", "binary_cross_entropy",
    "check_weights", "confusion_matrix", "correct_covariate_shift", "correct_label_shift", "covariate_shift",
    "coverage_curve", "cross_entropy", "cross_entropy_between", "cross_validate", "data_parallel_mesh",
    "data_size_curve", "decayed", "domain_classifier", "dropout_layer", "effective_sample_size", "entropy",
    "epoch_key", "estimate_label_shift", "evaluate", "exact_fits", "examples_needed", "expected_calibration_error",
    "fit", "fit_constant", "fit_epochs", "fit_temperature", "gaussian_nll", "get_model", "hoeffding_interval",
    "hold_out", "huber_loss", "image_batches", "importance_weights", "index_shuffle", "init_affine", "init_state",
    "keep_best", "kfold", "kl_divergence", "l1_penalty", "l1_proximal", "l2_penalty", "label_distribution",
    "label_shift", "label_shift_weights", "laplace_nll", "load_checkpoint", "load_dataset", "load_fashion_mnist",
    "load_params", "log_sigmoid", "log_softmax", "logsumexp", "lstsq", "make_config", "make_epoch",
    "make_optimizer", "make_train_step", "minibatches", "naive_sigmoid", "naive_softmax", "normal_interval",
    "plot_against", "plot_folds", "plot_history", "plot_reliability", "plot_shift", "plot_sweep",
    "polynomial_features", "prediction_grid", "prelu", "preprocess_images", "random_order", "regularized_objective",
    "reliability_bins", "relu", "restore_state", "ridge", "save_checkpoint", "save_state", "sgd", "show_images",
    "sigmoid", "sigmoid_binary_cross_entropy", "soft_threshold", "softmax", "softmax_cross_entropy", "softplus",
    "solve_lbfgs", "solve_model", "squared_loss", "stack", "surprisal", "sweep", "sweep_model", "synthetic_data",
    "text_labels", "to_device", "train_epochs", "train_model", "unstack", "weighted_mean", "weights_only",
    "with_weights", "xavier_normal", "xavier_uniform",
]
# fmt: on
