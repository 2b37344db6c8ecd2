"""With op determinism and fixed seeds, a run stopped at step 3 and resumed to step 6 logs the
per-step losses of an uninterrupted 6-step run, when the input iterator is checkpointed."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import config as tf_config

from compare_gan_tf.training import loop
from compare_gan_tf.training.experiment import Experiment
from tests.training.tiny_run import TINY_RUN

STEPS = 6
LOSSES = ("losses/d_loss", "losses/g_loss")
# Sampling writes nothing the losses depend on; leave it out to keep the runs short.
CONFIG = TINY_RUN + "train.sample_steps = 0\ntrain.singular_value_steps = 0\n"


def _losses(model_dir):
    """{(tag, step): value} of the d and g losses in model_dir/train (every events file)."""
    values = {}
    for path in (model_dir / "train").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag in LOSSES:
                    values[value.tag, event.step] = float(tf.make_ndarray(value.tensor))
    return values


def _train(model_dir, steps, checkpoint_input):
    keras.utils.set_random_seed(1234)  # the same initial weights in every run
    loop.train(str(model_dir), training_steps=steps, checkpoint_input=checkpoint_input)


@pytest.fixture(scope="module")
def deterministic():
    gin.clear_config()
    gin.parse_config(CONFIG)
    tf.config.experimental.enable_op_determinism()
    yield
    # TF has no public switch back; other tests must not inherit determinism's restrictions.
    tf_config.disable_op_determinism()
    gin.clear_config()


@pytest.fixture(scope="module")
def uninterrupted(deterministic, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("uninterrupted")
    _train(model_dir, STEPS, checkpoint_input=False)
    return _losses(model_dir)


def _interrupted(model_dir, checkpoint_input):
    _train(model_dir, STEPS // 2, checkpoint_input)
    _train(model_dir, STEPS, checkpoint_input)
    return _losses(model_dir)


def test_a_resumed_run_with_a_checkpointed_input_repeats_the_losses(uninterrupted, tmp_path):
    resumed = _interrupted(tmp_path, checkpoint_input=True)
    assert len(uninterrupted) == len(resumed) == 2 * STEPS
    for key, value in uninterrupted.items():
        assert resumed[key] == value, key  # bit for bit: tolerance 0


@pytest.mark.slow
def test_without_the_input_checkpoint_the_resumed_losses_differ(uninterrupted, tmp_path):
    """The resumed pipeline starts over from the shuffle seed, so steps 4-6 see other batches."""
    resumed = _interrupted(tmp_path, checkpoint_input=False)
    before = [key for key in uninterrupted if key[1] <= STEPS // 2]
    after = [key for key in uninterrupted if key[1] > STEPS // 2]
    assert all(resumed[key] == uninterrupted[key] for key in before)
    assert all(resumed[key] != uninterrupted[key] for key in after if key[0] == LOSSES[0])
    differences = np.abs([resumed[key] - uninterrupted[key] for key in after])
    print(f"largest loss difference after the resume: {differences.max():.3g}")


def test_checkpointing_the_input_under_mirrored_strategy_is_refused(
    deterministic, mirrored_strategy, tmp_path
):
    experiment = Experiment(strategy=mirrored_strategy)
    with pytest.raises(ValueError, match="checkpoint_input=True needs a one-device strategy"):
        loop.train(str(tmp_path), training_steps=1, checkpoint_input=True, experiment=experiment)
