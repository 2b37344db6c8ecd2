"""Residual GANs of the compare_gan study (Kurach et al. 2019) and the generic residual G and D.

resnet_cifar and resnet_stl are SNGAN's models (Miyato et al. 2018, Tables 4 and 5), resnet5 is
the study's "ResNet19" and resnet30 follows Gulrajani et al. 2017 (gan_64x64.py) at 128 and
256 px.
Upsampling is nearest-neighbour and shortcuts are 1x1 convolutions (compare_gan inserted zeros
and used 3x3 shortcuts).
"""

import math

import keras
import tensorflow as tf

from compare_gan_tf.architectures.base import (
    Discriminator,
    Generator,
    attention_index,
    flatten,
    gin_builder,
)
from compare_gan_tf.layers import (
    DiscriminatorResBlock,
    GeneratorResBlock,
    NonLocalBlock,
    apply_norm,
)


class _SelfAttention:
    """SAGAN's self-attention (a NonLocalBlock) after one block of the residual G or D: the block
    whose output resolution is `attention_resolution` (None: nowhere)."""

    def add_attention(self, attention_resolution, block_resolutions, first):
        """Places the attention by the blocks' output resolutions; `first`: see attention_index."""
        self.attention_resolution = attention_resolution
        self.attention_after = attention_index(block_resolutions, attention_resolution, first)
        self.attention = None
        if self.attention_after is not None:
            self.attention = NonLocalBlock(**self.weight_options())

    def attend(self, index, h, training):
        """Block `index`'s output `h`, through the attention when it follows that block."""
        if index != self.attention_after:
            return h
        return self.attention(h, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(attention_resolution=self.attention_resolution)
        return config


class ResNetGenerator(_SelfAttention, Generator):
    """fc to a seed map, residual blocks, BN-ReLU-conv3x3 to the image.

    `plan()` gives (seed size, seed width, [(block width, upsample), ...]). `attention_resolution`
    puts SAGAN's self-attention after the first block of that output resolution (None: nowhere).
    `upsampling="zeros"` and `shortcut_kernel=3` are compare_gan's resnet_ops blocks (zero
    insertion, a 3x3 shortcut convolution in every block), for its imported modules; the
    defaults are nearest-neighbour and 1x1 (GeneratorResBlock).
    """

    def __init__(
        self,
        resolution,
        attention_resolution=None,
        upsampling="nearest",
        shortcut_kernel=1,
        **kwargs,
    ):
        super().__init__(resolution, **kwargs)
        self.upsampling = upsampling
        self.shortcut_kernel = shortcut_kernel
        seed, width, blocks = self.plan()
        self.seed_shape = (seed, seed, width)
        self.fc = self.dense(seed * seed * width)
        self.blocks = [self.make_block(filters, upsample) for filters, upsample in blocks]
        sizes = []
        for _, upsample in blocks:
            seed *= 2 if upsample else 1
            sizes.append(seed)
        self.add_attention(attention_resolution, sizes, first=True)
        self.final_norm = self.output_norm()
        self.final_conv = self.conv(self.output_conv_width(), 3)

    def plan(self):
        raise NotImplementedError

    def output_conv_width(self):
        """Outputs of the last convolution; the image is its first `channels`."""
        return self.channels

    def make_block(self, filters, upsample):
        return GeneratorResBlock(
            filters,
            upsample=upsample,
            upsampling=self.upsampling,
            shortcut_kernel=self.shortcut_kernel,
            **self.block_options(),
        )

    def get_config(self):
        config = super().get_config()
        config.update(upsampling=self.upsampling, shortcut_kernel=self.shortcut_kernel)
        return config

    def output_norm(self):
        """The BN before the output convolution: of the same kind as the blocks' BNs."""
        return self.norm()

    def stage_inputs(self, z, labels):
        """(input of the fc, [condition of each block], condition of the output BN)."""
        condition = self.condition(z, labels)
        return z, [condition] * len(self.blocks), condition

    def synthesize(self, z, labels, training):
        seed_input, conditions, final_condition = self.stage_inputs(z, labels)
        h = tf.reshape(self.fc(seed_input, training=training), (-1, *self.seed_shape))
        for index, (block, condition) in enumerate(zip(self.blocks, conditions)):
            h = self.attend(index, block(h, condition, training=training), training)
        h = tf.nn.relu(apply_norm(self.final_norm, h, final_condition, training))
        return self.final_conv(h, training=training)[..., : self.channels]


class ResNetDiscriminator(_SelfAttention, Discriminator):
    """Residual blocks (the first is SNGAN's optimized block unless a stem conv precedes it),
    then ReLU and global pooling ("mean" or "sum"), or a plain flatten ("flatten").

    `plan()` gives (stem width or None, [(block width, downsample), ...]). `attention_resolution`
    puts self-attention after the last block of that output resolution (None: nowhere).
    """

    # Mean pooling as in compare_gan's study models; SNGAN's code sums, as BigGAN does.
    POOLING = "mean"

    def __init__(self, resolution, attention_resolution=None, **kwargs):
        super().__init__(resolution, **kwargs)
        stem, blocks = self.plan()
        self.stem = self.conv(stem, 3) if stem else None
        self.blocks = [
            self.make_block(filters, downsample, optimized=index == 0 and not stem)
            for index, (filters, downsample) in enumerate(blocks)
        ]
        size, sizes = self.resolution, []
        for _, downsample in blocks:
            size //= 2 if downsample else 1
            sizes.append(size)
        self.add_attention(attention_resolution, sizes, first=False)

    def plan(self):
        raise NotImplementedError

    def make_block(self, filters, downsample, optimized):
        # The optimized first block keeps ReLU off the image; compare_gan applied ReLU to it.
        return DiscriminatorResBlock(
            filters, downsample=downsample, optimized=optimized, **self.block_options()
        )

    def extract_features(self, images, training):
        h = images if self.stem is None else self.stem(images, training=training)
        for index, block in enumerate(self.blocks):
            h = self.attend(index, self.drop(block(h, training=training), training), training)
        if self.POOLING == "flatten":
            return flatten(h)
        h = tf.nn.relu(h)
        if self.POOLING == "sum":
            return tf.reduce_sum(h, axis=[1, 2])
        return tf.reduce_mean(h, axis=[1, 2])


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNetCifarGenerator(ResNetGenerator):
    """Miyato et al. 2018, Table 4a: fc to 4x4xch, three up-blocks of width ch (256)."""

    ARCHITECTURE = "resnet_cifar"
    RESOLUTIONS = (32,)
    DEFAULT_CH = 256

    def plan(self):
        return 4, self.ch, [(self.ch, True)] * 3


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNetCifarDiscriminator(ResNetDiscriminator):
    """Miyato et al. 2018, Table 4b: four blocks of width ch (128), two of them downsampling."""

    ARCHITECTURE = "resnet_cifar"
    RESOLUTIONS = (32,)
    DEFAULT_CH = 128

    def plan(self):
        return None, [(self.ch, True), (self.ch, True), (self.ch, False), (self.ch, False)]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNetStlGenerator(ResNetGenerator):
    """Miyato et al. 2018, Table 5a: fc to 6x6x8ch, up-blocks of width 4ch, 2ch, ch (ch=64)."""

    ARCHITECTURE = "resnet_stl"
    RESOLUTIONS = (48,)

    def plan(self):
        return 6, 8 * self.ch, [(4 * self.ch, True), (2 * self.ch, True), (self.ch, True)]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNetStlDiscriminator(ResNetDiscriminator):
    """Miyato et al. 2018, Table 5b: blocks of width ch .. 16ch, all but the last downsampling."""

    ARCHITECTURE = "resnet_stl"
    RESOLUTIONS = (48,)

    def plan(self):
        widths = [self.ch * multiplier for multiplier in (1, 2, 4, 8, 16)]
        return None, [(width, width != widths[-1]) for width in widths]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNet5Generator(ResNetGenerator):
    """ResNet19 of Kurach et al. 2019 (compare_gan's resnet5): fc to 4x4x8ch, five up-blocks."""

    ARCHITECTURE = "resnet5"
    RESOLUTIONS = (128,)

    def plan(self):
        return 4, 8 * self.ch, [(self.ch * m, True) for m in (8, 4, 4, 2, 1)]


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNet5Discriminator(ResNetDiscriminator):
    """ResNet19 of Kurach et al. 2019: six down-blocks of width ch .. 8ch, mean pooling."""

    ARCHITECTURE = "resnet5"
    RESOLUTIONS = (128,)

    def plan(self):
        return None, [(self.ch * m, True) for m in (1, 2, 4, 4, 8, 8)]


def _resnet30_widths(architecture, ch, resolution):
    """Widths of the six superblocks in G order (8ch halving) and the number of rescalings."""
    rescalings = int(math.log2(resolution // 4))
    if (8 * ch) % 2**rescalings:
        raise ValueError(
            f"{architecture} at {resolution} px halves 8*ch {rescalings} times, so ch must be a "
            f"multiple of {2**rescalings // 8 or 1}; got ch={ch}."
        )
    return [8 * ch >> superblock for superblock in range(6)], rescalings


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNet30Generator(ResNetGenerator):
    """Six superblocks of five blocks, with an up-block after each of the first log2(s/4).

    At 128 px this is compare_gan's resnet30 (widths 8ch .. ch/4); 256 px adds a sixth up-block.
    The output BN-ReLU is kept as in Gulrajani et al. (compare_gan's resnet30 dropped it).
    """

    ARCHITECTURE = "resnet30"
    RESOLUTIONS = (128, 256)

    def plan(self):
        widths, ups = _resnet30_widths(self.ARCHITECTURE, self.ch, self.resolution)
        blocks = []
        for superblock, width in enumerate(widths):
            blocks += [(width, False)] * 5
            if superblock < ups:
                blocks.append((width // 2, True))
        return 4, widths[0], blocks


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ResNet30Discriminator(ResNetDiscriminator):
    """Mirror of ResNet30Generator: a 3x3 stem conv, six superblocks of five blocks with a
    down-block after each of the first log2(s/4), then the flattened 4x4x8ch map (no ReLU).
    """

    ARCHITECTURE = "resnet30"
    RESOLUTIONS = (128, 256)
    POOLING = "flatten"

    def plan(self):
        widths, downs = _resnet30_widths(self.ARCHITECTURE, self.ch, self.resolution)
        widths = [width >> (downs - 5) for width in reversed(widths)]
        blocks = []
        for superblock, width in enumerate(widths):
            blocks += [(width, False)] * 5
            if superblock < downs:
                blocks.append((2 * width, True))
        return widths[0], blocks


resnet_cifar_generator = gin_builder("resnet_cifar_generator", ResNetCifarGenerator)
resnet_cifar_discriminator = gin_builder("resnet_cifar_discriminator", ResNetCifarDiscriminator)
resnet_stl_generator = gin_builder("resnet_stl_generator", ResNetStlGenerator)
resnet_stl_discriminator = gin_builder("resnet_stl_discriminator", ResNetStlDiscriminator)
resnet5_generator = gin_builder("resnet5_generator", ResNet5Generator)
resnet5_discriminator = gin_builder("resnet5_discriminator", ResNet5Discriminator)
resnet30_generator = gin_builder("resnet30_generator", ResNet30Generator)
resnet30_discriminator = gin_builder("resnet30_discriminator", ResNet30Discriminator)
