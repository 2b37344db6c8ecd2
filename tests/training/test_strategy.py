"""Strategy selection and its errors on a CPU-only machine."""

import json

import pytest
import tensorflow as tf

from compare_gan_tf.training.strategy import StrategyError, make_strategy


def test_auto_on_one_cpu_is_the_default_strategy(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    assert make_strategy("auto") is tf.distribute.get_strategy()


def test_asking_for_a_missing_tpu_is_one_clear_error():
    with pytest.raises(StrategyError, match="no TPU was found"):
        make_strategy("tpu")


def test_multi_worker_without_a_cluster_says_to_set_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(StrategyError, match="TF_CONFIG"):
        make_strategy("multi_worker")


def test_auto_reads_a_multi_host_cluster_from_tf_config(monkeypatch):
    from compare_gan_tf.training import strategy

    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"index": 0}}))
    assert strategy._auto_kind(None) == "multi_worker"


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(ValueError, match="mirrored"):
        make_strategy("gpu")


@pytest.mark.parametrize("timeout", [0, -5, "60", True])
def test_a_bad_collective_timeout_is_refused(timeout):
    with pytest.raises(ValueError, match="collective_timeout_seconds must be a positive number"):
        make_strategy("default", collective_timeout_seconds=timeout)
