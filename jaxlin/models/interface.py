"""What every model module exposes: the one interface the command, sweeps and bench/ rely on.

A model is a module (see `jaxlin.models.softmax_regression`) with:

- ``BOOK``: its book settings, a frozen `Book` (learning rate, batch size, epochs);
- ``DATASET``: the name of the dataset it trains on, in `jaxlin.data.DATASETS`;
- ``init(key) -> params``: fresh parameters;
- ``LOSSES``: {"scratch": loss, "concise": loss}, each loss(params, batch) -> (mean loss over
  the batch, {name: batch-mean metric}); batches are prepared (f32 inputs);
- ``evaluate(params, data) -> {name: f32[]}``: the end-of-epoch figures on a `Dataset`,
  jit-able (the engine runs it inside the compiled epoch);
- ``predict(params, x) -> predictions`` for prepared inputs (class ids, or values);
- ``check_data(data)``: raise ValueError for data it must not train on (NaN, labels out of range),
  since inside compiled code a wrong value cannot raise;
- ``summarize(params, data) -> {name: float or list of floats}``: figures worth reporting once
  after training.

Optional:

- ``OPTIONS``: the model's own options and their defaults, e.g. {"degree": 3}, and
  ``with_options(data, **options) -> Dataset``: the data a run with those options trains on (same
  shapes for every value, so that runs with different values train together, each on its own copy);
- ``solve(data) -> params``: a closed-form solution on the training split, scored beside SGD.

Models take float32 inputs and never load data: the data layer gives them a `Dataset`.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

IMPLEMENTATIONS = ("scratch", "concise")


class Book(NamedTuple):
    """The book's settings for a model: what the command uses unless told otherwise."""

    learning_rate: float
    batch_size: int
    num_epochs: int


@runtime_checkable
class Model(Protocol):
    BOOK: Book
    DATASET: str
    LOSSES: dict[str, Any]

    def init(self, key) -> Any: ...
    def evaluate(self, params, data) -> dict: ...
    def predict(self, params, x) -> Any: ...
    def check_data(self, data) -> None: ...
    def summarize(self, params, data) -> dict: ...
