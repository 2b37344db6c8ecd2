"""Generator EMA and standing batch-norm statistics against numpy."""

import keras
import numpy as np
import pytest

from compare_gan_tf.layers import ConditionalBatchNorm
from compare_gan_tf.layers.normalization import batch_norm_layers
from compare_gan_tf.training.ema import GeneratorAverage, standing_statistics


def _generator():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4)(inputs)
    return keras.Model(inputs, keras.layers.BatchNormalization()(hidden))


def _pair(decay=0.9, start_step=0):
    generator, average = _generator(), _generator()
    return GeneratorAverage(generator, average, decay=decay, start_step=start_step)


def test_update_is_the_exponential_moving_average():
    ema = _pair(decay=0.9)
    before = [w.numpy() for w in ema.average.trainable_weights]
    ema.update(step=5)
    for old, source, target in zip(
        before, ema.generator.trainable_weights, ema.average.trainable_weights
    ):
        np.testing.assert_allclose(target.numpy(), 0.9 * old + 0.1 * source.numpy(), rtol=1e-6)


def test_before_the_start_step_the_average_is_a_copy():
    ema = _pair(decay=0.9, start_step=10)
    ema.update(step=3)
    for source, target in zip(ema.generator.weights, ema.average.weights):
        np.testing.assert_array_equal(target.numpy(), source.numpy())


def test_decay_outside_the_unit_interval_is_rejected():
    with pytest.raises(ValueError, match="decay"):
        _pair(decay=1.0)


def test_standing_statistics_average_the_batch_moments():
    generator = _generator()
    batches = [np.random.randn(16, 3).astype("float32") + i for i in range(5)]
    standing_statistics(generator, [(batch,) for batch in batches])
    dense, norm = generator.layers[1], generator.layers[2]
    hidden = [dense(batch).numpy() for batch in batches]
    np.testing.assert_allclose(
        norm.moving_mean.numpy(), np.mean([h.mean(0) for h in hidden], 0), rtol=1e-5
    )
    np.testing.assert_allclose(
        norm.moving_variance.numpy(), np.mean([h.var(0) for h in hidden], 0), rtol=1e-4
    )
    assert norm.momentum == 0.99  # restored


def test_batch_norms_inside_conditional_layers_are_found():
    layer = ConditionalBatchNorm(num_classes=2)
    inputs, labels = keras.Input((3,)), keras.Input((), dtype="int32")
    model = keras.Model([inputs, labels], layer(inputs, labels))
    assert batch_norm_layers(model) == [layer.standardize]
