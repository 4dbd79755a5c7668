"""The command's output streams, made safe for hostile terminals: text the stream's encoding
cannot hold (PYTHONIOENCODING=ascii, LC_ALL=C) degrades to ASCII ("‖w‖" -> "||w||") instead of
raising UnicodeEncodeError, and a closed stdout (`python -m jaxlin.train ... | head -1`) stops
the printing, not the run: training goes on and writes its results.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
from collections.abc import Iterator

ASCII = {"‖": "||", "±": "+-", "→": "->", "←": "<-", "×": "x", "·": "*", "…": "...", "≤": "<=", "≥": ">=",
         "≈": "~", "λ": "lambda", "β": "beta", "σ": "sigma", "μ": "mu", "²": "^2", "½": "1/2", "∓": "-+", "ⁱ": "^i", "—": "-", "–": "-", "−": "-",
         "█": "#", "▏": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "|"}  # fmt: skip
ERRORS = "jaxlin-ascii"


def _to_ascii(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text = err.object[err.start : err.end]
    return "".join(ASCII.get(c, c.encode("ascii", "backslashreplace").decode()) for c in text), err.end


codecs.register_error(ERRORS, _to_ascii)


def _plain(stream) -> None:
    """Let `stream` degrade what its encoding cannot hold, if it is a text file that would raise."""
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        try:
            "".join(ASCII).encode(stream.encoding)
        except (UnicodeEncodeError, LookupError):
            stream.reconfigure(errors=ERRORS)


class _Forgiving(io.TextIOBase):
    """stdout that, once its reader has gone (BrokenPipeError), sends everything to /dev/null and
    says so once on stderr; the run goes on."""

    def __init__(self, stream):
        self._stream, self._closed = stream, False

    def _gone(self) -> None:
        if not self._closed:
            self._closed = True
            # what is still buffered goes to /dev/null, not to an error when Python exits
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._stream.fileno())
                os.close(devnull)
                self._stream.flush()
            with contextlib.suppress(OSError, ValueError):
                print("(the output was closed; training goes on, results in the output folder)", file=sys.stderr)

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def isatty(self) -> bool:
        return not self._closed and self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", "utf-8")


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """For the block: stdout and stderr degrade to ASCII where they must, and stdout forgives a
    reader that has gone away."""
    _plain(sys.stdout)
    _plain(sys.stderr)
    stdout = sys.stdout
    sys.stdout = _Forgiving(stdout)
    try:
        yield
    finally:
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()
        sys.stdout = stdout
