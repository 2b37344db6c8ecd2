"""SSGAN and S3GAN: rotations against numpy, the added loss terms against numpy formulas, the
heads' training and checkpoints, replica parity and the settings' errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import ARCHITECTURES, build_discriminator, resolutions
from compare_gan_tf.architectures.base import Discriminator, flatten
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.objectives.rotation import (
    chosen_indices,
    rotate_images,
    rotation_labels,
    rotation_loss,
    with_rotations,
)
from compare_gan_tf.objectives.s3gan import S3GAN
from compare_gan_tf.objectives.self_supervision import (
    DiscriminatorParts,
    SelfSupervision,
    build_heads,
)
from compare_gan_tf.training.experiment import build_gan
from compare_gan_tf.training.gan import GAN

CLASSES = 3


class TinyDiscriminator(Discriminator):
    """One 3x3 convolution on 8 px images, flattened: features [B, 8 * 8 * 2]."""

    ARCHITECTURE = "tiny"
    RESOLUTIONS = (8,)

    def __init__(self, resolution=8, **kwargs):
        super().__init__(resolution, **kwargs)
        self.conv = self.conv(2, 3)

    def extract_features(self, images, training):
        return flatten(tf.nn.leaky_relu(self.conv(images, training=training), 0.2))


class TinyGenerator(keras.Model):
    def __init__(self, num_classes=None):
        super().__init__()
        self.num_classes = num_classes
        self.dense = keras.layers.Dense(8 * 8)

    def call(self, z, labels=None, training=None):
        return tf.reshape(tf.tanh(self.dense(z)), [-1, 8, 8, 1])


def _numpy_ce(logits, labels):
    """Softmax cross-entropy, mean over examples; labels are ints or probability rows."""
    logits = np.asarray(logits, np.float64)
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    labels = np.asarray(labels)
    if labels.ndim == 1:
        labels = np.eye(logits.shape[1])[labels]
    return -(labels * log_p).sum(1)


def _images(batch, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, 8, 8, 1)).astype("float32")


def _setup(objective, batch=8, num_classes=CLASSES, normalization="none"):
    """A built task on a TinyDiscriminator, and D's parts in inference mode (deterministic)."""
    discriminator = TinyDiscriminator(
        num_classes=objective.discriminator_classes(num_classes), normalization=normalization
    )
    discriminator(tf.zeros([1, 8, 8, 1]), tf.zeros([1], tf.int32))
    build_heads(
        objective.auxiliary,
        discriminator,
        lambda: tf.zeros([2, 8, 8, 1]),
        (batch, 1, 1),
        num_classes,
    )
    parts = DiscriminatorParts(
        lambda x: discriminator.features(x, training=False),
        lambda f, y: discriminator.head(f, y, training=False),
    )
    return discriminator, parts


def _numpy_features(discriminator, images):
    return discriminator.features(tf.constant(images, tf.float32)).numpy()


def _rotation_logits(objective, discriminator, chosen):
    """The rotation head on numpy-rotated copies of `chosen`, in label order."""
    rotated = np.concatenate([np.rot90(chosen, k, axes=(1, 2)) for k in range(4)])
    head = objective.auxiliary.rotation_head
    return head(_numpy_features(discriminator, rotated)).numpy()


# Rotations -------------------------------------------------------------------------------------


def test_rotations_are_numpys_rot90_and_compare_gans_flips():
    images = np.arange(2 * 3 * 3 * 2, dtype="float32").reshape(2, 3, 3, 2)
    rotated = rotate_images(tf.constant(images)).numpy()
    expected = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in (1, 2, 3)])
    np.testing.assert_array_equal(rotated, expected)
    # compare_gan's gans/utils.py::rotate_images builds them from flips and transposes.
    x = tf.constant(images)
    flips = [
        tf.image.flip_up_down(tf.image.transpose(x)),
        tf.image.flip_left_right(tf.image.flip_up_down(x)),
        tf.image.transpose(tf.image.flip_up_down(x)),
    ]
    np.testing.assert_array_equal(rotated, tf.concat(flips, axis=0).numpy())
    # Counterclockwise: the top-right pixel of the image moves to the top-left.
    assert rotated[0, 0, 0, 0] == images[0, 0, 2, 0]


def test_rotated_batch_layout_and_labels():
    images = _images(8)
    batch, task = with_rotations(tf.constant(images), 8, 2)
    assert list(chosen_indices(8, 2)) == [3, 7]
    assert batch.shape == (8 + 3 * 2, 8, 8, 1)
    np.testing.assert_array_equal(batch[:8], images)
    assert list(task) == [3, 7, 8, 9, 10, 11, 12, 13]
    labels = rotation_labels(2).numpy()
    assert list(labels) == [0, 0, 1, 1, 2, 2, 3, 3]
    for index, label in zip(task, labels):
        source = images[[3, 7][list(task).index(index) % 2]]
        np.testing.assert_array_equal(batch[index], np.rot90(source, label, axes=(0, 1)))


def test_replicas_choose_what_one_device_chooses():
    one_device = chosen_indices(32, 4)
    four_replicas = np.concatenate([8 * r + chosen_indices(8, 1) for r in range(4)])
    np.testing.assert_array_equal(one_device, four_replicas)
    assert list(chosen_indices(8, 8)) == list(range(8))
    assert list(chosen_indices(8, 1)) == [7]


def test_rotation_loss_is_softmax_cross_entropy():
    logits = np.random.randn(12, 4).astype("float32") * 3
    labels = np.repeat(np.arange(4), 3)
    loss, accuracy = rotation_loss(tf.constant(logits), 3)
    np.testing.assert_allclose(loss, _numpy_ce(logits, labels).mean(), rtol=1e-5)
    np.testing.assert_allclose(accuracy, np.mean(logits.argmax(1) == labels))


# SSGAN -----------------------------------------------------------------------------------------


def _ssgan(mode="rotation_gan", size=8, **settings):
    objective = GANObjective(loss="hinge", self_supervision=mode)
    objective.auxiliary = SelfSupervision(mode, rotated_batch_size=size, **settings)
    return objective


def _d_loss(objective, parts, real, fake, labels, fake_labels):
    monitor = {}
    loss, terms = objective.discriminator_loss(
        None,
        lambda z, y: tf.constant(fake),
        tf.constant(real),
        labels,
        tf.zeros([len(real), 2]),
        fake_labels=fake_labels,
        monitor=monitor,
        d_parts=parts,
    )
    return float(loss), {k: float(v) for k, v in terms.items()}, monitor


def test_ssgan_adds_weighted_rotation_losses_to_d_and_g():
    objective = _ssgan(size=8, weight_rotation_loss_d=0.7, weight_rotation_loss_g=0.3)
    discriminator, parts = _setup(objective)
    real, fake = _images(8, 1), _images(8, 2)
    labels, fake_labels = tf.constant([0, 1, 2, 0, 1, 2, 0, 1]), tf.constant([2] * 8)
    loss, terms, monitor = _d_loss(objective, parts, real, fake, labels, fake_labels)

    plain = float(GANObjective(loss="hinge").discriminator_loss(
        discriminator, lambda z, y: tf.constant(fake), tf.constant(real), labels,
        tf.zeros([8, 2]), fake_labels=fake_labels,
    )[0])  # fmt: skip
    chosen = [3, 7]  # rotated_batch_size 8: 2 images, the evenly spread ones
    real_rotation = _rotation_logits(objective, discriminator, real[chosen])
    ce_real = _numpy_ce(real_rotation, np.repeat(np.arange(4), 2)).mean()
    np.testing.assert_allclose(terms["rotation_real"], 0.7 * ce_real, rtol=1e-5)
    np.testing.assert_allclose(loss, plain + 0.7 * ce_real, rtol=1e-5)
    np.testing.assert_allclose(monitor["c_real_loss"], ce_real, rtol=1e-5)
    accuracy = np.mean(real_rotation.argmax(1) == np.repeat(np.arange(4), 2))
    np.testing.assert_allclose(monitor["d_rotation_accuracy"], accuracy)

    g_loss, g_terms = objective.generator_loss(
        None, lambda z, y: tf.constant(fake), tf.zeros([8, 2]), fake_labels, d_parts=parts
    )
    g_plain, _ = GANObjective(loss="hinge").generator_loss(
        discriminator, lambda z, y: tf.constant(fake), tf.zeros([8, 2]), fake_labels
    )
    fake_rotation = _rotation_logits(objective, discriminator, fake[chosen])
    ce_fake = _numpy_ce(fake_rotation, np.repeat(np.arange(4), 2)).mean()
    np.testing.assert_allclose(g_terms["rotation_fake"], 0.3 * ce_fake, rtol=1e-5)
    np.testing.assert_allclose(g_loss, float(g_plain) + 0.3 * ce_fake, rtol=1e-5)
    np.testing.assert_allclose(monitor["c_fake_loss"], ce_fake, rtol=1e-5)


def test_rotation_only_keeps_only_the_rotation_losses():
    objective = _ssgan("rotation_only", size=32)  # every image, 4 times
    _, parts = _setup(objective, num_classes=None)
    loss, terms, _ = _d_loss(objective, parts, _images(8, 1), _images(8, 2), None, None)
    assert terms["d_loss_real"] == terms["d_loss_fake"] == 0.0
    np.testing.assert_allclose(loss, terms["rotation_real"], rtol=1e-6)
    g_loss, g_terms = objective.generator_loss(
        None, lambda z, y: tf.constant(_images(8, 2)), tf.zeros([8, 2]), None, d_parts=parts
    )
    assert float(g_terms["g_loss_fake"]) == 0.0
    np.testing.assert_allclose(g_loss, g_terms["rotation_fake"], rtol=1e-6)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_image_architecture_feeds_the_rotation_head(name):
    resolution = min(resolutions(name))
    ch = {"biggan": 8, "biggan_deep": 4, "resnet30": 4}.get(name, 2)
    discriminator = build_discriminator(name, resolution, CLASSES, ch=ch)
    objective = _ssgan(size=4)
    images = tf.random.uniform([2, resolution, resolution, 3], -1, 1)
    discriminator(images, tf.constant([0, 1]))
    parts, heads = build_heads(
        objective.auxiliary, discriminator, lambda: images, (2, 1, 1), discriminator.num_classes
    )
    loss, terms = objective.generator_loss(
        None, lambda z, y: images, tf.zeros([2, 2]), tf.constant([0, 1]), d_parts=parts
    )
    assert np.isfinite(float(loss)) and float(terms["rotation_fake"]) > 0
    paths = [w.path for w in heads[0].weights]
    assert any(path.endswith("score_classify/kernel") for path in paths), paths
    assert all(path.startswith("discriminator_rotation/") for path in paths), paths


# S3GAN -----------------------------------------------------------------------------------------


def _s3gan(**settings):
    objective = GANObjective(loss="hinge", self_supervision="s3gan")
    settings = {"project_y": True, "use_predictor": True, "rotated_batch_fraction": 2, **settings}
    objective.auxiliary = S3GAN(**settings)
    return objective


def test_predictor_is_trained_on_labelled_reals_only():
    objective = _s3gan(self_supervision="none", weight_class_loss=0.5)
    discriminator, parts = _setup(objective)
    real, fake = _images(8, 1), _images(8, 2)
    labels = np.array([0, -1, 2, -1, 1, -1, -1, 2], "int32")
    _, terms, monitor = _d_loss(objective, parts, real, fake, labels, tf.constant([1] * 8))
    class_logits = objective.auxiliary.class_head(_numpy_features(discriminator, real)).numpy()
    labelled = labels >= 0
    ce = _numpy_ce(class_logits[labelled], labels[labelled]).mean()
    np.testing.assert_allclose(terms["class_real"], 0.5 * ce, rtol=1e-5)
    np.testing.assert_allclose(monitor["label_fraction"], 0.5)
    accuracy = np.mean(class_logits[labelled].argmax(1) == labels[labelled])
    np.testing.assert_allclose(monitor["d_class_accuracy"], accuracy)
    assert "rotation_real" not in terms


def _projection(discriminator, features, vectors):
    head = discriminator.head
    embeddings = head.embedding.embeddings.numpy()
    linear = features @ head.linear.kernel.numpy() + head.linear.bias.numpy()
    return linear + np.sum((vectors @ embeddings) * features, axis=1, keepdims=True)


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_missing_labels_are_predicted_for_the_projection(soft):
    objective = _s3gan(self_supervision="none", use_soft_pred=soft)
    discriminator, parts = _setup(objective)
    real = _images(8, 1)
    labels = np.array([0, -1, 2, -1, 1, -1, -1, 2], "int32")
    features = _numpy_features(discriminator, real)
    class_logits = objective.auxiliary.class_head(features).numpy()
    probabilities = np.exp(class_logits) / np.exp(class_logits).sum(1, keepdims=True)
    predicted = probabilities if soft else np.eye(CLASSES)[class_logits.argmax(1)]
    vectors = np.where(labels[:, None] >= 0, np.eye(CLASSES)[np.maximum(labels, 0)], predicted)
    logits_fn = objective.auxiliary.logits_fn(parts, lambda x, y: parts.features(x))
    np.testing.assert_allclose(
        logits_fn(tf.constant(real), labels), _projection(discriminator, features, vectors),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip


def test_soft_labels_are_soft_targets():
    objective = _s3gan(self_supervision="none", use_soft_labels=True)
    discriminator, parts = _setup(objective, batch=4)
    real = _images(4, 1)
    labels = np.array([[0.7, 0.3, 0], [0, 0, 0], [0.2, 0.2, 0.6], [0, 0, 0]], "float32")
    _, terms, monitor = _d_loss(objective, parts, real, _images(4, 2), labels, tf.constant([1] * 4))
    class_logits = objective.auxiliary.class_head(_numpy_features(discriminator, real)).numpy()
    ce = _numpy_ce(class_logits[[0, 2]], labels[[0, 2]]).mean()
    np.testing.assert_allclose(terms["class_real"], ce, rtol=1e-5)
    np.testing.assert_allclose(monitor["label_fraction"], 0.5)


def test_s3gan_rotation_takes_a_fraction_of_the_batch():
    objective = _s3gan(rotated_batch_fraction=2)  # 8 / 2 = 4 images: 1 rotated 4 times
    discriminator, parts = _setup(objective)
    real = _images(8, 1)
    _, terms, _ = _d_loss(objective, parts, real, _images(8, 2), np.zeros(8, "int32"), None)
    rotation = _rotation_logits(objective, discriminator, real[[7]])
    np.testing.assert_allclose(
        terms["rotation_real"], _numpy_ce(rotation, np.arange(4)).mean(), rtol=1e-5
    )


def test_unconditional_d_without_projection():
    objective = _s3gan(project_y=False, use_predictor=False, self_supervision="none")
    discriminator, _ = _setup(objective)
    assert discriminator.num_classes is None and objective.auxiliary.heads == []


# The GAN: training, checkpoints, replicas -------------------------------------------------------

BATCH = 16


def _gan(strategy, mode, **gan_options):
    objective = GANObjective(loss="hinge", self_supervision=mode)
    with strategy.scope():
        if mode == "s3gan":
            objective.auxiliary = S3GAN(
                project_y=True, use_predictor=True, rotated_batch_fraction=1
            )
        else:
            objective.auxiliary = SelfSupervision(mode, rotated_batch_size=BATCH)
        generator, average = TinyGenerator(CLASSES), TinyGenerator(CLASSES)
        discriminator = TinyDiscriminator(num_classes=CLASSES, normalization="spectral")
        for model in (generator, average):
            model(tf.zeros([2, 4]))
        discriminator(tf.zeros([2, 8, 8, 1]), tf.zeros([2], tf.int32))
        gan = GAN(
            generator, discriminator, average, objective, strategy, global_batch_size=BATCH,
            z_dim=4, num_classes=CLASSES, g_optimizer=keras.optimizers.SGD(0.1),
            d_optimizer=keras.optimizers.SGD(0.1), ema_decay=0.5, **gan_options,
        )  # fmt: skip
    return gan


def _dataset(steps=1):
    images = _images(BATCH * steps, 5)
    labels = np.random.RandomState(5).randint(0, CLASSES, BATCH * steps).astype("int32")
    labels[::3] = -1
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH)


def _heads_weights(gan):
    return [w.numpy() for w in gan.objective.auxiliary.weights]


@pytest.mark.parametrize("mode", ["rotation_gan", "s3gan"])
def test_d_optimizer_trains_the_heads_and_checkpoints_hold_them(mode, tmp_path):
    gan = _gan(tf.distribute.get_strategy(), mode)
    head_ids = {id(v) for v in gan.objective.auxiliary.trainable_variables}
    assert head_ids <= {id(v) for v in gan.d_variables}
    before = _heads_weights(gan)
    metrics = gan.train(iter(_dataset()), tf.constant(1))
    after = _heads_weights(gan)
    # Kernels and biases are trained; SN's vectors u advance in the training calls.
    assert all(np.abs(a - b).max() > 0 for a, b in zip(after, before))
    assert any(w.path.endswith("/u") for w in gan.objective.auxiliary.weights)
    assert 0.0 <= float(metrics["d_rotation_accuracy"]) <= 1.0
    assert "rotation_fake" in metrics and "rotation_real" in metrics
    if mode == "s3gan":
        np.testing.assert_allclose(metrics["label_fraction"], 10 / 16)

    path = tf.train.Checkpoint(**gan.checkpoint_items()).save(str(tmp_path / "ckpt"))
    for weight in gan.objective.auxiliary.weights:
        weight.assign(tf.zeros_like(weight))
    tf.train.Checkpoint(**gan.checkpoint_items()).restore(path).assert_existing_objects_matched()
    for restored, saved in zip(_heads_weights(gan), after):
        np.testing.assert_array_equal(restored, saved)


@pytest.mark.parametrize("mode", ["rotation_gan", "s3gan"])
def test_four_replicas_match_one_device(mode, mirrored_strategy):
    results = []
    for strategy in (tf.distribute.get_strategy(), mirrored_strategy):
        gan = _gan(strategy, mode)
        if results:  # the same initial weights
            for model in ("generator", "discriminator"):
                getattr(gan, model).set_weights(results[0][1][model])
            for weight, value in zip(gan.objective.auxiliary.weights, results[0][1]["heads"]):
                weight.assign(value)
        initial = {
            "generator": gan.generator.get_weights(),
            "discriminator": gan.discriminator.get_weights(),
            "heads": _heads_weights(gan),
        }
        iterator = iter(strategy.experimental_distribute_dataset(_dataset()))
        metrics = gan.train(iterator, tf.constant(1))
        results.append((gan, initial, {k: float(v) for k, v in metrics.items()}))
    (single, initial, single_metrics), (mirrored, _, mirrored_metrics) = results
    assert single_metrics.keys() == mirrored_metrics.keys()
    for name, value in single_metrics.items():
        np.testing.assert_allclose(mirrored_metrics[name], value, atol=1e-5, err_msg=name)
    pairs = [(single.discriminator.weights, mirrored.discriminator.weights)]
    pairs.append((single.objective.auxiliary.weights, mirrored.objective.auxiliary.weights))
    pairs.append((single.generator.weights, mirrored.generator.weights))
    for mine, theirs in pairs:
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-5, err_msg=a.path)
    kernel = [w.ndim == 2 for w in initial["heads"]].index(True)
    moved = single.objective.auxiliary.weights[kernel].numpy() - initial["heads"][kernel]
    assert np.abs(moved).max() > 1e-4


# Settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size,message",
    [
        (None, "required"),
        (6, "multiple of 4 x 1"),
        (40, "at most 4 x Experiment.batch_size = 32"),
        (0, "multiple"),
    ],
)
def test_rotated_batch_size_errors(size, message):
    objective = _ssgan(size=size)
    with pytest.raises(ConfigError, match=message):
        _setup(objective)


def test_rotated_batch_size_counts_replicas_and_micro_batches():
    task = SelfSupervision(rotated_batch_size=16)
    discriminator = TinyDiscriminator()
    discriminator(tf.zeros([1, 8, 8, 1]))
    with pytest.raises(ConfigError, match=r"4 x 8 .*4 replica\(s\) x 2 micro-batches"):
        build_heads(task, discriminator, lambda: tf.zeros([1, 8, 8, 1]), (32, 4, 2), None)
    build_heads(task, discriminator, lambda: tf.zeros([1, 8, 8, 1]), (32, 2, 2), None)
    assert task.count == 1 and task.batch_size == 8


def test_s3gan_errors():
    with pytest.raises(ConfigError, match="needs S3GAN.project_y"):
        S3GAN(use_predictor=True)
    with pytest.raises(ConfigError, match="use_soft_pred"):
        S3GAN(project_y=True, use_soft_pred=True)
    with pytest.raises(ConfigError, match="S3GAN.self_supervision"):
        S3GAN(self_supervision="rotation_gan")
    with pytest.raises(ConfigError, match="weight_class_loss"):
        S3GAN(weight_class_loss=-1)
    with pytest.raises(ConfigError, match="multiple of 4 x 3"):
        _setup(_s3gan(rotated_batch_fraction=3))
    with pytest.raises(ConfigError, match="rotated_batch_fraction = None"):
        _setup(_s3gan(rotated_batch_fraction=None))
    with pytest.raises(ConfigError, match="Experiment.conditional"):
        _setup(_s3gan(), num_classes=None)


def test_objective_errors():
    with pytest.raises(ConfigError, match="GANObjective.self_supervision"):
        GANObjective(self_supervision="rotation")
    with pytest.raises(ConfigError, match="gradient_normalization nor packing"):
        GANObjective(self_supervision="rotation_gan", gradient_normalization="gn")
    with pytest.raises(ConfigError, match="gradient_normalization nor packing"):
        GANObjective(self_supervision="s3gan", packing=2)
    objective = GANObjective(self_supervision="rotation_gan", augment="ada")
    with pytest.raises(ConfigError, match="AdaptiveAugment.rotate90 = 0"):
        objective.build(8)
    with pytest.raises(ConfigError, match="square images"):
        build_heads(
            SelfSupervision(rotated_batch_size=4), None, lambda: tf.zeros([2, 2]), (4, 1, 1), None
        )


def test_s3gan_predictor_refuses_xla_over_cpu_replicas(mirrored_strategy):
    with pytest.raises(ConfigError, match="S3GAN's count of labelled examples"):
        _gan(mirrored_strategy, "s3gan", jit_compile=True)


def test_build_gan_builds_an_unconditional_d_for_s3gan_without_projection():
    objective = GANObjective(self_supervision="s3gan")
    objective.auxiliary = S3GAN(rotated_batch_fraction=1)
    gan = build_gan(
        "dcgan", 32, num_classes=CLASSES, channels=1, batch_size=4, objective=objective,
        generator_options={"ch": 2}, discriminator_options={"ch": 2},
    )  # fmt: skip
    assert gan.discriminator.num_classes is None and gan.generator.num_classes == CLASSES
    metrics = gan.train(iter(tf.data.Dataset.from_tensors((
        tf.zeros([4, 32, 32, 1]), tf.constant([0, 1, -1, 2])
    )).repeat()), tf.constant(1))  # fmt: skip
    assert np.isfinite(float(metrics["d_loss"]))
