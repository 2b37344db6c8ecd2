"""What every generator and discriminator shares: the call contract and the option switches
(the weight-layer factories and gin's batch_norm / spectral_norm settings are in model.py).

A generator maps z [B, z_dim] (and int labels [B] when `num_classes` is set) to images
[B, H, W, channels] in [-1, 1]. A discriminator maps images (and labels) to logits [B, 1];
`logits_and_features` also returns the features [B, C] that its output head reads.
"""

import keras
import tensorflow as tf

from compare_gan_tf.architectures.model import (
    ArchitectureModel,
    attention_index,
    batch_norm_defaults,
    flatten,
    gin_builder,
    spectral_norm_defaults,
)
from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers import ProjectionHead
from compare_gan_tf.layers.modulated_norm import CBN_GAINS
from compare_gan_tf.layers.normalization import (
    DISCRIMINATOR_NORMALIZATIONS as LAYER_NORMALIZATIONS_OF_D,
)
from compare_gan_tf.layers.normalization import GENERATOR_NORMALIZATIONS
from compare_gan_tf.layers.spectral_norm import SPECTRAL_NORM_MODES

__all__ = [
    "DISCRIMINATOR_NORMALIZATIONS",
    "GENERATOR_NORMALIZATIONS",
    "Discriminator",
    "Generator",
    "attention_index",
    "batch_norm_defaults",
    "flatten",
    "gin_builder",
    "spectral_norm_defaults",
]

# D's choices: the layers' normalizations of activations, or spectral norm of the weights
# (plain or BSSN), which the architectures apply themselves.
DISCRIMINATOR_NORMALIZATIONS = LAYER_NORMALIZATIONS_OF_D + ("spectral", "bssn")


class Generator(ArchitectureModel):
    """`generator(z, labels=None, training=None)` -> images [B, H, W, channels] in [-1, 1].

    normalization: "batch", "conditional" (class-conditional BN on the labels), "self_modulated"
    (BN modulated by z, Chen et al. 2019) or "none"; None picks "conditional" when `num_classes`
    is set, else "batch". spectral_norm: "none", "sn" or "bssn" on every G weight layer.
    synchronized=True computes BN statistics over all replicas (BigGAN's cross-replica BN);
    gin's `batch_norm.generator_cross_replica`, when set, overrides it.
    cbn_gain: the gain of "conditional" BN, "one_plus_gamma" or "gamma" (compare_gan's
    arch_ops.conditional_batch_norm, without the +1; see ConditionalBatchNorm).
    Labels are ignored when `num_classes` is None.
    """

    ROLE = "generator"
    DEFAULT_SPECTRAL_NORM = "none"
    DEFAULT_Z_DIM = 128
    # BigGAN feeds a float vector (class embedding and z) to its BNs, which works without classes.
    VECTOR_CONDITION = False

    def __init__(
        self,
        resolution,
        num_classes=None,
        channels=3,
        z_dim=None,
        ch=None,
        normalization=None,
        spectral_norm=None,
        initializer=None,
        synchronized=False,
        cbn_gain="one_plus_gamma",
        **kwargs,
    ):
        super().__init__(resolution, num_classes, ch, initializer, **kwargs)
        self.channels = channels
        self.z_dim = z_dim or self.default_z_dim(resolution)
        self.normalization = self._resolve_normalization(normalization)
        self.spectral_norm = spectral_norm or self.DEFAULT_SPECTRAL_NORM
        check_choice("generator spectral_norm", self.spectral_norm, SPECTRAL_NORM_MODES)
        _, _, cross_replica = batch_norm_defaults()
        self.synchronized = synchronized if cross_replica is None else cross_replica
        self.cbn_gain = self.check_option("cbn_gain", cbn_gain, CBN_GAINS)
        if cbn_gain != "one_plus_gamma" and self.normalization != "conditional":
            raise ConfigError(
                f"{self.ARCHITECTURE}_generator.cbn_gain = {cbn_gain!r} applies to conditional "
                f"batch norm only, but the generator's normalization is {self.normalization!r}."
            )

    @classmethod
    def default_z_dim(cls, resolution):
        return cls.DEFAULT_Z_DIM

    def _resolve_normalization(self, normalization):
        if normalization is None:
            conditional = self.num_classes or self.VECTOR_CONDITION
            normalization = "conditional" if conditional else "batch"
        check_choice("generator normalization", normalization, GENERATOR_NORMALIZATIONS)
        if self.num_classes and normalization in ("batch", "none"):
            raise ValueError(
                f"Generator normalization {normalization!r} gives the labels no way in; use "
                '"conditional" or "self_modulated" for a class-conditional generator.'
            )
        if normalization == "conditional" and not (self.num_classes or self.VECTOR_CONDITION):
            raise ValueError(
                f'{self.ARCHITECTURE} generator normalization "conditional" needs num_classes; '
                'set it, or use "batch" or "self_modulated" for an unconditional generator.'
            )
        return normalization

    def norm(self):
        """A BN layer of this generator's kind (None for "none")."""
        return self.make_generator_norm(
            self.normalization, self.num_classes, self.synchronized, self.cbn_gain
        )

    def block_options(self):
        """Arguments of a generator block: weight options, normalization and its condition."""
        options = self.weight_options()
        options.update(self.batch_norm_options())
        options.update(
            normalization=self.normalization,
            num_classes=None if self.VECTOR_CONDITION else self.num_classes,
            synchronized=self.synchronized,
            cbn_gain=self.cbn_gain,
        )
        return options

    def condition(self, z, labels):
        """What conditional BN reads: the labels; self-modulated BN: z (with one-hot labels)."""
        if self.normalization == "conditional":
            return labels
        if self.normalization == "self_modulated" and self.num_classes:
            return tf.concat([z, tf.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1)
        if self.normalization == "self_modulated":
            return z
        return None

    def call(self, z, labels=None, training=None):
        if z.shape.rank != 2 or z.shape[-1] != self.z_dim:
            raise ValueError(
                f"{self.ARCHITECTURE} generator expects z of shape [batch, {self.z_dim}], got "
                f"{z.shape}; sample z with the generator's z_dim."
            )
        if self.num_classes and labels is None:
            raise ValueError(
                f"{self.ARCHITECTURE} generator has num_classes={self.num_classes} and needs int "
                "labels [batch]; pass labels, or build it with num_classes=None."
            )
        return self.activate(self.synthesize(z, labels if self.num_classes else None, training))

    def activate(self, outputs):
        """Images in [-1, 1]; subclasses that model raw coordinates return `outputs` as is."""
        return tf.tanh(outputs)

    def synthesize(self, z, labels, training):
        """The output layer's pre-activation [B, H, W, channels]; `call` applies `activate`."""
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        config.update(
            channels=self.channels,
            z_dim=self.z_dim,
            normalization=self.normalization,
            spectral_norm=self.spectral_norm,
            synchronized=self.synchronized,
            cbn_gain=self.cbn_gain,
        )
        return config


class Discriminator(ArchitectureModel):
    """`discriminator(images, labels=None, training=None)` -> logits [B, 1].

    normalization: "none", "batch", "layer" (inside the network), or "spectral" / "bssn"
    (SN, Miyato et al. 2018, or BSSN, Lin et al. 2021, on every weight layer, with BSSN's constant
    `sn_scale`). With `num_classes` the output is a projection head (Miyato & Koyama 2018);
    without it a linear layer. `dropout` is the rate after every hidden stage (Iyengar et al.
    found that SNDCGAN at 128 px collapses without 0.5).
    """

    ROLE = "discriminator"
    DEFAULT_NORMALIZATION = "none"
    NORMALIZATIONS = DISCRIMINATOR_NORMALIZATIONS

    def __init__(
        self,
        resolution,
        num_classes=None,
        ch=None,
        normalization=None,
        sn_scale=1.0,
        initializer=None,
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(resolution, num_classes, ch, initializer, **kwargs)
        self.normalization = normalization or self.DEFAULT_NORMALIZATION
        check_choice(
            f"{self.ARCHITECTURE} discriminator normalization",
            self.normalization,
            self.NORMALIZATIONS,
        )
        spectral = {"spectral": "sn", "bssn": "bssn"}
        self.spectral_norm = spectral.get(self.normalization, "none")
        self.inner_normalization = "none" if self.spectral_norm != "none" else self.normalization
        self.sn_scale = sn_scale
        self.dropout = dropout
        self.dropout_layer = keras.layers.Dropout(dropout) if dropout else None
        self.head = ProjectionHead(num_classes, **self.weight_options())

    def block_options(self):
        """Arguments of a discriminator block: weight options and the inner normalization."""
        options = self.weight_options()
        options.update(self.batch_norm_options())
        options.update(normalization=self.inner_normalization)
        return options

    def inner_norm(self):
        """A normalization layer of the inner kind (None for "none")."""
        return self.make_discriminator_norm(self.inner_normalization)

    def drop(self, x, training):
        if self.dropout_layer is None:
            return x
        return self.dropout_layer(x, training=training)

    def call(self, images, labels=None, training=None):
        logits, _ = self.logits_and_features(images, labels, training)
        return logits

    def logits_and_features(self, images, labels=None, training=None):
        """(logits [B, 1], features [B, C] that the head reads) for projection or consistency."""
        features = self.features(images, training)
        return self.head(features, labels, training=training), features

    def features(self, images, training=None):
        """The features [B, C] that the head (and SSGAN's and S3GAN's heads) read."""
        self.check_inputs(images)
        return self.extract_features(images, training)

    def check_inputs(self, images):
        size = self.resolution
        if images.shape.rank != 4 or tuple(images.shape[1:3]) != (size, size):
            raise ValueError(
                f"{self.ARCHITECTURE} discriminator at {size} px expects images of shape "
                f"[batch, {size}, {size}, channels], got {images.shape}."
            )

    def extract_features(self, images, training):
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        config.update(
            normalization=self.normalization, sn_scale=self.sn_scale, dropout=self.dropout
        )
        return config
