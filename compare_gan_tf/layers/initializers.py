"""Kernel initializers by the names that GAN papers and compare_gan use."""

import keras

_INITIALIZERS = {
    # DCGAN (Radford et al. 2016) and compare_gan's "normal": N(0, 0.02).
    "normal": lambda: keras.initializers.RandomNormal(stddev=0.02),
    "truncated": lambda: keras.initializers.TruncatedNormal(stddev=0.02),
    # Glorot & Bengio 2010, uniform: SNGAN's and Keras's default.
    "xavier": lambda: keras.initializers.GlorotUniform(),
    # Saxe et al. 2014; BigGAN initializes every G and D weight this way.
    "orthogonal": lambda: keras.initializers.Orthogonal(gain=1.0),
}


def get_initializer(name):
    """Returns a fresh Keras initializer for "normal", "truncated", "xavier" or "orthogonal"."""
    if name not in _INITIALIZERS:
        raise ValueError(
            f"Unknown weight initializer {name!r}; use one of {', '.join(sorted(_INITIALIZERS))}."
        )
    return _INITIALIZERS[name]()


def fresh_initializer(identifier):
    """A new instance of an initializer, for each layer that uses it.

    An unseeded Keras 3 initializer instance returns the same values on every call, so sharing
    one instance between layers would give them identical weights.
    """
    return keras.initializers.get(keras.initializers.serialize(keras.initializers.get(identifier)))
