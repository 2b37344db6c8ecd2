"""Convolutional GANs: DCGAN (Radford et al. 2016) and SNDCGAN (Miyato et al. 2018, Table 3a).

With the default ch=64 the widths are those of the papers (G 512 -> 64, D 64 -> 512).
"""

import keras
import tensorflow as tf

from compare_gan_tf.architectures.base import Discriminator, Generator, flatten, gin_builder
from compare_gan_tf.layers import apply_norm

_RESOLUTIONS = (32, 48, 64, 128)


class _ConvGenerator(Generator):
    """fc to 8ch at resolution / SEED_DIVISOR, then BN-ReLU-deconv stages: 4ch, 2ch, ch, image.

    The three middle deconvolutions double the resolution with KERNEL x KERNEL kernels; the last
    one has FINAL_KERNEL and FINAL_STRIDE. BN acts per channel after the reshape;
    `flat_seed_norm=True` normalizes the flat fc output per unit before it, as compare_gan's
    SNDCGAN does (its g_bn1), for its imported modules.
    """

    RESOLUTIONS = _RESOLUTIONS
    SEED_DIVISOR = 16
    KERNEL = 5
    FINAL_KERNEL = 5
    FINAL_STRIDE = 2

    def __init__(self, resolution, flat_seed_norm=False, **kwargs):
        super().__init__(resolution, **kwargs)
        self.flat_seed_norm = flat_seed_norm
        seed = self.resolution // self.SEED_DIVISOR
        self.seed_shape = (seed, seed, 8 * self.ch)
        self.fc = self.dense(seed * seed * 8 * self.ch)
        self.norms = [self.norm() for _ in range(4)]
        self.deconvs = [
            self.conv(multiplier * self.ch, self.KERNEL, strides=2, transposed=True)
            for multiplier in (4, 2, 1)
        ]
        self.deconvs.append(
            self.conv(self.channels, self.FINAL_KERNEL, self.FINAL_STRIDE, transposed=True)
        )

    def synthesize(self, z, labels, training):
        condition = self.condition(z, labels)
        h = self.fc(z, training=training)
        if self.flat_seed_norm:
            h = tf.nn.relu(apply_norm(self.norms[0], h, condition, training))
        h = tf.reshape(h, (-1, *self.seed_shape))
        for index, (norm, deconv) in enumerate(zip(self.norms, self.deconvs)):
            if index or not self.flat_seed_norm:
                h = tf.nn.relu(apply_norm(norm, h, condition, training))
            h = deconv(h, training=training)
        return h

    def get_config(self):
        config = super().get_config()
        config.update(flat_seed_norm=self.flat_seed_norm)
        return config


class _ConvDiscriminator(Discriminator):
    """Convolutions given as (width / ch, kernel, stride), leaky ReLU, flatten, output head.

    The normalization ("batch" or "layer") follows every convolution but the first. The features
    are the flattened last activation, which the fc (and a projection) reads.
    """

    RESOLUTIONS = _RESOLUTIONS
    LAYERS = ()
    SLOPE = 0.2

    def __init__(self, resolution, **kwargs):
        super().__init__(resolution, **kwargs)
        self.convs = [
            self.conv(multiplier * self.ch, kernel, stride)
            for multiplier, kernel, stride in self.LAYERS
        ]
        self.norms = [None]
        self.norms += [self.inner_norm() for _ in self.LAYERS[1:]]

    def extract_features(self, images, training):
        h = images
        for conv, norm in zip(self.convs, self.norms):
            h = apply_norm(norm, conv(h, training=training), training=training)
            h = self.drop(tf.nn.leaky_relu(h, self.SLOPE), training)
        return flatten(h)


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DcganGenerator(_ConvGenerator):
    """Radford et al. 2016, Figure 1: fc to 8ch at s/16, four 5x5 stride-2 deconvolutions.

    Widths are compare_gan's (512 -> 64 at ch=64); the figure's 64 px model is twice as wide.
    """

    ARCHITECTURE = "dcgan"


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DcganDiscriminator(_ConvDiscriminator):
    """Radford et al. 2016: four 5x5 stride-2 convolutions (64..512), leaky ReLU 0.2, fc."""

    ARCHITECTURE = "dcgan"
    LAYERS = ((1, 5, 2), (2, 5, 2), (4, 5, 2), (8, 5, 2))


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class SndcganGenerator(_ConvGenerator):
    """Miyato et al. 2018, Table 3a: fc to 512 at s/8, 4x4 stride-2 deconvs, 3x3 to the image."""

    ARCHITECTURE = "sndcgan"
    SEED_DIVISOR = 8
    KERNEL = 4
    FINAL_KERNEL = 3
    FINAL_STRIDE = 1


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class SndcganDiscriminator(_ConvDiscriminator):
    """Miyato et al. 2018, Table 3b: seven 3x3 / 4x4 convolutions (64..512), leaky ReLU 0.1, fc."""

    ARCHITECTURE = "sndcgan"
    LAYERS = (
        (1, 3, 1),
        (2, 4, 2),
        (2, 3, 1),
        (4, 4, 2),
        (4, 3, 1),
        (8, 4, 2),
        (8, 3, 1),
    )
    SLOPE = 0.1


dcgan_generator = gin_builder("dcgan_generator", DcganGenerator)
dcgan_discriminator = gin_builder("dcgan_discriminator", DcganDiscriminator)
sndcgan_generator = gin_builder("sndcgan_generator", SndcganGenerator)
sndcgan_discriminator = gin_builder("sndcgan_discriminator", SndcganDiscriminator)
