"""A prepared copy whose records are not the split they claim to be is prepared again (issue 25, 1);
a folder of the raw files given as tfds's data_dir is refused, untouched (issue 25, 5); an IDX file
with bytes after its data is refused. All on the small IDX set of conftest."""

import gzip
import shutil

import numpy as np
import pytest
from conftest import cli_args, write_tiny_fashion_mnist

from jaxlin.data import DataError, load_fashion_mnist, read_idx
from jaxlin.data.idx import IMAGES_MAGIC, LABELS_MAGIC, array_content_id, content_id
from jaxlin.data.integrity import PreparedMismatch, check_split
from jaxlin.data.sources import OFFICIAL_IDS
from jaxlin.train import main


def _idx_split(source, split):
    """(images, labels) of a split straight from its IDX files: what a load must return."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(source / f"{prefix}-images-idx3-ubyte.gz", IMAGES_MAGIC)
    return images, read_idx(source / f"{prefix}-labels-idx1-ubyte.gz", LABELS_MAGIC).astype(np.int32)


def _record_file(tfds_dir, split):
    (path,) = (tfds_dir / "jaxlin_fashion_mnist").glob(f"*/*/jaxlin_fashion_mnist-{split}.*-of-*")
    return path


def _swap(first, second):
    parked = first.with_name("parked")
    first.rename(parked)
    second.rename(first)
    parked.rename(second)


def _assert_loaded_right(source, tfds_dir, split, reader, capsys):
    images, labels = load_fashion_mnist(split, source_dir=source, data_dir=tfds_dir, reader=reader)
    expected = _idx_split(source, split)
    np.testing.assert_array_equal(images, expected[0])
    np.testing.assert_array_equal(labels, expected[1])
    return capsys.readouterr().err


# 1. Another split's records, or altered ones, in a prepared copy.


@pytest.mark.parametrize("reader", ["array_record", "tfds"])
@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("sizes", [(60, 20), (20, 20)], ids=["counts-differ", "same-counts"])
def test_swapped_train_and_test_files_are_prepared_again(tmp_path, capsys, reader, split, sizes):
    source = write_tiny_fashion_mnist(tmp_path / "tiny", *sizes)
    tfds_dir = tmp_path / "tfds"
    load_fashion_mnist("test", source_dir=source, data_dir=tfds_dir)
    _swap(_record_file(tfds_dir, "train"), _record_file(tfds_dir, "test"))
    capsys.readouterr()
    err = _assert_loaded_right(source, tfds_dir, split, reader, capsys)
    assert "is damaged" in err and "preparing it again" in err, err
    if sizes[0] == sizes[1]:  # every record reads: only the content check can tell
        assert "another split's file, or altered records" in err, err
    elif reader == "array_record":  # (tfds's own reader fails on the count first)
        assert "dataset_info.json records" in err, err
    assert "damaged" not in _assert_loaded_right(source, tfds_dir, split, reader, capsys)  # prepared right now


def test_altered_records_with_the_same_count_are_prepared_again(tmp_path, capsys):
    source = write_tiny_fashion_mnist(tmp_path / "tiny", seed=0)
    other = write_tiny_fashion_mnist(tmp_path / "other", seed=1)  # same sizes, other pixels and labels
    load_fashion_mnist("train", source_dir=source, data_dir=tmp_path / "tfds")
    load_fashion_mnist("train", source_dir=other, data_dir=tmp_path / "tfds_other")
    shutil.copyfile(_record_file(tmp_path / "tfds_other", "train"), _record_file(tmp_path / "tfds", "train"))
    capsys.readouterr()
    err = _assert_loaded_right(source, tmp_path / "tfds", "train", "array_record", capsys)
    assert "its train images are not those of train-images-idx3-ubyte" in err and "preparing it again" in err, err


@pytest.mark.parametrize(
    "change, phrase",
    [
        (lambda im, lab: (im[:-1], lab[:-1]), "hold 59 examples, but its dataset_info.json records 60"),
        (lambda im, lab: (im, np.roll(lab, 1)), "its train labels are not those of train-labels-idx1-ubyte"),
        (lambda im, lab: (im ^ np.eye(28, dtype=np.uint8), lab), "its train images are not those"),
    ],
    ids=["one-missing", "labels-shifted", "pixels-flipped"],
)
def test_check_split_tells_each_change(tiny_source, change, phrase):
    images, labels = _idx_split(tiny_source, "train")
    ids = {path.name.removesuffix(".gz"): content_id(path) for path in tiny_source.iterdir()}
    check_split("train", images, labels, recorded=60, source_ids=ids)  # the right split passes
    with pytest.raises(PreparedMismatch, match=phrase):
        check_split("train", *change(images, labels), recorded=60, source_ids=ids)


def test_array_content_id_is_the_files_content_id(tiny_source):
    images, labels = _idx_split(tiny_source, "test")
    assert array_content_id(images) == content_id(tiny_source / "t10k-images-idx3-ubyte.gz")
    assert array_content_id(labels) == content_id(tiny_source / "t10k-labels-idx1-ubyte.gz")  # i32 holding u8


def test_the_real_data_matches_its_official_fingerprints(real_source):
    train, test = _idx_split(real_source, "train"), _idx_split(real_source, "test")
    check_split("train", *train, recorded=60_000, source_ids=OFFICIAL_IDS)
    check_split("test", *test, recorded=10_000, source_ids=OFFICIAL_IDS)
    with pytest.raises(PreparedMismatch, match="its train images are not those of train-images"):
        check_split("train", *test, recorded=10_000, source_ids=OFFICIAL_IDS)  # swapped, counts edited to fit


# 5. The raw files' folder given as data_dir: refused in one sentence, nothing written into it.


def _listing(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*"))


@pytest.mark.parametrize("how", ["data_dir", "JAXLIN_DATA and data_dir", "source_dir and data_dir"])
def test_the_source_folder_as_data_dir_is_refused_untouched(tiny_source, monkeypatch, how):
    monkeypatch.delenv("JAXLIN_DATA", raising=False)
    if how.startswith("JAXLIN_DATA"):
        monkeypatch.setenv("JAXLIN_DATA", str(tiny_source))
    before = _listing(tiny_source)
    source_dir = tiny_source if how.startswith("source_dir") else None
    with pytest.raises(DataError) as refused:
        load_fashion_mnist("train", source_dir=source_dir, data_dir=tiny_source)
    assert _listing(tiny_source) == before
    message = str(refused.value)
    assert f"{tiny_source} holds the four Fashion-MNIST source files" in message and "source_dir=" in message
    assert "\n" not in message and "download" not in message


def test_the_command_refuses_the_source_folder_as_tfds_dir(tiny_source, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JAXLIN_DATA", raising=False)
    before = _listing(tiny_source)
    argv = cli_args(tiny_source, tmp_path, tmp_path / "out", "--epochs", "1")  # softmax: Fashion-MNIST
    argv[argv.index("--tfds-dir") + 1] = str(tiny_source)
    assert main(argv) in (1, 2)
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert "holds the four Fashion-MNIST source files" in err and "--data-dir" in err
    assert _listing(tiny_source) == before


# An IDX file with bytes after the data its header promises.


@pytest.mark.parametrize("extra", [b"\0", b"garbage" * 100])
@pytest.mark.parametrize(
    "name, magic", [("t10k-images-idx3-ubyte", IMAGES_MAGIC), ("t10k-labels-idx1-ubyte", LABELS_MAGIC)]
)
def test_idx_trailing_bytes_are_refused(tiny_source, tmp_path, extra, name, magic):
    path = tiny_source / f"{name}.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + extra))
    with pytest.raises(DataError, match=rf"holds {len(extra)} bytes after the \d+ its header promises") as refused:
        read_idx(path, magic)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(DataError, match="bytes after"):  # and so does preparing from it
        load_fashion_mnist("test", source_dir=tiny_source, data_dir=tmp_path / "tfds")
