"""One frozen configuration of an experiment, built once: the model's book settings and the options.

`make_config("softmax", impl="scratch")` gives the book's run of a model, with any setting
overridden; `python -m jaxlin.train` builds the same object from its command line. Fields without
the "how" mark say *what* a run is (a resumed run must match them all); the others say *how* it is
carried out and may change between a run and its `--resume`. The book settings live in the model
modules only (`BOOK`), so a Config has no defaults of its own for them: build it with `make_config`.
"""

from __future__ import annotations

import dataclasses

from jaxlin.experiments.config_checks import SOLVERS

SHIFT_WEIGHT_DECAY = 1e-4  # the distribution-shift runs' default L2 strength (sklearn's C = 1 is 1/n ≈ 6e-5)
SHIFT_MAX_ITER = 3000  # their oracle at λ = 1e-4 needs more than lbfgs's usual 1000
_HOW = {"how": True}  # field metadata: how the run is carried out, not what it is
RUNNERS = {  # the library's one implementation of each kind of run
    "single": "jaxlin.train_model",
    "sweep": "jaxlin.sweep_model",
    "kfold": "jaxlin.cross_validate",
    "solve": "jaxlin.solve_model",
    "shift": "jaxlin.correct_covariate_shift or jaxlin.correct_label_shift",
}


@dataclasses.dataclass(frozen=True)
class Config:
    model: str
    impl: str
    optimizer: str
    lr: tuple[float, ...]  # several learning rates and/or seeds make a sweep
    seed: tuple[int, ...]
    batch_size: tuple[int, ...]  # several make a sweep too, one compiled epoch per batch size
    epochs: int = dataclasses.field(metadata=_HOW)
    data_seed: int = 0  # draws synthetic data and the validation split
    weight_decay: tuple[float, ...] | None = None  # λ of the L2 penalty on the weights; several make a sweep
    degree: tuple[int, ...] | None = None  # polynomial degree(s), for models with this option
    hidden: tuple[tuple[int, ...], ...] | None = None  # each network's hidden widths; several make a sweep
    activation: str | None = None  # the hidden layers' nonlinearity (models with hidden layers)
    init: str | None = None  # "normal" (the book's N(0, 0.01²)) or "xavier"
    dropout: tuple[float, ...] | None = None  # one dropout rate per hidden layer, from the first
    validation: float | None = None  # fraction of the training split held out for validation
    early_stopping: int | None = None  # patience in epochs, watching the validation loss
    kfold: int | None = None  # cross-validate the sweep's models on this many folds
    tol: float | None = None  # lbfgs: stop at this gradient norm
    max_iter: int | None = None  # lbfgs: at most this many iterations
    shift: str | None = None  # "covariate" or "label": the distribution-shift experiment (D2L 4.9)
    shift_strength: float | None = None  # covariate shift: s in the selection σ(∓s·z)
    beta_clip: float | None = None  # covariate shift: the largest importance weight
    devices: int | None = dataclasses.field(default=None, metadata=_HOW)  # None: all local devices
    coordinator: str | None = dataclasses.field(default=None, metadata=_HOW)  # several processes: HOST:PORT
    num_processes: int | None = dataclasses.field(default=None, metadata=_HOW)
    process_id: int | None = dataclasses.field(default=None, metadata=_HOW)
    data_dir: str | None = dataclasses.field(default=None, metadata=_HOW)
    tfds_dir: str | None = dataclasses.field(default=None, metadata=_HOW)
    output_dir: str | None = dataclasses.field(default=None, metadata=_HOW)
    resume: bool = dataclasses.field(default=False, metadata=_HOW)
    debug_nans: bool = dataclasses.field(default=False, metadata=_HOW)
    plots: bool = dataclasses.field(default=True, metadata=_HOW)
    tensorboard: bool = dataclasses.field(default=False, metadata=_HOW)  # event files in output_dir/tensorboard
    compile_cache: bool = dataclasses.field(default=True, metadata=_HOW)

    @property
    def kind(self) -> str:
        """The kind of run, decided here once and read by every branch: "shift" (the
        distribution-shift experiment), "solve" (a full-batch solver), "kfold" (cross-validation),
        "sweep" (several runs trained together) or "single" (one model, epoch by epoch)."""
        if self.shift:
            return "shift"
        if self.solves:
            return "solve"
        if self.kfold:
            return "kfold"
        return "sweep" if self.is_sweep else "single"

    @property
    def solves(self) -> bool:
        """Whether each model is solved to convergence (lbfgs) rather than trained for epochs."""
        return self.optimizer in SOLVERS

    def require(self, kind: str, function: str) -> None:
        """Refuse, with the function to use instead, a config of another kind than `kind`."""
        if self.kind != kind:
            raise ValueError(
                f"{function} runs a {kind} run, but this config asks for a {self.kind} run: use {RUNNERS[self.kind]}."
            )

    @property
    def is_sweep(self) -> bool:
        return (
            len(self.lr)
            * len(self.seed)
            * len(self.batch_size)
            * len(self.degree or (None,))
            * len(self.weight_decay or (None,))
            * len(self.hidden or (None,))
            > 1
        )

    def run_options(self) -> dict[str, tuple]:
        """What varies between the runs besides learning rate and seed: weight decay and the
        model's own options, each with the values to try."""
        return {**({} if self.weight_decay is None else {"weight_decay": self.weight_decay}), **self.model_options()}

    def model_options(self) -> dict[str, tuple]:
        """The model's own options (see the model's OPTIONS) with the values to try: {"degree": (3,)}."""
        return {} if self.degree is None else {"degree": self.degree}

    def identity(self) -> dict:
        """The fields that say what the run is: a checkpoint resumes only under the same ones."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if not f.metadata.get("how")}

    def to_json(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def architecture(self) -> dict:
        """The network's architecture options that are set (hidden as one network's widths: give a
        config with one `hidden`, e.g. a sweep group's), for `configure` of models with hidden layers."""
        given = {"activation": self.activation, "init": self.init, "dropout": self.dropout}
        if self.hidden is not None:
            (given["hidden"],) = self.hidden
        return {name: value for name, value in given.items() if value is not None}


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, tuple) else value
