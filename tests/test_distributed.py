"""Training across two processes on 127.0.0.1 (jax.distributed, gloo) equals the one-process run;
every incomplete or wrong cluster description ends in one sentence, before any process starts."""

import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from conftest import cli_args

from jaxlin.engine import Cluster, cluster_from, cluster_settings, join
from jaxlin.train import main

TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _params(path):
    with np.load(path) as saved:
        return {k: saved[k] for k in saved.files if k.startswith("params")}


def test_two_processes_train_as_one(tiny_source, tmp_path):
    argv = cli_args(tiny_source, tmp_path, tmp_path / "one", "--epochs", "3")
    assert main(argv) == 0  # one process, one device; also prepares the data set the two will read
    shared = cli_args(tiny_source, tmp_path, tmp_path / "two", "--epochs", "3")
    cluster = {"JAXLIN_COORDINATOR": f"127.0.0.1:{_free_port()}", "JAXLIN_NUM_PROCESSES": "2"}
    how = [  # process 0 told by options, process 1 by the environment
        (["--coordinator", cluster["JAXLIN_COORDINATOR"], "--num-processes", "2", "--process-id", "0"], {}),
        ([], {**cluster, "JAXLIN_PROCESS_ID": "1"}),
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "jaxlin.train", *shared, *options],
            text=True,
            env={**os.environ, "JAX_PLATFORMS": "cpu", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for options, env in how
    ]
    try:
        outputs = [p.communicate(timeout=TIMEOUT_S) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    assert "on 2 cpu device(s) of 2 processes" in outputs[0][0] and "final:" in outputs[0][0]
    quiet = outputs[1][0].strip().splitlines()  # gloo's own "[Gloo] Rank 1 is connected ..." may come first
    assert quiet[-1] == "process 1 of 2: done; process 0 wrote the results" and "epoch" not in outputs[1][0]
    one, two = _params(tmp_path / "one" / "params.npz"), _params(tmp_path / "two" / "params.npz")
    assert one.keys() == two.keys() and one
    for name in one:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--num-processes", "2"], "missing: --coordinator (JAXLIN_COORDINATOR), --process-id"),
        (["--coordinator", "localhost", "--num-processes", "2", "--process-id", "0"], "must be HOST:PORT"),
        (["--coordinator", "h:1", "--num-processes", "2", "--process-id", "2"], "from 0 to the number of processes"),
        (["--coordinator", "h:1", "--num-processes", "two", "--process-id", "0"], "must be a whole number"),
        (["--coordinator", "h:1", "--num-processes", "2", "--process-id", "0", "--lr", "0.1,0.2"], "runs one model"),
        (["--coordinator", "h:1", "--num-processes", "2", "--process-id", "0", "--shift", "label"], "runs one model"),
    ],
)
def test_bad_cluster_options_exit_2(extra, message, tmp_path, capsys, monkeypatch):
    for var in ("JAXLIN_COORDINATOR", "JAXLIN_NUM_PROCESSES", "JAXLIN_PROCESS_ID"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["--output-dir", str(tmp_path / "run"), *extra])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_the_environment_describes_the_cluster_and_options_win():
    env = {"JAXLIN_COORDINATOR": "10.0.0.1:1234", "JAXLIN_NUM_PROCESSES": "4", "JAXLIN_PROCESS_ID": "3"}
    assert cluster_from(**cluster_settings(environ=env)) == Cluster("10.0.0.1:1234", 4, 3)
    assert cluster_from(**cluster_settings(process_id=1, environ=env)) == Cluster("10.0.0.1:1234", 4, 1)
    assert cluster_from(**cluster_settings(environ={})) is None


def test_no_coordinator_or_a_taken_port_is_said_in_a_sentence():
    """Both are found before JAX's own connect, which would abort the process after its timeout."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="cannot serve as coordinator on 127.0.0.1"):
            join(Cluster(f"127.0.0.1:{port}", 2, 0))
    with pytest.raises(RuntimeError, match="found no coordinator at 127.0.0.1:.* within 1 s"):
        join(Cluster(f"127.0.0.1:{_free_port()}", 2, 1), timeout_s=1)
