"""`python -m jaxlin [options]`: the same command as `jaxlin` and `python -m jaxlin.train`."""

import sys

from jaxlin.train import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # as jaxlin.train's: a Ctrl-C that gets past main's own handling
        print("\ninterrupted.", file=sys.stderr)
        sys.exit(130)
