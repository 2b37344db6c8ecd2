"""Stability monitor: the top singular values of every weight matrix (BigGAN, section 4)."""

import keras

from compare_gan_tf.layers import SpectralNormalization, top_singular_values

_WEIGHT_LAYERS = (
    keras.layers.Dense,
    keras.layers.Conv2D,
    keras.layers.Conv2DTranspose,
    keras.layers.Embedding,
)


def weight_matrices(model):
    """(name, raw kernel) of every Dense, Conv and Embedding layer; SN-wrapped ones unwrapped."""
    matrices = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, SpectralNormalization):
            continue  # its wrapped layer is visited on its own
        if isinstance(layer, _WEIGHT_LAYERS):
            kernel = layer.embeddings if isinstance(layer, keras.layers.Embedding) else layer.kernel
            matrices.append((kernel.path, kernel))
    return matrices


def top_singular_value_summaries(model, k=3):
    """{"<kernel path>/sv<i>": value} for the k largest singular values of every kernel.

    The raw (unnormalized) kernels are reported: their growth is what BigGAN watches before a
    collapse; an SN layer's effective kernel has sigma_0 = 1 by construction.
    """
    summaries = {}
    for name, kernel in weight_matrices(model):
        values = top_singular_values(kernel, k)
        for index in range(values.shape[0]):
            summaries[f"{name}/sv{index}"] = values[index]
    return summaries
