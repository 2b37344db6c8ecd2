"""Exported generators and discriminators: TF2 SavedModels that tensorflow_hub loads."""

from compare_gan_tf.export.hub import METADATA_FILE, export_discriminator, export_generator
from compare_gan_tf.export.loading import HubGenerator

__all__ = [
    "METADATA_FILE",
    "HubGenerator",
    "export_discriminator",
    "export_generator",
]
