"""Kernel initializers by the names that GAN papers and compare_gan use."""

import keras

from compare_gan_tf.checks import check_choice

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
    """Returns a new Keras kernel initializer chosen by the name GAN papers use.

    "normal" is N(0, 0.02) (DCGAN, compare_gan), "truncated" the same normal truncated at two
    standard deviations, "xavier" Glorot uniform (SNGAN's and Keras's default) and "orthogonal"
    a random orthogonal matrix with gain 1 (BigGAN).

    Args:
        name: str, one of "normal", "truncated", "xavier" or "orthogonal".

    Returns:
        A new `keras.initializers.Initializer` instance on every call.

    Example:

    >>> import numpy as np
    >>> from compare_gan_tf.layers import get_initializer
    >>> init = get_initializer("normal")
    >>> type(init).__name__, init.stddev
    ('RandomNormal', 0.02)
    >>> round(float(np.std(init((100, 100)))), 3)
    0.02
    >>> kernel = np.asarray(get_initializer("orthogonal")((4, 4)))
    >>> bool(np.allclose(kernel.T @ kernel, np.eye(4), atol=1e-5))
    True

    Reference:
        Radford et al., "Unsupervised Representation Learning with Deep Convolutional Generative
        Adversarial Networks", ICLR 2016 ("normal"); Glorot and Bengio, AISTATS 2010 ("xavier");
        Saxe et al., ICLR 2014 ("orthogonal", as in BigGAN, Brock et al., ICLR 2019).
    """
    check_choice("weight initializer", name, sorted(_INITIALIZERS))
    return _INITIALIZERS[name]()


def fresh_initializer(identifier):
    """Returns a new instance of an initializer, for each layer that uses it.

    An unseeded Keras 3 initializer instance returns the same values on every call, so sharing
    one instance between layers would give them identical weights. This copies the initializer
    through its config, so each copy draws its own values.

    Args:
        identifier: an initializer instance, name (e.g. "glorot_uniform") or config dict.

    Returns:
        A new `keras.initializers.Initializer` with the same configuration.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import fresh_initializer
    >>> shared = keras.initializers.RandomNormal(stddev=0.02)
    >>> bool(np.allclose(shared((2, 2)), shared((2, 2))))  # one instance repeats itself
    True
    >>> a, b = fresh_initializer(shared), fresh_initializer(shared)
    >>> a is shared, a.stddev, bool(np.allclose(a((2, 2)), b((2, 2))))
    (False, 0.02, False)
    """
    return keras.initializers.get(keras.initializers.serialize(keras.initializers.get(identifier)))
