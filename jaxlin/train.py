"""The command line: python -m jaxlin.train [options]. Run with --help for the options.

By default it trains softmax regression on Fashion-MNIST the concise way with the book's settings
(SGD, learning rate 0.1, batch 256, 10 epochs), prints one line per epoch and a summary, and writes
metrics.json, curves.png, predictions.png, params.npz and (after every epoch) checkpoint.npz into
the output folder. Several --lr or --seeds values make a sweep; --devices trains data parallel.
"""
from __future__ import annotations

import sys

from jaxlin.command import CommandError, run
from jaxlin.options import parse_config


def main(argv: list[str] | None = None) -> int:
    config = parse_config(argv)
    try:
        run(config)
    except CommandError as err:
        print(f"python -m jaxlin.train: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted. Continue with: python -m jaxlin.train --resume --output-dir {config.output_dir} "
              "(and the same options)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
