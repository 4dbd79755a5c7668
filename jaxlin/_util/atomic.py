"""Write files atomically: to a temporary file in the same folder, then rename over the target.

A crash or Ctrl-C midway leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Call write(f) on a temporary binary file, then move it to `path` (what `write` returns is ignored)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def strict(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None, so that it is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write `obj` as strict JSON (NaN and infinities become null), atomically."""
    text = json.dumps(strict(obj), indent=2, allow_nan=False) + "\n"
    return write_atomically(path, lambda f: f.write(text.encode()))
