"""Where the four Fashion-MNIST files come from.

In order: a folder the caller names (`source_dir=` / `--data-dir`), the `JAXLIN_DATA` environment
variable, tfds's manual folder (`<data_dir>/downloads/manual`), and Debian's package
`dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`). When none holds them, tfds
downloads them from the official address, checked against the official checksums.
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from jaxlin.data.errors import DataError
from jaxlin.data.idx import content_id

SPLIT_PREFIX = {"train": "train", "test": "t10k"}
FILE_NAMES = tuple(f"{p}-{kind}" for p in SPLIT_PREFIX.values() for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"))
BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_VAR = "JAXLIN_DATA"
# content_id() of the four official files: the identity of the real Fashion-MNIST.
OFFICIAL_IDS = {
    "train-images-idx3-ubyte": "b4f29f28-47040016",
    "train-labels-idx1-ubyte": "741a4657-60008",
    "t10k-images-idx3-ubyte": "678fe0b1-7840016",
    "t10k-labels-idx1-ubyte": "80142c1f-10008",
}


def files_in(folder: Path) -> dict[str, Path] | None:
    """The four files in `folder` (each as NAME.gz or plain NAME), or None if any is missing."""
    found = {}
    for name in FILE_NAMES:
        candidates = [folder / f"{name}.gz", folder / name]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            return None
        found[name] = path
    return found


def _explicit(folder: Path, how: str) -> dict[str, Path]:
    files = files_in(folder)
    if files is None:
        missing = [n for n in FILE_NAMES if not (folder / f"{n}.gz").is_file() and not (folder / n).is_file()]
        raise DataError(
            f"{how} points at {folder}, but it does not hold {', '.join(m + '.gz' for m in missing)}. "
            "Point it at the folder with the four Fashion-MNIST files train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz."
        )
    return files


def find_local_files(source_dir: str | os.PathLike | None, manual_dir: Path) -> dict[str, Path] | None:
    """The four files from the first place that has them, or None (then: download)."""
    if source_dir is not None:
        return _explicit(Path(source_dir).expanduser(), "source_dir (--data-dir)")
    if os.environ.get(ENV_VAR):
        return _explicit(Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}")
    for folder in (manual_dir, DEBIAN_DIR):
        files = files_in(folder)
        if files is not None:
            return files
    return None


def source_id(files: dict[str, Path] | None) -> str:
    """'official' for the real Fashion-MNIST (or a download of it), else 'custom-<hash>'."""
    if files is None:
        return "official"
    ids = {name: content_id(path) for name, path in files.items()}
    if ids == OFFICIAL_IDS:
        return "official"
    misnamed = {
        name: next(official for official, i in OFFICIAL_IDS.items() if i == found)
        for name, found in ids.items()
        if found in OFFICIAL_IDS.values() and OFFICIAL_IDS[name] != found
    }
    if misnamed:
        what = "; ".join(f"{files[name]} holds {official}" for name, official in misnamed.items())
        raise DataError(
            f"Fashion-MNIST's files are misnamed (train and test swapped?): {what}. Give each file its own name."
        )
    digest = hashlib.sha256(repr(sorted(ids.items())).encode()).hexdigest()
    return f"custom-{digest[:10]}"


def check_online(timeout: float = 3.0) -> None:
    """Fail fast, with directions, when the download address cannot be reached."""
    host = urlparse(BASE_URL).hostname
    try:
        socket.create_connection((host, 80), timeout=timeout).close()
    except OSError as err:
        raise DataError(
            "Fashion-MNIST was not found on this machine and cannot be downloaded "
            f"({host} is unreachable: {err}). Put the four files train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
            f"in a folder and pass it as --data-dir (or source_dir=, or set ${ENV_VAR}), or install "
            f"Debian's package dataset-fashion-mnist ({DEBIAN_DIR})."
        ) from None
