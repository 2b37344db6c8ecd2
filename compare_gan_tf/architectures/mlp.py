"""Fully connected G and D for 2-D points: the toy models of the mode-collapse literature.

Defaults are those of Metz et al. 2017 ("Unrolled Generative Adversarial Networks", appendix A,
the 2-D mixture of Gaussians), the experiment whose ring `data.gaussian_mixtures.RING8` draws:
G maps z ~ N(0, I_256) through 2 fully connected ReLU layers of 128 units to a linear 2-D output;
D scales its input by 1/4 ("to roughly scale to (-1, 1)"), then 1 fully connected ReLU layer of
128 units and a linear logit; every weight is orthogonally initialized. The public
re-implementations of that experiment (unroll_gan and its descendants) use the same networks.
Metz et al. initialize with gain 0.8; the project's "orthogonal" has gain 1.

PacGAN's and VEEGAN's toy models (Lin et al. 2018, fjxmlzn/PacGAN synthetic_data_experiments)
are larger: G with z_dim=2, num_layers=4, ch=400, normalization="batch" (BN before each ReLU),
N(0, 0.02) weights (initializer="normal"); their D (3 linear-maxout layers of 200 units with 5
pieces) has no equivalent here; num_layers=3, ch=200 is its plain ReLU counterpart.

Points are [B, channels] float32 in raw coordinates (the mixtures span about -4.2..4.2), so
there is no tanh on G's output. `resolution` must be None: points have no pixels.
"""

import keras
import tensorflow as tf

from compare_gan_tf.architectures.base import (
    GENERATOR_NORMALIZATIONS,
    Discriminator,
    Generator,
    gin_builder,
)
from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers import apply_norm

POINT_DIM = 2


def _check_resolution(resolution):
    if resolution is not None:
        raise ValueError(
            f"mlp models 2-D points, not images, and takes resolution None (got {resolution!r}); "
            "pass the point dataset's info.resolution, which is None."
        )


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class MlpGenerator(Generator):
    """z [B, z_dim] (and int labels [B]) -> points [B, channels], linear output (no tanh).

    `num_layers` hidden Dense layers of `ch` units, each followed by the normalization and ReLU.
    `channels` is the size of the points' last axis (None: 2). normalization: "none" (default,
    as Metz et al. 2017), "batch" (PacGAN), "conditional" (CBN on the labels) or
    "self_modulated". With `num_classes` and "none" or "batch", the labels enter as a one-hot
    vector concatenated to z (the conditional GAN of Mirza & Osindero 2014); with "conditional"
    or "self_modulated" they enter through the normalization only.
    """

    ARCHITECTURE = "mlp"
    RESOLUTIONS = (None,)
    DEFAULT_CH = 128
    DEFAULT_Z_DIM = 256
    DEFAULT_NUM_LAYERS = 2
    DEFAULT_INITIALIZER = "orthogonal"

    def __init__(self, resolution=None, channels=None, num_layers=None, **kwargs):
        _check_resolution(resolution)
        super().__init__(resolution, channels=channels or POINT_DIM, **kwargs)
        self.num_layers = self.DEFAULT_NUM_LAYERS if num_layers is None else num_layers
        if self.num_layers < 1:
            raise ValueError(f"mlp generator num_layers must be >= 1, got {self.num_layers}.")
        self.concat_labels = bool(self.num_classes) and self.normalization in ("none", "batch")
        self.hidden = [self.dense(self.ch) for _ in range(self.num_layers)]
        self.norms = [self.norm() for _ in range(self.num_layers)]
        self.output_layer = self.dense(self.channels)

    def _resolve_normalization(self, normalization):
        # Unlike the image generators, "none" and "batch" stay valid with labels (concatenated
        # to z), so the default is the source's: no normalization.
        normalization = normalization or "none"
        check_choice("generator normalization", normalization, GENERATOR_NORMALIZATIONS)
        if normalization == "conditional" and not self.num_classes:
            raise ValueError(
                'mlp generator normalization "conditional" needs num_classes; set it, or use '
                '"none", "batch" or "self_modulated" for an unconditional generator.'
            )
        return normalization

    def activate(self, outputs):
        # Points live in raw coordinates (up to |4| for grid25): no tanh.
        return outputs

    def synthesize(self, z, labels, training):
        condition = self.condition(z, labels)
        h = z
        if self.concat_labels:
            h = tf.concat([z, tf.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1)
        for dense, norm in zip(self.hidden, self.norms):
            h = dense(h, training=training)
            h = tf.nn.relu(apply_norm(norm, h, condition, training))
        return self.output_layer(h, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(num_layers=self.num_layers)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class MlpDiscriminator(Discriminator):
    """points [B, C] (and int labels [B]) -> logits [B, 1]; features: the last hidden layer.

    x * `input_scale`, then `num_layers` hidden Dense layers of `ch` units, each followed by the
    inner normalization ("batch" or "layer", over the units), leaky ReLU with negative `slope`
    (0: ReLU, as Metz et al. 2017) and dropout. "spectral" / "bssn" normalize every Dense layer
    and the head (BSSN's second view exists only for convolutions, so on Dense it is SN times
    `sn_scale`). With `num_classes` the head is a projection (Miyato & Koyama 2018).
    """

    ARCHITECTURE = "mlp"
    RESOLUTIONS = (None,)
    DEFAULT_CH = 128
    DEFAULT_NUM_LAYERS = 1
    DEFAULT_INITIALIZER = "orthogonal"

    def __init__(self, resolution=None, num_layers=None, input_scale=0.25, slope=0.0, **kwargs):
        _check_resolution(resolution)
        super().__init__(resolution, **kwargs)
        self.num_layers = self.DEFAULT_NUM_LAYERS if num_layers is None else num_layers
        if self.num_layers < 1:
            raise ValueError(f"mlp discriminator num_layers must be >= 1, got {self.num_layers}.")
        self.input_scale = input_scale
        self.slope = slope
        self.hidden = [self.dense(self.ch) for _ in range(self.num_layers)]
        self.norms = [self.inner_norm() for _ in self.hidden]

    def check_inputs(self, images):
        if images.shape.rank != 2:
            raise ValueError(
                f"mlp discriminator expects points of shape [batch, dimension], got "
                f"{images.shape}; it models 2-D point datasets, not images."
            )

    def extract_features(self, images, training):
        # Metz et al. 2017, appendix A: D first scales its input down by a factor of 4.
        h = images * self.input_scale
        for dense, norm in zip(self.hidden, self.norms):
            h = apply_norm(norm, dense(h, training=training), training=training)
            h = self.drop(tf.nn.leaky_relu(h, self.slope), training)
        return h

    def get_config(self):
        config = super().get_config()
        config.update(num_layers=self.num_layers, input_scale=self.input_scale, slope=self.slope)
        return config


mlp_generator = gin_builder("mlp_generator", MlpGenerator)
mlp_discriminator = gin_builder("mlp_discriminator", MlpDiscriminator)
