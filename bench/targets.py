"""Issue 24's speed targets, each judged "met" or "not met" from one run's results, with its ratio.

Every ratio is taken between figures of the same `python -m bench` run (same machine, same hour);
a target whose figures a section did not produce (e.g. `--only peers`, or PyTorch not installed)
is listed as "not measured". The test-suite target (issue 24's fifth) is not a bench figure.
"""

from __future__ import annotations


def _median(rows: list[dict], name: str) -> float | None:
    return next((r["median_s"] for r in rows if r["name"] == name), None)


def _target(label: str, ratio: float | None, goal: float, at_least: bool, how: str) -> dict:
    met = None if ratio is None else (ratio >= goal if at_least else ratio <= goal)
    return {"target": label, "ratio": ratio, "goal": f"{'≥' if at_least else '≤'} {goal:g}×", "met": met, "how": how}


def _over(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or not positive (a difference of walls lost in noise)."""
    return None if a is None or b is None or a <= 0 or b <= 0 else a / b


def judge(results: dict) -> list[dict]:
    """[{"target", "ratio", "goal", "met" (True, False or None: not measured), "how"}, ...]."""
    softmax = results.get("peers", {}).get("softmax", [])
    mlp = results.get("mlp", {}).get("rows", [])
    jaxlin = _median(softmax, "jaxlin-concise")
    per_epoch = results.get("command", {})
    command_one = per_epoch.get("one model", {}).get("epoch_s")
    command_sweep = per_epoch.get("16 learning rates, 1 seed", {}).get("epoch_s")
    own_one = per_epoch.get("one model", {}).get("steady_epoch_s")
    own_sweep = per_epoch.get("16 learning rates, 1 seed", {}).get("steady_epoch_s")
    engine_sweep = results.get("sweep", {}).get("16 learning rates, 1 seed", {}).get("vmapped_s")
    return [
        _target(
            "1. softmax epoch vs NumPy written for speed",
            _over(_median(softmax, "numpy-expert"), jaxlin),
            2,
            True,
            "numpy-expert's median epoch / jaxlin-concise's (peers)",
        ),
        _target(
            "1. softmax epoch vs PyTorch written for speed",
            _over(_median(softmax, "pytorch-expert"), jaxlin),
            3,
            True,
            "pytorch-expert's median epoch / jaxlin-concise's (peers)",
        ),
        _target(
            "2. the command's epoch vs the engine's, one model",
            _over(command_one, jaxlin),
            1.1,
            False,
            "(wall of N+2 − wall of 2) / N through `python -m jaxlin.train` (command) / jaxlin-concise's compiled "
            "epoch with its evaluation (peers)",
        ),
        _target(
            "2. the command's epoch vs the engine's, 16-model sweep",
            _over(command_sweep, engine_sweep),
            1.1,
            False,
            "the same for `--lr` with 16 values (command) / the vmapped epoch without evaluation (sweep)",
        ),
        _target(
            "3. a 16-model sweep vs one model, through the command",
            _over(command_sweep, command_one),
            2,
            False,
            "the two per-epoch figures of the command section",
        ),
        _target(
            "3. the same, by the command's own clock",
            _over(own_sweep, own_one),
            2,
            False,
            "the two runs' median epochs (metrics.json `steady_epoch_s`, command section)",
        ),
        _target(
            "4. the MLP vs PyTorch written for speed",
            _over(_median(mlp, "pytorch-expert"), _median(mlp, "jaxlin-concise")),
            2,
            True,
            "pytorch-expert's median epoch / jaxlin-concise's (mlp)",
        ),
    ]
