"""The trainer's D + G step compiles with XLA (`GAN.jit_compile`), as TPUs run it.

Every architecture at its smallest size, with SN in G and D, cross-replica BN in G (forced on
through gin's `batch_norm.generator_cross_replica`, since the CPU has one replica), WGAN-GP,
balanced consistency regularization and DiffAugment (images only), trained one step by
`GAN.train` with `jit_compile=True` on one device, where XLA compiles the whole replica step.
The references here are what numpy can compute independently: G's power-iteration vectors after
the step (two training calls of G on its starting weights: the D step's fakes and the G step),
and, in the fast test, every term of a D step with R1 against the same step uncompiled. (That
the compiled step equals the uncompiled one, random draws included, is
tests/training/test_xla_equivalence.py's.) A compile takes 10 s to minutes on 2 cores, so the
per-architecture tests are slow.
"""

import time

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import resolutions
from compare_gan_tf.layers import ConditionalBatchNorm, SpectralNormalization
from compare_gan_tf.layers.normalization import batch_norm_layers
from compare_gan_tf.layers.spectral_norm import fan_in_matrix
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.experiment import build_gan

XLA_ARCHITECTURES = (
    "dcgan",
    "sndcgan",
    "resnet_cifar",
    "resnet_stl",
    "resnet5",
    "biggan",
    "biggan_deep",
    "mlp",
)
# The smallest widths that keep self-attention (C/8 channels) whole.
SMALL_CH = {"biggan": 8, "biggan_deep": 4, "mlp": 8}
BATCH = 4


@pytest.fixture
def cross_replica_gin():
    gin.clear_config()
    gin.bind_parameter("batch_norm.generator_cross_replica", True)
    yield
    gin.clear_config()


def _gan(name, jit_compile=False):
    images = name != "mlp"
    objective = GANObjective(
        penalty="wgan_gp",
        consistency="bcr" if images else "none",
        augment="diffaugment" if images else "none",
    )
    ch = SMALL_CH.get(name, 4)
    g_options = dict(ch=ch, spectral_norm="sn")
    if not images:
        g_options["normalization"] = "batch"  # the mlp G has none by default
    return build_gan(
        name,
        resolutions(name)[0],
        num_classes=3 if name.startswith("biggan") else None,
        batch_size=BATCH,
        objective=objective,
        generator_options=g_options,
        discriminator_options=dict(ch=ch, normalization="spectral"),
        jit_compile=jit_compile,
    )


def _spectral_norms(model):
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, SpectralNormalization)
    ]


def _power_iterations(sn_layer, u, steps):
    """u after `steps` float64 power-iteration steps on the layer's current kernel."""
    transposed = isinstance(sn_layer.layer, keras.layers.Conv2DTranspose)
    matrix = fan_in_matrix(sn_layer.raw_kernel.numpy(), transposed).numpy().astype(np.float64)
    u = u.astype(np.float64)
    for _ in range(steps):
        v = matrix @ u
        v /= np.linalg.norm(v)
        u = matrix.T @ v
        u /= np.linalg.norm(u)
    return u


@pytest.mark.slow
@pytest.mark.parametrize("name", XLA_ARCHITECTURES)
def test_xla_train_step_compiles_for_every_architecture(cross_replica_gin, name):
    gan = _gan(name, jit_compile=True)
    resolution = resolutions(name)[0]
    shape = [BATCH, resolution, resolution, 3] if resolution else [BATCH, 2]
    images = tf.random.stateless_uniform(shape, [1, 2], -1.0, 1.0)
    # An unconditional D ignores its labels.
    labels = tf.constant([0, 1, 2, 0]) if gan.num_classes else tf.zeros([BATCH], tf.int32)
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    generator_sns = _spectral_norms(gan.generator)
    # G's kernels before its update, and its u vectors.
    expected_u = [_power_iterations(sn, sn.u.numpy(), steps=2) for sn in generator_sns]
    generator_norms = batch_norm_layers(gan.generator)
    moving_means = [bn.moving_mean.numpy() for bn in generator_norms]
    discriminator_u = [sn.u.numpy() for sn in _spectral_norms(gan.discriminator)]

    began = time.perf_counter()
    # The trainer's step: disc_iters D updates, one G update, the EMA update, one XLA program.
    metrics = gan.train(iter(dataset), tf.constant(1))
    metrics = {name: value.numpy() for name, value in metrics.items()}
    print(f"\n{name}: XLA compile and first step {time.perf_counter() - began:.1f} s")

    assert {"d_loss", "g_loss", "penalty"} <= set(metrics)
    assert all(np.isfinite(value) for value in metrics.values()), metrics
    assert int(gan.step.numpy()) == 1
    assert len(generator_sns) >= 3
    for sn, expected in zip(generator_sns, expected_u):
        np.testing.assert_allclose(sn.u.numpy(), expected, atol=2e-5, err_msg=sn.path)
    for sn, before in zip(_spectral_norms(gan.discriminator), discriminator_u):
        assert not np.allclose(sn.u.numpy(), before), sn.path
    assert generator_norms and all(bn.synchronized for bn in generator_norms)
    for bn, before in zip(generator_norms, moving_means):
        assert not np.allclose(bn.moving_mean.numpy(), before), bn.path


def test_xla_compiles_sn_cross_replica_cbn_and_r1(cross_replica_gin):
    """A tiny conditional G and D from the package's layers, one D step of GANObjective with R1
    (a second-order gradient), compiled with XLA and without, from the same state: same terms,
    same updated kernel."""
    generator_layers = [
        SpectralNormalization(keras.layers.Dense(4 * 4 * 4)),
        ConditionalBatchNorm(num_classes=3, spectral_norm="sn", synchronized=True),
        SpectralNormalization(keras.layers.Conv2D(3, 3, padding="same")),
    ]
    discriminator_layers = [
        SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2, padding="same")),
        SpectralNormalization(keras.layers.Dense(1)),
    ]

    def g_fn(z, labels):
        dense, norm, conv = generator_layers
        h = tf.reshape(dense(z, training=True), [-1, 4, 4, 4])
        return tf.tanh(conv(tf.nn.relu(norm(h, labels, training=True)), training=True))

    def d_fn(images, labels):
        conv, dense = discriminator_layers
        h = tf.nn.leaky_relu(conv(images, training=True), 0.2)
        return dense(tf.reshape(h, [tf.shape(h)[0], -1]), training=True)

    objective = GANObjective(penalty="r1")
    z = tf.random.stateless_normal([BATCH, 8], [3, 4])
    labels = tf.constant([0, 1, 2, 0])
    images = tf.random.stateless_uniform([BATCH, 4, 4, 3], [5, 6], -1.0, 1.0)
    g_fn(z, labels)
    d_fn(images, labels)
    kernel = discriminator_layers[1].layer.kernel
    variables = [v for layer in discriminator_layers for v in layer.trainable_variables]
    state = [v for layer in generator_layers + discriminator_layers for v in layer.weights]
    start = [v.numpy() for v in state]
    kernel_start = kernel.numpy()
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(variables)

    def step(images):
        monitor = {}
        with tf.GradientTape() as tape:
            loss, parts = objective.discriminator_loss(
                d_fn, g_fn, images, labels, z, variables, monitor=monitor
            )
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"loss": loss, "kernel": tf.convert_to_tensor(kernel), **parts, **monitor}

    results = []
    for jit_compile in (False, True):
        for variable, value in zip(state, start):
            variable.assign(value)
        outputs = tf.function(step, jit_compile=jit_compile)(images)
        results.append({name: value.numpy() for name, value in outputs.items()})
    reference, compiled = results
    expected_terms = {"loss", "kernel", "penalty", "d_loss_real", "d_loss_fake", "d_real"}
    assert expected_terms | {"d_fake", "r_t"} == set(compiled)
    for name, value in compiled.items():
        np.testing.assert_allclose(value, reference[name], rtol=1e-4, atol=1e-5, err_msg=name)
    # The SGD step happened: D's output kernel moved.
    assert not np.allclose(compiled["kernel"], kernel_start)
