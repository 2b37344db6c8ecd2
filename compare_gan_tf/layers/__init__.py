"""Keras layers and regularizers for GANs; they import nothing else from the package."""

from compare_gan_tf.layers.attention import NonLocalBlock
from compare_gan_tf.layers.blocks import DiscriminatorResBlock, GeneratorResBlock
from compare_gan_tf.layers.bottleneck_blocks import (
    DiscriminatorBottleneckBlock,
    GeneratorBottleneckBlock,
)
from compare_gan_tf.layers.heads import LinearHead, ProjectionHead
from compare_gan_tf.layers.initializers import fresh_initializer, get_initializer
from compare_gan_tf.layers.normalization import (
    ConditionalBatchNorm,
    SelfModulationBatchNorm,
    apply_norm,
    discriminator_norm,
    generator_norm,
)
from compare_gan_tf.layers.regularizers import (
    OrthogonalRegularizer,
    orthogonal_regularization_loss,
    orthogonality_penalty,
)
from compare_gan_tf.layers.spectral_norm import (
    SpectralNormalization,
    maybe_spectral_norm,
    power_iteration,
    top_singular_values,
)

__all__ = [
    "ConditionalBatchNorm",
    "DiscriminatorBottleneckBlock",
    "DiscriminatorResBlock",
    "GeneratorBottleneckBlock",
    "GeneratorResBlock",
    "LinearHead",
    "NonLocalBlock",
    "OrthogonalRegularizer",
    "ProjectionHead",
    "SelfModulationBatchNorm",
    "SpectralNormalization",
    "apply_norm",
    "discriminator_norm",
    "fresh_initializer",
    "generator_norm",
    "get_initializer",
    "maybe_spectral_norm",
    "orthogonal_regularization_loss",
    "orthogonality_penalty",
    "power_iteration",
    "top_singular_values",
]
