"""python -m bench [--quick]: jaxlin against its peers, side by side, in one run on one machine.

Prints tables and writes them to <out>/results.json and <out>/results.md, with scaling.png.
Nothing here asserts anything about time: these are measurements, not tests.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.peers import IMPLEMENTATIONS, REQUIRES

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short run: 3 epochs, fewer sizes (proves the script works)")
    p.add_argument("--data-dir", type=Path, default=os.environ.get("JAXLIN_DATA") or REPO.parent / "shared/data/fashion-mnist",
                   help="folder with the four Fashion-MNIST files (default: $JAXLIN_DATA or ../shared/data/fashion-mnist)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where results go")
    p.add_argument("--only", choices=["peers", "pipeline", "scaling", "sweep", "cli"], action="append",
                   help="run only these sections (repeatable)")
    args = p.parse_args(argv)
    if not (args.data_dir / "train-images-idx3-ubyte.gz").is_file():
        p.error(f"no Fashion-MNIST files in {args.data_dir}; pass --data-dir or set JAXLIN_DATA")
    args.epochs = 3 if args.quick else 10
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def steady(epoch_s: list[float]) -> list[float]:
    """Epoch times without the first one (worker start-up, caches) when there are more."""
    return epoch_s[1:] if len(epoch_s) > 1 else epoch_s


def run_worker(task: str, name: str, args, tfds_dir: Path) -> dict | None:
    module = REQUIRES.get(name)
    if module and importlib.util.find_spec(module) is None:
        log(f"  {name}: skipped ({module} is not installed; see bench/README.md)")
        return None
    cmd = [sys.executable, "-m", "bench.worker", task, name, "--epochs", str(args.epochs),
           "--data-dir", str(args.data_dir), "--tfds-dir", str(tfds_dir)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        log(f"  {name}: FAILED\n{done.stderr[-2000:]}")
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    times = steady(result["epoch_s"])
    result.update(name=name, wall_s=wall, median_s=statistics.median(times), min_s=min(times), max_s=max(times))
    log(f"  {name}: {result['median_s'] * 1e3:.1f} ms/epoch, wall {wall:.1f} s")
    return result


def peers(args, tfds_dir: Path) -> dict:
    tables = {}
    for task, impls in IMPLEMENTATIONS.items():
        log(f"{task}: {', '.join(impls)}")
        rows = [r for r in (run_worker(task, name, args, tfds_dir) for name in impls) if r]
        base = next(r for r in rows if r["name"].startswith("jaxlin"))["median_s"]
        for r in rows:
            r["ratio_to_jaxlin"] = r["median_s"] / base
        tables[task] = rows
    return tables


def pipeline(args, tfds_dir: Path) -> dict:
    import jax
    import jax.numpy as jnp

    from jaxlin.data import fashion_mnist_builder, load_fashion_mnist, preprocess_images, to_device
    from jaxlin.data.fashion_mnist import _read_split_tfds
    from jaxlin.minibatch import batch_indices
    from jaxlin.vectorization import vectorization_demo

    out = {}
    with tempfile.TemporaryDirectory() as fresh:
        start = time.perf_counter()
        fashion_mnist_builder(args.data_dir, fresh)
        out["prepare_s"] = time.perf_counter() - start
    loads = []
    for _ in range(3):
        start = time.perf_counter()
        images, labels = jax.block_until_ready(to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=tfds_dir)))
        loads.append(time.perf_counter() - start)
    out["load_train_to_device_s"] = statistics.median(loads)
    start = time.perf_counter()
    _read_split_tfds(fashion_mnist_builder(args.data_dir, tfds_dir), "train")
    out["load_train_tfds_decoder_s"] = time.perf_counter() - start

    @jax.jit
    def feed_epoch(key, images, labels):
        full, _ = batch_indices(key, images.shape[0], 256)

        def body(total, idx):  # gather a batch, make it float32 in [0, 1], use it
            return total + preprocess_images(images[idx]).sum() + labels[idx].sum(), None

        return jax.lax.scan(body, jnp.float32(0), full)[0]

    feed_epoch(jax.random.key(0), images, labels).block_until_ready()
    feeds = []
    for i in range(5 if args.quick else 20):
        start = time.perf_counter()
        feed_epoch(jax.random.key(i), images, labels).block_until_ready()
        feeds.append(time.perf_counter() - start)
    out["feed_epoch_batch256_s"] = statistics.median(feeds)
    out["vectorization"] = vectorization_demo(10000)
    log(f"pipeline: {json.dumps(out)}")
    return out


def scaling(args, tfds_dir: Path) -> dict:
    import jax

    from jaxlin import load_fashion_mnist, make_epoch, make_optimizer, to_device
    from jaxlin import softmax_regression as sr

    train = to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=tfds_dir))
    opt = make_optimizer("sgd", 0.1)
    params = sr.init_softmax_regression(jax.random.key(0))

    def epoch_time(batch_size, n):
        data = (train[0][:n], train[1][:n])
        fn = jax.jit(make_epoch(sr.concise_loss, opt, batch_size=batch_size, has_aux=True))
        state = opt.init(params)
        jax.block_until_ready(fn(params, state, jax.random.key(0), data))
        times = []
        for i in range(3 if args.quick else 7):
            start = time.perf_counter()
            jax.block_until_ready(fn(params, state, jax.random.key(i), data))
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    batch_sizes = [32, 256, 4096] if args.quick else [32, 64, 128, 256, 512, 1024, 2048, 4096]
    sizes = [15000, 60000] if args.quick else [3750, 7500, 15000, 30000, 60000]
    out = {"batch_size": {b: epoch_time(b, 60000) for b in batch_sizes},
           "num_examples": {n: epoch_time(256, n) for n in sizes}}
    log(f"scaling: {json.dumps(out)}")
    return out


def sweep(args, tfds_dir: Path) -> dict:
    """N softmax-regression models trained together (vmapped) against one after another."""
    import jax
    import jax.numpy as jnp

    from jaxlin import load_fashion_mnist, make_epoch, to_device
    from jaxlin import softmax_regression as sr
    from jaxlin.sweep import grid, stack

    train = to_device(*load_fashion_mnist("train", source_dir=args.data_dir, data_dir=tfds_dir))

    def timed(fn, *a):
        jax.block_until_ready(fn(*a))
        times = []
        for _ in range(3 if args.quick else 5):
            start = time.perf_counter()
            jax.block_until_ready(fn(*a))
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    out = {}
    for label, lrs, seeds in (("4 learning rates, 1 seed", [0.01, 0.03, 0.1, 0.3], [0]),
                              ("4 learning rates x 3 seeds", [0.01, 0.03, 0.1, 0.3], [0, 1, 2])):
        starts = [sr.setup(jax.random.key(c["seed"]), "sgd", c["lr"]) for c in grid(lrs, seeds)]
        epoch = make_epoch(sr.concise_loss, starts[0].optimizer, batch_size=256, has_aux=True)
        single = jax.jit(epoch)
        sequential = sum(timed(single, s.params, s.opt_state, s.shuffle_key, train) for s in starts)
        vmapped = jax.jit(jax.vmap(epoch, in_axes=(0, 0, 0, None)))
        together = timed(vmapped, stack([s.params for s in starts]), stack([s.opt_state for s in starts]),
                         jnp.stack([s.shuffle_key for s in starts]), train)
        out[label] = {"models": len(starts), "sequential_s": sequential, "vmapped_s": together,
                      "speedup": sequential / together}
    log(f"sweep: {json.dumps(out)}")
    return out


def cli(args, tfds_dir: Path) -> dict:
    """`python -m jaxlin.train` with its defaults, end to end, as a user runs it (data prepared):
    first with an empty compile cache (cold), then again with the cache it left (warm)."""
    out = {}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        for run in ("cold", "warm"):
            run_dir = Path(tmp) / run
            cmd = [sys.executable, "-m", "jaxlin.train", "--data-dir", str(args.data_dir),
                   "--tfds-dir", str(tfds_dir), "--output-dir", str(run_dir)] + (["--epochs", "3"] if args.quick else [])
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env={**os.environ, "XDG_CACHE_HOME": cache})
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(f"python -m jaxlin.train failed ({run} run):\n{done.stderr[-2000:]}")
            metrics = json.loads((run_dir / "metrics.json").read_text())
            out[run] = {"wall_s": wall, "returncode": done.returncode,
                        **{k: metrics.get(k) for k in ("load_s", "first_epoch_s", "steady_epoch_s", "total_s")},
                        "test_accuracy": metrics.get("final", {}).get("test_accuracy")}
    log(f"cli: {json.dumps(out)}")
    return out


def markdown(results: dict) -> str:
    lines = [f"# jaxlin benchmarks\n\n{results['machine']}; {results['epochs']} epochs.\n"]
    for task, rows in results.get("peers", {}).items():
        acc = "test acc" if task == "softmax" else "max |w − w*| / |b − b*|"
        lines += [f"\n## {task}\n", f"| implementation | s/epoch median (min–max) | ratio to jaxlin | total wall s | compile s | {acc} |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in rows:
            quality = f"{r['test_accuracy']:.4f}" if task == "softmax" else f"{r['w_error']:.1e} / {r['b_error']:.1e}"
            compile_s = f"{r['compile_s']:.2f}" if "compile_s" in r else "–"
            lines.append(f"| {r['name']} | {r['median_s'] * 1e3:.2f} ms ({r['min_s'] * 1e3:.2f}–{r['max_s'] * 1e3:.2f}) "
                         f"| {r['ratio_to_jaxlin']:.2f}× | {r['wall_s']:.1f} | {compile_s} | {quality} |")
            if r.get("note"):
                lines[-1] = lines[-1][:-2] + f" ({r['note']}) |"
    if "pipeline" in results:
        p = results["pipeline"]
        v = p["vectorization"]
        lines += ["\n## data pipeline and vectorization\n", "| what | time |", "| --- | --- |",
                  f"| prepare the tfds dataset once (70,000 images) | {p['prepare_s']:.2f} s |",
                  f"| load the prepared train split into device memory | {p['load_train_to_device_s']:.3f} s |",
                  f"| the same through tfds's per-example decoder | {p['load_train_tfds_decoder_s']:.3f} s |",
                  f"| feed one epoch of batch-256 minibatches (gather + to float, in jit) | {p['feed_epoch_batch256_s'] * 1e3:.2f} ms |",
                  f"| add two 10000-vectors in a Python loop | {v['python_loop_s'] * 1e3:.2f} ms |",
                  f"| the same as one jitted `a + b` | {v['jax_s'] * 1e3:.4f} ms ({v['speedup']:.0f}× faster) |"]
    if "scaling" in results:
        s = results["scaling"]
        lines += ["\n## scaling of the jaxlin epoch (concise softmax regression)\n",
                  "| batch size (60,000 examples) | " + " | ".join(map(str, s["batch_size"])) + " |",
                  "|---" * (len(s["batch_size"]) + 1) + "|",
                  "| ms/epoch | " + " | ".join(f"{t * 1e3:.1f}" for t in s["batch_size"].values()) + " |",
                  "\n| examples (batch 256) | " + " | ".join(map(str, s["num_examples"])) + " |",
                  "|---" * (len(s["num_examples"]) + 1) + "|",
                  "| ms/epoch | " + " | ".join(f"{t * 1e3:.1f}" for t in s["num_examples"].values()) + " |"]
    if "sweep" in results:
        lines += ["\n## sweeps: N models in one vmapped epoch against N epochs one after another\n",
                  "| sweep | models | sequential s/epoch | vmapped s/epoch | speed-up |", "| --- | --- | --- | --- | --- |"]
        for label, r in results["sweep"].items():
            lines.append(f"| {label} | {r['models']} | {r['sequential_s']:.3f} | {r['vmapped_s']:.3f} | {r['speedup']:.2f}× |")
    if "cli" in results:
        lines += ["\n## `python -m jaxlin.train` with its defaults, end to end\n",
                  "| compile cache | wall s (import, load, compile, train, write) | load s | first epoch s (with compile) | steady ms/epoch | test acc |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for run, c in results["cli"].items():
            lines.append(f"| {run} | {c['wall_s']:.1f} | {c['load_s']:.2f} | {c['first_epoch_s']:.2f} | "
                         f"{c['steady_epoch_s'] * 1e3:.0f} | {c['test_accuracy']:.4f} |")
    return "\n".join(lines) + "\n"


def plot_scaling(s: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    from jaxlin.plotting import save_figure

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(list(s["batch_size"]), [t * 1e3 for t in s["batch_size"].values()], marker="o")
    a.set(xscale="log", xlabel="batch size (60,000 examples)", ylabel="ms per epoch")
    b.plot(list(s["num_examples"]), [t * 1e3 for t in s["num_examples"].values()], marker="o")
    b.set(xlabel="examples (batch 256)", ylabel="ms per epoch")
    for ax in (a, b):
        ax.grid(True, alpha=0.3)
    save_figure(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    from jaxlin.atomic import write_atomically, write_json
    import jax

    sections = args.only or ["peers", "pipeline", "scaling", "sweep", "cli"]
    results = {"machine": f"{os.cpu_count()} CPU cores, {jax.devices()[0].platform}, jax {jax.__version__}",
               "epochs": args.epochs, "quick": args.quick}
    with tempfile.TemporaryDirectory() as tfds_dir:
        from jaxlin.data import fashion_mnist_builder
        fashion_mnist_builder(args.data_dir, tfds_dir)  # prepared once, shared by every section
        for name in sections:
            results[name] = globals()[name](args, Path(tfds_dir))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", results)
    text = markdown(results)
    write_atomically(args.out / "results.md", lambda f: f.write(text.encode()))
    if "scaling" in results:
        plot_scaling(results["scaling"], args.out / "scaling.png")
    print(text)
    return 0
