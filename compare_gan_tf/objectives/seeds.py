"""Seeds and stateless random draws that XLA reproduces: the same numbers compiled or not.

The objective draws its random parts (augmentations, penalty points, consistency transforms,
MINE's shuffle) from the global generator, or, given a seed, from the functions here, so that a
step compiled by XLA draws exactly what the uncompiled step draws. Measured on TensorFlow 2.21
(tests/objectives/test_seeds.py checks it):
- XLA derives philox's bits from a seed as TensorFlow's kernels do only when both components of
  the seed lie in int32 range; stateless_split and stateless_fold_in return full 64-bit seeds.
  So every seed here is folded into [0, 2**31) before an op uses it (`as_seed`, `fold_in`).
- Even from such a seed, XLA turns the bits into float32 uniforms and normals differently from
  the kernels (other numbers altogether), and its float32 erfinv differs in the last bits. So
  floats are made here from full-range int64 bits, which both produce alike: uniforms from 24
  bits (exact on float32's grid), normals through float64's inverse normal CDF.
- The global generator (tf.random.uniform, ...) always draws other numbers under XLA.
"""

import tensorflow as tf

# Seed components stay within [0, SPAN): int32 range, where XLA and the kernels agree.
SPAN = 2**31
_ALG = "philox"
_FLOAT_BITS = 24  # float32's significand: every value k * 2**-24 in [0, 1) is exact.
_DOUBLE_BITS = 53


def as_seed(seed):
    """An int or a [2] int seed (tensor or not) as an int64 [2] tensor whose components are
    folded into [0, 2**31) (floor modulo); an int s stands for [s, 0]."""
    seed = tf.cast(seed, tf.int64)
    if seed.shape.rank == 0:
        seed = tf.stack([seed, tf.zeros([], tf.int64)])
    return tf.math.floormod(seed, SPAN)


def fold_in(seed, data):
    """A new seed from `seed` and the integer `data` (philox's stateless_fold_in), with both
    components folded into [0, 2**31), so that XLA can use it as the kernels do."""
    data = tf.math.floormod(tf.cast(data, tf.int64), SPAN)
    folded = tf.random.experimental.stateless_fold_in(as_seed(seed), data, alg=_ALG)
    return tf.math.floormod(folded, SPAN)


def replica_seed(seed):
    """`seed` with the id of the current replica folded in, so that the replicas of a
    `strategy.run` draw independently from one seed (also in the default replica context, as
    replica 0); in a cross-replica context `seed` as it is."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return as_seed(seed)
    return fold_in(seed, context.replica_id_in_sync_group)


def _bits(shape, seed):
    """Full-range int64 philox bits."""
    return tf.random.stateless_uniform(
        shape, as_seed(seed), minval=None, maxval=None, dtype=tf.int64, alg=_ALG
    )


def uniform(shape, seed, minval=0.0, maxval=1.0, dtype=tf.float32):
    """Stateless draws uniform in [minval, maxval): floats, or integers for an integer dtype
    (their range must be given; bias of order range / 2**64)."""
    dtype = tf.as_dtype(dtype)
    bits = _bits(shape, seed)
    if dtype.is_integer:
        span = tf.cast(maxval, tf.int64) - tf.cast(minval, tf.int64)
        return tf.cast(tf.cast(minval, tf.int64) + tf.math.floormod(bits, span), dtype)
    unit = tf.cast(tf.math.floormod(bits, 2**_FLOAT_BITS), dtype) * 2.0**-_FLOAT_BITS
    return tf.cast(minval, dtype) + tf.cast(maxval - minval, dtype) * unit


def normal(shape, seed, stddev=1.0, dtype=tf.float32):
    """Stateless N(0, stddev^2) draws: the inverse normal CDF of uniforms from 53 bits, taken
    in float64 (XLA's float32 erfinv differs in the last bits); |z| < 8.3."""
    bits = tf.math.floormod(_bits(shape, seed), 2**_DOUBLE_BITS)
    unit = (tf.cast(bits, tf.float64) + 0.5) * 2.0**-_DOUBLE_BITS
    # Inverse transform sampling: z = Phi^-1(u), u ~ U(0, 1).
    return tf.cast(stddev * tf.math.ndtri(unit), dtype)


def permutation(size, seed):
    """A stateless random permutation of range(size), int32 [size]: the order that sorts
    uniform int32 keys (ties, of probability about size^2 / 2**32, keep index order).
    XLA cannot compile stateless_shuffle."""
    keys = tf.cast(tf.math.floormod(_bits([size], seed), SPAN), tf.int32)
    return tf.argsort(keys, stable=True)


class Draws:
    """A sequence of random draws: from the global generator when `seed` is None, else
    stateless, each draw keyed by its own seed folded from `seed` and the draw's number.

    `next_seed()` hands out such a seed (None when unseeded) to a function with draws of its
    own. The numbering follows the Python order of the calls, which a trace fixes, so a traced
    function draws the same numbers every time, compiled or not.
    """

    def __init__(self, seed=None):
        self.seeded = seed is not None
        self._seed = as_seed(seed) if self.seeded else None
        self._count = 0

    def next_seed(self):
        """The seed of the next draw, or None without a seed."""
        if not self.seeded:
            return None
        self._count += 1
        return fold_in(self._seed, self._count)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        if not self.seeded:
            return tf.random.uniform(shape, minval, maxval, dtype=dtype)
        return uniform(shape, self.next_seed(), minval, maxval, dtype)

    def normal(self, shape, stddev=1.0, dtype=tf.float32):
        if not self.seeded:
            return tf.random.normal(shape, stddev=stddev, dtype=dtype)
        return normal(shape, self.next_seed(), stddev, dtype)

    def shuffle(self, values):
        """`values` shuffled along axis 0."""
        if not self.seeded:
            return tf.random.shuffle(values)
        return tf.gather(values, permutation(tf.shape(values)[0], self.next_seed()))
