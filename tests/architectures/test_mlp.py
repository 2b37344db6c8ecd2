"""The MLP generator and discriminator for 2-D points: numpy forward passes, switches, counts,
spectral norm, saving, and GAN steps on the Gaussian mixtures."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import (
    ARCHITECTURES,
    POINT_ARCHITECTURES,
    MlpDiscriminator,
    MlpGenerator,
    build_discriminator,
    build_generator,
    resolutions,
)
from compare_gan_tf.data.gaussian_mixtures import GRID25, RING8, sample_mixture
from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    SelfModulationBatchNorm,
    SpectralNormalization,
)
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.experiment import build_gan

NUM_CLASSES = RING8.num_modes
D_NORMALIZATIONS = ("none", "batch", "layer", "spectral", "bssn")
BATCH = 8


def _labels(batch=4):
    return tf.constant([0, 3, 7, 5, 1, 2, 6, 4][:batch], tf.int32)


def _points(batch=4, seed=0):
    points, _ = sample_mixture(RING8, batch, tf.constant([seed, 1], tf.int64))
    return points


def _sublayers(model):
    return list(model._flatten_layers(include_self=False, recursive=True))


def _count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def _relu(x):
    return np.maximum(x, 0.0)


def test_registry_lists_mlp_as_the_point_architecture():
    assert POINT_ARCHITECTURES == ("mlp",) and "mlp" not in ARCHITECTURES
    assert resolutions("mlp") == (None,)
    assert isinstance(build_generator("mlp", None), MlpGenerator)
    assert isinstance(build_discriminator("mlp", None), MlpDiscriminator)
    with pytest.raises(ValueError, match=r"'stylegan'.*biggan_deep, mlp"):
        build_generator("stylegan", None)


@pytest.mark.parametrize(
    "num_classes, normalization",
    [
        (None, "none"),
        (None, "batch"),
        (None, "self_modulated"),
        (NUM_CLASSES, "none"),
        (NUM_CLASSES, "batch"),
        (NUM_CLASSES, "conditional"),
        (NUM_CLASSES, "self_modulated"),
    ],
)
def test_forward_and_backward_reach_every_weight(num_classes, normalization):
    generator = build_generator(
        "mlp", None, num_classes=num_classes, normalization=normalization, ch=16
    )
    discriminator = build_discriminator("mlp", None, num_classes=num_classes, ch=16)
    z = tf.random.normal([4, generator.z_dim])
    with tf.GradientTape(persistent=True) as tape:
        points = generator(z, _labels(), training=True)
        logits, features = discriminator.logits_and_features(points, _labels(), training=True)
        loss = tf.reduce_mean(logits)
    assert points.shape == (4, 2) and points.dtype == tf.float32
    assert logits.shape == (4, 1) and features.shape == (4, 16)
    for model in (generator, discriminator):
        gradients = tape.gradient(loss, model.trainable_variables)
        missing = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None]
        assert not missing, f"no gradient reaches {missing}"
        assert all(np.all(np.isfinite(tf.convert_to_tensor(g).numpy())) for g in gradients)
    kinds = {type(layer) for layer in _sublayers(generator)}
    expected = {
        "none": keras.layers.Dense,
        "batch": keras.layers.BatchNormalization,
        "conditional": ConditionalBatchNorm,
        "self_modulated": SelfModulationBatchNorm,
    }[normalization]
    assert expected in kinds


def test_generator_is_the_unrolled_gan_mlp_with_a_linear_output():
    """Metz et al. 2017: z [256] -> ReLU(128) -> ReLU(128) -> linear 2, recomputed in numpy."""
    generator = build_generator("mlp", None)
    assert generator.z_dim == 256 and generator.channels == 2
    z = tf.random.normal([5, 256])
    generator(z)
    # No tanh: a large output bias moves the points beyond [-1, 1].
    generator.output_layer.bias.assign([3.0, -4.0])
    h = z.numpy()
    for dense in generator.hidden:
        h = _relu(h @ dense.kernel.numpy() + dense.bias.numpy())
    expected = h @ generator.output_layer.kernel.numpy() + generator.output_layer.bias.numpy()
    points = generator(z).numpy()
    np.testing.assert_allclose(points, expected, rtol=1e-5, atol=1e-5)
    assert np.abs(points).max() > 2.0


def test_conditional_generator_reads_one_hot_labels_concatenated_to_z():
    generator = build_generator("mlp", None, num_classes=NUM_CLASSES, z_dim=4, ch=8)
    z = tf.random.normal([4, 4])
    points = generator(z, _labels()).numpy()
    h = np.concatenate([z.numpy(), np.eye(NUM_CLASSES)[_labels().numpy()]], axis=1)
    for dense in generator.hidden:
        h = _relu(h @ dense.kernel.numpy() + dense.bias.numpy())
    expected = h @ generator.output_layer.kernel.numpy() + generator.output_layer.bias.numpy()
    np.testing.assert_allclose(points, expected, rtol=1e-5, atol=1e-5)
    other = generator(z, tf.constant([1, 1, 1, 1])).numpy()
    assert not np.allclose(points, other, atol=1e-4)


def test_discriminator_scales_its_input_and_projects_the_labels():
    """logit = psi(h) + <E[y], h>, h = ReLU(W (x / 4) + b) (Metz et al. 2017; Miyato & Koyama)."""
    discriminator = build_discriminator("mlp", None, num_classes=NUM_CLASSES, ch=16)
    points = _points(4) * 2.0
    logits, features = discriminator.logits_and_features(points, _labels())
    dense = discriminator.hidden[0]
    h = _relu(points.numpy() / 4.0 @ dense.kernel.numpy() + dense.bias.numpy())
    head = discriminator.head
    expected = h @ head.linear.kernel.numpy() + head.linear.bias.numpy()
    expected += np.sum(head.embedding.embeddings.numpy()[_labels().numpy()] * h, 1, keepdims=True)
    np.testing.assert_allclose(features.numpy(), h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("normalization", D_NORMALIZATIONS)
def test_every_discriminator_normalization(normalization):
    discriminator = build_discriminator(
        "mlp", None, num_classes=NUM_CLASSES, ch=16, num_layers=2, normalization=normalization
    )
    points = _points(BATCH)
    with tf.GradientTape() as tape:
        tape.watch(points)
        logits = discriminator(points, _labels(BATCH), training=True)
    assert logits.shape == (BATCH, 1)
    assert np.all(np.isfinite(tape.gradient(logits, points).numpy()))
    layers = _sublayers(discriminator)
    sn = [layer for layer in layers if isinstance(layer, SpectralNormalization)]
    batch_norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    layer_norms = [layer for layer in layers if isinstance(layer, keras.layers.GroupNormalization)]
    # Two hidden Dense layers, the head's linear map and its class embedding.
    assert len(sn) == (4 if normalization in ("spectral", "bssn") else 0)
    assert len(batch_norms) == (2 if normalization == "batch" else 0)
    assert len(layer_norms) == (2 if normalization == "layer" else 0)


def test_parameter_counts_match_hand_computed_counts():
    # Metz et al. 2017 G: 256*128+128 + 128*128+128 + 128*2+2 = 32896 + 16512 + 258.
    generator = build_generator("mlp", None)
    generator(tf.zeros([1, 256]))
    assert _count(generator) == 49_666
    # Conditional: the first layer also reads 8 one-hot inputs, 8*128 more weights.
    generator = build_generator("mlp", None, num_classes=NUM_CLASSES)
    generator(tf.zeros([1, 256]), _labels(1))
    assert _count(generator) == 49_666 + 1_024
    # PacGAN's G: 2*400+400 + 3*(400*400+400) + 4 BNs * (gamma + beta) * 400 + 400*2+2.
    generator = build_generator("mlp", None, z_dim=2, num_layers=4, ch=400, normalization="batch")
    generator(tf.zeros([1, 2]))
    assert _count(generator) == 1_200 + 481_200 + 3_200 + 802
    # Metz et al. 2017 D: 2*128+128 + 128+1; projection adds an 8 x 128 class embedding.
    discriminator = build_discriminator("mlp", None)
    discriminator(tf.zeros([1, 2]))
    assert _count(discriminator) == 513
    discriminator = build_discriminator("mlp", None, num_classes=NUM_CLASSES)
    discriminator(tf.zeros([1, 2]), _labels(1))
    assert _count(discriminator) == 513 + 1_024


@pytest.mark.parametrize("normalization, scale", [("spectral", 1.0), ("bssn", 1.5)])
def test_spectral_norm_makes_every_top_singular_value_its_scale(normalization, scale):
    discriminator = build_discriminator(
        "mlp",
        None,
        num_classes=NUM_CLASSES,
        ch=32,
        num_layers=2,
        normalization=normalization,
        sn_scale=scale,
        initializer="normal",  # orthogonal kernels would already have singular values 1
    )
    points, labels = _points(BATCH), _labels(BATCH)

    @tf.function
    def power_iterations(steps):
        for _ in tf.range(steps):
            discriminator(points, labels, training=True)

    discriminator(points, labels, training=True)
    power_iterations(tf.constant(100))
    layers = [
        layer for layer in _sublayers(discriminator) if isinstance(layer, SpectralNormalization)
    ]
    assert len(layers) == 4
    for layer in layers:
        raw = np.linalg.svd(layer.raw_kernel.numpy(), compute_uv=False)[0]
        top = np.linalg.svd(layer.normalized_kernel().numpy(), compute_uv=False)[0]
        assert abs(raw - scale) > 0.05, "the test needs kernels that SN actually rescales"
        np.testing.assert_allclose(top, scale, rtol=1e-3)


def test_clear_errors():
    with pytest.raises(ValueError, match="2-D points, not images.*resolution None"):
        build_generator("mlp", 32)
    with pytest.raises(ValueError, match="resolution None"):
        build_discriminator("mlp", 32)
    with pytest.raises(ValueError, match='"conditional" needs num_classes'):
        build_generator("mlp", None, normalization="conditional")
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        build_discriminator("mlp", None, num_layers=0)
    generator = build_generator("mlp", None, num_classes=NUM_CLASSES, z_dim=4)
    with pytest.raises(ValueError, match="needs int labels"):
        generator(tf.zeros([2, 4]))
    with pytest.raises(ValueError, match=r"z of shape \[batch, 4\]"):
        generator(tf.zeros([2, 5]), _labels(2))
    discriminator = build_discriminator("mlp", None)
    with pytest.raises(ValueError, match=r"points of shape \[batch, dimension\]"):
        discriminator(tf.zeros([2, 8, 8, 3]))


def test_gin_options_and_save_load(tmp_path):
    try:
        gin.parse_config(["mlp_generator.num_layers = 3", "mlp_discriminator.slope = 0.2"])
        generator = build_generator("mlp", None, num_classes=NUM_CLASSES, z_dim=4, ch=8)
        discriminator = build_discriminator(
            "mlp", None, num_classes=NUM_CLASSES, ch=8, normalization="spectral"
        )
    finally:
        gin.clear_config()
    assert len(generator.hidden) == 3 and discriminator.slope == 0.2
    z = tf.random.normal([4, 4])
    points = generator(z, _labels())
    logits = discriminator(points, _labels())
    for model, inputs, outputs in ((generator, z, points), (discriminator, points, logits)):
        assert type(model).from_config(model.get_config()).get_config() == model.get_config()
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        np.testing.assert_allclose(loaded(inputs, _labels()).numpy(), outputs.numpy(), atol=1e-6)


@pytest.fixture
def eager():
    """Runs GAN.train eagerly: compiling its distributed step costs more than running it."""
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


def _gan_step(strategy, mixture, num_classes, loss, penalty, g_norm, d_norm):
    gan = build_gan(
        "mlp",
        None,
        num_classes=num_classes,
        batch_size=BATCH,
        z_dim=4,
        strategy=strategy,
        objective=GANObjective(loss=loss, penalty=penalty),
        generator_options={"ch": 16, "normalization": g_norm},
        discriminator_options={"ch": 16, "normalization": d_norm},
    )
    generator, discriminator = gan.generator, gan.discriminator

    def draw(step):
        return sample_mixture(mixture, BATCH, tf.stack([tf.constant(7, tf.int64), step]))

    dataset = tf.data.Dataset.counter().map(draw)
    before = [w.numpy() for w in generator.trainable_weights + discriminator.trainable_weights]
    metrics = gan.train(iter(strategy.experimental_distribute_dataset(dataset)), 1)
    for name, value in metrics.items():
        assert np.isfinite(value.numpy()), f"{name} is {value.numpy()}"
    after = generator.trainable_weights + discriminator.trainable_weights
    assert all(np.isfinite(w.numpy()).all() for w in after)
    unchanged = [w.path for w, b in zip(after, before) if np.array_equal(w.numpy(), b)]
    if loss == "wasserstein":
        # E[D(fake)] - E[D(real)] does not depend on the output bias: its gradient is 0.
        unchanged = [path for path in unchanged if "projection_head" not in path]
    assert not unchanged
    assert int(gan.step.numpy()) == 1
    return metrics


def test_gan_step_with_the_wgan_gp_penalty_on_points(eager):
    metrics = _gan_step(
        tf.distribute.get_strategy(),
        GRID25,
        GRID25.num_modes,
        "wasserstein",
        "wgan_gp",
        "none",
        "layer",
    )
    assert float(metrics["penalty"]) >= 0.0


def test_gan_step_on_four_logical_devices(eager, mirrored_strategy):
    _gan_step(mirrored_strategy, RING8, None, "non_saturating", "none", "batch", "spectral")
