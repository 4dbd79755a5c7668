"""Runs one implementation in its own process and prints its result as one JSON line.

python -m bench.worker TASK NAME --epochs N --book JSON --data-dir DIR [--tfds-dir DIR]
"""

import argparse
import json
import time

START = time.perf_counter()

from pathlib import Path  # noqa: E402

from bench.registry import TASKS  # noqa: E402

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("task", choices=sorted(TASKS))
    p.add_argument("name")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument(
        "--book",
        type=json.loads,
        required=True,
        help="the task's book settings, or the solve section's settings (see bench/registry.py)",
    )
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--tfds-dir", type=Path)
    args = p.parse_args()
    result = TASKS[args.task][args.name](args)
    result["in_process_s"] = time.perf_counter() - START
    print(json.dumps(result))
