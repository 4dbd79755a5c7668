"""`python -m jaxlin.train --shift covariate|label`: the distribution-shift experiment as a command."""

from __future__ import annotations

from pathlib import Path

import jax

from jaxlin.cli import figures, signals, tensorboard_log
from jaxlin.cli.loops import LoopError
from jaxlin.data.dataset import Dataset
from jaxlin.data.shift import covariate_shift, label_shift
from jaxlin.engine.checkpoint import save_checkpoint
from jaxlin.engine.train_state import TrainingDiverged
from jaxlin.experiments.config import Config
from jaxlin.experiments.distribution_shift import correct_covariate_shift, correct_label_shift, shift_sizes
from jaxlin.plots.solve_progress import SolvePrinter


def shifted_data(config: Config, data: Dataset):
    """The source and target the config asks for, drawn from Fashion-MNIST with its data seed."""
    key = jax.random.key(config.data_seed)
    if config.shift == "covariate":
        assert config.shift_strength is not None  # make_config fills it in for a covariate shift
        return covariate_shift(data, key, config.shift_strength)
    return label_shift(data, key)


def run_shift(config: Config, data: Dataset, out: Path) -> dict:
    """Build the shift, correct it, print and write the figures: metrics.json's "final" holds
    target_accuracy and target_loss, each with uncorrected, corrected and oracle; params.npz the
    corrected model; shift.png the picture."""
    try:
        shifted = shifted_data(config, data)
    except ValueError as err:  # a set left empty by the selection
        raise LoopError(f"{err} Use more data, or a weaker --shift-strength.") from None
    sizes = shift_sizes(shifted)
    print(
        f"{shifted.description}\nsource {sizes['source']} labelled images, target {sizes['target']} images (labels "
        f"only for the oracle), target test {sizes['target_test']}",
        flush=True,
    )
    try:
        with SolvePrinter(check=signals.check) as printer:  # each L-BFGS solve's progress; Ctrl-C between chunks
            if config.shift == "covariate":
                assert config.beta_clip is not None  # make_config fills it in for a covariate shift
                result = correct_covariate_shift(config, shifted, clip=config.beta_clip, on_chunk=printer)
            else:
                result = correct_label_shift(config, shifted, on_chunk=printer)
    except TrainingDiverged as err:
        raise LoopError(str(err)) from None
    save_checkpoint(out / "params.npz", {"params": result.params}, metadata=config.to_json())
    if config.plots:
        from jaxlin.plots.shift import plot_shift

        figures.draw(plot_shift, shifted, result.figures, result.arrays, out / "shift.png")  # after metrics.json
    if config.tensorboard:  # no epochs: the figures ("final/target_accuracy/corrected", ...) and shift.png at step 0
        tensorboard_log.clear(out)
        figures.draw(tensorboard_log.write_final, out, 0, result.figures)
    accuracy = result.figures["target_accuracy"]
    gain = accuracy["corrected"] - accuracy["uncorrected"]
    print(
        f"correction {'helped' if gain > 0 else 'did not help'}: target accuracy {accuracy['uncorrected']:.4f} "
        f"-> {accuracy['corrected']:.4f} ({gain:+.4f}); the oracle reaches {accuracy['oracle']:.4f}"
    )
    return {"final": result.figures}
