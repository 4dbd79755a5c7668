"""`python -m jaxlin.train`: the options, the epoch loops that print and checkpoint, the results
written to the output folder, resume, the exit codes. It calls the library's one implementation
of each kind of run (`jaxlin.experiments`) and owns only what a command owns.
"""

from jaxlin.cli.command import run
from jaxlin.cli.errors import CommandError, Interrupted, OptionError
from jaxlin.cli.options import build_parser, parse_config

__all__ = ["CommandError", "Interrupted", "OptionError", "build_parser", "parse_config", "run"]
