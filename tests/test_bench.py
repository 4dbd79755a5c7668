"""The benchmark script runs (--quick) and writes its tables. It asserts nothing about time.

It runs on 6,000 training and 1,000 test images of a Fashion-MNIST-like set written here: every
section and every peer's code runs as on the real data, in 90 s instead of 155 s (2 cores), and the
test needs no data beside the checkout. `python -m bench` on the real data makes the figures.
"""

import json
import subprocess
import sys
from pathlib import Path

from conftest import write_tiny_fashion_mnist

REPO = Path(__file__).resolve().parents[1]


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
    assert {"peers", "mlp", "pipeline", "scaling", "sweep", "cli"} <= set(results)
    names = {r["name"] for r in results["peers"]["softmax"]}
    assert {"jaxlin-concise", "jaxlin-scratch", "numpy"} <= names
    for row in results["peers"]["softmax"]:
        assert 0.5 < row["test_accuracy"] <= 1.0 and row["median_s"] > 0
    mlp_rows = results["mlp"]["rows"]
    assert {"jaxlin-concise", "numpy"} <= {r["name"] for r in mlp_rows}
    for row in mlp_rows:
        assert 0.5 < row["test_accuracy"] <= 1.0 and row["median_s"] > 0 and row["ratio_to_jaxlin"] > 0
    assert all(r["returncode"] == 0 for r in results["cli"].values())
    text = (tmp_path / "results.md").read_text()
    assert "ratio to jaxlin" in text and "## data pipeline" in text and "## mlp (784-256-10" in text
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_refuses_a_folder_without_data(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--data-dir", str(tmp_path)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 2 and "no Fashion-MNIST files" in done.stderr
