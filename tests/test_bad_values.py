"""Bad values are refused where they enter, in one sentence (issue 25): example weights in `fit`,
float settings (one float32 rule), list options, seeds, the cluster's settings, index_shuffle's n.
Each command-level case stops at parsing (exit 2): nothing trains."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlin
from jaxlin.engine.distributed import cluster_from, cluster_settings
from jaxlin.ops import check_weights, index_shuffle
from jaxlin.train import main

KEY = jax.random.key(0)
F32 = np.finfo(np.float32)


def _refused(capsys, argv, *phrases):
    """main(argv) exits 2 with one line, argparse's style, holding every phrase; no traceback."""
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--no-compile-cache"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    message = err.strip().splitlines()[-1]
    assert "Traceback" not in err and message.startswith("jaxlin: error:"), err
    for phrase in phrases:
        assert phrase in message, message


def _linreg_data(n=20):
    return jaxlin.synthetic_data(jax.random.key(1), jnp.array([1.0, 2.0]), 0.5, n)


def _fit(weights):
    X, y = _linreg_data()
    return jaxlin.fit(
        jaxlin.init_affine(jax.random.key(2), 2, 1),
        jaxlin.get_model("linreg").LOSSES["concise"],
        jaxlin.sgd(0.03),
        (X, y, weights),
        key=KEY,
        batch_size=5,
        num_epochs=1,
        has_aux=True,
    )


# 1. Example weights: fit refuses what with_weights refuses, and sums that overflow float32.

BAD_WEIGHTS = [
    (-np.ones(20), "must be >= 0"),
    (np.zeros(20), "are all zero"),
    (np.full(20, np.nan), "NaN or infinite"),
    (np.full(20, 3e38, np.float32), "would overflow float32"),
    (np.full(20, 1e18, np.float32), "would overflow float32"),
]


@pytest.mark.parametrize("weights, phrase", BAD_WEIGHTS)
def test_fit_refuses_the_weights_that_with_weights_refuses(weights, phrase):
    with pytest.raises(ValueError, match=phrase) as refused:
        _fit(jnp.asarray(weights, jnp.float32))
    assert "data[2] (the example weights)" in str(refused.value)
    with pytest.raises(ValueError, match=phrase):
        jaxlin.with_weights(_linreg_data(), weights)


def test_fit_trains_on_good_weights_and_the_sum_limit_is_2_to_the_64():
    assert np.isfinite(_fit(jnp.ones(20)).history["loss"][0])
    check_weights(np.full(4, 2.0**62, np.float32), 4)  # they sum to MAX_TOTAL exactly
    with pytest.raises(ValueError, match="would overflow float32; scale them down"):
        check_weights(np.full(5, 2.0**62, np.float32), 5)


@pytest.mark.parametrize("weights, phrase", BAD_WEIGHTS)
def test_train_model_refuses_bad_weights_in_its_data(weights, phrase):
    X, y = _linreg_data()
    data = jaxlin.Dataset(train=(X, y, jnp.asarray(weights, jnp.float32)), test=(X, y))
    with pytest.raises(ValueError, match=phrase):
        jaxlin.train_model(jaxlin.make_config("linreg", epochs=1, batch_size=5), data)


# 2. One float32 rule for every float setting of make_config.

FLOAT_SETTINGS = [  # model, the setting, and the other settings it needs
    ("linreg", "lr", {}),
    ("linreg", "weight_decay", {}),
    ("linreg", "validation", {}),
    ("linreg", "tol", {"optimizer": "lbfgs"}),
    ("softmax", "shift_strength", {"shift": "covariate"}),
    ("mlp", "dropout", {}),
]


@pytest.mark.parametrize("model, name, extra", FLOAT_SETTINGS)
@pytest.mark.parametrize("value", [1e300, 1e-40, 1e-300, float(F32.max) * 1.01, float(F32.tiny) / 2])
def test_every_float_setting_is_refused_outside_float32s_normal_range(model, name, extra, value):
    label = {"lr": "learning rate", "dropout": "a dropout rate"}.get(name, name)
    with pytest.raises(
        ValueError,
        match=f"^{re.escape(label + ' ' + repr(value))} is out of float32's range: give (0 or )?a number from",
    ):
        jaxlin.make_config(model, **{name: value}, **extra)


@pytest.mark.parametrize("model, name, extra", FLOAT_SETTINGS)
def test_every_float_setting_takes_float32s_smallest_normal_number(model, name, extra):
    config = jaxlin.make_config(model, **{name: float(F32.tiny)}, **extra)
    assert np.asarray(getattr(config, name)).ravel()[0] == float(F32.tiny)


@pytest.mark.parametrize(
    "build", [lambda wd: jaxlin.sgd(0.1, weight_decay=wd), lambda wd: jaxlin.make_optimizer("adamw", 0.1, wd)]
)
def test_optimizers_take_the_same_float32_rule_for_weight_decay(build):
    with pytest.raises(ValueError, match="weight_decay 1e\\+300 is out of float32's range"):
        build(1e300)
    with pytest.raises(ValueError, match="weight_decay must be a finite number ≥ 0, got -1"):
        build(-1)
    build(0.0)


@pytest.mark.parametrize("name", ["weight_decay", "dropout"])
def test_zero_stays_allowed_where_it_means_off(name):
    model = "mlp" if name == "dropout" else "linreg"
    assert jaxlin.make_config(model, **{name: 0.0}).__getattribute__(name) == (0.0,)


def test_weight_decay_too_large_for_float32_is_refused_at_the_command(capsys):
    _refused(capsys, ["--model", "linreg", "--weight-decay", "1e300"], "weight_decay 1e+300 is out of float32's range")
    _refused(capsys, ["--model", "linreg", "--weight-decay", "0.1,1e39"], "out of float32's range")


@pytest.mark.parametrize(
    "option, extra",
    [("--lr", ["--model", "linreg"]), ("--weight-decay", ["--model", "linreg"]), ("--dropout", ["--model", "mlp"])]
    + [("--validation", ["--model", "linreg"]), ("--tol", ["--model", "linreg", "--optimizer", "lbfgs"])]
    + [("--shift-strength", ["--shift", "covariate"])],
)
@pytest.mark.parametrize("text", ["1e300", "1e-40"])
def test_every_float_option_is_refused_outside_float32s_range(capsys, option, extra, text):
    _refused(capsys, [*extra, option, text], f"{float(text)!r} is out of float32's range")


@pytest.mark.parametrize("clip", ["1e300", "1e-40", "1e-30", "0.5", "2e6"])
def test_beta_clip_must_be_from_1_to_a_million(capsys, clip):
    _refused(capsys, ["--shift", "covariate", "--beta-clip", clip], "beta_clip must be from 1 to 1e+06")


def test_beta_clip_bounds_are_inclusive():
    for clip in (1.0, 1e6):
        assert jaxlin.make_config("softmax", shift="covariate", beta_clip=clip).beta_clip == clip
    with pytest.raises(ValueError, match="positive, finite"):
        jaxlin.make_config("softmax", shift="covariate", beta_clip=float("inf"))


@pytest.mark.parametrize("value", ["0.1", True, [0.1]])
def test_float_settings_must_be_numbers(value):
    with pytest.raises(ValueError, match="must be a positive number"):
        jaxlin.make_config("linreg", validation=value)


# 3. Empty list items, a trailing comma too.


@pytest.mark.parametrize(
    "option, text",
    [("--lr", "0.1,,"), ("--lr", "0.1,"), ("--lr", ","), ("--weight-decay", "0,,"), ("--batch-size", "10,,20")]
    + [("--seeds", ",5,"), ("--degree", "1,"), ("--dropout", ",0.5")],
)
def test_an_empty_list_item_is_refused_naming_the_option(capsys, option, text):
    _refused(capsys, ["--model", "linreg", option, text], f"argument {option}: {text!r} has an empty item")


# 4. Seeds and the cluster's settings name their option.


def test_a_bad_data_seed_names_data_seed(capsys):
    _refused(capsys, ["--model", "linreg", "--data-seed", "-5"], "data_seed must be from 0 to 4294967295, got -5")


@pytest.fixture
def no_cluster_env(monkeypatch):
    for var in ("JAXLIN_COORDINATOR", "JAXLIN_NUM_PROCESSES", "JAXLIN_PROCESS_ID"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    "coordinator, count, rank, phrase",
    [
        ("h:1", "0", "0", "--num-processes (JAXLIN_NUM_PROCESSES) must be at least 1, got 0"),
        ("h:1", "-2", "0", "--num-processes (JAXLIN_NUM_PROCESSES) must be at least 1, got -2"),
        ("h:1", "2", "2", "--process-id (JAXLIN_PROCESS_ID) must be from 0 to the number of processes - 1 (1,"),
        ("h:1", "2", "-1", "--process-id (JAXLIN_PROCESS_ID) must be from 0"),
        ("h:65536", "2", "0", "a port from 1 to 65535"),
        ("h:0", "2", "0", "a port from 1 to 65535"),
    ],
)
def test_bad_cluster_values_name_their_option(no_cluster_env, capsys, coordinator, count, rank, phrase):
    argv = ["--model", "linreg", "--coordinator", coordinator, "--num-processes", count, "--process-id", rank]
    _refused(capsys, argv, phrase)


def test_ports_at_the_ends_of_the_range_and_one_process_are_accepted():
    assert cluster_from("h:65535", "1", "0").host_and_port == ("h", 65535)
    assert cluster_from("h:1", 2, 1).num_processes == 2
    with pytest.raises(ValueError, match="must be a whole number"):
        cluster_from("h:1", 2.7, 0)


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_jaxlin_variable_is_unset(empty):
    env = {"JAXLIN_COORDINATOR": empty, "JAXLIN_NUM_PROCESSES": empty, "JAXLIN_PROCESS_ID": empty}
    assert cluster_from(**cluster_settings(environ=env)) is None
    partial = {**env, "JAXLIN_NUM_PROCESSES": "2"}
    with pytest.raises(ValueError, match=r"missing: --coordinator \(JAXLIN_COORDINATOR\), --process-id"):
        cluster_from(**cluster_settings(environ=partial))


def test_an_empty_coordinator_variable_does_not_start_a_cluster(monkeypatch):
    monkeypatch.setenv("JAXLIN_COORDINATOR", "")
    monkeypatch.delenv("JAXLIN_NUM_PROCESSES", raising=False)
    monkeypatch.delenv("JAXLIN_PROCESS_ID", raising=False)
    from jaxlin.cli.options import parse_config

    assert parse_config(["--model", "linreg"]).coordinator is None


# 5. index_shuffle's n: Python and concrete NumPy/JAX integers, nothing else.


@pytest.mark.parametrize("n", [10, np.int64(10), np.uint16(10), jnp.int32(10), np.array(10)])
def test_index_shuffle_takes_integer_scalars(n):
    np.testing.assert_array_equal(index_shuffle(KEY, n), index_shuffle(KEY, 10))


@pytest.mark.parametrize("n", [2.5, "10", True, jnp.float32(10), jnp.arange(3), None])
def test_index_shuffle_refuses_what_is_not_an_integer(n):
    with pytest.raises(TypeError, match="index_shuffle's n must be an integer"):
        index_shuffle(KEY, n)


def test_index_shuffle_refuses_a_traced_n_and_out_of_range_ones():
    with pytest.raises(TypeError, match="not a traced value"):
        jax.jit(index_shuffle)(KEY, 4)
    for n in (0, -3, 2**31):
        with pytest.raises(ValueError, match="1 <= n < 2"):
            index_shuffle(KEY, n)


# 6. load_dataset: a random dataset needs a key (no default key: two draws never share data silently).


@pytest.mark.parametrize("name", jaxlin.data.RANDOM_DATASETS)
@pytest.mark.parametrize("key", [None, 0, jax.random.split(KEY)])
def test_load_dataset_asks_for_a_key_when_it_draws_at_random(name, key):
    with pytest.raises(TypeError, match=rf"^load_dataset\('{name}'\) draws its data at random and needs a PRNG key"):
        jaxlin.load_dataset(name, key)


@pytest.mark.parametrize("key", [KEY, jax.random.PRNGKey(0)])
def test_load_dataset_takes_typed_and_raw_keys(key):
    assert jaxlin.load_dataset("synthetic_linear", key).train[0].shape[0] > 0
