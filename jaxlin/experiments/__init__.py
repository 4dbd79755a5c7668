"""The book's experiments, built from one frozen `Config`: one implementation of each kind
of run (`train_model`, `sweep_model`, `cross_validate`, `solve_model`, the distribution-shift
corrections), generalization, and the figures reported after training. Imports `ops`,
`engine`, `data` and `models`.
"""

# fmt: off
from jaxlin.experiments.config import RUNNERS, Config
from jaxlin.experiments.settings import make_config
from jaxlin.experiments.config_checks import SOLVERS
from jaxlin.experiments.crossval import (
    MAX_STACKED_BYTES, CrossValidation, cross_validate, crossval_group, summarize_folds,
)
from jaxlin.experiments.distribution_shift import (
    ShiftResult, correct_covariate_shift, correct_label_shift, domain_classifier, shift_sizes,
)
from jaxlin.experiments.generalization import data_size_curve, exact_fits
from jaxlin.experiments.reliability import calibrate, scores
from jaxlin.experiments.setup import epoch_options, load_data, reported_metrics, start, sweep_start
from jaxlin.experiments.single import SingleRun, epochs_left, final_figures, single_epochs, single_run, train_model
from jaxlin.experiments.solving import solution_figures, solve_model, solve_model_chunks
from jaxlin.experiments.sweeping import (
    SweepGroup, group_epochs, group_exact_figures, group_result, sweep_groups, sweep_model,
)
from jaxlin.experiments.vectorization import vectorization_demo
# fmt: on

# fmt: off
__all__ = [
    "Config", "CrossValidation", "MAX_STACKED_BYTES", "RUNNERS", "SOLVERS", "ShiftResult", "SingleRun",
    "SweepGroup", "calibrate", "correct_covariate_shift", "correct_label_shift", "cross_validate", "crossval_group",
    "data_size_curve", "domain_classifier", "epoch_options", "epochs_left", "exact_fits", "final_figures",
    "group_epochs", "group_exact_figures", "group_result", "load_data", "make_config", "reported_metrics", "scores",
    "shift_sizes", "single_epochs", "single_run", "solution_figures", "solve_model", "solve_model_chunks", "start", "summarize_folds",
    "sweep_groups", "sweep_model", "sweep_start", "train_model", "vectorization_demo",
]
# fmt: on
