"""Spectral normalization of Keras kernels: SN (Miyato et al. 2018) and BSSN (Lin et al. 2021)."""

import keras
import tensorflow as tf
from keras.src.backend import AutocastScope

from compare_gan_tf.checks import check_choice

SPECTRAL_NORM_MODES = ("none", "sn", "bssn")


def _kernel_attribute(layer):
    """Name of the weight that spectral normalization rescales in `layer`."""
    if isinstance(layer, keras.layers.Embedding):
        return "embeddings"
    if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
        return "kernel"
    raise TypeError(
        f"SpectralNormalization wraps Dense, Conv2D, Conv2DTranspose or Embedding layers, "
        f"got {type(layer).__name__}. Wrap one of those instead."
    )


def fan_in_matrix(kernel, transposed_conv=False):
    """The (kh*kw*cin, cout) matrix of a kernel (SN's reshape; the transpose of the paper's).

    Conv2DTranspose kernels are stored as (kh, kw, cout, cin); their channel axes are swapped first
    so that rows still index the layer's inputs and columns its outputs.
    """
    if transposed_conv:
        kernel = tf.transpose(kernel, [0, 1, 3, 2])
    return tf.reshape(kernel, [-1, kernel.shape[-1]])


def fan_out_matrix(kernel, transposed_conv=False):
    """The (kh*kw*cout, cin) matrix of a convolution kernel: BSSN's second view."""
    return fan_in_matrix(kernel, transposed_conv=not transposed_conv)


def power_iteration(matrix, u, epsilon=1e-12, iterations=1):
    """Estimates the largest singular value of a matrix by power iteration.

    Each iteration computes v = Wu / |Wu| and u = W^T v / |W^T v|; then sigma = v^T W u. u and v
    are held constant (stop_gradient), so the gradient of sigma flows only through W.

    Args:
        matrix: float tensor (m, n), the matrix W.
        u: float tensor (n,), the current estimate of the top right singular vector.
        epsilon: float, default 1e-12. Guards the normalizations against division by zero.
        iterations: int, default 1. Number of power-iteration steps.

    Returns:
        A tuple (sigma, u): the scalar estimate of the top singular value and the updated u.

    Example:

    >>> import tensorflow as tf
    >>> from compare_gan_tf.layers import power_iteration
    >>> matrix = tf.constant([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> sigma, u = power_iteration(matrix, tf.constant([1.0, 1.0]), iterations=10)
    >>> round(float(sigma), 3), [round(float(x), 3) for x in u]
    (3.0, [1.0, 0.0])

    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018,
        Algorithm 1.
    """
    for _ in range(iterations):
        v = tf.math.l2_normalize(tf.linalg.matvec(matrix, u), epsilon=epsilon)
        u = tf.math.l2_normalize(tf.linalg.matvec(matrix, v, transpose_a=True), epsilon=epsilon)
    u = tf.stop_gradient(u)
    v = tf.stop_gradient(v)
    sigma = tf.tensordot(v, tf.linalg.matvec(matrix, u), axes=1)
    return sigma, u


def top_singular_values(kernel, k=3):
    """Returns the k largest singular values of a kernel, for logging.

    The kernel is reshaped to (-1, last axis) and decomposed exactly (SVD). BigGAN logs the top 3
    of every layer to watch for training collapse.

    Args:
        kernel: a weight (variable or tensor) of rank >= 2, e.g. a Dense or Conv2D kernel.
        k: int, default 3. How many singular values to return.

    Returns:
        A float tensor (k,) of singular values in decreasing order.

    Example:

    >>> import tensorflow as tf
    >>> from compare_gan_tf.layers import top_singular_values
    >>> kernel = tf.linalg.diag([1.0, 4.0, 2.0, 3.0])
    >>> [round(float(s), 2) for s in top_singular_values(kernel, k=3)]
    [4.0, 3.0, 2.0]

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, section 4.
    """
    matrix = tf.reshape(tf.convert_to_tensor(kernel), [-1, kernel.shape[-1]])
    return tf.linalg.svd(matrix, compute_uv=False)[:k]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class SpectralNormalization(keras.layers.Wrapper):
    """Wrapper that divides a layer's weight by its spectral norm: W -> c * W / sigma(W).

    Works on Dense, Conv2D, Conv2DTranspose and Embedding layers. sigma is estimated by power
    iteration from a persistent, non-trainable vector u; u and v are constants (stop_gradient)
    and the gradient flows through sigma = v^T W u. The raw W stays the trainable variable; the
    normalized weight exists only inside `call`. u is updated only when `training=True`, so
    evaluation never changes the layer's state.

    `bidirectional=True` is BSSN: for convolutions sigma is the mean of the spectral norms of the
    (kh*kw*cin, cout) and (kh*kw*cout, cin) reshapes, each with its own u; Dense and Embedding
    weights use plain SN. One difference from the authors' code (fjxmlzn/BSN, sn.py): there the
    power-iteration vectors are not held constant, so the gradient also flows through the
    iteration's normalizations; here, as in Miyato et al.'s SN, u and v are constants for BSSN
    too, and sigma's gradient is v u^T (Miyato et al. 2018, eq. 12).

    This differs from `keras.layers.SpectralNormalization`, which overwrites the kernel in place
    with W / sigma, so the optimizer updates the normalized kernel and never differentiates sigma.

    Args:
        layer: the `keras.layers.Dense`, `Conv2D`, `Conv2DTranspose` or `Embedding` to wrap.
        power_iterations: int, default 1. Power-iteration steps per call; must be >= 1.
        epsilon: float, default 1e-12. Guards the normalizations against division by zero.
        bidirectional: bool, default False. Use BSSN's two reshapes for convolution kernels.
        scale: float, default 1.0. BSSN's constant c multiplying the normalized weight.
        **kwargs: base `keras.layers.Wrapper` arguments (e.g. `name`, `dtype`).

    Call arguments:
        inputs: the wrapped layer's inputs.
        training: bool. When True, the power-iteration vectors are updated.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import SpectralNormalization, top_singular_values
    >>> keras.utils.set_random_seed(0)
    >>> layer = SpectralNormalization(keras.layers.Dense(4))
    >>> x = np.ones((2, 8), "float32")
    >>> for _ in range(20):  # one power iteration per training call
    ...     y = layer(x, training=True)
    >>> tuple(y.shape)
    (2, 4)
    >>> round(float(top_singular_values(layer.normalized_kernel(), k=1)[0]), 2)
    1.0

    BSSN keeps a second vector for the fan-out view of a convolution kernel:

    >>> conv = SpectralNormalization(keras.layers.Conv2D(8, 3), bidirectional=True, scale=2.0)
    >>> tuple(conv(np.ones((2, 6, 6, 4), "float32")).shape)
    (2, 4, 4, 8)
    >>> [w.name for w in conv.non_trainable_weights]
    ['u', 'u_fan_out']

    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
        Lin, Sekar and Fanti, "Why Spectral Normalization Stabilizes GANs: Analysis and
        Improvements", NeurIPS 2021 (BSSN).
    """

    def __init__(
        self,
        layer,
        power_iterations=1,
        epsilon=1e-12,
        bidirectional=False,
        scale=1.0,
        **kwargs,
    ):
        super().__init__(layer, **kwargs)
        _kernel_attribute(layer)
        if power_iterations < 1:
            raise ValueError(
                f"SpectralNormalization power_iterations must be >= 1, got {power_iterations}."
            )
        self.power_iterations = power_iterations
        self.epsilon = epsilon
        self.bidirectional = bidirectional
        self.scale = scale

    @property
    def _is_transposed_conv(self):
        return isinstance(self.layer, keras.layers.Conv2DTranspose)

    @property
    def _uses_two_views(self):
        is_conv = isinstance(self.layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))
        return self.bidirectional and is_conv

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self.raw_kernel
        self._kernel_index = next(
            i for i, v in enumerate(self.layer.trainable_variables) if v is kernel
        )
        matrix = fan_in_matrix(kernel, self._is_transposed_conv)
        self.u = self._add_u_vector("u", matrix.shape[1])
        if self._uses_two_views:
            fan_out = fan_out_matrix(kernel, self._is_transposed_conv)
            self.u_fan_out = self._add_u_vector("u_fan_out", fan_out.shape[1])
        self.built = True

    def _add_u_vector(self, name, size):
        # Every replica computes the same u from the mirrored W, so each assigns its own copy
        # ("none": no cross-replica sum, which XLA cannot compile on every device).
        # u keeps the kernel's variable dtype (float32 under mixed precision) and is never cast.
        return self.add_weight(
            name=name,
            shape=(size,),
            dtype=self.layer.variable_dtype,
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            trainable=False,
            autocast=False,
            aggregation="none",
        )

    @property
    def raw_kernel(self):
        """The unnormalized trainable weight of the wrapped layer."""
        return getattr(self.layer, _kernel_attribute(self.layer))

    def normalized_kernel(self, training=False):
        """Returns c * W / sigma(W) in the variable dtype; assigns u only when training.

        The power iteration and the division run in the variable dtype (float32 under a
        mixed-precision policy) whatever the compute dtype, so sigma keeps float32's precision.
        """
        # Keras casts float variables to the compute dtype inside a mixed-precision layer's call
        # and has no public switch for one read; a scope of None reads W as stored.
        with AutocastScope(None):
            kernel = tf.convert_to_tensor(self.raw_kernel.value)
        transposed = self._is_transposed_conv
        sigma, u = power_iteration(
            fan_in_matrix(kernel, transposed), self.u, self.epsilon, self.power_iterations
        )
        updates = [(self.u, u)]
        if self._uses_two_views:
            sigma_fan_out, u_fan_out = power_iteration(
                fan_out_matrix(kernel, transposed),
                self.u_fan_out,
                self.epsilon,
                self.power_iterations,
            )
            # Lin et al. 2021: the arithmetic mean of the fan-in and fan-out estimates.
            sigma = (sigma + sigma_fan_out) / 2.0
            updates.append((self.u_fan_out, u_fan_out))
        if training:
            for variable, value in updates:
                variable.assign(value)
        return self.scale * kernel / sigma

    def call(self, inputs, training=None):
        weights = list(self.layer.trainable_variables)
        kernel = self.normalized_kernel(training=bool(training))
        weights[self._kernel_index] = tf.cast(kernel, self.layer.compute_dtype)
        outputs, _ = self.layer.stateless_call(weights, self.layer.non_trainable_variables, inputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            power_iterations=self.power_iterations,
            epsilon=self.epsilon,
            bidirectional=self.bidirectional,
            scale=self.scale,
        )
        return config


def maybe_spectral_norm(layer, mode="none", scale=1.0, power_iterations=1):
    """Wraps a layer in `SpectralNormalization` according to a mode name.

    The wrapper takes the layer's dtype policy, so mixed precision carries over.

    Args:
        layer: a `keras.layers.Dense`, `Conv2D`, `Conv2DTranspose` or `Embedding`.
        mode: str, default "none". "none" returns `layer` unchanged, "sn" wraps it with spectral
            normalization and "bssn" with bidirectional scaled spectral normalization.
        scale: float, default 1.0. BSSN's constant c.
        power_iterations: int, default 1. Power-iteration steps per training call.

    Returns:
        `layer` itself for "none", else a `SpectralNormalization` wrapping it.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import maybe_spectral_norm
    >>> dense = keras.layers.Dense(4)
    >>> maybe_spectral_norm(dense, "none") is dense
    True
    >>> type(maybe_spectral_norm(dense, "sn")).__name__
    'SpectralNormalization'
    >>> wrapped = maybe_spectral_norm(keras.layers.Conv2D(4, 3), "bssn", scale=1.5)
    >>> wrapped.bidirectional, wrapped.scale
    (True, 1.5)

    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
        Lin, Sekar and Fanti, "Why Spectral Normalization Stabilizes GANs: Analysis and
        Improvements", NeurIPS 2021 (BSSN).
    """
    check_choice("spectral_norm mode", mode, SPECTRAL_NORM_MODES)
    if mode == "none":
        return layer
    return SpectralNormalization(
        layer,
        power_iterations=power_iterations,
        bidirectional=mode == "bssn",
        scale=scale,
        dtype=layer.dtype_policy,
    )
