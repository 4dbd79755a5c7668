"""The label of every metric, shared by the progress lines, the summaries and the plots."""

LABELS = {  # metric -> label, in the order shown; a metric not listed is shown under its own name
    "loss": "train loss", "full_loss": "full-data loss", "accuracy": "train acc", "test_loss": "test loss",
    "test_accuracy": "test acc", "w_error": "error in estimating w", "b_error": "error in estimating b",
}


def ordered(names) -> list[str]:
    """`names` in the order of LABELS, the unlisted ones after them in their own order."""
    names = list(names)
    return [n for n in LABELS if n in names] + [n for n in names if n not in LABELS]
