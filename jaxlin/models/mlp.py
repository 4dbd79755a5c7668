"""Multilayer perceptrons on Fashion-MNIST, D2L 4.2 (from scratch) and 4.3 (concise), with dropout (4.6).

The book's network is 784 → 256 ReLU units → 10 logits, weights N(0, 0.01²), zero biases, SGD at
lr 0.1 for 10 epochs. `configure(hidden=(256, 128), activation="tanh", init="xavier",
dropout=(0.2, 0.5))` gives another network behind the same model interface; the module's own
functions are the book's network. The scratch path writes ReLU as `jnp.maximum(x, 0)` and dropout
as `dropout_layer`; the concise path uses `jax.nn` and optax's cross-entropy. The two compute the
same function, so from the same key they reach the same parameters.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import optax

from jaxlin.models.classification import check_image_splits
from jaxlin.models.interface import Book
from jaxlin.ops.activations import prelu, relu
from jaxlin.ops.dropout import dropout_layer
from jaxlin.ops.example_weights import split_batch, weighted_mean
from jaxlin.ops.initializers import normal, xavier_uniform
from jaxlin.ops.metrics import correct, evaluate_splits

BOOK = Book(learning_rate=0.1, batch_size=256, num_epochs=10)
DATASET = "fashion_mnist"
ARCHITECTURE = {"hidden": (256,), "activation": "relu", "init": "normal", "dropout": ()}
ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "prelu")
INIT_NAMES = ("normal", "xavier")
NUM_INPUTS, NUM_OUTPUTS = 28 * 28, 10
PRELU_SLOPE = 0.25  # pReLU's first slope (He et al., 2015)
Params = dict  # {"layers": [{"w": f32[in, out], "b": f32[out]}, ...], and "slopes": f32[hidden layers] for prelu}

_CONCISE = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}
_SCRATCH = {"relu": relu, "sigmoid": lambda x: 1 / (1 + jnp.exp(-x)), "tanh": jnp.tanh}


def _init(hidden: tuple[int, ...], activation: str, init: str, key: jax.Array) -> Params:
    widths = (NUM_INPUTS, *hidden, NUM_OUTPUTS)
    draw = xavier_uniform if init == "xavier" else normal
    keys = jax.random.split(key, len(widths) - 1)
    layers = [
        {"w": draw(k, (n_in, n_out)), "b": jnp.zeros((n_out,), jnp.float32)}
        for k, n_in, n_out in zip(keys, widths[:-1], widths[1:], strict=True)
    ]
    params: Params = {"layers": layers}
    if activation == "prelu":
        params["slopes"] = jnp.full((len(hidden),), PRELU_SLOPE, jnp.float32)
    return params


def _hidden_unit(activation: str, scratch: bool, params: Params, layer: int):
    if activation == "prelu":
        return lambda z: prelu(z, params["slopes"][layer])
    return (_SCRATCH if scratch else _CONCISE)[activation]


def _logits(activation: str, dropout: tuple[float, ...], scratch: bool, params: Params, images, key=None):
    """f32[n, 28, 28] in [0, 1] -> f32[n, 10]; dropout after each hidden layer when given a key."""
    h = images.reshape(images.shape[0], -1)
    *hidden, last = params["layers"]
    for i, layer in enumerate(hidden):
        h = _hidden_unit(activation, scratch, params, i)(h @ layer["w"] + layer["b"])
        if key is not None and i < len(dropout) and dropout[i] > 0:
            h = dropout_layer(jax.random.fold_in(key, i), h, dropout[i])
    return h @ last["w"] + last["b"]


def _loss(activation: str, dropout: tuple[float, ...], scratch: bool, params: Params, batch, key=None):
    images, labels, weights = split_batch(batch)
    o = _logits(activation, dropout, scratch, params, images, key)
    loss = optax.softmax_cross_entropy_with_integer_labels(o, labels)
    return weighted_mean(loss, weights), {"accuracy": weighted_mean(correct(o, labels), weights)}


def check_data(data) -> None:
    """Refuse a missing train or test split, images that are not 28 x 28, non-finite pixels and
    labels outside 0..9 (ValueError)."""
    check_image_splits(data, NUM_OUTPUTS, name="The MLP", required=("train", "test"))


def summarize(params: Params, data) -> dict[str, float]:
    """Nothing beyond the per-epoch figures (the command adds calibration for every model with `logits`)."""
    del params, data
    return {}


@functools.cache
def configure(
    hidden: tuple[int, ...] = (256,), activation: str = "relu", init: str = "normal", dropout: tuple[float, ...] = ()
) -> SimpleNamespace:
    """The network with these hidden widths, activation, initialisation ("normal": N(0, 0.01²);
    "xavier": Xavier uniform) and dropout rates (one per hidden layer, from the first), behind the
    model interface. Its losses take a key (`STOCHASTIC`) when a rate is above 0. Arguments are
    checked by `make_config`; configure(...) with the same arguments is the same object."""
    logits = functools.partial(_logits, activation, (), False)
    losses = {impl: functools.partial(_loss, activation, dropout, impl == "scratch") for impl in ("scratch", "concise")}

    def per_example(params: Params, batch) -> dict[str, jax.Array]:
        images, labels, _ = split_batch(batch)
        o = logits(params, images)
        return {"loss": optax.softmax_cross_entropy_with_integer_labels(o, labels), "accuracy": correct(o, labels)}

    return SimpleNamespace(
        BOOK=BOOK, DATASET=DATASET, ARCHITECTURE=ARCHITECTURE, ACTIVATION_NAMES=ACTIVATION_NAMES, INIT_NAMES=INIT_NAMES,
        STOCHASTIC=any(rate > 0 for rate in dropout), LOSSES=losses, configure=configure,
        init=functools.partial(_init, hidden, activation, init),
        logits=logits,
        predict=lambda params, images: logits(params, images).argmax(-1),
        evaluate=lambda params, data, batch_size=2048: evaluate_splits(per_example, params, data, batch_size=batch_size),
        check_data=check_data, summarize=summarize,
    )  # fmt: skip


_BOOK_NETWORK = configure()
STOCHASTIC, LOSSES = _BOOK_NETWORK.STOCHASTIC, _BOOK_NETWORK.LOSSES
init, logits, predict, evaluate = (
    _BOOK_NETWORK.init,
    _BOOK_NETWORK.logits,
    _BOOK_NETWORK.predict,
    _BOOK_NETWORK.evaluate,
)
