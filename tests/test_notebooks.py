"""Every notebook runs top to bottom, so none can rot. They use the real data when present (as in
CI) and otherwise a small Fashion-MNIST-like set written here; on the real data, what the README
quotes of a notebook's output is checked too.

The notebooks run two kernels at a time: a notebook is mostly compiling and small operations, which
leave the second core idle (on 2 cores, in the suite, the nine took 415 s one after another and 258 s
two at a time; on the small set for all but notebook 05 they were no faster: compiling, not the
data, is the time). Only the notebooks whose tests were selected run.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, find_real_data, write_tiny_fashion_mnist
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
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNELS_AT_ONCE = 2
LONGEST_FIRST = "05_distribution_shift.ipynb"  # the longest by far: started first


def _execute(path: Path, folder: Path, data: Path):
    """`path` run in a fresh python3 kernel in `folder`, reading the Fashion-MNIST files in `data`:
    the executed notebook, or the exception that stopped it."""
    notebook = nbformat.read(path, as_version=4)
    folder.mkdir()
    env = {**os.environ, "JAXLIN_DATA": str(data), "TFDS_DATA_DIR": str(folder / "tfds")}  # a tfds folder each
    try:
        NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute(env=env)
    except Exception as error:  # reported by the notebook's own test, not by the first to ask
        return error
    return notebook


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """The executed copy (or the error) of every notebook this session's tests ask for, by file name."""
    tmp = tmp_path_factory.mktemp("notebooks")
    data = find_real_data() or write_tiny_fashion_mnist(tmp / "tiny", n_train=600, n_test=100)
    asked = {
        item.callspec.params["path"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module and getattr(item, "originalname", "") == "test_notebook_runs"
    }
    order = sorted(asked, key=lambda p: (p.name != LONGEST_FIRST, p.name))
    with ThreadPoolExecutor(KERNELS_AT_ONCE) as pool:
        try:
            done = list(pool.map(lambda p: _execute(p, tmp / p.stem, data), order))
        except BaseException:  # Ctrl-C: the notebooks not yet started never start
            pool.shutdown(cancel_futures=True)
            raise
    return {p.name: notebook for p, notebook in zip(order, done, strict=True)}


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, executed):
    notebook = executed[path.name]
    if isinstance(notebook, Exception):
        raise notebook
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    printed = "".join(o.get("text", "") for o in outputs)
    assert EXPECTED_TEXT[path.name] in printed
    if find_real_data() is not None:
        for claim in REAL_DATA_TEXT.get(path.name, []):
            assert claim in printed
