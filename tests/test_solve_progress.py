"""A solve's progress: a line every few seconds (and the last) in a log, a tqdm bar on a terminal,
a check between chunks that stops the solve, and the command's lines for `--optimizer lbfgs`."""

import io
import re

import jax.numpy as jnp
import pytest

from jaxlin.engine import solve_lbfgs
from jaxlin.engine.lbfgs import SolveProgress
from jaxlin.plots.solve_progress import SolvePrinter
from jaxlin.train import main


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _chunk(iterations, seconds, done=False, converged=False, max_iter=500):
    return SolveProgress(
        None, None, iterations, max_iter, 1 / iterations, 0.1 / iterations, converged, done, seconds, 0.5
    )


LINE = re.compile(r"L-BFGS  iteration +(\d+)/(\d+)  objective \S+  ‖grad‖ \S+  \((\d+\.\d) s\)(.*)")


def test_a_log_gets_a_line_every_few_seconds_and_the_last():
    log = io.StringIO()
    with SolvePrinter(stream=log, every=5.0) as printer:
        for k, seconds in enumerate([0.6, 1.0, 5.1, 6.0, 9.9, 10.2, 11.0], start=1):
            printer(_chunk(10 * k, seconds))
        printer(_chunk(75, 11.3, done=True, converged=True))
        for k, seconds in enumerate([0.6, 5.7, 6.0], start=1):  # a second solve: counted from its own start
            printer(_chunk(k, seconds, done=k == 3, max_iter=3))
    lines = [LINE.fullmatch(line) for line in log.getvalue().splitlines()]
    assert all(lines) and [(m[1], m[3], m[4]) for m in lines] == [
        ("30", "5.1", ""), ("60", "10.2", ""), ("75", "11.3", "  converged"), ("2", "5.7", ""),
        ("3", "6.0", "  stopped, not converged"),
    ]  # fmt: skip
    assert lines[0][2] == "500" and lines[-1][2] == "3"


def test_a_terminal_gets_a_bar_that_ends_with_the_verdict():
    terminal = Terminal()
    with SolvePrinter(stream=terminal) as printer:
        for k in range(1, 5):
            printer(_chunk(10 * k, 0.3 * k, done=k == 4, converged=k == 4, max_iter=100))
    shown = terminal.getvalue()
    assert "L-BFGS" in shown and "40/100" in shown and "‖grad‖ 0.0025  converged" in shown
    assert "iteration" not in shown  # the bar, not lines


def test_the_check_stops_the_solve_between_two_chunks():
    """What Ctrl-C does through `jaxlin.cli.signals.check`: its exception ends the solve after the
    chunk in which it arrived (here one iteration a chunk: after the third)."""
    seen = []

    def check():
        if len(seen) == 3:
            raise KeyboardInterrupt
        seen.append(1)

    printer = SolvePrinter(stream=io.StringIO(), check=check)
    target = jnp.array([1.0, -2.0, 3.0])
    objective = lambda p: 0.5 * jnp.sum((p - target) ** 2 * jnp.array([1.0, 10.0, 100.0]))
    iterations = []
    with pytest.raises(KeyboardInterrupt), printer:
        solve_lbfgs(
            objective, jnp.zeros(3), chunk_seconds=0, on_chunk=lambda p: (iterations.append(p.iterations), printer(p))
        )
    assert iterations == [1, 2, 3, 4] and printer.shown is None  # the 4th chunk's check raised; closed


def test_the_command_prints_the_solves_progress(tmp_path, capsys):
    argv = ["--model", "highdim", "--optimizer", "lbfgs", "--weight-decay", "3", "--tol", "1e-6", "--no-plots"]
    assert main([*argv, "--output-dir", str(tmp_path / "run"), "--no-compile-cache"]) == 0
    lines = [LINE.fullmatch(line) for line in capsys.readouterr().out.splitlines() if line.startswith("L-BFGS  ")]
    assert lines and all(lines) and lines[-1][4] == "  converged"
    counts = [int(m[1]) for m in lines]
    assert counts == sorted(set(counts)) and counts[-1] > 1
