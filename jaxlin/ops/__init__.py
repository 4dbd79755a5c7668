"""Pure maths on arrays (D2L 3.x-4.x): affine maps, softmax and sigmoid, losses, metrics,
information and likelihood, intervals, calibration, regularization, per-example weights,
closed forms, shift-correction maths, the example order and the index shuffle; and chapter 4's
activations, dropout, initializers and backpropagation by hand. Imports nothing of jaxlin but `_util`.
"""

# fmt: off
from jaxlin.ops.activations import derivative, prelu, relu
from jaxlin.ops.affine import affine, batched_affine, init_affine
from jaxlin.ops.backprop import backprop_mlp, mlp_objective
from jaxlin.ops.calibration import (
    accuracy_at_coverage, coverage_curve, expected_calibration_error, fit_temperature, reliability_bins,
)
from jaxlin.ops.closed_form import lstsq, ridge
from jaxlin.ops.dropout import dropout_layer
from jaxlin.ops.example_weights import check_weights, checked_split, split_batch, weighted_mean, with_weights
from jaxlin.ops.index_shuffle import index_shuffle
from jaxlin.ops.initializers import normal, xavier_normal, xavier_uniform
from jaxlin.ops.information import cross_entropy_between, entropy, kl_divergence, surprisal
from jaxlin.ops.intervals import accuracy_interval, examples_needed, hoeffding_interval, normal_interval
from jaxlin.ops.likelihood import best_constant, fit_constant, gaussian_nll, laplace_nll
from jaxlin.ops.losses import absolute_loss, cross_entropy, huber_loss, softmax_cross_entropy, squared_loss
from jaxlin.ops.metrics import accuracy, correct, evaluate, evaluate_splits
from jaxlin.ops.minibatch import minibatches
from jaxlin.ops.order import EPOCH_ORDER, batch_indices, iter_batch_indices, random_order, take_examples
from jaxlin.ops.regularization import decayed, l1_penalty, l1_proximal, l2_penalty, soft_threshold, weights_only
from jaxlin.ops.shift_correction import (
    DEFAULT_CLIP, class_ratio, confusion_matrix, effective_sample_size, estimate_label_shift, importance_weights,
    label_distribution, label_shift_weights,
)
from jaxlin.ops.sigmoid import (
    binary_cross_entropy, log_sigmoid, naive_sigmoid, sigmoid, sigmoid_binary_cross_entropy, softplus,
)
from jaxlin.ops.softmax import log_softmax, logsumexp, naive_softmax, softmax
# fmt: on

# fmt: off
__all__ = [
    "DEFAULT_CLIP", "EPOCH_ORDER", "absolute_loss", "accuracy", "accuracy_at_coverage", "accuracy_interval",
    "affine", "backprop_mlp", "batch_indices", "batched_affine", "best_constant", "binary_cross_entropy",
    "check_weights", "checked_split", "class_ratio", "confusion_matrix", "correct", "coverage_curve",
    "cross_entropy", "cross_entropy_between", "decayed", "derivative", "dropout_layer", "effective_sample_size",
    "entropy", "estimate_label_shift", "evaluate", "evaluate_splits", "examples_needed",
    "expected_calibration_error", "fit_constant", "fit_temperature", "gaussian_nll", "hoeffding_interval",
    "huber_loss", "importance_weights", "index_shuffle", "init_affine", "iter_batch_indices", "kl_divergence",
    "l1_penalty", "l1_proximal", "l2_penalty", "label_distribution", "label_shift_weights", "laplace_nll",
    "log_sigmoid", "log_softmax", "logsumexp", "lstsq", "minibatches", "mlp_objective", "naive_sigmoid",
    "naive_softmax", "normal", "normal_interval", "prelu", "random_order", "reliability_bins", "relu", "ridge",
    "sigmoid", "sigmoid_binary_cross_entropy", "soft_threshold", "softmax", "softmax_cross_entropy", "softplus",
    "split_batch", "squared_loss", "surprisal", "take_examples", "weighted_mean", "weights_only", "with_weights",
    "xavier_normal", "xavier_uniform",
]
# fmt: on
