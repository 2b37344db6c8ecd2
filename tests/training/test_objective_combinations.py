"""One training step of each loss x penalty pair on a tiny DCGAN stays finite, every D
normalization occurring with each loss and each penalty; the whole product is slow."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.objectives.losses import LOSSES
from compare_gan_tf.objectives.penalties import PENALTIES
from compare_gan_tf.training.experiment import build_gan

D_NORMALIZATIONS = ("none", "batch", "layer", "spectral", "bssn")
COMBINATIONS = list(itertools.product(sorted(LOSSES), PENALTIES, D_NORMALIZATIONS))


def _pairwise(stride):
    """Every (loss, penalty) pair, the normalization rotating by `stride` so that each
    (loss, normalization) and (penalty, normalization) pair occurs too."""
    return [
        (loss, penalty, D_NORMALIZATIONS[(i + stride * j) % len(D_NORMALIZATIONS)])
        for i, loss in enumerate(sorted(LOSSES))
        for j, penalty in enumerate(PENALTIES)
    ]


# Two different covers of the pairs (56 runs each; an eager step costs ~0.5 s on one device,
# ~2 s on four); the whole product of 280 runs is slow.
ONE_DEVICE, FOUR_DEVICES = _pairwise(2), _pairwise(1)
NUM_CLASSES, Z_DIM, BATCH = 3, 8, 8


def _one_step(strategy, loss, penalty, normalization):
    gan = build_gan(
        "dcgan",
        32,
        num_classes=NUM_CLASSES,
        channels=1,
        batch_size=BATCH,
        z_dim=Z_DIM,
        strategy=strategy,
        objective=GANObjective(loss=loss, penalty=penalty),
        generator_options={"ch": 4},
        discriminator_options={"ch": 4, "normalization": normalization},
    )
    generator, discriminator = gan.generator, gan.discriminator
    before = [w.numpy() for w in discriminator.trainable_weights]
    images = np.random.uniform(-1, 1, (BATCH, 32, 32, 1)).astype("float32")
    labels = np.arange(BATCH, dtype="int32") % NUM_CLASSES
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    metrics = gan.train(iter(strategy.experimental_distribute_dataset(dataset)), 1)

    for name, value in metrics.items():
        assert np.isfinite(value.numpy()), f"{name} is {value.numpy()}"
    for model in (generator, discriminator):
        assert all(np.isfinite(w.numpy()).all() for w in model.weights)
    moved = [np.abs(w.numpy() - b).max() for w, b in zip(discriminator.trainable_weights, before)]
    assert max(moved) > 0, "the D step changed nothing"
    if penalty != "none":
        assert "penalty" in metrics and float(metrics["penalty"]) >= 0


@pytest.mark.parametrize("loss, penalty, normalization", ONE_DEVICE)
def test_one_device(loss, penalty, normalization, eagerly):
    _one_step(tf.distribute.get_strategy(), loss, penalty, normalization)


@pytest.mark.slow
@pytest.mark.parametrize("loss, penalty, normalization", COMBINATIONS)
def test_one_device_every_combination(loss, penalty, normalization, eagerly):
    _one_step(tf.distribute.get_strategy(), loss, penalty, normalization)


@pytest.mark.parametrize("loss, penalty, normalization", FOUR_DEVICES)
def test_four_logical_devices(loss, penalty, normalization, eagerly, mirrored_strategy):
    _one_step(mirrored_strategy, loss, penalty, normalization)


@pytest.mark.slow
@pytest.mark.parametrize("loss, penalty, normalization", COMBINATIONS)
def test_four_logical_devices_every_combination(
    loss, penalty, normalization, eagerly, mirrored_strategy
):
    _one_step(mirrored_strategy, loss, penalty, normalization)
