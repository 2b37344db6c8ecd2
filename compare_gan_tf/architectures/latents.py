"""The generator's latent prior, with BigGAN's truncation trick, as stateless random draws."""

import math

import tensorflow as tf

from compare_gan_tf.checks import check_choice

Z_PRIORS = ("normal", "uniform")


def check_z_prior(prior):
    """Raises ValueError unless `prior` is one of Z_PRIORS; returns it."""
    return check_choice("z prior", prior, Z_PRIORS)


def check_truncation(truncation):
    """Raises ValueError unless `truncation` is None, a tensor (checked by its user), or a
    finite number > 0."""
    if isinstance(truncation, tf.Tensor) or truncation is None:
        return
    if not (math.isfinite(truncation) and truncation > 0):
        raise ValueError(
            f"truncation must be a positive threshold on |z| (BigGAN uses 0.04 to 2), got "
            f"{truncation!r}; pass None for no truncation."
        )


def sample_z(shape, seed, prior="normal", truncation=None):
    """z of `shape` from `prior` ("normal" N(0, 1) or "uniform" U(-1, 1)), stateless in `seed`.

    `truncation` may be a Python number or a scalar tensor (inside a tf.function).

    With `truncation` t, every entry is drawn from the prior restricted to [-t, t]: the
    distribution BigGAN's truncation trick gets by resampling entries with |z| > t (Brock et
    al. 2019, section 3.1), drawn here in one pass by inverting the CDF.
    """
    check_z_prior(prior)
    check_truncation(truncation)
    if prior == "uniform":
        bound = 1.0 if truncation is None else tf.minimum(tf.cast(truncation, tf.float32), 1.0)
        return tf.random.stateless_uniform(shape, seed, minval=-bound, maxval=bound)
    if truncation is None:
        return tf.random.stateless_normal(shape, seed)
    # Inverse CDF of N(0, 1) on [-t, t]: z = sqrt(2) erfinv(v), v ~ U(-erf(t/sqrt2), erf(t/sqrt2)).
    # erf(inf) is NaN here; at t = 40 the edge already rounds to 1, as for no truncation.
    edge = tf.math.erf(tf.minimum(tf.cast(truncation, tf.float64), 40.0) / math.sqrt(2.0))
    v = tf.random.stateless_uniform(shape, seed, minval=-edge, maxval=edge, dtype=tf.float64)
    # With t = inf the edge is 1, and erfinv(-1) = -inf: keep v strictly inside (-1, 1).
    v = tf.clip_by_value(v, -1.0 + 2.0**-52, 1.0 - 2.0**-52)
    return tf.cast(math.sqrt(2.0) * tf.math.erfinv(v), tf.float32)


def seeded_z(count, z_dim, prior, seed, truncation=None):
    """The z of a request keyed by one int32 `seed`, as a generator module's `sample(count,
    truncation, seed)` draws it (export/hub.py) and the sample schedule (schedules/sample.py),
    so a run and its export give the same images: `sample_z` over [-t, t] (`truncation` t; None
    or inf: none) with the key fold_in([seed, 0], 0). `seed` and `truncation` may be tensors."""
    key = tf.random.experimental.stateless_fold_in(tf.stack([seed, 0]), 0)
    limit = tf.constant(math.inf) if truncation is None else tf.cast(truncation, tf.float32)
    return sample_z([count, z_dim], key, prior, limit)
