"""The command line of `jaxlin` (also `python -m jaxlin`, `python -m jaxlin.train`): argparse in,
one frozen Config out; with --config or --resume, the saved run's settings under the options given
(`jaxlin.cli.rerun`)."""

from __future__ import annotations

import argparse

from jaxlin.cli import program, rerun, tensorboard_log
from jaxlin.cli.arguments import add_training_options, folder, int_option
from jaxlin.cli.network_options import add_network_options, networks
from jaxlin.engine.distributed import cluster_settings
from jaxlin.experiments import Config, make_config
from jaxlin.models import MODELS, get_model


class _Help(argparse.HelpFormatter):
    """Shows an option's default unless its help already speaks of it, or it has none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" not in text and not (
            action.default is None or action.default is False or action.default == argparse.SUPPRESS
        ):
            text += " (default: %(default)s)"
        return text


def _book_settings() -> str:
    return "; ".join(
        f"{name}: lr {b.learning_rate}, batch {b.batch_size}, {b.num_epochs} epochs"
        for name, b in ((name, get_model(name).BOOK) for name in MODELS)
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=program.name(),
        description="Train a model of D2L chapters 3 and 4 (--model; softmax regression on Fashion-MNIST by "
        "default), or run the distribution-shift experiment (--shift). With the book's settings "
        f"unless told otherwise ({_book_settings()}).",
        epilog="Fashion-MNIST is looked for in --data-dir, then $JAXLIN_DATA, then tfds's manual folder "
        "(<tfds-dir>/downloads/manual), then /usr/share/datasets/fashion-mnist (Debian's "
        "dataset-fashion-mnist); if it is in none of them, tfds downloads it.",
        formatter_class=_Help,
    )
    add_training_options(p)
    add_network_options(p)
    p.add_argument(
        "--data-dir",
        type=folder,
        default=None,
        help="folder with the four Fashion-MNIST files (train-images-idx3-ubyte.gz, ...)",
    )
    p.add_argument(
        "--tfds-dir",
        type=folder,
        default=None,
        help="tfds data folder for the prepared dataset (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)",
    )
    p.add_argument(
        "--output-dir",
        type=folder,
        default=None,
        help="where results go (default: a new folder runs/<time>-<model>-<impl, sweep, Kfold, solve or the shift>)",
    )
    p.add_argument(
        "--devices",
        type=int_option,
        default=None,
        help="split each minibatch across this many local devices, data parallel (default: the "
        "most local devices that split the batch evenly; the batch size must be a multiple of it)",
    )
    p.add_argument(
        "--coordinator",
        metavar="HOST:PORT",
        default=None,
        help="train across processes (hosts): process 0's address, the same for every process "
        "(default: $JAXLIN_COORDINATOR); needs --num-processes and --process-id too",
    )
    p.add_argument(
        "--num-processes",
        metavar="N",
        default=None,
        help="how many processes train together (default: $JAXLIN_NUM_PROCESSES)",
    )
    p.add_argument(
        "--process-id",
        metavar="I",
        default=None,
        help="this process's number, 0 to N-1; process 0 coordinates and writes the results "
        "(default: $JAXLIN_PROCESS_ID)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run whose checkpoint.npz is in --output-dir (saved every few seconds and when a run "
        "stops), as it was configured: its options need not be given again (those given change it, e.g. --epochs)",
    )
    p.add_argument(
        "--config",
        type=folder,
        metavar="RUN",
        default=None,
        help="rerun a run with its settings, from its folder (its metrics.json, or the checkpoint.npz of an "
        "interrupted run) or RUN/metrics.json; the options given beside it override them; the results go "
        "to a new folder unless --output-dir is given",
    )
    p.add_argument(
        "--debug-nans", action="store_true", help="turn on jax_debug_nans: stop at the first operation that makes a NaN"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files to OUTPUT_DIR/tensorboard/: every epoch's metrics, the final "
        'figures and the plots (needs tensorboardX: pip install -e ".[tensorboard]")',
    )
    p.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="do not keep compiled XLA programs in $XDG_CACHE_HOME/jaxlin/xla (~/.cache/jaxlin/xla), "
        "which saves a few seconds of compiling on every later run",
    )
    return p


def _seeds(parser: argparse.ArgumentParser, args: argparse.Namespace):
    if args.seed is not None and args.seeds is not None:
        parser.error("give --seed or --seeds, not both")
    return args.seeds if args.seeds is not None else args.seed


def parse_config(argv: list[str] | None = None) -> Config:
    """The Config that the command line `argv` asks for; exits with code 2 and a message if it is bad.

    With --config RUN, or --resume, the saved run's settings (`jaxlin.cli.rerun`), overridden by the
    options given explicitly on the command line (not by the defaults of those left out)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tensorboard and tensorboard_log.missing():
        parser.error(str(tensorboard_log.missing()))
    settings, source = _settings(parser, args), None
    try:
        if args.config is not None:
            source, saved = rerun.saved_settings(args.config)
        elif args.resume and args.output_dir is not None:
            source, saved = rerun.resumed_settings(args.output_dir) or (None, {})
        if source is not None:
            settings = rerun.merged(saved, settings, _given(argv, args), resume=args.config is None)
    except rerun.RerunError as err:
        parser.error(str(err))
    try:
        return make_config(**settings)
    except (ValueError, TypeError) as err:
        if isinstance(err, TypeError) and source is None:  # only a saved setting may be of the wrong kind
            raise
        parser.error(str(err) if source is None else f"{err} (the settings of {source} with the options given)")


def _given(argv: list[str] | None, args: argparse.Namespace) -> set[str]:
    """The Config fields that the command line sets explicitly: parsed again into a namespace that
    holds a mark for every option (argparse fills in the defaults of missing attributes only)."""
    unset = object()
    parsed = build_parser().parse_args(argv, namespace=argparse.Namespace(**dict.fromkeys(vars(args), unset)))
    named = {"seeds": "seed", "no_plots": "plots", "no_compile_cache": "compile_cache"}
    return {named.get(dest, dest) for dest, value in vars(parsed).items() if value is not unset}


def _settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict:
    """make_config's settings from every option, given or left at its default."""
    return dict(
        model=args.model,
        impl=args.impl,
        optimizer=args.optimizer,
        lr=args.lr,
        seed=_seeds(parser, args),
        batch_size=args.batch_size,
        epochs=args.epochs,
        data_seed=args.data_seed,
        weight_decay=args.weight_decay,
        degree=args.degree,
        hidden=networks(args.hidden),
        activation=args.activation,
        init=args.init,
        dropout=args.dropout,
        validation=args.validation,
        early_stopping=args.early_stopping,
        kfold=args.kfold,
        tol=args.tol,
        max_iter=args.max_iter,
        shift=args.shift,
        shift_strength=args.shift_strength,
        beta_clip=args.beta_clip,
        devices=args.devices,
        data_dir=args.data_dir,
        **cluster_settings(args.coordinator, args.num_processes, args.process_id),
        tfds_dir=args.tfds_dir,
        output_dir=args.output_dir,
        resume=args.resume,
        debug_nans=args.debug_nans,
        plots=not args.no_plots,
        tensorboard=args.tensorboard,
        compile_cache=not args.no_compile_cache,
    )
