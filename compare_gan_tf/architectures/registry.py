"""Short gin names of the architectures and the two functions that build them.

In gin: `build_generator.name = "biggan"`, and a family option next to the family's code:
`biggan_generator.ch = 64`. `ARCHITECTURES` are the image architectures (square images of
`resolutions(name)` px); `POINT_ARCHITECTURES` model 2-D points and take resolution None.
"""

import gin

from compare_gan_tf.architectures import biggan, dcgan, mlp, resnet
from compare_gan_tf.checks import check_choice

_BUILDERS = {
    "dcgan": (dcgan.dcgan_generator, dcgan.dcgan_discriminator),
    "sndcgan": (dcgan.sndcgan_generator, dcgan.sndcgan_discriminator),
    "resnet_cifar": (resnet.resnet_cifar_generator, resnet.resnet_cifar_discriminator),
    "resnet_stl": (resnet.resnet_stl_generator, resnet.resnet_stl_discriminator),
    "resnet5": (resnet.resnet5_generator, resnet.resnet5_discriminator),
    "resnet30": (resnet.resnet30_generator, resnet.resnet30_discriminator),
    "biggan": (biggan.biggan_generator, biggan.biggan_discriminator),
    "biggan_deep": (biggan.biggan_deep_generator, biggan.biggan_deep_discriminator),
}
ARCHITECTURES = tuple(_BUILDERS)
_POINT_BUILDERS = {"mlp": (mlp.mlp_generator, mlp.mlp_discriminator)}
POINT_ARCHITECTURES = tuple(_POINT_BUILDERS)
_BUILDERS.update(_POINT_BUILDERS)


def _builders(name):
    return _BUILDERS[check_choice("architecture", name, ARCHITECTURES + POINT_ARCHITECTURES)]


def resolutions(name):
    """The image sizes (height = width, in pixels) that architecture `name` supports.

    (None,) for the point architectures: they take resolution None.
    """
    build_g, _ = _builders(name)
    return build_g.model_class.RESOLUTIONS


@gin.configurable
def build_generator(name, resolution, num_classes=None, channels=None, z_dim=None, **options):
    """The generator `name` for square images of `resolution` px with `channels` colours.

    channels=None takes the architecture's default: 3 (RGB) for images; for "mlp" (resolution
    None) it is the dimension of the points, 2 by default.
    num_classes=None is unconditional; an int makes G class-conditional (int labels [B]).
    z_dim=None takes the architecture's default (128; BigGAN 20 per z chunk, 120 at 128 px;
    mlp 256).
    `options` are the model's constructor arguments (ch, normalization, spectral_norm, ...).
    """
    build, _ = _builders(name)
    if z_dim is not None:
        options["z_dim"] = z_dim
    if channels is not None:
        options["channels"] = channels
    return build(resolution, num_classes=num_classes, **options)


@gin.configurable
def build_discriminator(name, resolution, num_classes=None, **options):
    """The discriminator `name` for square images of `resolution` px.

    num_classes=None is unconditional; an int adds a projection head that reads int labels [B].
    `options` are the model's constructor arguments (ch, normalization, sn_scale, dropout, ...).
    """
    _, build = _builders(name)
    return build(resolution, num_classes=num_classes, **options)
