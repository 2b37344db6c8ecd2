"""Normalization layers chosen by name for generators and discriminators, and applied.

Plain (and cross-replica) batch norm is `keras.layers.BatchNormalization(synchronized=...)`.
With `synchronized=True`, mean and variance are taken over the global batch across replicas
(BigGAN's cross-replica BN). The conditional and self-modulated batch norms are in
`modulated_norm`, and importable from here too.
"""

import keras

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.base import WeightLayers
from compare_gan_tf.layers.modulated_norm import (
    ConditionalBatchNorm,
    ModulatedBatchNorm,
    SelfModulationBatchNorm,
)

__all__ = [
    "ConditionalBatchNorm",
    "SelfModulationBatchNorm",
    "apply_norm",
    "batch_norm_layers",
    "discriminator_norm",
    "generator_norm",
]


GENERATOR_NORMALIZATIONS = ("none", "batch", "conditional", "self_modulated")
DISCRIMINATOR_NORMALIZATIONS = ("none", "batch", "layer")


def generator_norm(
    kind,
    num_classes=None,
    spectral_norm="none",
    synchronized=False,
    dtype=None,
    momentum=0.99,
    epsilon=1e-5,
    sn_power_iterations=1,
    cbn_gain="one_plus_gamma",
):
    """Returns a generator normalization layer chosen by name, or None for "none".

    "batch" is `keras.layers.BatchNormalization`, "conditional" a `ConditionalBatchNorm` and
    "self_modulated" a `SelfModulationBatchNorm`; apply any of them with `apply_norm`.

    Args:
        kind: str, one of "none", "batch", "conditional" or "self_modulated".
        num_classes: int or None, default None. Passed to `ConditionalBatchNorm`.
        spectral_norm: str, default "none". Spectral norm of the conditional layers' linear maps.
        synchronized: bool, default False. Cross-replica batch statistics.
        dtype: dtype policy of the layer, default None (the global policy).
        momentum: float, default 0.99. Momentum of the moving mean and variance.
        epsilon: float, default 1e-5. Added to the variance before dividing.
        sn_power_iterations: int, default 1. SN's power iterations for the conditional layers.
        cbn_gain: str, default "one_plus_gamma". `ConditionalBatchNorm`'s gain ("gamma":
            compare_gan's, without the +1).

    Returns:
        A Keras layer, or None.

    Example:

    >>> from compare_gan_tf.layers import generator_norm
    >>> generator_norm("none") is None
    True
    >>> type(generator_norm("batch")).__name__
    'BatchNormalization'
    >>> generator_norm("conditional", num_classes=10).num_classes
    10

    Reference:
        Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
        Internal Covariate Shift", ICML 2015; de Vries et al., NeurIPS 2017 (conditional); Chen
        et al., "On Self Modulation for Generative Adversarial Networks", ICLR 2019.
    """
    check_choice("generator normalization", kind, GENERATOR_NORMALIZATIONS)
    if kind == "none":
        return None
    if kind == "batch":
        return keras.layers.BatchNormalization(
            momentum=momentum, epsilon=epsilon, synchronized=synchronized, dtype=dtype
        )
    options = dict(
        spectral_norm=spectral_norm,
        sn_power_iterations=sn_power_iterations,
        momentum=momentum,
        epsilon=epsilon,
        synchronized=synchronized,
        dtype=dtype,
    )
    if kind == "conditional":
        return ConditionalBatchNorm(num_classes=num_classes, gain=cbn_gain, **options)
    if kind == "self_modulated":
        return SelfModulationBatchNorm(**options)
    raise AssertionError(f"GENERATOR_NORMALIZATIONS lists {kind!r} but it is not built here.")


def discriminator_norm(kind, dtype=None, momentum=0.99, epsilon=1e-5):
    """Returns a discriminator normalization layer chosen by name, or None for "none".

    "batch" is `keras.layers.BatchNormalization`; "layer" normalizes each example over (H, W, C)
    with a per-channel gain and bias (`keras.layers.GroupNormalization(groups=1)`), as in the
    WGAN-GP critic, whereas `keras.layers.LayerNormalization` would normalize each pixel alone.

    Args:
        kind: str, one of "none", "batch" or "layer".
        dtype: dtype policy of the layer, default None (the global policy).
        momentum: float, default 0.99. Momentum of BN's moving mean and variance.
        epsilon: float, default 1e-5. BN's variance offset ("layer" keeps 1e-5).

    Returns:
        A Keras layer, or None.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import discriminator_norm
    >>> keras.utils.set_random_seed(0)
    >>> x = keras.random.normal((2, 4, 4, 8), mean=3.0)
    >>> y = np.asarray(discriminator_norm("layer")(x))
    >>> [round(abs(float(m)), 2) for m in y.mean(axis=(1, 2, 3))]  # per-example mean
    [0.0, 0.0]
    >>> [round(float(s), 2) for s in y.std(axis=(1, 2, 3))]
    [1.0, 1.0]

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017 (layer norm);
        Kurach et al., "A Large-Scale Study on Regularization and Normalization in GANs",
        ICML 2019.
    """
    check_choice("discriminator normalization", kind, DISCRIMINATOR_NORMALIZATIONS)
    if kind == "none":
        return None
    if kind == "batch":
        return keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype=dtype)
    if kind == "layer":
        # Layer norm over (H, W, C) with a per-channel gain and bias, as in Gulrajani et al. 2017
        # and the compare_gan study; keras LayerNormalization would normalize each pixel alone.
        return keras.layers.GroupNormalization(groups=1, epsilon=1e-5, dtype=dtype)
    raise AssertionError(f"DISCRIMINATOR_NORMALIZATIONS lists {kind!r} but it is not built here.")


class BatchNorms(WeightLayers):
    """Mixin of the blocks and models: their weight layers, and their batch norms built with the
    owner's `bn_momentum`, `bn_epsilon`, spectral-norm options and sublayer dtype."""

    def make_generator_norm(self, kind, num_classes=None, synchronized=False, cbn_gain=None):
        """A `generator_norm` layer of `kind` (None for "none"); `cbn_gain` None is the default
        gain."""
        gain = {} if cbn_gain is None else {"cbn_gain": cbn_gain}
        return generator_norm(
            kind,
            num_classes,
            self.spectral_norm,
            synchronized,
            dtype=self.sublayer_dtype(),
            momentum=self.bn_momentum,
            epsilon=self.bn_epsilon,
            sn_power_iterations=self.sn_power_iterations,
            **gain,
        )

    def make_discriminator_norm(self, kind):
        """A `discriminator_norm` layer of `kind` (None for "none")."""
        return discriminator_norm(kind, self.sublayer_dtype(), self.bn_momentum, self.bn_epsilon)


def apply_norm(norm, inputs, condition=None, training=None):
    """Applies a `generator_norm` or `discriminator_norm` layer, passing the condition if needed.

    None (the "none" normalization) returns the inputs unchanged. `ConditionalBatchNorm` and
    `SelfModulationBatchNorm` get `condition` and raise ValueError without one; other layers
    ignore it.

    Args:
        norm: a layer from `generator_norm` or `discriminator_norm`, or None.
        inputs: float tensor [B, ..., C].
        condition: labels, a conditioning vector or z, default None.
        training: bool, default None. Passed to the layer.

    Returns:
        The normalized tensor, shaped like `inputs`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import apply_norm, generator_norm
    >>> keras.utils.set_random_seed(0)
    >>> x = keras.random.normal((4, 2, 2, 8))
    >>> apply_norm(None, x) is x
    True
    >>> cbn = generator_norm("conditional", num_classes=10)
    >>> tuple(apply_norm(cbn, x, np.array([0, 1, 2, 3]), training=True).shape)
    (4, 2, 2, 8)
    """
    if norm is None:
        return inputs
    if isinstance(norm, ModulatedBatchNorm):
        if condition is None:
            raise ValueError(
                f"{type(norm).__name__} needs a condition (labels, a vector or z); pass one, "
                "or use "
                'normalization="batch".'
            )
        return norm(inputs, condition, training=training)
    return norm(inputs, training=training)


def batch_norm_layers(model):
    """Every keras BatchNormalization inside `model`, including those inside CBN and SMBN."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
