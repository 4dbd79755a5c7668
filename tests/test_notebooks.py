"""Every notebook runs top to bottom, so none can rot. The softmax one uses the real data when
present (as in CI) and otherwise a small Fashion-MNIST-like set written here."""

from pathlib import Path

import nbformat
import pytest
from conftest import REAL_DATA_CANDIDATES, write_tiny_fashion_mnist
from nbclient import NotebookClient

EXPECTED_TEXT = {  # a printed result each notebook must show
    "00_preliminaries.ipynb": "gradient through control flow is f(a)/a: True",
    "01_linear_regression.ipynb": "same as the loop: True",
    "02_softmax_regression.ipynb": "test accuracy per epoch",
    "03_generalization.ipynb": "chosen degree: 3",
    "04_weight_decay.ipynb": "same parameters three ways: True",
    "05_distribution_shift.ipynb": "target accuracy uncorrected / corrected / oracle",
    "06_multilayer_perceptrons.ipynb": "MLP test accuracy",
    "07_dropout.ipynb": "dropout test accuracy",
    "08_backprop_and_initialization.ipynb": "after 100 matrices",
}
REAL_DATA_TEXT = {  # what the README claims of the real data, printed by the notebook at the same settings
    "05_distribution_shift.ipynb": [
        "covariate-shift correction helped: True",
        "label-shift correction helped: True",
        "the estimate beats the raw mean: True",
    ],
}
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _real_data():
    return next(
        (Path(c) for c in REAL_DATA_CANDIDATES if c and (Path(c) / "train-images-idx3-ubyte.gz").is_file()), None
    )


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    source = _real_data() or write_tiny_fashion_mnist(tmp_path / "tiny", n_train=600, n_test=100)
    monkeypatch.setenv("JAXLIN_DATA", str(source))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    printed = "".join(o.get("text", "") for o in outputs)
    assert EXPECTED_TEXT[path.name] in printed
    if _real_data() is not None:
        for claim in REAL_DATA_TEXT.get(path.name, []):
            assert claim in printed
