"""What the image classifiers share: the checks on the data they train on."""

from __future__ import annotations

from jaxlin._util import checks
from jaxlin.ops.example_weights import checked_split

NUM_INPUTS = 28 * 28


def check_image_splits(data, num_classes: int, *, name: str, required: tuple[str, ...]) -> None:
    """Refuse a missing required split, images that are not 28 x 28 (or 784), labels of another
    length, non-finite pixels, labels outside 0..num_classes-1 and bad weights (ValueError)."""
    for split in required:
        if getattr(data, split) is None:
            raise ValueError(f"{name} needs a {split} split (images, labels); the data have none.")
    for split in ("train", "valid", "test"):
        if getattr(data, split) is None:
            continue
        images, labels = checked_split(getattr(data, split), f"the {split}")
        if images.shape[1:] not in ((28, 28), (NUM_INPUTS,)) or labels.shape != images.shape[:1]:
            raise ValueError(
                f"The {split} split must be images [n, 28, 28] and labels [n]; got "
                f"{tuple(images.shape)} and {tuple(labels.shape)}."
            )
        checks.finite(f"the {split} images", images)
        checks.labels_in_range(f"the {split} labels", labels, num_classes)
