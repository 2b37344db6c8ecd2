"""What layers (and the architectures' models) share: a spectral-norm mode and an initializer."""

import keras

from compare_gan_tf.layers.initializers import fresh_initializer
from compare_gan_tf.layers.spectral_norm import maybe_spectral_norm


class WeightLayers:
    """Mixin that builds Dense and Conv2D sublayers from its owner's options; the owner is a
    `NormalizableLayer` (every layer here) or an architecture's model.

    The owner sets `spectral_norm` ("none", "sn", "bssn"), `sn_scale` (BSSN's c) and
    `sn_power_iterations`, and defines `new_initializer()`: a fresh instance on every call, so
    that no two sublayers start with equal weights.
    """

    def new_initializer(self):
        raise NotImplementedError

    def sublayer_dtype(self):
        """The sublayers' dtype policy: the owner's, so a mixed-precision policy reaches them."""
        return self.dtype_policy

    def normalize(self, layer):
        """`layer` wrapped in the owner's spectral normalization (itself for "none")."""
        return maybe_spectral_norm(
            layer, self.spectral_norm, self.sn_scale, self.sn_power_iterations
        )

    def dense(self, units, **kwargs):
        layer = keras.layers.Dense(
            units, kernel_initializer=self.new_initializer(), dtype=self.sublayer_dtype(), **kwargs
        )
        return self.normalize(layer)

    def conv(self, filters, kernel_size, strides=1, transposed=False):
        conv_class = keras.layers.Conv2DTranspose if transposed else keras.layers.Conv2D
        layer = conv_class(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            kernel_initializer=self.new_initializer(),
            dtype=self.sublayer_dtype(),
        )
        return self.normalize(layer)


class NormalizableLayer(WeightLayers, keras.layers.Layer):
    """Stores `spectral_norm` ("none", "sn", "bssn"), `sn_scale` (BSSN's c), SN's power
    iterations per training call (`sn_power_iterations`) and the initializer.

    Subclasses build their Dense and Conv2D sublayers with `self.dense(...)` and `self.conv(...)`;
    others get `self.new_initializer()` (a fresh instance, so no two sublayers start equal) and
    `dtype=self.dtype_policy` (so a mixed-precision policy given to this layer reaches them), and
    are wrapped with `self.normalize(...)`.
    """

    def __init__(
        self,
        spectral_norm="none",
        sn_scale=1.0,
        kernel_initializer="glorot_uniform",
        sn_power_iterations=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.spectral_norm = spectral_norm
        self.sn_scale = sn_scale
        self.sn_power_iterations = sn_power_iterations
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def new_initializer(self):
        return fresh_initializer(self.kernel_initializer)

    def get_config(self):
        config = super().get_config()
        config.update(
            spectral_norm=self.spectral_norm,
            sn_scale=self.sn_scale,
            sn_power_iterations=self.sn_power_iterations,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
