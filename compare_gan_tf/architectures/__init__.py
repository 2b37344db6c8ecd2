"""Generators and discriminators built from compare_gan_tf.layers, one file per family.

`build_generator` and `build_discriminator` pick one by its gin name (see `ARCHITECTURES`).
"""

from compare_gan_tf.architectures.base import Discriminator, Generator
from compare_gan_tf.architectures.biggan import (
    BigGanDeepDiscriminator,
    BigGanDeepGenerator,
    BigGanDiscriminator,
    BigGanGenerator,
)
from compare_gan_tf.architectures.dcgan import (
    DcganDiscriminator,
    DcganGenerator,
    SndcganDiscriminator,
    SndcganGenerator,
)
from compare_gan_tf.architectures.mlp import MlpDiscriminator, MlpGenerator
from compare_gan_tf.architectures.registry import (
    ARCHITECTURES,
    POINT_ARCHITECTURES,
    build_discriminator,
    build_generator,
    resolutions,
)
from compare_gan_tf.architectures.resnet import (
    ResNet5Discriminator,
    ResNet5Generator,
    ResNet30Discriminator,
    ResNet30Generator,
    ResNetCifarDiscriminator,
    ResNetCifarGenerator,
    ResNetDiscriminator,
    ResNetGenerator,
    ResNetStlDiscriminator,
    ResNetStlGenerator,
)

__all__ = [
    "ARCHITECTURES",
    "BigGanDeepDiscriminator",
    "BigGanDeepGenerator",
    "BigGanDiscriminator",
    "BigGanGenerator",
    "DcganDiscriminator",
    "DcganGenerator",
    "Discriminator",
    "Generator",
    "MlpDiscriminator",
    "MlpGenerator",
    "POINT_ARCHITECTURES",
    "ResNet30Discriminator",
    "ResNet30Generator",
    "ResNet5Discriminator",
    "ResNet5Generator",
    "ResNetCifarDiscriminator",
    "ResNetCifarGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "ResNetStlDiscriminator",
    "ResNetStlGenerator",
    "SndcganDiscriminator",
    "SndcganGenerator",
    "build_discriminator",
    "build_generator",
    "resolutions",
]
