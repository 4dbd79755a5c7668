"""python -m bench [--quick]: jaxlin against its peers, side by side, in one run on one machine.

Prints tables and writes them to <out>/results.json and <out>/results.md, with scaling.png.
Nothing here asserts anything about time: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

from bench import REPO

SECTIONS = {  # run in this order: name -> the bench module whose function of that name it is
    "peers": "peer_sections",
    "mlp": "peer_sections",
    "solve": "peer_sections",
    "pipeline": "sections",
    "breakdown": "sections",
    "scaling": "sections",
    "sweep": "sections",
    "cli": "commands",
    "command": "commands",
}
SLOW = {"command"}  # left out of a --quick run unless named with --only (ten runs of the command)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="short run: 3 epochs, fewer sizes, a 5,000-image solve, no command section (proves the script works)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("JAXLIN_DATA") or REPO.parent / "shared/data/fashion-mnist",
        help="folder with the four Fashion-MNIST files (default: $JAXLIN_DATA or ../shared/data/fashion-mnist)",
    )
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where results go")
    p.add_argument("--only", choices=list(SECTIONS), action="append", help="run only these sections (repeatable)")
    args = p.parse_args(argv)
    if not (args.data_dir / "train-images-idx3-ubyte.gz").is_file():
        p.error(f"no Fashion-MNIST files in {args.data_dir}; pass --data-dir or set JAXLIN_DATA")
    args.epochs = 3 if args.quick else 10
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # Imported once the arguments are good: --help and usage errors answer without loading JAX.
    import jax

    from bench import tables
    from jaxlin._util.atomic import write_atomically, write_json
    from jaxlin.data import fashion_mnist_builder

    results = {
        "machine": f"{os.cpu_count()} CPU cores, {jax.devices()[0].platform}, jax {jax.__version__}",
        "epochs": args.epochs,
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory() as tfds_dir:
        splits = fashion_mnist_builder(args.data_dir, tfds_dir).info.splits  # prepared once, for every section
        args.train_examples, args.test_examples = splits["train"].num_examples, splits["test"].num_examples
        results["data"] = {"train_examples": args.train_examples, "test_examples": args.test_examples}
        for name in args.only or [s for s in SECTIONS if not (args.quick and s in SLOW)]:
            section = getattr(importlib.import_module(f"bench.{SECTIONS[name]}"), name)
            results[name] = section(args, Path(tfds_dir))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", results)
    text = tables.markdown(results)
    write_atomically(args.out / "results.md", lambda f: f.write(text.encode()))
    if "scaling" in results:
        tables.plot_scaling(results["scaling"], args.out / "scaling.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
