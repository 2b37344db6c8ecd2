"""Every architecture at every resolution: shapes, range, gradients; switches; registry; saving."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import (
    ARCHITECTURES,
    build_discriminator,
    build_generator,
    resolutions,
)
from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    SelfModulationBatchNorm,
    SpectralNormalization,
)

NUM_CLASSES = 5
# The smallest widths that keep self-attention (C/8 channels) and ResNet30's halvings whole.
SMALL_CH = {"biggan": 8, "biggan_deep": 4, "resnet30": 8}


def _small(name):
    return SMALL_CH.get(name, 4)


def _labels(batch=2):
    return tf.constant([1, 3, 0, 4, 2, 1, 3, 0][:batch], tf.int32)


def _sublayers(model):
    return list(model._flatten_layers(include_self=False, recursive=True))


def _dense(gradient):
    return tf.convert_to_tensor(gradient).numpy()


@pytest.mark.parametrize("num_classes", [None, NUM_CLASSES], ids=["unconditional", "conditional"])
@pytest.mark.parametrize(
    "name,resolution", [(name, size) for name in ARCHITECTURES for size in resolutions(name)]
)
def test_forward_and_backward(name, resolution, num_classes):
    generator = build_generator(name, resolution, num_classes=num_classes, ch=_small(name))
    discriminator = build_discriminator(name, resolution, num_classes=num_classes, ch=_small(name))
    z = tf.random.normal([2, generator.z_dim])
    labels = _labels()
    with tf.GradientTape(persistent=True) as tape:
        images = generator(z, labels, training=True)
        logits, features = discriminator.logits_and_features(images, labels, training=True)
        loss = tf.reduce_mean(logits)
    assert images.shape == (2, resolution, resolution, 3)
    assert images.dtype == tf.float32
    assert np.all(np.abs(images.numpy()) <= 1.0)
    assert logits.shape == (2, 1)
    assert features.shape.rank == 2 and features.shape[0] == 2
    for model in (generator, discriminator):
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        missing = [v.path for v, g in zip(variables, gradients) if g is None]
        assert not missing, f"no gradient reaches {missing}"
        for variable, gradient in zip(variables, gradients):
            assert np.all(np.isfinite(_dense(gradient))), variable.path


def _official_biggan_deep_generator_count():
    """Trainable parameters of the TF-Hub biggan-deep-128 generator, from its layer list.

    ch=128, z 128, a 128-d class embedding (1000 x 128, no bias); every CBN reads concat(z, e(y))
    (256-d) through two bias-free linear maps; blocks (upsample, in, out multipliers of ch) with
    bottleneck ch_in / 4 and biased convolutions; attention (bias-free 1x1 convolutions and a
    scalar gain) before the ninth block; an unconditional BN and a 3x3 conv_to_rgb with ch
    outputs, of which the image keeps three.
    """
    ch, condition = 128, 256
    blocks = [(16, 16), (16, 16), (16, 16), (16, 8), (8, 8), (8, 4), (4, 4), (4, 2), (2, 2), (2, 1)]

    def conv(inputs, outputs, size, bias=True):
        return size * size * inputs * outputs + (outputs if bias else 0)

    count = 1000 * 128 + condition * 4 * 4 * 16 * ch + 4 * 4 * 16 * ch
    for index, (m_in, m_out) in enumerate(blocks):
        width_in, width_out = ch * m_in, ch * m_out
        if index == 8:
            attention = 2 * conv(width_in, width_in // 8, 1, False) + 2 * conv(
                width_in, width_in // 2, 1, False
            )
            count += attention + 1
        middle = width_in // 4
        count += 2 * condition * (width_in + 3 * middle)
        count += conv(width_in, middle, 1) + 2 * conv(middle, middle, 3)
        count += conv(middle, width_out, 1)
    return count + 2 * ch + conv(ch, ch, 3)


# Brock et al. 2019, Table 4 / Tables 7-9 (rounded) and the exact counts: compare_gan's
# (resnet_biggan_test.py, resnet_biggan_deep_test.py) and the official BigGAN-deep module's
# generator (its layer list, above): 1000 classes, 128 px.
PAPER_COUNTS = {
    "biggan": (96, 120, 70.4e6, 88.0e6, 70_433_988, 87_982_370),
    "biggan_deep": (128, 128, 50.4e6, 34.6e6, 50_388_609, 34_590_210),
}
# compare_gan's BigGAN-deep G has a 3-output conv_to_rgb: (128 - 3) * (3 * 3 * 128 + 1) fewer.
COMPARE_GAN_BIGGAN_DEEP_G = 50_244_484


def test_official_biggan_deep_generator_count_from_its_layer_list():
    assert _official_biggan_deep_generator_count() == PAPER_COUNTS["biggan_deep"][4]
    difference = PAPER_COUNTS["biggan_deep"][4] - COMPARE_GAN_BIGGAN_DEEP_G
    assert difference == (128 - 3) * (3 * 3 * 128 + 1)


@pytest.mark.parametrize("wide", [True, False], ids=["wide", "narrow"])
def test_biggan_deep_image_is_the_first_channels_of_the_output_conv(wide):
    ch = 4
    # Without SN, so that the unused outputs do not enter sigma.
    generator = build_generator(
        "biggan_deep", 128, ch=ch, wide_output_conv=wide, spectral_norm="none"
    )
    z = tf.random.normal([2, generator.z_dim])
    images = generator(z, training=False).numpy()
    assert images.shape == (2, 128, 128, 3)
    kernel = generator.final_conv.kernel
    assert kernel.shape == (3, 3, ch, ch if wide else 3)
    if wide:
        kernel.assign(tf.concat([kernel[..., :3], kernel[..., 3:] + 1.0], axis=-1))
        np.testing.assert_array_equal(generator(z, training=False).numpy(), images)
    kernel.assign(tf.concat([kernel[..., :1] + 1.0, kernel[..., 1:]], axis=-1))
    assert not np.allclose(generator(z, training=False).numpy()[..., 0], images[..., 0])


@pytest.fixture(scope="module", params=sorted(PAPER_COUNTS))
def full_size(request):
    """A full-size 128 px model pair with one example run through it (which creates weights).

    The counts do not depend on the initializer, so N(0, 0.02) stands in for orthogonal, whose
    QR decompositions of the large kernels would only cost time.
    """
    name = request.param
    ch, z_dim = PAPER_COUNTS[name][:2]
    generator = build_generator(
        name, 128, num_classes=1000, ch=ch, z_dim=z_dim, initializer="normal"
    )
    discriminator = build_discriminator(name, 128, num_classes=1000, ch=ch, initializer="normal")
    images = generator(tf.zeros([1, z_dim]), tf.zeros([1], tf.int32))
    discriminator(images, tf.zeros([1], tf.int32))
    return name, generator, discriminator


def _trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def test_parameter_counts_at_128_px_match_the_paper_and_the_exact_counts(full_size):
    name, generator, discriminator = full_size
    _, _, paper_g, paper_d, exact_g, exact_d = PAPER_COUNTS[name]
    count_g, count_d = _trainable_count(generator), _trainable_count(discriminator)
    assert abs(count_g - paper_g) / paper_g < 0.02
    assert abs(count_d - paper_d) / paper_d < 0.02
    # Trainable weights only: SN's u vectors and BN moving statistics are not counted.
    assert (count_g, count_d) == (exact_g, exact_d)


def test_full_size_biggan_wiring(full_size):
    name, generator, discriminator = full_size
    embedding_dim = 128
    if name == "biggan":
        # Hierarchical z: six chunks of 20 at 128 px; each CBN reads concat(embedding, chunk).
        chunk = generator.z_dim // 6
        assert generator.fc.layer.kernel.shape == (chunk, 4 * 4 * 16 * 96)
        cbn_input = embedding_dim + chunk
        # Self-attention after B4 (64 px) in G and after B1 (64 px) in D, as in compare_gan.
        assert (generator.attention_after, discriminator.attention_after) == (3, 0)
    else:
        cbn_input = generator.z_dim + embedding_dim
        assert generator.fc.layer.kernel.shape == (cbn_input, 4 * 4 * 16 * 128)
        assert (generator.attention_after, discriminator.attention_after) == (7, 1)
    cbns = [layer for layer in _sublayers(generator) if isinstance(layer, ConditionalBatchNorm)]
    assert cbns and all(cbn.gamma.layer.kernel.shape[0] == cbn_input for cbn in cbns)
    # SN everywhere except the shared class embedding (BigGAN-PyTorch leaves it unnormalized).
    wrapped = {id(layer.layer) for layer in _sublayers(generator) if _is_sn(layer)}
    weight_layers = [layer for layer in _sublayers(generator) if _has_kernel(layer)]
    unwrapped = [layer for layer in weight_layers if id(layer) not in wrapped]
    assert unwrapped == [generator.embedding]


def _is_sn(layer):
    return isinstance(layer, SpectralNormalization)


def _has_kernel(layer):
    return isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Embedding))


def _built_discriminator(name, resolution=32, **options):
    discriminator = build_discriminator(name, resolution, ch=_small(name), **options)
    images = tf.random.uniform([2, resolution, resolution, 3], -1.0, 1.0)
    logits = discriminator(images, training=True)
    return discriminator, logits


@pytest.mark.parametrize("name", ["dcgan", "resnet_cifar"])
def test_discriminator_normalization_switches_change_the_model(name):
    def kinds(normalization, **options):
        discriminator, _ = _built_discriminator(name, normalization=normalization, **options)
        layers = _sublayers(discriminator)
        weight_layers = [layer for layer in layers if _has_kernel(layer)]
        sn = [layer for layer in layers if _is_sn(layer)]
        return layers, weight_layers, sn

    def count(layers, layer_type):
        return sum(isinstance(layer, layer_type) for layer in layers)

    layers, _, sn = kinds("none")
    assert not sn
    assert count(layers, keras.layers.BatchNormalization) == 0
    assert count(layers, keras.layers.GroupNormalization) == 0

    layers, _, sn = kinds("batch")
    assert count(layers, keras.layers.BatchNormalization) > 0 and not sn

    layers, _, sn = kinds("layer")
    assert count(layers, keras.layers.GroupNormalization) > 0 and not sn

    layers, weight_layers, sn = kinds("spectral")
    assert len(sn) == len(weight_layers) and not any(layer.bidirectional for layer in sn)
    assert count(layers, keras.layers.BatchNormalization) == 0

    _, weight_layers, sn = kinds("bssn", sn_scale=1.5)
    assert len(sn) == len(weight_layers)
    assert all(layer.bidirectional and layer.scale == 1.5 for layer in sn)


def test_generator_normalization_switches():
    def sublayer_types(**options):
        generator = build_generator("resnet_cifar", 32, ch=8, **options)
        generator(tf.random.normal([2, 128]), _labels(), training=True)
        return [type(layer) for layer in _sublayers(generator)]

    assert ConditionalBatchNorm in sublayer_types(num_classes=NUM_CLASSES)
    assert SelfModulationBatchNorm in sublayer_types(normalization="self_modulated")
    assert keras.layers.BatchNormalization in sublayer_types(normalization="batch")
    assert SpectralNormalization not in sublayer_types()
    assert SpectralNormalization in sublayer_types(spectral_norm="sn")


@pytest.mark.parametrize("name", ["sndcgan", "resnet_cifar", "biggan"])
def test_conditional_generators_use_the_labels(name):
    z = tf.random.normal([2, 128 if name != "biggan" else 80])
    conditional = build_generator(name, 32, num_classes=NUM_CLASSES, ch=_small(name))
    # A trained CBN has nonzero class gains; perturb the weights so that labels matter at once.
    conditional(z, _labels())
    for variable in conditional.trainable_variables:
        variable.assign_add(0.1 * tf.random.normal(variable.shape))
    first = conditional(z, tf.constant([0, 0]))
    second = conditional(z, tf.constant([1, 1]))
    assert not np.allclose(first.numpy(), second.numpy(), atol=1e-4)
    unconditional = build_generator(name, 32, ch=_small(name))
    np.testing.assert_array_equal(
        unconditional(z, tf.constant([0, 0])).numpy(), unconditional(z, tf.constant([1, 1]))
    )


def test_projection_head_reads_the_pooled_features():
    """logit = w.h + b + <E[y], h> (Miyato & Koyama 2018, eq. 3), recomputed in numpy."""
    discriminator = build_discriminator("resnet_cifar", 32, num_classes=NUM_CLASSES, ch=4)
    images = tf.random.uniform([2, 32, 32, 3], -1.0, 1.0)
    labels = _labels()
    logits, features = discriminator.logits_and_features(images, labels)
    head = discriminator.head
    embedding = head.embedding.embeddings.numpy()
    h = features.numpy()
    expected = h @ head.linear.kernel.numpy() + head.linear.bias.numpy()
    expected += np.sum(embedding[labels.numpy()] * h, axis=1, keepdims=True)
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(discriminator(images, labels).numpy(), logits.numpy())
    # Global mean pooling after a ReLU (compare_gan's resnet_cifar): nonnegative features.
    assert features.shape == (2, 4) and np.all(h >= 0.0)


def test_dropout_is_active_only_in_training():
    discriminator, _ = _built_discriminator("sndcgan", dropout=0.5)
    images = tf.random.uniform([2, 32, 32, 3], -1.0, 1.0)
    assert any(isinstance(layer, keras.layers.Dropout) for layer in _sublayers(discriminator))
    np.testing.assert_array_equal(discriminator(images).numpy(), discriminator(images).numpy())
    first = discriminator(images, training=True).numpy()
    assert not np.allclose(first, discriminator(images, training=True).numpy())
    without, _ = _built_discriminator("sndcgan")
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in _sublayers(without))


def test_unknown_names_and_resolutions_raise_clear_errors():
    with pytest.raises(ValueError, match=r"'stylegan'.*dcgan, sndcgan, resnet_cifar"):
        build_generator("stylegan", 32)
    with pytest.raises(ValueError, match=r"'stylegan'.*biggan_deep"):
        build_discriminator("stylegan", 32)
    with pytest.raises(ValueError, match=r"resolution 64.*32"):
        build_generator("resnet_cifar", 64)
    with pytest.raises(ValueError, match=r"resolution 64.*128, 256, 512"):
        build_discriminator("biggan_deep", 64)
    with pytest.raises(ValueError, match=r"'weight'.*none, batch, layer, spectral, bssn"):
        build_discriminator("dcgan", 32, normalization="weight")
    with pytest.raises(ValueError, match=r"'batch'.*none, spectral, bssn"):
        build_discriminator("biggan_deep", 128, normalization="batch")
    with pytest.raises(ValueError, match=r"multiple of 6; got 128.*120"):
        build_generator("biggan", 128, z_dim=128)
    with pytest.raises(ValueError, match=r"'xavier_normal'.*normal, orthogonal"):
        build_generator("dcgan", 32, initializer="xavier_normal")
    with pytest.raises(ValueError, match="needs num_classes"):
        build_generator("dcgan", 32, normalization="conditional")
    with pytest.raises(ValueError, match="labels no way in"):
        build_generator("dcgan", 32, num_classes=NUM_CLASSES, normalization="batch")
    generator = build_generator("dcgan", 32, num_classes=NUM_CLASSES, ch=4)
    with pytest.raises(ValueError, match="needs int labels"):
        generator(tf.zeros([2, 128]))
    with pytest.raises(ValueError, match=r"z of shape \[batch, 128\]"):
        generator(tf.zeros([2, 100]), _labels())
    discriminator = build_discriminator("dcgan", 32, ch=4)
    with pytest.raises(ValueError, match=r"\[batch, 32, 32, channels\]"):
        discriminator(tf.zeros([2, 64, 64, 3]))
    discriminator = build_discriminator("dcgan", 32, num_classes=NUM_CLASSES, ch=4)
    with pytest.raises(ValueError, match="needs int labels"):
        discriminator(tf.zeros([2, 32, 32, 3]))


def test_gin_selects_the_architecture_and_its_options():
    try:
        gin.parse_config(
            [
                'build_generator.name = "sndcgan"',
                "sndcgan_generator.ch = 8",
                'build_discriminator.name = "sndcgan"',
                'sndcgan_discriminator.normalization = "spectral"',
            ]
        )
        generator = build_generator(resolution=32)
        discriminator = build_discriminator(resolution=32)
        assert (type(generator).__name__, generator.ch) == ("SndcganGenerator", 8)
        assert discriminator.normalization == "spectral"
        # An explicit argument wins over the gin binding.
        assert build_generator(resolution=32, ch=4).ch == 4
    finally:
        gin.clear_config()


def test_grayscale_generator():
    generator = build_generator("dcgan", 48, channels=1, ch=4)
    assert generator(tf.random.normal([2, 128])).shape == (2, 48, 48, 1)


@pytest.mark.parametrize("name", ["dcgan", "resnet_cifar", "biggan"])
def test_models_save_and_load(name, tmp_path):
    resolution = resolutions(name)[0]
    generator = build_generator(name, resolution, num_classes=NUM_CLASSES, ch=_small(name))
    discriminator = build_discriminator(name, resolution, num_classes=NUM_CLASSES, ch=_small(name))
    z = tf.random.normal([2, generator.z_dim])
    images = generator(z, _labels())
    logits = discriminator(images, _labels())
    for model, inputs, outputs in ((generator, z, images), (discriminator, images, logits)):
        assert type(model).from_config(model.get_config()).get_config() == model.get_config()
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        np.testing.assert_allclose(loaded(inputs, _labels()).numpy(), outputs.numpy(), atol=1e-6)


# BigGAN runs inside tf.function in the MirroredStrategy test below.
@pytest.mark.parametrize("name", ["sndcgan", "resnet_stl"])
def test_models_run_inside_tf_function(name):
    resolution = resolutions(name)[0]
    generator = build_generator(name, resolution, num_classes=NUM_CLASSES, ch=_small(name))
    discriminator = build_discriminator(name, resolution, num_classes=NUM_CLASSES, ch=_small(name))
    z = tf.random.normal([2, generator.z_dim])

    @tf.function
    def step(z, labels):
        with tf.GradientTape() as tape:
            logits = discriminator(generator(z, labels, training=True), labels, training=True)
        variables = generator.trainable_variables + discriminator.trainable_variables
        return logits, tape.gradient(logits, variables)

    logits, gradients = step(z, _labels())
    assert logits.shape == (2, 1)
    assert all(g is not None and np.all(np.isfinite(_dense(g))) for g in gradients)


def test_biggan_under_mirrored_strategy_uses_cross_replica_batch_norm(mirrored_strategy):
    """BN statistics over the global batch: the 4 replicas' outputs (2 examples each) equal one
    call on all 8 examples. Per-replica BN (synchronized=False) does not match it."""
    replicas = mirrored_strategy.num_replicas_in_sync
    z = tf.random.normal([2 * replicas, 80])
    labels = _labels(2 * replicas)

    def distributed_outputs(generator):
        def shard(tensor):
            def value(context):
                start = 2 * context.replica_id_in_sync_group
                return tensor[start : start + 2]

            return mirrored_strategy.experimental_distribute_values_from_function(value)

        @tf.function
        def run(z, labels):
            return mirrored_strategy.run(
                lambda z, labels: generator(z, labels, training=True), args=(z, labels)
            )

        outputs = run(shard(z), shard(labels))
        return np.concatenate(
            [t.numpy() for t in mirrored_strategy.experimental_local_results(outputs)]
        )

    for synchronized in (True, False):
        with mirrored_strategy.scope():
            generator = build_generator(
                "biggan", 32, num_classes=NUM_CLASSES, ch=8, synchronized=synchronized
            )
            generator(z[:1], labels[:1])
        state = [v.numpy() for v in generator.variables]
        images = distributed_outputs(generator)
        assert images.shape == (2 * replicas, 32, 32, 3)
        assert np.all(np.abs(images) <= 1.0)
        # Power iteration updated SN's u during the distributed step; start again from the same u.
        for variable, value in zip(generator.variables, state):
            variable.assign(value)
        single = generator(z, labels, training=True).numpy()
        assert np.allclose(images, single, atol=1e-4) == synchronized
