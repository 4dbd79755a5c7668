"""jaxlin's benchmarks: `python -m bench` (from the repository root); --help for options.

What every section shares: the repository's root (the working directory of every process they
start), the 16 learning rates of the sweeps issue 24 measures, and `log`, the progress line on
stderr (stdout carries the workers' JSON results).
"""

import sys
from pathlib import Path

__all__ = ["REPO", "SIXTEEN_LRS", "log"]

REPO = Path(__file__).resolve().parents[1]
SIXTEEN_LRS = [round(0.01 * 1.3**i, 4) for i in range(16)]  # the sweep and command sections' 16-model sweep


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
