"""Base class for layers whose weight layers share a spectral-norm mode and an initializer."""

import keras

from compare_gan_tf.layers.initializers import fresh_initializer
from compare_gan_tf.layers.spectral_norm import maybe_spectral_norm


class NormalizableLayer(keras.layers.Layer):
    """Stores `spectral_norm` ("none", "sn", "bssn"), `sn_scale` (BSSN's c), SN's power
    iterations per training call (`sn_power_iterations`) and the initializer.

    Subclasses give each Dense/Conv/Embedding sublayer `self.initializer()` (a fresh instance, so
    no two sublayers start equal) and `dtype=self.dtype_policy` (so a mixed-precision policy
    given to this layer reaches them), and wrap it with `self.normalize(...)`.
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

    def initializer(self):
        return fresh_initializer(self.kernel_initializer)

    def normalize(self, layer):
        return maybe_spectral_norm(
            layer, self.spectral_norm, self.sn_scale, self.sn_power_iterations
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            spectral_norm=self.spectral_norm,
            sn_scale=self.sn_scale,
            sn_power_iterations=self.sn_power_iterations,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
