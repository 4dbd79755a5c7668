"""The benchmark script runs (--quick) and writes its tables. It asserts nothing about time.

It runs on 6,000 training and 1,000 test images of a Fashion-MNIST-like set written here: every
section of a quick run and every peer's code runs as on the real data, in half the time (97 s
instead of 176 s on 2 cores, PyTorch installed), and the test needs no data beside the checkout.
`python -m bench` on the real data makes the figures.
"""

import importlib.util
import json
import subprocess
import sys

from conftest import REPO, write_tiny_fashion_mnist

from bench.registry import IMPLEMENTATIONS, REQUIRES, SOLVERS


def test_bench_quick_writes_results(tmp_path):
    source = write_tiny_fashion_mnist(tmp_path / "data", n_train=6_000, n_test=1_000)  # the quick solve takes 5,000
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--data-dir", str(source), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert {"peers", "mlp", "solve", "pipeline", "breakdown", "scaling", "sweep", "cli"} <= set(results)
    assert results["data"] == {"train_examples": 6_000, "test_examples": 1_000}
    installed = lambda name: REQUIRES.get(name) is None or importlib.util.find_spec(REQUIRES[name]) is not None
    rows = {**results["peers"], "mlp": results["mlp"]["rows"], "solve": results["solve"]["rows"]}
    for task, implementations in {**IMPLEMENTATIONS, "solve": SOLVERS}.items():  # a failed worker leaves no row
        assert {r["name"] for r in rows[task]} == {name for name in implementations if installed(name)}, task
    for row in rows["softmax"] + rows["mlp"]:
        assert 0.5 < row["test_accuracy"] <= 1.0 and row["median_s"] > 0 and row["ratio_to_jaxlin"] > 0
    assert results["solve"]["settings"]["num_examples"] == 5_000
    assert results["scaling"]["examples"] == 6_000 and list(results["scaling"]["num_examples"]) == ["1500", "6000"]
    assert {run: 0.5 < r["test_accuracy"] <= 1.0 for run, r in results["cli"].items()} == {"cold": True, "warm": True}
    text = (tmp_path / "results.md").read_text()
    assert "ratio to jaxlin" in text and "## data pipeline" in text and "## mlp (784-256-10" in text
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_refuses_a_folder_without_data(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--data-dir", str(tmp_path)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 2 and "no Fashion-MNIST files" in done.stderr
