"""BigGAN and BigGAN-deep (Brock et al. 2019, Appendix B: Figures 15-16, Tables 4-9).

Both use SN in G and D, orthogonal initialization, a shared 128-d class embedding in G (no SN),
conditional BN fed by a float vector, an unconditional BN before the output convolution,
self-attention at 64 px and a projection discriminator with global sum pooling.
"""

import keras
import tensorflow as tf

from compare_gan_tf.architectures.base import gin_builder
from compare_gan_tf.architectures.resnet import ResNetDiscriminator, ResNetGenerator
from compare_gan_tf.layers import DiscriminatorBottleneckBlock, GeneratorBottleneckBlock

# Channel multipliers of ch, from the seed (G) or the first block (D) on: Brock et al. Tables 4-6
# for 128-512 px, compare_gan for 32 and 64 px.
_G_MULTIPLIERS = {
    32: (4, 4, 4, 4),
    64: (16, 16, 8, 4, 2),
    128: (16, 16, 8, 4, 2, 1),
    256: (16, 16, 8, 8, 4, 2, 1),
    512: (16, 16, 8, 8, 4, 2, 1, 1),
}
_D_MULTIPLIERS = {
    32: (2, 2, 2, 2),
    64: (2, 4, 8, 16, 16),
    128: (1, 2, 4, 8, 16, 16),
    256: (1, 2, 4, 8, 8, 16, 16),
    512: (1, 1, 2, 4, 8, 8, 16, 16),
}
# BigGAN-deep, two blocks per resolution; Brock et al. Tables 7-9.
_DEEP_G_MULTIPLIERS = {
    128: (16,) * 4 + (8,) * 2 + (4, 4, 2, 2, 1),
    256: (16,) * 4 + (8,) * 4 + (4, 4, 2, 2, 1),
    512: (16,) * 4 + (8,) * 4 + (4, 4, 2, 2, 1, 1, 1),
}
_DEEP_D_MULTIPLIERS = {
    128: (1, 2, 2, 4, 4) + (8,) * 2 + (16,) * 4,
    256: (1, 2, 2, 4, 4) + (8,) * 4 + (16,) * 4,
    512: (1, 1, 1, 2, 2, 4, 4) + (8,) * 4 + (16,) * 4,
}


class _BigGanGeneratorBase(ResNetGenerator):
    """The shared class embedding, defaults and output BN of both BigGAN generators."""

    DEFAULT_SPECTRAL_NORM = "sn"
    DEFAULT_INITIALIZER = "orthogonal"
    VECTOR_CONDITION = True

    def __init__(self, resolution, attention_resolution=64, embedding_dim=128, **kwargs):
        super().__init__(resolution, attention_resolution=attention_resolution, **kwargs)
        self.embedding_dim = embedding_dim
        self.embedding = None
        if self.num_classes:
            # No SN on the shared embedding: BigGAN-PyTorch notes that it cripples G.
            self.embedding = keras.layers.Embedding(
                self.num_classes, embedding_dim, embeddings_initializer=self.new_initializer()
            )

    def output_norm(self):
        # Brock et al. 2019, Figure 15: the BN before the output convolution is unconditional.
        kind = "none" if self.normalization == "none" else "batch"
        return self.make_generator_norm(kind, synchronized=self.synchronized)

    def get_config(self):
        config = super().get_config()
        config.update(embedding_dim=self.embedding_dim)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class BigGanGenerator(_BigGanGeneratorBase):
    """BigGAN G (Brock et al. 2019, Figure 15a and Tables 4-6) with hierarchical z.

    z splits into one chunk per block plus one for the fc (Figure 15a); block i's BNs read
    concat(shared embedding(y), chunk i) (only the chunk without classes).
    """

    ARCHITECTURE = "biggan"
    RESOLUTIONS = tuple(_G_MULTIPLIERS)
    DEFAULT_CH = 96

    def __init__(self, resolution, **kwargs):
        super().__init__(resolution, **kwargs)
        chunks = len(self.blocks) + 1
        if self.z_dim % chunks:
            raise ValueError(
                f"biggan at {resolution} px splits z into {chunks} chunks (one per block plus "
                f"one for the fc), so z_dim must be a multiple of {chunks}; got {self.z_dim}. "
                f"The default is {self.default_z_dim(resolution)}."
            )

    @classmethod
    def default_z_dim(cls, resolution):
        # Brock et al. 2019, Appendix B: chunks of 20, so z_dim 120 / 140 / 160 at 128 / 256 / 512.
        return 20 * len(_G_MULTIPLIERS[resolution])

    def plan(self):
        widths = [self.ch * multiplier for multiplier in _G_MULTIPLIERS[self.resolution]]
        return 4, widths[0], [(width, True) for width in widths[1:]]

    def stage_inputs(self, z, labels):
        chunks = tf.split(z, len(self.blocks) + 1, axis=-1)
        conditions = chunks[1:]
        if self.embedding is not None:
            shared = self.embedding(labels)
            # Embedding first, then the chunk, as in BigGAN-PyTorch; compare_gan reversed them.
            conditions = [tf.concat([shared, chunk], axis=-1) for chunk in conditions]
        return chunks[0], conditions, None


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class BigGanDeepGenerator(_BigGanGeneratorBase):
    """BigGAN-deep G (Brock et al. 2019, Figure 16a and Tables 7-9): bottleneck blocks, two per
    resolution; concat(z, shared embedding(y)) feeds the fc and every BN (z is not chunked).

    `wide_output_conv=True` (the default) is the official module's output layer: the last 3x3
    convolution has max(ch, channels) outputs and the image is the first `channels` of them
    (the TF-Hub biggan-deep modules' conv_to_rgb, compare_gan's experimental_fast_conv_to_rgb).
    At 128 px with ch=128 and 1000 classes, G then has 50,388,609 trainable parameters, the
    official 50.4M (Brock et al. Table 7); False gives a `channels`-output convolution, as
    BigGAN-PyTorch and compare_gan's default do, and 144,125 fewer: 50,244,484, compare_gan's
    count. The difference is (128 - 3) * (3 * 3 * 128 + 1) = 144,125, the kernel and bias of
    the 125 unused outputs; every other variable matches the official module's list.
    """

    ARCHITECTURE = "biggan_deep"
    RESOLUTIONS = tuple(_DEEP_G_MULTIPLIERS)
    DEFAULT_CH = 128
    SHORTCUTS = ("auto",)  # The bottleneck blocks drop channels on theirs.

    def __init__(self, resolution, wide_output_conv=True, **kwargs):
        # Read by output_conv_width() while the base class builds the layers.
        self.wide_output_conv = wide_output_conv
        super().__init__(resolution, **kwargs)

    def output_conv_width(self):
        return max(self.ch, self.channels) if self.wide_output_conv else self.channels

    def get_config(self):
        config = super().get_config()
        config.update(wide_output_conv=self.wide_output_conv)
        return config

    def plan(self):
        widths = [self.ch * multiplier for multiplier in _DEEP_G_MULTIPLIERS[self.resolution]]
        blocks = [(width, index % 2 == 1) for index, width in enumerate(widths[1:])]
        return 4, widths[0], blocks

    def make_block(self, filters, upsample):
        return GeneratorBottleneckBlock(filters, upsample=upsample, **self.block_options())

    def stage_inputs(self, z, labels):
        condition = z
        if self.embedding is not None:
            condition = tf.concat([z, self.embedding(labels)], axis=-1)
        return condition, [condition] * len(self.blocks), None


class _BigGanDiscriminatorBase(ResNetDiscriminator):
    """The defaults of both BigGAN discriminators: SN, orthogonal weights, attention at 64 px
    and global sum pooling."""

    DEFAULT_NORMALIZATION = "spectral"
    DEFAULT_INITIALIZER = "orthogonal"
    POOLING = "sum"

    def __init__(self, resolution, attention_resolution=64, **kwargs):
        super().__init__(resolution, attention_resolution=attention_resolution, **kwargs)


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class BigGanDiscriminator(_BigGanDiscriminatorBase):
    """BigGAN D (Brock et al. 2019, Figure 15c and Tables 4-6): residual blocks, the last one
    without downsampling, ReLU, global sum pooling, projection head.
    """

    ARCHITECTURE = "biggan"
    RESOLUTIONS = tuple(_D_MULTIPLIERS)
    DEFAULT_CH = 96

    def plan(self):
        multipliers = _D_MULTIPLIERS[self.resolution]
        last = len(multipliers) - 1
        return None, [(self.ch * m, index < last) for index, m in enumerate(multipliers)]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class BigGanDeepDiscriminator(_BigGanDiscriminatorBase):
    """BigGAN-deep D (Brock et al. 2019, Figure 16c and Tables 7-9): a 3x3 stem convolution,
    bottleneck blocks (every other one downsampling), ReLU, global sum pooling, projection head.

    Its blocks have no inner normalization, so `normalization` is "none", "spectral" or "bssn".
    """

    ARCHITECTURE = "biggan_deep"
    RESOLUTIONS = tuple(_DEEP_D_MULTIPLIERS)
    NORMALIZATIONS = ("none", "spectral", "bssn")
    SHORTCUTS = ("auto",)  # The bottleneck blocks add learned channels on theirs.
    DEFAULT_CH = 128

    def plan(self):
        widths = [self.ch * multiplier for multiplier in _DEEP_D_MULTIPLIERS[self.resolution]]
        blocks = [(width, index % 2 == 0) for index, width in enumerate(widths[1:])]
        return widths[0], blocks

    def make_block(self, filters, downsample, optimized):
        return DiscriminatorBottleneckBlock(filters, downsample=downsample, **self.weight_options())


biggan_generator = gin_builder("biggan_generator", BigGanGenerator)
biggan_discriminator = gin_builder("biggan_discriminator", BigGanDiscriminator)
biggan_deep_generator = gin_builder("biggan_deep_generator", BigGanDeepGenerator)
biggan_deep_discriminator = gin_builder("biggan_deep_discriminator", BigGanDeepDiscriminator)
