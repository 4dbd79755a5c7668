"""jaxlin: linear neural networks (Dive into Deep Learning, chapter 3) the JAX way."""
from jaxlin.affine import affine, batched_affine, init_affine
from jaxlin.checkpoint import CheckpointError, load_checkpoint, load_params, save_checkpoint
from jaxlin.closed_form import lstsq
from jaxlin.data import (
    FASHION_MNIST_LABELS, DataError, batches, load_fashion_mnist, preprocess_images, text_labels, to_device,
)
from jaxlin.linear_regression import sweep_linear_regression, train_linear_regression
from jaxlin.losses import cross_entropy, huber_loss, softmax_cross_entropy, squared_loss
from jaxlin.metrics import accuracy, evaluate
from jaxlin.minibatch import batch_indices, minibatches
from jaxlin.optim import OPTIMIZERS, make_optimizer, sgd
from jaxlin.parallel import data_parallel_mesh
from jaxlin.plotting import plot_history, plot_sweep, prediction_grid, show_images
from jaxlin.softmax import log_softmax, logsumexp, naive_softmax, softmax
from jaxlin.softmax_regression import (
    init_softmax_regression, logits, sweep_softmax_regression, train_softmax_regression,
)
from jaxlin.sweep import SweepResult, sweep
from jaxlin.synthetic import synthetic_data
from jaxlin.training import FitResult, TrainingDiverged, epoch_key, fit, make_epoch, make_train_step

__version__ = "0.1.0"
