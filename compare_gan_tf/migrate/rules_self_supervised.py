"""Rows for compare_gan's self-supervised GANs, `options.gan_class = @SSGAN` (gans/ssgan.py)
and `@S3GAN` (gans/s3gan.py), and their parameters. Each is a row of table.py.

SSGAN's parameters become `SelfSupervision.*` and GANObjective.self_supervision; S3GAN's keep
their names here (`S3GAN.*`), with GANObjective.self_supervision = "s3gan".
"""

from compare_gan_tf.migrate.outcomes import emit, note, refuse
from compare_gan_tf.migrate.vocabulary import ref_name

# SSGAN.self_supervision -> GANObjective.self_supervision; None trains the plain GAN.
SSGAN_MODES = {"rotation_gan": "rotation_gan", "rotation_only": "rotation_only", None: "none"}
# S3GAN.self_supervision, the same here; compare_gan's None is "none".
S3GAN_MODES = {"rotation": "rotation", None: "none"}


def gan_class_of(context):
    """ "ModularGAN", "SSGAN", "S3GAN" (or what else options.gan_class names)."""
    return ref_name(context.value("options.gan_class", None))


def ssgan_class(context):
    """options.gan_class = @SSGAN: GANObjective.self_supervision from SSGAN.self_supervision."""
    mode = context.value("SSGAN.self_supervision", "rotation_gan")
    if mode not in SSGAN_MODES:
        return note("GANObjective.self_supervision: see SSGAN.self_supervision")  # refused there
    if mode and not context.bound("SSGAN.rotated_batch_size"):
        return refuse("SSGAN.rotated_batch_size is required by compare_gan's SSGAN; bind it")
    return emit(("GANObjective.self_supervision", SSGAN_MODES[mode]))


def s3gan_class(context):
    """options.gan_class = @S3GAN: GANObjective.self_supervision = "s3gan"."""
    mode = context.value("S3GAN.self_supervision", "rotation")
    if mode and not context.bound("S3GAN.rotated_batch_fraction"):
        return refuse("S3GAN.rotated_batch_fraction is required by compare_gan's S3GAN; bind it")
    return emit(("GANObjective.self_supervision", "s3gan"))


def of_class(gan_class, row):
    """`row` when options.gan_class is @gan_class; a binding with no effect otherwise."""

    def class_row(value, context):
        if gan_class_of(context) != gan_class:
            return note(f"no effect: options.gan_class is not @{gan_class}")
        return row(value, context)

    return class_row


def ssgan_mode(value, context):
    if value not in SSGAN_MODES:
        known = ", ".join(str(mode) for mode in SSGAN_MODES)
        return refuse(f"unknown SSGAN.self_supervision {value!r}; compare_gan's are {known}")
    return note("GANObjective.self_supervision, written for options.gan_class")


def s3gan_mode(value, context):
    if value not in S3GAN_MODES:
        return refuse(f"unknown S3GAN.self_supervision {value!r}; compare_gan's are rotation, None")
    return emit(("S3GAN.self_supervision", S3GAN_MODES[value]))


def architecture_projection(value, context):
    """<architecture>.Discriminator.project_y under S3GAN, whose own project_y decides here."""
    if value:
        return refuse(
            "compare_gan's S3GAN with the architecture's project_y = True projects the labels "
            "twice (the architecture's D and S3GAN's head); this library's D projects once: "
            "leave it False and let S3GAN.project_y decide"
        )
    return note("S3GAN.project_y decides whether D projects the labels")
