"""Execute the notebooks in place and store them with their outputs, as D2L's pages show theirs.

    python notebooks/run.py                      # every notebook in this folder
    python notebooks/run.py notebooks/02_*.ipynb # some of them

Each notebook runs top to bottom in a fresh kernel, from this folder, and is saved with its
outputs (figures as PNG). Offline, set JAXLIN_DATA to the folder of the four Fashion-MNIST files
first. tests/test_docs.py checks that every stored notebook was executed this way.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> None:
    """Run `path` in a fresh python3 kernel (cwd: this folder) and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        began = time.perf_counter()
        print(f"{path.name} ...", end=" ", flush=True)
        execute(path)
        print(f"{time.perf_counter() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
