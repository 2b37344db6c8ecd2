"""The training loop: what it writes, and resuming where a stopped run left off."""

import os

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from compare_gan_tf.training import checkpoints, loop
from compare_gan_tf.training.experiment import Experiment


def _summary_tags(directory):
    tags = set()
    for path in directory.iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return tags


def _weights(model):
    return [w.numpy() for w in model.weights]


def test_train_writes_checkpoints_config_summaries_and_samples(tiny_config, tmp_path):
    experiment = loop.train(str(tmp_path), training_steps=2)
    assert int(experiment.gan.step.numpy()) == 2
    names = set(os.listdir(tmp_path))
    assert {"checkpoint", "operative_config.gin", "samples", "train"} <= names
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    assert "Experiment.architecture = 'dcgan'" in (tmp_path / "operative_config.gin").read_text()
    assert {"latest.png", "step_0000002.png"} <= set(os.listdir(tmp_path / "samples"))
    tags = _summary_tags(tmp_path / "train")
    # Named by place in the model (dcgan's fc, deconvs, convs), not by Keras's layer counters.
    assert {"singular_values/generator/fc/sv0", "singular_values/discriminator/conv0/sv2"} <= tags
    assert not any("normalization" in tag or "dense" in tag for tag in tags)
    assert "custom_scalars__config__" in tags  # the layout: a layer's values on one chart
    assert tags >= {
        "losses/d_loss",
        "losses/g_loss",
        "logits/d_real",
        "logits/d_fake",
        "learning_rate/generator",
        "steps_per_second",
        "samples",
    }


def test_each_sample_step_writes_one_grid_image(tiny_config, tmp_path):
    loop.train(str(tmp_path), training_steps=2)
    images = []
    for path in (tmp_path / "train").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == "samples":
                    width, height, *pictures = tf.make_ndarray(value.tensor)
                    images.append((event.step, int(width), int(height), len(pictures)))
    # sample_steps = 2: step 2's 100 samples as one 10 x 10 grid of 32 px digits.
    assert images == [(2, 320, 320, 1)]
    grid = Image.open(tmp_path / "samples" / "latest.png")
    assert grid.size == (640, 640)  # the PNG file: the same grid, enlarged twice


def test_a_second_run_resumes_from_the_saved_step(tiny_config, tmp_path):
    first = loop.train(str(tmp_path), training_steps=2)
    saved = {
        "generator": _weights(first.gan.generator),
        "discriminator": _weights(first.gan.discriminator),
        "ema": _weights(first.gan.ema.average),
        "d_optimizer": [v.numpy() for v in first.gan.d_optimizer.variables],
    }

    fresh = Experiment()
    manager = checkpoints.checkpoint_manager(fresh.gan, str(tmp_path))
    assert checkpoints.restore(manager, str(tmp_path)).endswith("ckpt-2")
    assert int(fresh.gan.step.numpy()) == 2
    restored = {
        "generator": _weights(fresh.gan.generator),
        "discriminator": _weights(fresh.gan.discriminator),
        "ema": _weights(fresh.gan.ema.average),
        "d_optimizer": [v.numpy() for v in fresh.gan.d_optimizer.variables],
    }
    for name, values in saved.items():
        for a, b in zip(values, restored[name]):
            np.testing.assert_array_equal(a, b, err_msg=name)

    resumed = loop.train(str(tmp_path), training_steps=4)
    assert int(resumed.gan.step.numpy()) == 4
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-4")


def test_a_mixture_run_writes_scatter_plots(tmp_path):
    gin.clear_config()
    gin.parse_config(
        """
        dataset.name = "ring8"
        Experiment.architecture = "mlp"
        Experiment.conditional = False
        Experiment.batch_size = 16
        mlp_generator.ch = 8
        mlp_discriminator.ch = 8
        train.steps_per_loop = 2
        train.sample_steps = 2
        """
    )
    try:
        loop.train(str(tmp_path), training_steps=2)
    finally:
        gin.clear_config()
    with Image.open(tmp_path / "samples" / "step_0000002.png") as picture:
        assert picture.size == (480, 480)


def test_an_image_architecture_on_points_is_refused(tmp_path):
    gin.clear_config()
    gin.parse_config('dataset.name = "ring8"')
    try:
        with pytest.raises(ValueError, match="holds 2-D points.*use mlp for points"):
            Experiment()
    finally:
        gin.clear_config()


@pytest.mark.parametrize(
    "policy, compute_dtype, optimizer",
    [("mixed_float16", "float16", "LossScaleOptimizer"), ("mixed_bfloat16", "bfloat16", "Adam")],
)
def test_mixed_precision_trains_in_the_policy_dtype(tiny_config, policy, compute_dtype, optimizer):
    try:
        experiment = Experiment(mixed_precision=policy)
        gan = experiment.gan
        before = _weights(gan.generator)
        metrics = gan.train(experiment.distributed_iterator(), tf.constant(2))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert gan.generator.compute_dtype == compute_dtype
    assert gan.generator.weights[0].dtype == "float32"  # variables stay float32
    assert type(gan.g_optimizer).__name__ == optimizer
    assert all(np.isfinite(float(value)) for value in metrics.values())
    assert any(not np.array_equal(a, b) for a, b in zip(before, _weights(gan.generator)))
