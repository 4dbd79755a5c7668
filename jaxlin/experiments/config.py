"""One frozen configuration of an experiment, built once: the model's book settings and the options.

`make_config("softmax", impl="scratch")` gives the book's run of a model, with any setting
overridden; `python -m jaxlin.train` builds the same object from its command line. Fields without
the "how" mark say *what* a run is (a resumed run must match them all); the others say *how* it is
carried out and may change between a run and its `--resume`. The book settings live in the model
modules only (`BOOK`), so a Config has no defaults of its own for them: build it with `make_config`.
"""

from __future__ import annotations

import dataclasses

from jaxlin._util import checks
from jaxlin.engine.optimizers import OPTIMIZERS
from jaxlin.experiments import config_checks
from jaxlin.experiments.config_checks import SOLVERS
from jaxlin.models import IMPLEMENTATIONS, get_model

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
    compile_cache: bool = dataclasses.field(default=True, metadata=_HOW)

    @property
    def kind(self) -> str:
        """The kind of run, decided here once and read by every branch: "shift" (the
        distribution-shift experiment), "solve" (a full-batch solver), "kfold" (cross-validation),
        "sweep" (several runs trained together) or "single" (one model, epoch by epoch)."""
        if self.shift:
            return "shift"
        if self.optimizer in SOLVERS:
            return "solve"
        if self.kfold:
            return "kfold"
        return "sweep" if self.is_sweep else "single"

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


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def default_optimizer(impl: str) -> str:
    """Each path's optimizer unless told otherwise: jaxlin's own SGD for scratch, optax's for concise."""
    return "scratch-sgd" if impl == "scratch" else "sgd"


def make_config(model: str = "softmax", **options) -> Config:
    """The configuration of `model` with its book settings, overridden by `options` (Config's
    fields; None means "the default"). Raises ValueError for an unknown name, a value out of range,
    or a combination that does not go together."""
    if not isinstance(model, str):
        raise ValueError(f"model must be a model's name (a string), got {model!r}.")
    unknown = set(options) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise ValueError(f"Unknown setting(s) {', '.join(sorted(unknown))}; see jaxlin.config.Config.")
    module = get_model(model)
    book, model_options = module.BOOK, getattr(module, "OPTIONS", {})
    options = {k: v for k, v in options.items() if v is not None}
    if options.get("shift") and options.get("optimizer", "lbfgs") in SOLVERS:  # converged: no SGD noise
        options = {"optimizer": "lbfgs", "weight_decay": SHIFT_WEIGHT_DECAY, "max_iter": SHIFT_MAX_ITER, **options}
    if "degree" in options and "degree" not in model_options:
        raise ValueError(f"degree is an option of the polynomial model, not of {model}.")
    if "weight_decay" in options:
        decays = config_checks.as_tuple("weight_decay", options["weight_decay"], config_checks.weight_decay)
        options["weight_decay"] = config_checks.distinct("weight_decay", decays)
    if "degree" in model_options:
        degrees = config_checks.as_tuple(
            "degree", options.get("degree", model_options["degree"]), lambda v: checks.degree(v, module.MAX_DEGREE)
        )
        options["degree"] = config_checks.distinct("degree", degrees)
    impl = options.pop("impl", "concise")
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {', '.join(IMPLEMENTATIONS)}, got {impl!r}.")
    optimizer = options.pop("optimizer", None) or default_optimizer(impl)
    if optimizer not in (*OPTIMIZERS, *SOLVERS):
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of: {', '.join((*OPTIMIZERS, *SOLVERS))}.")
    if optimizer in SOLVERS:
        config_checks.check_solver(
            options,
            hint=" (--shift solves with lbfgs unless you give --optimizer, e.g. --optimizer sgd to train for epochs)"
            if options.get("shift")
            else "",
        )
        options = {"tol": 1e-4, "max_iter": 1000, **options}
    elif "tol" in options or "max_iter" in options:
        raise ValueError("tol and max_iter are settings of the lbfgs solver (--optimizer lbfgs).")
    config = Config(
        model=model,
        impl=impl,
        optimizer=optimizer,
        lr=config_checks.distinct(
            "lr",
            config_checks.as_tuple(
                "lr", options.pop("lr", book.learning_rate), lambda v: checks.positive_float("learning rate", v)
            ),
        ),
        seed=config_checks.distinct("seed", config_checks.as_tuple("seed", options.pop("seed", 0), config_checks.seed)),
        batch_size=config_checks.distinct(
            "batch_size",
            config_checks.as_tuple(
                "batch_size",
                options.pop("batch_size", book.batch_size),
                lambda v: checks.positive_int("batch_size", v, below=2**31),
            ),
        ),
        epochs=checks.positive_int("epochs", options.pop("epochs", book.num_epochs), below=2**31),
        **{k: config_checks.option(k, v) for k, v in options.items()},
    )
    if config.devices is not None:
        devices = checks.positive_int("devices", config.devices)
        uneven = [b for b in config.batch_size if b % devices]
        if uneven:
            raise ValueError(
                f"the batch size {uneven[0]} does not split evenly across {devices} devices; use a multiple "
                f"of {devices} (e.g. {uneven[0] - uneven[0] % devices or devices}), or fewer devices."
            )
        config = dataclasses.replace(config, devices=devices)
    config = dataclasses.replace(config, data_seed=config_checks.seed(config.data_seed))
    config = config_checks.check_cluster(config)
    config = config_checks.check_shift(config_checks.check_generalization(config))
    if config.is_sweep and (config.resume or (config.devices or 1) > 1):
        raise ValueError(
            "a sweep (several learning rates, seeds, batch sizes or degrees) runs on one device "
            "and cannot resume; drop devices/resume or sweep one value"
        )
    if config.resume and config.output_dir is None:
        raise ValueError("resuming needs the folder of the run to continue (--output-dir)")
    return config
