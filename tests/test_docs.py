"""What a reader sees: a short README whose every relative link resolves, docs/ pages whose quoted
figures are recomputed here, and notebooks stored fully executed, with their figures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, find_real_data, write_tiny_fashion_mnist

import jaxlin

PAGES = [REPO / "README.md", REPO / "bench" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")}


def test_the_readme_is_short():
    assert len((REPO / "README.md").read_text().splitlines()) <= 220


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{page.name}: no heading for #{anchor} in {resolved.name}"


def test_every_docs_page_is_linked_from_the_readme():
    readme = (REPO / "README.md").read_text()
    for page in (REPO / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, f"{page.name} is not linked from the README"


def test_the_examples_needed_that_the_docs_quote():
    text = (REPO / "docs" / "generalization.md").read_text()
    assert f"{jaxlin.examples_needed(0.01):,}" in text  # Hoeffding
    assert f"{jaxlin.examples_needed(0.01, accuracy=0.83):,}" in text  # the normal approximation


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebooks_are_fully_executed(path):
    """As D2L's pages show their figures: every code cell ran, in order, without an error; at least
    one figure; small enough to read on GitHub."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
    assert "find_spec" in code[0].source, "the first cell installs jaxlin where it is missing"
    assert path.stat().st_size < 1_000_000


def test_the_readme_first_steps_run_and_print_what_they_say(tmp_path):
    """The README's Python block, run as it stands on the real data (where present), prints the test
    accuracy its comment quotes; on the small data it still runs."""
    block = re.search(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    quoted = re.search(r"print\(.*\)  # (\d\.\d{4})", block).group(1)
    real_source = find_real_data()
    source = real_source or write_tiny_fashion_mnist(tmp_path / "tiny", n_train=600, n_test=100)
    env = {**os.environ, "JAXLIN_DATA": str(source), "TFDS_DATA_DIR": str(tmp_path / "tfds")}
    done = subprocess.run([sys.executable, "-c", block], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    if real_source is not None:
        assert done.stdout.split() == [quoted]
