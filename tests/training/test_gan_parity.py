"""4 replicas x 8 examples train exactly like 1 replica x 32 (SN, cross-replica BN and EMA on)."""

import keras
import numpy as np
import tensorflow as tf

from compare_gan_tf.layers import ProjectionHead, SpectralNormalization
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.gan import GAN

Z_DIM, BATCH, STEPS, NUM_CLASSES = 6, 32, 3, 3
# Float sums over 4 partial batches differ from one sum in the last bits.
TOLERANCE = 2e-5


class TinyGenerator(keras.Model):
    def __init__(self, synchronized):
        super().__init__()
        self.dense = SpectralNormalization(keras.layers.Dense(16))
        self.norm = keras.layers.BatchNormalization(synchronized=synchronized)
        self.out = keras.layers.Dense(4 * 4)

    def call(self, z, labels=None, training=None):
        h = tf.nn.relu(self.norm(self.dense(z, training=training), training=training))
        return tf.reshape(tf.tanh(self.out(h)), [-1, 4, 4, 1])


class TinyDiscriminator(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = SpectralNormalization(keras.layers.Dense(8))
        self.head = ProjectionHead(NUM_CLASSES, spectral_norm="sn")

    def call(self, images, labels=None, training=None):
        features = tf.nn.relu(self.dense(tf.reshape(images, [-1, 16]), training=training))
        return self.head(features, labels, training=training)


def _models(synchronized):
    generator, average = TinyGenerator(synchronized), TinyGenerator(synchronized)
    discriminator = TinyDiscriminator()
    z, labels = tf.zeros([2, Z_DIM]), tf.zeros([2], tf.int32)
    for g in (generator, average):
        g(z, labels)
    discriminator(tf.zeros([2, 4, 4, 1]), labels)
    return generator, average, discriminator


def _train(strategy, synchronized, initial_weights, dataset):
    with strategy.scope():
        generator, average, discriminator = _models(synchronized)
        if initial_weights:
            generator.set_weights(initial_weights[0])
            discriminator.set_weights(initial_weights[1])
        gan = GAN(
            generator,
            discriminator,
            average,
            GANObjective(loss="hinge"),
            strategy,
            global_batch_size=BATCH,
            z_dim=Z_DIM,
            num_classes=NUM_CLASSES,
            disc_iters=2,
            # SGD: unlike Adam, its step is proportional to the gradient, so a wrong scaling of the
            # per-replica losses shows up in the weights.
            g_optimizer=keras.optimizers.SGD(0.1),
            d_optimizer=keras.optimizers.SGD(0.1),
            ema_decay=0.5,
        )
    weights = (generator.get_weights(), discriminator.get_weights())
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    metrics = gan.train(iterator, tf.constant(STEPS))
    return gan, weights, {k: float(v) for k, v in metrics.items()}


def test_four_replicas_match_one_replica(mirrored_strategy):
    images = np.random.uniform(-1, 1, (BATCH * 2 * STEPS, 4, 4, 1)).astype("float32")
    labels = np.random.randint(0, NUM_CLASSES, BATCH * 2 * STEPS).astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH)

    single, initial, single_metrics = _train(tf.distribute.get_strategy(), False, None, dataset)
    distributed, _, distributed_metrics = _train(mirrored_strategy, True, initial, dataset)

    assert int(single.step.numpy()) == int(distributed.step.numpy()) == STEPS
    assert single_metrics.keys() == distributed_metrics.keys()
    for name, value in single_metrics.items():
        np.testing.assert_allclose(distributed_metrics[name], value, rtol=1e-4, err_msg=name)
    for model in ("generator", "discriminator", "ema"):
        mine = getattr(single, model) if model != "ema" else single.ema.average
        theirs = getattr(distributed, model) if model != "ema" else distributed.ema.average
        for a, b in zip(mine.weights, theirs.weights):
            np.testing.assert_allclose(b.numpy(), a.numpy(), atol=TOLERANCE, err_msg=a.path)
    # The weights really moved, so the comparison is not between two untouched initializations.
    moved = single.generator.get_weights()[0] - initial[0][0]
    assert np.abs(moved).max() > 1e-3
