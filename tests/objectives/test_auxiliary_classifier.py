"""AC-GAN and TAC-GAN heads: their terms equal the cross-entropies computed in numpy from the
heads' own logits, D's adversarial head is unconditional unless project_y, and a GAN trains
with them on one and four devices."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.objectives.auxiliary_classifier import class_cross_entropy
from compare_gan_tf.training.experiment import build_gan

CLASSES, BATCH = 3, 8


def _numpy_cross_entropy(logits, labels):
    logits = np.asarray(logits, np.float64)
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def test_class_cross_entropy_is_the_softmax_cross_entropy():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, 1.0]], np.float32)
    labels = np.array([0, 2, 1])
    loss, accuracy = class_cross_entropy(logits, labels)
    np.testing.assert_allclose(float(loss), _numpy_cross_entropy(logits, labels), rtol=1e-6)
    assert float(accuracy) == pytest.approx(1 / 3)


def _gan(strategy, mode, project_y=False, normalization="none"):
    gin.bind_parameter("AuxiliaryClassifier.project_y", project_y)
    gin.bind_parameter("AuxiliaryClassifier.weight_g", 0.5)
    with strategy.scope():
        return build_gan(
            "dcgan",
            32,
            num_classes=CLASSES,
            channels=1,
            batch_size=BATCH,
            z_dim=8,
            strategy=strategy,
            objective=GANObjective(classifier=mode),
            generator_options={"ch": 4},
            discriminator_options={"ch": 4, "normalization": normalization},
        )


def _batch():
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(-1, 1, (BATCH, 32, 32, 1)), tf.float32)
    return images, (np.arange(BATCH) % CLASSES).astype("int32")


@pytest.mark.parametrize("mode", ["ac", "tac"])
def test_terms_equal_the_heads_cross_entropies(clean_gin, mode):
    gan = _gan(tf.distribute.get_strategy(), mode)
    objective, task = gan.objective, gan.objective.auxiliary
    assert gan.discriminator.num_classes is None  # AC-GAN's D: no projection
    images, labels = _batch()
    z, fake_labels = gan.sample_latents(BATCH, tf.constant([1, 2], tf.int64))
    _, parts = objective.discriminator_loss(
        gan._d_fn, gan._g_fn, images, labels, z, fake_labels=fake_labels, d_parts=gan.d_parts
    )
    features = gan.d_parts.features(images)
    fakes = gan.generator(z, fake_labels, training=True)
    fake_features = gan.d_parts.features(fakes)
    fake_head = task.twin_head if mode == "tac" else task.class_head
    # Without spectral norm or batch norm, D and the heads compute the same in every call.
    real_ce = _numpy_cross_entropy(task.class_head(features), labels)
    fake_ce = _numpy_cross_entropy(fake_head(fake_features), fake_labels.numpy())
    np.testing.assert_allclose(float(parts["class_real"]), real_ce, rtol=1e-5)
    np.testing.assert_allclose(float(parts["class_fake"]), fake_ce, rtol=1e-5)
    assert (task.twin_head is not None) == (mode == "tac")


def test_tac_generator_term_is_the_difference_of_the_two_classifiers(clean_gin):
    gan = _gan(tf.distribute.get_strategy(), "tac")
    task = gan.objective.auxiliary
    z, labels = gan.sample_latents(BATCH, tf.constant([3, 4], tf.int64))
    fakes = gan.generator(z, labels, training=True)
    _, terms = task.generator_terms(
        gan.d_parts, lambda x, y: gan.d_parts.features(x), fakes, labels
    )
    features = gan.d_parts.features(fakes)
    expected = 0.5 * (
        _numpy_cross_entropy(task.class_head(features), labels.numpy())
        - _numpy_cross_entropy(task.twin_head(features), labels.numpy())
    )
    np.testing.assert_allclose(float(terms["class_fake"]), expected, rtol=1e-4, atol=1e-6)


def test_project_y_keeps_the_projection(clean_gin):
    assert _gan(tf.distribute.get_strategy(), "ac", project_y=True).discriminator.num_classes


def test_unlabelled_data_and_self_supervision_are_refused(clean_gin):
    with pytest.raises(ConfigError, match="Experiment.conditional = True"):
        build_gan(
            "dcgan",
            32,
            channels=1,
            batch_size=BATCH,
            objective=GANObjective(classifier="ac"),
            generator_options={"ch": 4},
            discriminator_options={"ch": 4},
        )
    with pytest.raises(ConfigError, match="choose one of them"):
        GANObjective(classifier="tac", self_supervision="rotation_gan")
    with pytest.raises(ConfigError, match="GANObjective.classifier"):
        GANObjective(classifier="acgan")


@pytest.mark.parametrize("mode", ["ac", "tac"])
def test_trains_on_four_logical_devices(clean_gin, eagerly, mirrored_strategy, mode):
    gan = _gan(mirrored_strategy, mode, normalization="spectral")
    images, labels = _batch()
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    metrics = gan.train(iter(mirrored_strategy.experimental_distribute_dataset(dataset)), 1)
    assert all(np.isfinite(float(value)) for value in metrics.values())
    assert {"class_real", "class_fake", "d_class_accuracy"} <= set(metrics)
