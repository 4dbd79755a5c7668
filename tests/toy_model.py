"""A model written for the test suite only, to show that a new model is one module plus one
registry line: robust (Huber) linear regression on a noisy line with outliers, and its data."""

import jax
import jax.numpy as jnp
import optax

import jaxlin
from jaxlin.data import Dataset
from jaxlin.models import Book

BOOK = Book(learning_rate=0.1, batch_size=8, num_epochs=20)
DATASET = "toy_line"
TRUE_W, TRUE_B = 3.0, -1.0


def toy_line(key, *, source_dir=None, tfds_dir=None) -> Dataset:
    """y = 3x − 1 + noise, every tenth label thrown far off: 200 train and 50 test examples."""
    del source_dir, tfds_dir

    def split(key, n):
        kx, kn = jax.random.split(key)
        X = jax.random.uniform(kx, (n, 1), minval=-1.0, maxval=1.0)
        y = TRUE_W * X[:, 0] + TRUE_B + 0.05 * jax.random.normal(kn, (n,))
        return X, y.at[::10].add(20.0)

    train_key, test_key = jax.random.split(key)
    return Dataset(
        train=split(train_key, 200),
        test=split(test_key, 50),
        truth={"w": jnp.float32(TRUE_W), "b": jnp.float32(TRUE_B)},
    )


def init(key):
    return jaxlin.init_affine(key, 1, 1)


def predict(params, X):
    return jaxlin.batched_affine(params, X)[:, 0]


def scratch_loss(params, batch):
    X, y = batch
    return jaxlin.huber_loss(predict(params, X), y).mean(), {}


def concise_loss(params, batch):
    X, y = batch
    return optax.huber_loss(predict(params, X), y).mean(), {}


LOSSES = {"scratch": scratch_loss, "concise": concise_loss}


def evaluate(params, data):
    return {"test_loss": scratch_loss(params, data.test)[0]}


def check_data(data):
    jaxlin._util.checks.finite("the data", (data.train, data.test))


def summarize(params, data):
    return {
        "w_error": float(abs(params["w"][0, 0] - data.truth["w"])),
        "b_error": float(abs(params["b"][0] - data.truth["b"])),
    }
