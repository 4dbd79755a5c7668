"""What `python -m bench` writes from its results: the markdown tables and the scaling plot."""

from __future__ import annotations

from pathlib import Path

from bench.targets import judge


def head(title: str, *columns: str) -> list[str]:
    """A section's heading and its table's first two rows."""
    return [f"\n## {title}\n", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]


def peers_table(task: str, rows: list[dict], heading: str | None = None) -> list[str]:
    classifier = task != "linreg"  # the Fashion-MNIST tasks report test accuracy
    acc = "test acc" if classifier else "max |w − w*| / |b − b*|"
    lines = head(
        heading or task,
        "implementation",
        "s/epoch median (min–max)",
        "ratio to jaxlin",
        "total wall s",
        "compile s",
        acc,
    )
    for r in rows:
        quality = f"{r['test_accuracy']:.4f}" if classifier else f"{r['w_error']:.1e} / {r['b_error']:.1e}"
        compile_s = f"{r['compile_s']:.2f}" if "compile_s" in r else "–"
        ratio = f"{r['ratio_to_jaxlin']:.2f}×" if "ratio_to_jaxlin" in r else "–"
        lines.append(
            f"| {r['name']} | {r['median_s'] * 1e3:.2f} ms ({r['min_s'] * 1e3:.2f}–{r['max_s'] * 1e3:.2f}) "
            f"| {ratio} | {r['wall_s']:.1f} | {compile_s} | {quality} |"
        )
        if r.get("note"):
            lines[-1] = lines[-1][:-2] + f" ({r['note']}) |"
    return lines


def mlp_table(m: dict) -> list[str]:
    """The MLP's implementations; "ratio to jaxlin" is each one's median epoch over jaxlin's."""
    b = m["book"]
    heading = (
        f"mlp (784-256-10 ReLU, weights N(0, 0.01²); Fashion-MNIST, batch {b['batch_size']}, lr {b['learning_rate']:g})"
    )
    ratios = [
        f"{r['name']} {r['ratio_to_jaxlin']:.2f}×"
        for r in m["rows"]
        if not r["name"].startswith("jaxlin") and "ratio_to_jaxlin" in r
    ]
    summary = (
        [f"\nMedian epoch over jaxlin-concise's (above 1: slower than jaxlin): {', '.join(ratios)}."] if ratios else []
    )
    return peers_table("mlp", m["rows"], heading) + summary


def solve_table(solved: dict) -> list[str]:
    """Each solver's run on the same objective, its solution judged in float64 by the same code."""
    s = solved["settings"]
    best = min((r["objective"] for r in solved["rows"]), default=0.0)
    sklearn = next((r["seconds"] for r in solved["rows"] if r["name"].startswith("sklearn")), None)
    lines = [
        "\n## L2-regularised softmax regression solved to convergence\n",
        (
            f"{s['num_examples']:,} training images, λ = {s['weight_decay']:g} (sklearn's C = 1/(nλ) = {s['C']:.4g}), "
            f"tol {s['tol']:g}, at most {s['max_iter']} iterations; objective = mean cross-entropy + λ·½‖w‖² "
            "(bias unpenalised) and its gradient, in float64 for both solutions.\n"
        ),
        (
            "| solver | stops at | s (jaxlin: compile s) | sklearn's s / s | iterations | converged | objective | − best "
            "| ‖gradient‖₂ | max \\|gradient\\| | test acc |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in solved["rows"]:
        compile_s = f" ({r['compile_s']:.1f})" if "compile_s" in r else ""
        stop = r["stop"].replace("|", "\\|")  # a pipe would end the cell
        ratio = f"{sklearn / r['seconds']:.1f}×" if sklearn else "–"
        lines.append(
            f"| {r['name']} | {stop} | {r['seconds']:.1f}{compile_s} | {ratio} | {r['iterations']} | "
            f"{'yes' if r['converged'] else 'no'} | {r['objective']:.8f} | {r['objective'] - best:.1e} | "
            f"{r['grad_norm']:.1e} | {r['grad_max']:.1e} | {r['test_accuracy']:.4f} |"
        )
    return lines


def pipeline_table(p: dict) -> list[str]:
    v = p["vectorization"]
    return [
        *head("data pipeline and vectorization", "what", "time"),
        f"| prepare the tfds dataset once ({p['images']:,} images) | {p['prepare_s']:.2f} s |",
        f"| load the prepared train split into device memory | {p['load_train_to_device_s']:.3f} s |",
        f"| the same through tfds's per-example decoder | {p['load_train_tfds_decoder_s']:.3f} s |",
        f"| feed one epoch of batch-256 minibatches (gather + to float, in jit) | {p['feed_epoch_batch256_s'] * 1e3:.2f} ms |",
        f"| add two 10000-vectors in a Python loop | {v['python_loop_s'] * 1e3:.2f} ms |",
        f"| the same as one jitted `a + b` | {v['jax_s'] * 1e3:.4f} ms ({v['speedup']:.0f}× faster) |",
    ]


def ms_row(heading: str, seconds: dict) -> list[str]:
    """A two-row table: the sizes in `seconds` across, and their milliseconds under them."""
    return [
        f"| {heading} | " + " | ".join(map(str, seconds)) + " |",
        "|---" * (len(seconds) + 1) + "|",
        "| ms/epoch | " + " | ".join(f"{t * 1e3:.1f}" for t in seconds.values()) + " |",
    ]


def scaling_table(s: dict) -> list[str]:
    return [
        "\n## scaling of the jaxlin epoch (concise softmax regression)\n",
        *ms_row(f"batch size ({s['examples']:,} examples)", s["batch_size"]),
        "",
        *ms_row("examples (batch 256)", s["num_examples"]),
    ]


def sweep_table(sweeps: dict) -> list[str]:
    lines = head(
        "sweeps: N models in one vmapped epoch against N epochs one after another",
        *("sweep", "models", "one model s/epoch", "vmapped s/epoch (× one model)", "sequential s/epoch", "speed-up"),
    )
    for label, r in sweeps.items():
        one = r.get("one_model_s")  # results from before this column hold no one-model figure
        shown = "–" if one is None else f"{one:.3f}"
        times = "" if one is None else f" ({r['vmapped_s'] / one:.2f}×)"
        lines.append(
            f"| {label} | {r['models']} | {shown} | {r['vmapped_s']:.3f}{times} | {r['sequential_s']:.3f} "
            f"| {r['speedup']:.2f}× |"
        )
    return lines


def cli_table(runs: dict) -> list[str]:
    lines = head(
        "`python -m jaxlin.train` with its defaults, end to end",
        *("compile cache", "wall s (import, load, compile, train, write)", "load s", "first epoch s (with compile)"),
        *("steady ms/epoch", "test acc"),
    )
    for run, c in runs.items():
        lines.append(
            f"| {run} | {c['wall_s']:.1f} | {c['load_s']:.2f} | {c['first_epoch_s']:.2f} | "
            f"{c['steady_epoch_s'] * 1e3:.0f} | {c['test_accuracy']:.4f} |"
        )
    return lines


def command_table(per_epoch: dict) -> list[str]:
    return [
        *head(
            "one more epoch through `python -m jaxlin.train`: (wall of N+2 epochs − wall of 2) / N, warm cache, no plots",
            *("run", "N", "ms/epoch", "the command's own median epoch, ms"),
        ),
        *(
            f"| {label} | {r['epochs']} | {r['epoch_s'] * 1e3:.0f} | {(r.get('steady_epoch_s') or 0) * 1e3:.0f} |"
            for label, r in per_epoch.items()
        ),
    ]


def targets_table(results: dict) -> list[str]:
    """Issue 24's targets (`bench.targets.judge`), each with its ratio and verdict."""
    lines = head("issue 24's targets", "target", "ratio", "goal", "verdict", "measured as")
    for t in judge(results):
        ratio = "–" if t["ratio"] is None else f"{t['ratio']:.2f}×"
        verdict = {True: "met", False: "**not met**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {ratio} | {t['goal']} | {verdict} | {t['how']} |")
    return lines


def markdown(results: dict) -> str:
    data = results["data"]
    lines = [
        f"# jaxlin benchmarks\n\n{results['machine']}; {results['epochs']} epochs; "
        f"{data['train_examples']:,} training and {data['test_examples']:,} test images.\n"
    ]
    for task, rows in results.get("peers", {}).items():
        lines += peers_table(task, rows)
    from bench.breakdown import breakdown_table  # imports jaxlin, as the sections do

    for section, table in (
        ("mlp", mlp_table),
        ("solve", solve_table),
        ("pipeline", pipeline_table),
        ("breakdown", breakdown_table),
        ("scaling", scaling_table),
        ("sweep", sweep_table),
        ("cli", cli_table),
        ("command", command_table),
    ):
        if section in results:
            lines += table(results[section])
    lines += targets_table(results)
    return "\n".join(lines) + "\n"


def plot_scaling(s: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    from jaxlin.plots import save_figure

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(list(s["batch_size"]), [t * 1e3 for t in s["batch_size"].values()], marker="o")
    a.set(xscale="log", xlabel=f"batch size ({s['examples']:,} examples)", ylabel="ms per epoch")
    b.plot(list(s["num_examples"]), [t * 1e3 for t in s["num_examples"].values()], marker="o")
    b.set(xlabel="examples (batch 256)", ylabel="ms per epoch")
    for ax in (a, b):
        ax.grid(True, alpha=0.3)
    save_figure(fig, path)
