"""The label of every metric, shared by the progress lines, the summaries and the plots."""

LABELS = {  # metric -> label, in the order shown; a metric not listed is shown under its own name
    "loss": "train loss",
    "full_loss": "full-data loss",
    "accuracy": "train acc",
    "valid_loss": "valid loss",
    "valid_accuracy": "valid acc",
    "test_loss": "test loss",
    "test_accuracy": "test acc",
    "objective": "objective",
    "grad_norm": "gradient norm",
    "iterations": "iterations",
    "converged": "converged",
    "solve_s": "seconds (compiling included)",
    "compile_s": "of which compiling",
    "best_epoch": "best epoch",
    "ece": "test ECE",
    "temperature": "temperature (fitted on valid)",
    "ece_after_temperature": "test ECE after temperature scaling",
    "accuracy_at_90_coverage": "test acc on the 90% most confident",
    "weights": "learned weights (first 5)",
    "true_weights": "true weights",
    "exact_full_loss": "exact fit: train loss",
    "exact_valid_loss": "exact fit: valid loss",
    "exact_test_loss": "exact fit: test loss",
    "w_norm": "‖w‖",
    "w_error": "error in estimating w",
    "b_error": "error in estimating b",
}


def ordered(names) -> list[str]:
    """`names` in the order of LABELS, the unlisted ones after them in their own order."""
    names = list(names)
    return [n for n in LABELS if n in names] + [n for n in names if n not in LABELS]


def describe(run) -> str:
    """A run of a sweep in words: "lr 0.1, seed 0" (and "degree 3", "fold 2" when it has them)."""
    return ", ".join(f"{name} {value}" for name, value in run.items())
