"""Spectral normalization and BSSN against numpy SVDs and finite differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers import SpectralNormalization, maybe_spectral_norm, top_singular_values
from compare_gan_tf.layers.spectral_norm import fan_in_matrix, fan_out_matrix


def _largest_singular_value(matrix):
    return np.linalg.svd(np.asarray(matrix), compute_uv=False)[0]


def _fan_in(kernel, transposed=False):
    """numpy (kh*kw*cin, cout) view; transposed-conv kernels are (kh, kw, cout, cin)."""
    kernel = np.asarray(kernel)
    if transposed:
        kernel = kernel.transpose(0, 1, 3, 2)
    return kernel.reshape(-1, kernel.shape[-1])


LAYERS_AND_INPUTS = {
    "dense": (lambda: keras.layers.Dense(7), (5, 12)),
    "conv2d": (lambda: keras.layers.Conv2D(6, 3), (2, 8, 8, 4)),
    "conv2d_transpose": (lambda: keras.layers.Conv2DTranspose(6, 3, strides=2), (2, 4, 4, 5)),
}


def _call(layer, shape, training):
    return layer(tf.random.normal(shape), training=training)


@pytest.mark.parametrize("name", sorted(LAYERS_AND_INPUTS))
def test_effective_kernel_has_unit_spectral_norm_after_training_calls(name):
    make_layer, shape = LAYERS_AND_INPUTS[name]
    layer = SpectralNormalization(make_layer())
    for _ in range(50):
        _call(layer, shape, training=True)
    effective = layer.normalized_kernel(training=False)
    sigma = _largest_singular_value(_fan_in(effective, transposed=name == "conv2d_transpose"))
    assert abs(sigma - 1.0) < 0.01


def test_embedding_rows_are_normalized():
    layer = SpectralNormalization(keras.layers.Embedding(10, 6))
    for _ in range(50):
        layer(np.arange(10), training=True)
    assert abs(_largest_singular_value(layer.normalized_kernel()) - 1.0) < 0.01


def test_output_uses_the_normalized_kernel():
    layer = SpectralNormalization(keras.layers.Dense(3))
    inputs = np.random.randn(4, 5).astype("float32")
    outputs = layer(inputs, training=False).numpy()
    kernel = layer.normalized_kernel(training=False).numpy()
    expected = inputs @ kernel + layer.layer.bias.numpy()
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_u_changes_only_when_training():
    layer = SpectralNormalization(keras.layers.Conv2D(4, 3))
    inputs = tf.random.normal((2, 6, 6, 3))
    layer(inputs, training=True)
    before = layer.u.numpy().copy()
    for _ in range(3):
        layer(inputs, training=False)
        layer(inputs)
    np.testing.assert_array_equal(layer.u.numpy(), before)
    layer(inputs, training=True)
    assert not np.array_equal(layer.u.numpy(), before)


def test_transposed_conv_view_swaps_channel_axes():
    kernel = np.random.randn(3, 3, 4, 5)  # Conv2DTranspose layout: (kh, kw, cout=4, cin=5)
    np.testing.assert_array_equal(
        fan_in_matrix(kernel, transposed_conv=True), _fan_in(kernel, True)
    )
    assert fan_in_matrix(kernel, transposed_conv=True).shape == (45, 4)
    assert fan_out_matrix(kernel, transposed_conv=True).shape == (36, 5)


def test_gradient_matches_finite_differences_of_the_exact_normalized_layer():
    """At the power iteration's fixed point, d/dW f(W / sigma(W)) with u, v held constant equals
    the derivative of the exact map W -> f(W / sigma_max(W)), computed here with numpy's SVD."""
    layer = SpectralNormalization(keras.layers.Dense(3, use_bias=False, dtype="float64"))
    inputs = np.random.randn(6, 4)
    weights_out = np.random.randn(6, 3)
    layer.build((None, 4))
    for _ in range(300):  # converge u to the top singular vector
        layer.normalized_kernel(training=True)

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(inputs, training=False) * weights_out)
    gradient = tape.gradient(loss, layer.layer.kernel).numpy()

    def exact_loss(kernel):
        return np.sum(inputs @ (kernel / _largest_singular_value(kernel)) * weights_out)

    kernel = layer.layer.kernel.numpy()
    step = 1e-6
    numeric = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        delta = np.zeros_like(kernel)
        delta[index] = step
        numeric[index] = (exact_loss(kernel + delta) - exact_loss(kernel - delta)) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("scale", [1.0, 1.4])
def test_bssn_conv_divides_by_mean_of_both_views(scale):
    layer = SpectralNormalization(keras.layers.Conv2D(6, 3), bidirectional=True, scale=scale)
    for _ in range(200):
        _call(layer, (1, 6, 6, 4), training=True)
    kernel = layer.layer.kernel.numpy()
    fan_out = kernel.transpose(0, 1, 3, 2).reshape(-1, kernel.shape[2])
    sigma = (_largest_singular_value(_fan_in(kernel)) + _largest_singular_value(fan_out)) / 2
    np.testing.assert_allclose(layer.normalized_kernel(), scale * kernel / sigma, rtol=1e-4)


def test_bssn_dense_is_scaled_plain_sn():
    layer = maybe_spectral_norm(keras.layers.Dense(5), "bssn", scale=1.3)
    for _ in range(100):
        _call(layer, (2, 8), training=True)
    kernel = layer.layer.kernel.numpy()
    expected = 1.3 * kernel / _largest_singular_value(kernel)
    np.testing.assert_allclose(layer.normalized_kernel(), expected, rtol=1e-4)
    assert len(layer.non_trainable_variables) == 1  # one view, one u


def test_top_singular_values_match_numpy():
    kernel = np.random.randn(3, 3, 8, 16).astype("float32")
    expected = np.linalg.svd(kernel.reshape(-1, 16), compute_uv=False)[:3]
    np.testing.assert_allclose(top_singular_values(kernel, k=3), expected, rtol=1e-5)


def test_replicas_keep_identical_u_under_mirrored_strategy(mirrored_strategy):
    with mirrored_strategy.scope():
        layer = SpectralNormalization(keras.layers.Conv2D(4, 3))
        layer.build((None, 6, 6, 3))
        optimizer = keras.optimizers.Adam(1e-2)
        optimizer.build(layer.trainable_variables)
    initial_u = layer.u.numpy().copy()

    @tf.function
    def train_step(images):
        def replica_step(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(layer(x, training=True)))
            grads = tape.gradient(loss, layer.trainable_variables)
            optimizer.apply_gradients(zip(grads, layer.trainable_variables))

        mirrored_strategy.run(replica_step, args=(images,))

    dataset = tf.data.Dataset.from_tensor_slices(np.random.randn(16, 6, 6, 3).astype("float32"))
    for batch in mirrored_strategy.experimental_distribute_dataset(dataset.batch(8)):
        train_step(batch)
    # .value is the underlying tf.Variable, a MirroredVariable with one copy per replica.
    u_per_replica = [v.numpy() for v in mirrored_strategy.experimental_local_results(layer.u.value)]
    assert len(u_per_replica) == 4
    assert not np.allclose(u_per_replica[0], initial_u)  # the training calls did update u
    for u in u_per_replica[1:]:
        np.testing.assert_array_equal(u, u_per_replica[0])


def test_rejects_unsupported_layers_and_modes():
    with pytest.raises(TypeError, match="Dense, Conv2D, Conv2DTranspose or Embedding"):
        SpectralNormalization(keras.layers.LayerNormalization())
    with pytest.raises(ValueError, match="Unknown spectral_norm mode 'spectral'"):
        maybe_spectral_norm(keras.layers.Dense(2), "spectral")


class _KernelProbe(keras.layers.Layer):
    """Returns an SN layer's normalized kernel from inside a call, where Keras autocasts."""

    def __init__(self, sn_layer, **kwargs):
        super().__init__(**kwargs)
        self.sn_layer = sn_layer

    def call(self, inputs):
        return self.sn_layer.normalized_kernel(training=True)


def _numpy_power_step(kernel, u):
    """One float64 power-iteration step from u: (sigma, new u)."""
    matrix = _fan_in(kernel).astype(np.float64)
    v = matrix @ u
    v /= np.linalg.norm(v)
    new_u = matrix.T @ v
    new_u /= np.linalg.norm(new_u)
    return v @ matrix @ new_u, new_u


@pytest.fixture(params=["mixed_bfloat16", "mixed_float16"])
def mixed_policy(request):
    """The global dtype policy set to a mixed one for the test, then restored."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


@pytest.mark.parametrize("name", ["dense", "conv2d"])
def test_power_iteration_runs_in_float32_under_mixed_precision(mixed_policy, name):
    make_layer, shape = LAYERS_AND_INPUTS[name]
    layer = SpectralNormalization(make_layer())
    inputs = tf.random.normal(shape)
    outputs = layer(inputs, training=False)
    compute_dtype = mixed_policy.removeprefix("mixed_")
    assert outputs.dtype == compute_dtype
    assert layer.u.dtype == "float32" and layer.layer.kernel.dtype == "float32"

    kernel = layer.layer.kernel.numpy().astype(np.float64)
    sigma, new_u = _numpy_power_step(kernel, layer.u.numpy().astype(np.float64))
    normalized = _KernelProbe(layer)(inputs)  # a call under the mixed policy, as in training
    assert normalized.dtype == "float32"
    observed_sigma = kernel / normalized.numpy().astype(np.float64)
    np.testing.assert_allclose(observed_sigma, sigma, rtol=1e-6)
    np.testing.assert_allclose(layer.u.numpy(), new_u, atol=1e-6)
    assert layer.u.dtype == "float32"
