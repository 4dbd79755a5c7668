"""Write files atomically: to a temporary file in the same folder, then rename over the target.

A crash or Ctrl-C midway leaves either the old file or the new one, never half of one. The
temporary file is removed on every exit path Python sees (`remove_temporary_files` for a process
about to `os._exit`); one left by a killed process is removed by `remove_stale` at the next start.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # mkstemp's names: 8 random characters
_PENDING: set[str] = set()  # temporary files being written now, for remove_temporary_files


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Call write(f) on a temporary binary file, then move it to `path` (what `write` returns is ignored)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _PENDING.add(tmp)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:  # e.g. a full disk: name the file meant, not its temporary one (or none)
        Path(tmp).unlink(missing_ok=True)
        if err.errno is None:
            raise
        raise OSError(err.errno, err.strerror, str(path)) from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        _PENDING.discard(tmp)
    return path


def remove_temporary_files() -> None:
    """Remove the temporary files being written now (for a process about to end with os._exit)."""
    for tmp in list(_PENDING):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files `write_atomically` left in `folder` (a killed process's, named
    like ".metrics.json.ab12_x9z.tmp"); call it only while no other process writes there."""
    stale = [path for path in Path(folder).glob(".*.tmp") if _TEMPORARY.fullmatch(path.name) and path.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


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
