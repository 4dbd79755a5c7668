"""tfds's split syntax in load_fashion_mnist: slices, "+", percent rounding as in tfds, clear errors."""

import re

import numpy as np
import pytest
import tensorflow_datasets as tfds
from conftest import write_tiny_fashion_mnist

from jaxlin.data import fashion_mnist_builder, load_fashion_mnist
from jaxlin.data.splits import read_instructions, split_names

SIZES = {"train": 60, "test": 20}  # the tiny dataset's


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    """The tiny dataset, prepared once: where it is, and both whole splits as loaded."""
    folder = tmp_path_factory.mktemp("splits")
    dirs = {"source_dir": write_tiny_fashion_mnist(folder / "tiny"), "data_dir": folder / "tfds"}
    return {"dirs": dirs, **{split: load_fashion_mnist(split, **dirs) for split in SIZES}}


@pytest.mark.parametrize(
    "spec, parts",
    [
        ("train[:50]", [("train", 0, 50)]),
        ("train[50:]", [("train", 50, 60)]),
        ("train[-5:]", [("train", 55, 60)]),
        ("test[3:-4]", [("test", 3, 16)]),
        ("train[:90%]", [("train", 0, 54)]),
        ("train[10%:20%]", [("train", 6, 12)]),
        ("test[-25%:]", [("test", 15, 20)]),
        ("train[10%:-7]", [("train", 6, 56)]),  # as in tfds, one "%" makes both boundaries percentages
        ("train+test", [("train", 0, 60), ("test", 0, 20)]),
        ("test + train[:2]", [("test", 0, 20), ("train", 0, 2)]),
        ("train[:1%]+test[-5:]", [("train", 0, 1), ("test", 15, 20)]),
        ("all", [("train", 0, 60), ("test", 0, 20)]),
    ],
)
def test_slices_equal_numpy_slicing(tiny, spec, parts):
    assert read_instructions(spec, SIZES) == parts
    images, labels = load_fashion_mnist(spec, **tiny["dirs"])
    np.testing.assert_array_equal(images, np.concatenate([tiny[name][0][a:b] for name, a, b in parts]))
    np.testing.assert_array_equal(labels, np.concatenate([tiny[name][1][a:b] for name, a, b in parts]))
    assert images.dtype == np.uint8 and labels.dtype == np.int32 and images.shape[1:] == (28, 28)


def test_whole_splits_are_returned_as_read(tiny):
    for spec in ("train", "train[0:60]", "train[:100%]"):
        images, labels = load_fashion_mnist(spec, **tiny["dirs"])
        np.testing.assert_array_equal(images, tiny["train"][0])
        np.testing.assert_array_equal(labels, tiny["train"][1])


def test_both_readers_agree_on_a_sliced_spec(tiny):
    spec = "train[5:-7]+test[10%:25%]"
    fast, slow = (load_fashion_mnist(spec, **tiny["dirs"], reader=r) for r in ("array_record", "tfds"))
    assert len(fast[1]) == 48 + 3  # train[5:53] + test[2:5]
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])


@pytest.mark.parametrize(
    "spec",
    [
        "train[:2.5%]",
        "train[:12.5%]",
        "train[:17.5%]",
        "train[33%:67%]",
        "test[-2.5%:]",
        "test[:7.5%]",
        "train[:1%]+test[-5:]",
        "test[10%:-10%]",
    ],
)
def test_percent_rounding_equals_tfds(tiny, spec):
    builder = fashion_mnist_builder(**tiny["dirs"])
    by_tfds = tfds.core.ReadInstruction.from_spec(spec).to_absolute(builder.info.splits)
    assert read_instructions(spec, SIZES) == [
        (a.splitname, a.from_ or 0, SIZES[a.splitname] if a.to is None else a.to) for a in by_tfds
    ]
    source = builder.as_data_source(split=spec)  # the examples tfds itself reads for the spec
    labels = [e["label"] for e in source.__getitems__(range(len(source)))]
    np.testing.assert_array_equal(load_fashion_mnist(spec, **tiny["dirs"])[1], labels)


@pytest.mark.parametrize(
    "spec, reason",
    [
        ("valid", "there is no split 'valid'"),
        ("train[", "not name or name"),
        ("train[:abc]", "not name or name"),
        ("train[5]", "not name or name"),
        ("train[:150%]", "not name or name"),
        ("train[5:5]", "slice 5:5 of 'train' is empty"),
        ("train[10:5]", "slice 10:5 of 'train' is empty"),
        ("train[:61]", "past the end of its split"),
        ("train[0shard]", "shard slices are not supported"),
        ("", "not name or name"),
        (3, "not a string"),
    ],
)
def test_bad_specs_say_what_is_wrong(tiny, spec, reason):
    with pytest.raises(ValueError) as caught:
        load_fashion_mnist(spec, **tiny["dirs"])
    message = str(caught.value)
    assert message.startswith(f"Bad split {spec!r} (") and reason in message
    assert "split must be 'train' or 'test'" in message and "e.g. 'train[:90%]+test[-5:]'" in message
    assert "\n" not in message and "tensorflow.org" not in message  # one sentence, not tfds's text


def test_names_are_checked_before_anything_is_read(tmp_path):
    assert split_names("test[:5]+train+test[-1:]", SIZES) == ["test", "train"]
    with pytest.raises(ValueError, match=re.escape("Bad split 'validation' (there is no split")):
        load_fashion_mnist("validation", data_dir=tmp_path / "nothing-here")
    assert not (tmp_path / "nothing-here").exists()
