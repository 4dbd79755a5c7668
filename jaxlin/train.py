"""The command line: python -m jaxlin.train [options]. Run with --help for the options.

By default it trains softmax regression on Fashion-MNIST the concise way with the book's settings
(SGD, learning rate 0.1, batch 256, 10 epochs), prints one line per epoch and a summary, and writes
metrics.json, curves.png, predictions.png, params.npz, history.jsonl (a line per epoch as it ends)
and checkpoint.npz (every few seconds and at the end) into the output folder. Several --lr or
--seeds values make a sweep; --devices trains data parallel, and --coordinator, --num-processes and
--process-id train across processes (jaxlin.engine.distributed).

Ctrl-C (or SIGTERM) stops the run after the epoch or solver chunk under way, with exit code 130
and how to resume it; a second Ctrl-C stops it at once (`jaxlin.cli.signals`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 the run could not go on (the message says why), 2 a bad option,
    130 interrupted (the message says whether and how to resume)."""
    try:
        from jaxlin.cli import CommandError, Interrupted, OptionError, parse_config, program, run, signals, streams
    except KeyboardInterrupt:
        print("\ninterrupted while starting; nothing was written.", file=sys.stderr)
        return 130
    with streams.safe_output(), signals.installed():
        config = parse_config(argv)
        try:
            run(config)
        except Interrupted as err:
            print(f"\n{err}", file=sys.stderr)
            return 130
        except CommandError as err:
            print(f"{program.name()}: error: {err}", file=sys.stderr)
            return 2 if isinstance(err, OptionError) else 1
        except KeyboardInterrupt:
            print("\ninterrupted.", file=sys.stderr)
            return 130
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted.", file=sys.stderr)
        sys.exit(130)
