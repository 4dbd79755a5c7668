"""jaxlin's benchmarks: `python -m bench` (from the repository root); --help for options.

What every section shares: the repository's root (the working directory of every process they
start) and `log`, the progress line on stderr (stdout carries the workers' JSON results).
"""

import sys
from pathlib import Path

__all__ = ["REPO", "log"]

REPO = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
