"""Fashion-MNIST: IDX parsing, the TF-free tfds builder, sources, errors, device batches."""

import gzip
import shutil

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlin.data import (
    FASHION_MNIST_LABELS,
    DataError,
    image_batches,
    load_fashion_mnist,
    preprocess_images,
    read_idx,
    sources,
    text_labels,
    to_device,
    write_idx,
)
from jaxlin.data.idx import IMAGES_MAGIC, LABELS_MAGIC, content_id
from jaxlin.ops import index_shuffle


def test_idx_round_trip(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    for name in ("x.gz", "x"):
        write_idx(tmp_path / name, images)
        np.testing.assert_array_equal(read_idx(tmp_path / name, IMAGES_MAGIC), images)
    assert content_id(tmp_path / "x.gz") == content_id(tmp_path / "x")


def test_prepare_and_load_tiny_dataset_in_original_order(tiny_source, tmp_path):
    for split, prefix, n in (("train", "train", 60), ("test", "t10k", 20)):
        images, labels = load_fashion_mnist(split, source_dir=tiny_source, data_dir=tmp_path / "tfds")
        assert images.dtype == np.uint8 and labels.dtype == np.int32
        chex.assert_shape(images, (n, 28, 28))
        np.testing.assert_array_equal(images, read_idx(tiny_source / f"{prefix}-images-idx3-ubyte.gz", IMAGES_MAGIC))
        np.testing.assert_array_equal(labels, read_idx(tiny_source / f"{prefix}-labels-idx1-ubyte.gz", LABELS_MAGIC))


def test_fast_reader_equals_tfds_decoding(tiny_source, tmp_path):
    for split in ("train", "test"):
        fast, slow = (
            load_fashion_mnist(split, source_dir=tiny_source, data_dir=tmp_path / "tfds", reader=r)
            for r in ("array_record", "tfds")
        )
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])


def test_different_sources_are_prepared_separately(tmp_path):
    from conftest import write_tiny_fashion_mnist

    a = write_tiny_fashion_mnist(tmp_path / "a", seed=0)
    b = write_tiny_fashion_mnist(tmp_path / "b", n_train=30, seed=1)
    tfds_dir = tmp_path / "tfds"
    assert len(load_fashion_mnist("train", source_dir=a, data_dir=tfds_dir)[1]) == 60
    assert len(load_fashion_mnist("train", source_dir=b, data_dir=tfds_dir)[1]) == 30
    assert len(load_fashion_mnist("train", source_dir=a, data_dir=tfds_dir)[1]) == 60


def _corrupt(folder, name, mutate):
    path = folder / f"{name}.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(bytes(mutate(raw))))


@pytest.mark.parametrize(
    "name, mutate, message",
    [
        ("train-images-idx3-ubyte", lambda b: b[:3] + b"\x01" + b[4:], "magic number 2049.*2051"),
        ("train-labels-idx1-ubyte", lambda b: b[:3] + b"\x03" + b[4:], "magic number 2051.*2049"),
        ("train-images-idx3-ubyte", lambda b: b[:-100], "promises .* bytes .* truncated"),
        (
            "train-images-idx3-ubyte",
            lambda b: b[:8] + (27).to_bytes(4, "big") + b[12 : 16 + 60 * 27 * 28],
            r"\(27, 28\) pixels",
        ),
        ("t10k-labels-idx1-ubyte", lambda b: b[:-1] + b"\x0c", "label 12 at index 19.*0-9"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:-1] + b"\x0a", "label 10 at index 19.*0-9"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:4] + (19).to_bytes(4, "big") + b[8:-1], "20 images but .* 19 labels"),
    ],
)
def test_bad_files_give_clear_errors(tiny_source, tmp_path, name, mutate, message):
    _corrupt(tiny_source, name, mutate)
    with pytest.raises(DataError, match=message):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")


def test_truncated_gzip(tiny_source, tmp_path):
    path = tiny_source / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(DataError, match="corrupt or truncated"):
        load_fashion_mnist("train", source_dir=tiny_source, data_dir=tmp_path / "tfds")


def test_missing_file_names_it(tiny_source, tmp_path):
    (tiny_source / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="does not hold t10k-labels-idx1-ubyte.gz"):
        load_fashion_mnist("test", source_dir=tiny_source, data_dir=tmp_path / "tfds")


def test_environment_variable_and_manual_dir(tiny_source, tmp_path, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny_source))
    assert len(load_fashion_mnist("test", data_dir=tmp_path / "t1")[1]) == 20
    monkeypatch.setenv(sources.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"\$JAXLIN_DATA points at .*nowhere"):
        load_fashion_mnist("test", data_dir=tmp_path / "t2")
    monkeypatch.delenv(sources.ENV_VAR)
    manual = tmp_path / "t3" / "downloads" / "manual"
    shutil.copytree(tiny_source, manual)
    assert len(load_fashion_mnist("test", data_dir=tmp_path / "t3")[1]) == 20


def test_offline_without_files_fails_fast_with_directions(tmp_path, monkeypatch):
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    monkeypatch.setattr(sources, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(sources, "BASE_URL", "http://unreachable.invalid/")
    with pytest.raises(DataError, match="cannot be downloaded.*--data-dir"):
        load_fashion_mnist("train", data_dir=tmp_path / "tfds")


def test_bad_split_and_reader():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_fashion_mnist("validation")
    with pytest.raises(ValueError, match="reader must be one of array_record, tfds"):
        load_fashion_mnist("train", reader="fast")


def test_text_labels():
    assert text_labels([0, 9, 5]) == ["t-shirt", "ankle boot", "sandal"]
    assert len(FASHION_MNIST_LABELS) == 10


def test_device_batches_and_preprocessing():
    images = jnp.arange(10 * 4 * 4, dtype=jnp.uint8).reshape(10, 4, 4)
    labels = jnp.arange(10, dtype=jnp.int32)
    images_d, labels_d = to_device(np.asarray(images), np.asarray(labels))
    assert images_d.dtype == jnp.uint8
    got = list(image_batches(jax.random.key(0), images_d, labels_d, 4, resize=8))
    assert [b[0].shape for b in got] == [(4, 8, 8), (4, 8, 8), (2, 8, 8)]
    assert all(b[0].dtype == jnp.float32 for b in got)
    seen = np.concatenate([np.asarray(b[1]) for b in got])
    assert sorted(seen.tolist()) == list(range(10))
    np.testing.assert_array_equal(seen, index_shuffle(jax.random.key(0), 10))  # shuffled, in that order
    in_order = list(image_batches(None, images_d, labels_d, 4, shuffle=False))
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in in_order]), np.arange(10))
    x = preprocess_images(images)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    np.testing.assert_allclose(x, np.asarray(images) / 255.0, rtol=1e-6)
    up = preprocess_images(jnp.full((1, 28, 28), 255, jnp.uint8), resize=64)
    chex.assert_shape(up, (1, 64, 64))
    np.testing.assert_allclose(up, 1.0, rtol=1e-5)


# The real data, when it is present (the skip message says why otherwise).


@pytest.fixture(scope="module")
def real_arrays(real_source, real_tfds_dir):
    return {
        split: load_fashion_mnist(split, source_dir=real_source, data_dir=real_tfds_dir) for split in ("train", "test")
    }


def test_real_data_sizes_classes_and_order(real_source, real_arrays):
    for split, n, per_class in (("train", 60000, 6000), ("test", 10000, 1000)):
        images, labels = real_arrays[split]
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        np.testing.assert_array_equal(np.bincount(labels, minlength=10), [per_class] * 10)
    official = read_idx(real_source / "train-labels-idx1-ubyte.gz", LABELS_MAGIC)
    np.testing.assert_array_equal(real_arrays["train"][1][:1000], official[:1000])
    np.testing.assert_array_equal(real_arrays["train"][1], official)
    assert text_labels(real_arrays["train"][1][:3]) == ["ankle boot", "t-shirt", "t-shirt"]


def test_real_data_is_recognised_as_official(real_source):
    files = sources.files_in(real_source)
    assert sources.source_id(files) == "official"
