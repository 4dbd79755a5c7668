"""Progress: a line per epoch for short runs, a tqdm bar (terminal) or ~20 lines (file) for long
ones, and live curves that record every epoch."""

import io

import jaxlin
from jaxlin.plots.progress import EpochPrinter, LiveCurves, worth_a_line


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _show(printer, num_epochs):
    with printer:
        for epoch in range(num_epochs):
            printer.show(epoch, f"train loss {1 / (epoch + 1):.3f}", 0.01)


def test_short_runs_print_every_epoch_even_on_a_terminal():
    out = Terminal()
    _show(EpochPrinter(10, stream=out), 10)
    assert out.getvalue().count("epoch ") == 10 and "epoch 10/10  train loss 0.100" in out.getvalue()


def test_long_runs_show_a_bar_on_a_terminal_and_about_20_lines_in_a_file():
    terminal, log = Terminal(), io.StringIO()
    _show(EpochPrinter(400, stream=terminal), 400)
    _show(EpochPrinter(400, stream=log), 400)
    assert "400/400" in terminal.getvalue() and ("epoch/s" in terminal.getvalue() or "s/epoch" in terminal.getvalue())
    assert "epoch 400/400" not in terminal.getvalue()  # the bar, not lines
    lines = log.getvalue().splitlines()
    assert len(lines) == 21 and lines[0].startswith("epoch   1/400") and lines[-1].startswith("epoch 400/400")
    assert sum(worth_a_line(e, 1000) for e in range(1000)) == 21


def test_a_resumed_long_run_counts_from_where_it_was():
    terminal = Terminal()
    with EpochPrinter(400, done=390, stream=terminal) as printer:  # 10 to go: no bar, lines
        for epoch in range(390, 400):
            printer.show(epoch, "x", 0.0)
    assert terminal.getvalue().splitlines() == ["epoch 400/400  x  (0.00 s)"]


def test_live_curves_record_every_epoch_through_fit():
    live = LiveCurves()
    config = jaxlin.make_config("linreg", epochs=3)
    result = jaxlin.train_model(config, on_epoch=live.update)
    assert live.history == result.history
