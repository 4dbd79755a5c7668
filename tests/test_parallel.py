"""Data parallel training across 4 CPU devices (forced with XLA_FLAGS in a subprocess) matches the
single-device run, keeps the parameters on all 4 devices, and all-reduces the gradients."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaxlin.engine import parallel


def test_sharded_training_matches_single_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("parallel_check.py"))], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["max_param_diff"] < 1e-5
    np.testing.assert_allclose(result["loss_sharded"], result["loss_single"], rtol=1e-5)
    assert result["param_devices"] == 4
    assert result["all_reduce_in_epoch"]


def test_mesh_and_batch_size_errors():
    with pytest.raises(ValueError, match="Asked for 64 devices"):
        parallel.data_parallel_mesh(64)
    mesh = parallel.data_parallel_mesh(1)
    assert parallel.check_batch_size(7, mesh) is mesh
