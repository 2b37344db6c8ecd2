"""Every layer survives a keras.saving round trip with its weights and power-iteration state."""

import keras
import numpy as np
import pytest

from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    DiscriminatorBottleneckBlock,
    DiscriminatorResBlock,
    GeneratorBottleneckBlock,
    GeneratorResBlock,
    LinearHead,
    NonLocalBlock,
    OrthogonalRegularizer,
    ProjectionHead,
    SelfModulationBatchNorm,
    SpectralNormalization,
)

IMAGE = (8, 8, 8)
LABELS = "labels"  # marks a second input of int class labels in [0, 3)


def _cases():
    """name -> (layer factory, input shapes without batch; LABELS marks an int label input)."""
    return {
        "sn_dense": (lambda: SpectralNormalization(keras.layers.Dense(5)), [(6,)]),
        "sn_conv": (lambda: SpectralNormalization(keras.layers.Conv2D(4, 3)), [IMAGE]),
        "sn_conv_transpose": (
            lambda: SpectralNormalization(keras.layers.Conv2DTranspose(4, 3, strides=2)),
            [IMAGE],
        ),
        "sn_embedding": (lambda: SpectralNormalization(keras.layers.Embedding(3, 4)), [LABELS]),
        "bssn_conv": (
            lambda: SpectralNormalization(keras.layers.Conv2D(4, 3), bidirectional=True, scale=2.0),
            [IMAGE],
        ),
        "cbn_labels": (lambda: ConditionalBatchNorm(num_classes=3), [IMAGE, LABELS]),
        "cbn_vector": (lambda: ConditionalBatchNorm(spectral_norm="sn"), [IMAGE, (5,)]),
        "smbn": (lambda: SelfModulationBatchNorm(hidden_units=4), [IMAGE, (5,)]),
        "non_local": (lambda: NonLocalBlock(spectral_norm="sn"), [IMAGE]),
        "generator_block": (
            lambda: GeneratorResBlock(
                4, normalization="conditional", num_classes=3, spectral_norm="sn"
            ),
            [IMAGE, LABELS],
        ),
        "generator_bottleneck": (
            lambda: GeneratorBottleneckBlock(4, normalization="self_modulated"),
            [IMAGE, (5,)],
        ),
        "discriminator_block": (
            lambda: DiscriminatorResBlock(6, normalization="layer", spectral_norm="bssn"),
            [IMAGE],
        ),
        "discriminator_bottleneck": (lambda: DiscriminatorBottleneckBlock(12), [IMAGE]),
        "linear_head": (lambda: LinearHead(4, "score_classify", spectral_norm="sn"), [(6,)]),
        "projection_head": (
            lambda: ProjectionHead(num_classes=3, spectral_norm="sn"),
            [(6,), LABELS],
        ),
    }


def _inputs(shapes, batch=4):
    symbolic, values = [], []
    for shape in shapes:
        if shape == LABELS:
            symbolic.append(keras.Input((), dtype="int32"))
            values.append(np.arange(batch, dtype="int32") % 3)
        else:
            symbolic.append(keras.Input(shape))
            values.append(np.random.randn(batch, *shape).astype("float32"))
    return symbolic, values


@pytest.mark.parametrize("name", sorted(_cases()))
def test_round_trip_reproduces_outputs(name, tmp_path):
    make_layer, shapes = _cases()[name]
    layer = make_layer()
    symbolic, values = _inputs(shapes)
    model = keras.Model(symbolic, layer(*symbolic))
    # Training calls move BN statistics and power-iteration vectors away from their initial values.
    for _ in range(3):
        model(values, training=True)
    for weight in model.trainable_weights:
        if weight.path.endswith("gamma") and len(weight.shape) == 0:
            weight.assign(0.5)  # NonLocalBlock starts as the identity; make attention visible
    expected = model(values, training=False).numpy()

    path = tmp_path / f"{name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path)

    assert type(restored.layers[-1]) is type(layer)
    np.testing.assert_allclose(restored(values, training=False).numpy(), expected, atol=1e-6)


def test_orthogonal_regularizer_round_trips_its_config():
    regularizer = OrthogonalRegularizer(beta=3e-4)
    restored = keras.regularizers.deserialize(keras.regularizers.serialize(regularizer))
    kernel = np.random.randn(5, 4).astype("float32")
    assert isinstance(restored, OrthogonalRegularizer)
    np.testing.assert_allclose(restored(kernel), regularizer(kernel), rtol=1e-6)
