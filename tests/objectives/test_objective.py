"""GANObjective: the composition equals its parts computed independently, on one or four devices."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import (
    GANObjective,
    cr,
    gradient_normalized,
    hinge,
    r1,
    wasserstein,
)

NUM_CLASSES, Z_DIM, BATCH = 3, 6, 8


class _Models:
    """A conditional D without batch coupling (projection head) and a conditional G."""

    def __init__(self):
        self.d_body = keras.layers.Dense(8, activation="relu")
        self.d_head = keras.layers.Dense(1)
        self.d_embed = keras.layers.Embedding(NUM_CLASSES, 8)
        self.g_dense = keras.layers.Dense(4 * 4 * 2)
        self.g_embed = keras.layers.Embedding(NUM_CLASSES, 4 * 4 * 2)
        self.d_fn(tf.zeros([1, 4, 4, 2]), tf.zeros([1], tf.int32))
        self.g_fn(tf.zeros([1, Z_DIM]), tf.zeros([1], tf.int32))

    def d_fn(self, images, labels):
        features = self.d_body(tf.reshape(images, [tf.shape(images)[0], -1]))
        projection = tf.reduce_sum(self.d_embed(labels) * features, axis=1, keepdims=True)
        return self.d_head(features) + projection

    def g_fn(self, z, labels):
        return tf.reshape(tf.tanh(self.g_dense(z) + self.g_embed(labels)), [-1, 4, 4, 2])

    @property
    def d_variables(self):
        return [*self.d_body.weights, *self.d_head.weights, *self.d_embed.weights]

    @property
    def g_variables(self):
        return [*self.g_dense.weights, *self.g_embed.weights]


def _batch():
    real = np.random.uniform(-1, 1, [BATCH, 4, 4, 2]).astype("float32")
    labels = np.random.randint(0, NUM_CLASSES, BATCH).astype("int32")
    z = np.random.randn(BATCH, Z_DIM).astype("float32")
    return real, labels, z


def _orthogonal_numpy(kernel, beta):
    gram = kernel.T @ kernel
    np.fill_diagonal(gram, 0.0)
    return beta * np.sum(gram**2)


def test_hinge_r1_orthogonal_equal_their_parts():
    models, (real, labels, z) = _Models(), _batch()
    objective = GANObjective(
        loss="hinge", penalty="r1", penalty_weight=3.0, orthogonal_reg_weight=0.1
    )
    d_loss, d_parts = objective.discriminator_loss(
        models.d_fn, models.g_fn, real, labels, z, models.d_variables
    )
    fake = models.g_fn(z, labels)
    expected_d = hinge(models.d_fn(real, labels), models.d_fn(fake, labels)).d_loss
    expected_d += r1(models.d_fn, real, labels, weight=3.0)
    np.testing.assert_allclose(d_loss, expected_d, rtol=1e-5)
    np.testing.assert_allclose(d_loss, sum(d_parts.values()), rtol=1e-6)
    assert set(d_parts) == {"d_loss_real", "d_loss_fake", "penalty"}

    g_loss, g_parts = objective.generator_loss(
        models.d_fn, models.g_fn, z, labels, models.g_variables
    )
    # Orthogonal regularization covers the Dense kernel, not the embedding or the bias.
    orthogonal = _orthogonal_numpy(models.g_dense.kernel.numpy(), 0.1)
    expected_g = float(hinge(None, models.d_fn(fake, labels)).g_loss) + orthogonal
    np.testing.assert_allclose(g_loss, expected_g, rtol=1e-5)
    np.testing.assert_allclose(g_parts["orthogonal"], orthogonal, rtol=1e-5)


def test_gn_wasserstein_cr_equal_their_parts():
    models, (real, labels, z) = _Models(), _batch()
    objective = GANObjective(loss="wasserstein", gradient_normalization="gn", consistency="cr")
    tf.random.set_seed(7)
    d_loss, d_parts = objective.discriminator_loss(models.d_fn, models.g_fn, real, labels, z)
    # Same global seed and the same order of random ops: the augmentation draws repeat.
    tf.random.set_seed(7)
    d_hat = gradient_normalized(models.d_fn)
    real_logits = d_hat(real, labels)
    fake_logits = d_hat(models.g_fn(z, labels), labels)
    expected = wasserstein(real_logits, fake_logits).d_loss
    expected += cr(d_hat, real, labels, real_logits=real_logits)
    np.testing.assert_allclose(d_loss, expected, rtol=1e-5)
    assert float(d_parts["cr"]) > 0.0
    g_loss, _ = objective.generator_loss(models.d_fn, models.g_fn, z, labels)
    np.testing.assert_allclose(g_loss, -np.mean(d_hat(models.g_fn(z, labels), labels)), rtol=1e-5)


@pytest.mark.parametrize(
    "settings",
    [
        {"penalty": "wgan_gp", "consistency": "icr"},
        {"loss": "least_squares", "penalty": "dragan", "gradient_normalization": "pgn"},
        {"loss": "minimax", "penalty": "l2", "consistency": "bcr", "mine_weight": 0.5},
        {"penalty": "r2", "consistency": "zcr"},
    ],
)
def test_every_combination_sums_its_parts(settings):
    models, (real, labels, z) = _Models(), _batch()
    objective = GANObjective(**settings)
    d_loss, d_parts = objective.discriminator_loss(
        models.d_fn, models.g_fn, real, labels, z, models.d_variables
    )
    g_loss, g_parts = objective.generator_loss(models.d_fn, models.g_fn, z, labels)
    for loss, parts in [(d_loss, d_parts), (g_loss, g_parts)]:
        assert np.isfinite(float(loss))
        np.testing.assert_allclose(loss, sum(parts.values()), rtol=1e-6)
    consistency = settings.get("consistency", "none")
    assert ("zcr_generator" in g_parts) == (consistency in ("zcr", "icr"))
    assert ("bcr_fake" in d_parts) == (consistency in ("bcr", "icr"))
    assert ("mine" in g_parts) == ("mine_weight" in settings)


def test_mine_term_and_statistics_loss():
    models, (_, labels, z) = _Models(), _batch()
    objective = GANObjective(mine_weight=0.5)
    fake = models.g_fn(z, labels)
    before = objective.mine.marginal_average.numpy()
    statistics_loss = objective.mine_loss(fake, z)
    assert objective.mine.marginal_average.numpy() != before
    # With every z equal the shuffle changes no pair, so I_hat = mean(T) - log mean exp(T).
    same_z = np.tile(z[:1], [BATCH, 1])
    _, parts = objective.generator_loss(models.d_fn, models.g_fn, same_z, labels)
    scores = objective.mine((models.g_fn(same_z, labels), same_z)).numpy().astype(np.float64)
    estimate = np.mean(scores) - np.log(np.mean(np.exp(scores)))
    np.testing.assert_allclose(parts["mine"], -0.5 * estimate, rtol=1e-3, atol=1e-7)
    with tf.GradientTape() as tape:
        loss, _ = objective.generator_loss(models.d_fn, models.g_fn, z, labels)
    assert all(g is not None for g in tape.gradient(loss, models.g_variables))
    assert np.isfinite(float(statistics_loss))


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"penalty": "gp"}, "Unknown penalty 'gp'; use one of: none, wgan_gp"),
        ({"gradient_normalization": "sn"}, "use one of: none, gn, pgn"),
        ({"consistency": "xcr"}, "use one of: none, cr, bcr, zcr, icr"),
        ({"loss": "vanilla"}, "Unknown GAN loss"),
    ],
)
def test_unknown_names_are_reported(settings, message):
    with pytest.raises(ValueError, match=message):
        GANObjective(**settings)


def test_mine_loss_without_mine_weight():
    with pytest.raises(ValueError, match="mine_weight"):
        GANObjective().mine_loss(tf.zeros([2, 4, 4, 2]), tf.zeros([2, Z_DIM]))


def test_mirrored_strategy_matches_one_device(mirrored_strategy):
    strategy = mirrored_strategy
    replicas = strategy.num_replicas_in_sync
    with strategy.scope():
        models = _Models()
    objective = GANObjective(
        loss="hinge", penalty="r1", gradient_normalization="gn", orthogonal_reg_weight=0.01
    )
    real, labels, z = _batch()
    d_vars, g_vars = models.d_variables, models.g_variables

    def losses_and_gradients(real, labels, z, scale):
        # The trainer's convention: each replica differentiates its loss / num_replicas.
        with tf.GradientTape(persistent=True) as tape:
            d_loss, _ = objective.discriminator_loss(models.d_fn, models.g_fn, real, labels, z)
            g_loss, _ = objective.generator_loss(models.d_fn, models.g_fn, z, labels, g_vars)
            d_scaled, g_scaled = d_loss / scale, g_loss / scale
        d_grads = [tf.convert_to_tensor(g) for g in tape.gradient(d_scaled, d_vars)]
        g_grads = [tf.convert_to_tensor(g) for g in tape.gradient(g_scaled, g_vars)]
        return d_loss, g_loss, d_grads, g_grads

    def shard(array):
        per_replica = len(array) // replicas
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: array[ctx.replica_id_in_sync_group * per_replica :][:per_replica]
        )

    @tf.function
    def distributed():
        outputs = strategy.run(
            losses_and_gradients, args=(shard(real), shard(labels), shard(z), replicas)
        )
        d_loss, g_loss, d_grads, g_grads = outputs
        mean = [strategy.reduce("MEAN", loss, axis=None) for loss in (d_loss, g_loss)]
        summed = [strategy.reduce("SUM", g, axis=None) for g in [*d_grads, *g_grads]]
        return mean, summed

    (d_mean, g_mean), summed = distributed()
    d_loss, g_loss, d_grads, g_grads = losses_and_gradients(real, labels, z, 1.0)
    np.testing.assert_allclose(d_mean, d_loss, rtol=1e-5)
    np.testing.assert_allclose(g_mean, g_loss, rtol=1e-5)
    for got, want in zip(summed, [*d_grads, *g_grads], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
