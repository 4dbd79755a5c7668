"""The command's name as it was called, for --help, the error lines and the hints that say what to
type next: `jaxlin` (the console script), `python -m jaxlin` or `python -m jaxlin.train`."""

from __future__ import annotations

import sys

SCRIPT = "jaxlin"  # pyproject.toml's [project.scripts]; also the name when main() is called from Python


def name() -> str:
    """`python -m <module>` when a jaxlin module runs as __main__, the script's name when it is
    `jaxlin` (`jaxlin.exe` on Windows), and `jaxlin` otherwise (main() called from other code)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    module = getattr(spec, "name", None) or ""
    module = module.removesuffix(".__main__")
    if module == "jaxlin" or module.startswith("jaxlin."):
        return f"python -m {module}"
    return SCRIPT
