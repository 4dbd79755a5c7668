"""The command's failures, each ending in one paragraph and an exit code (`jaxlin.train`):
CommandError 1, OptionError 2, Interrupted 130."""

from __future__ import annotations


class CommandError(Exception):
    """The command cannot go on; the message says why and what to do."""


class Interrupted(CommandError):
    """Ctrl-C; the message says whether the run can be resumed."""


class OptionError(CommandError):
    """An option that does not fit the data (e.g. a validation split left empty): exit code 2."""
