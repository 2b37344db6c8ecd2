"""objectives.seeds: stateless draws with the right distributions that XLA reproduces exactly,
and every seeded random part of the objective drawing the same numbers compiled and not."""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from compare_gan_tf.objectives import (
    AdaptiveAugment,
    GANObjective,
    consistency_augment,
    diff_augment,
    dragan,
    perturb_latent,
    seeds,
    wgan_gp,
)
from compare_gan_tf.objectives.mine import MutualInformationEstimator

# Seeds in and beyond int32 range (as_seed folds the latter into it).
SEEDS = ([0, 0], [7, 2**31 - 1], [2**40 + 3, -5], 123)


def _compiled_and_not(function, *args):
    """function(*args) run eagerly and compiled by XLA, as numpy."""
    eager = tf.nest.map_structure(np.asarray, function(*args))
    compiled = tf.function(function, jit_compile=True)(*args)
    return eager, tf.nest.map_structure(np.asarray, compiled)


def _draws(seed):
    return dict(
        uniform=seeds.uniform([4000], seed),
        scaled=seeds.uniform([500], seed, -0.125, 0.125),
        integers=seeds.uniform([500], seed, -3, 4, dtype=tf.int32),
        normal=seeds.normal([4000], seed, stddev=2.0),
        permutation=seeds.permutation(50, seed),
        folded=seeds.fold_in(seed, 2**35 + 1),
    )


@pytest.mark.parametrize("seed", SEEDS, ids=str)
def test_draws_are_identical_under_xla(seed):
    eager, compiled = _compiled_and_not(_draws, tf.constant(seed, tf.int64))
    for name, values in eager.items():
        np.testing.assert_array_equal(compiled[name], values, err_msg=name)


def test_plain_stateless_floats_differ_under_xla():
    """Why `seeds` makes its own floats: TensorFlow's float draws change under XLA even for
    seeds in int32 range, while the int64 bits they come from do not."""

    def draws(seed):
        return (
            tf.random.stateless_uniform([8], seed, alg="philox"),
            tf.random.stateless_uniform([8], seed, None, None, tf.int64, alg="philox"),
        )

    (floats, bits), (xla_floats, xla_bits) = _compiled_and_not(draws, tf.constant([1, 2], tf.int64))
    assert not np.allclose(floats, xla_floats)
    np.testing.assert_array_equal(bits, xla_bits)


def test_seeds_stay_in_int32_range():
    for seed in SEEDS:
        for value in (seeds.as_seed(seed), seeds.fold_in(seed, -(2**40))):
            assert value.dtype == tf.int64 and value.shape == (2,)
            assert np.all((value.numpy() >= 0) & (value.numpy() < 2**31)), value
    np.testing.assert_array_equal(seeds.as_seed(2**31 + 4), [4, 0])
    np.testing.assert_array_equal(seeds.as_seed([-1, 3]), [2**31 - 1, 3])


def test_distributions():
    uniform = seeds.uniform([20000], [3, 4]).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert scipy.stats.kstest(uniform, "uniform").pvalue > 1e-3
    scaled = seeds.uniform([20000], [3, 5], -0.5, 1.5).numpy()
    assert scipy.stats.kstest(scaled, "uniform", args=(-0.5, 2.0)).pvalue > 1e-3
    normal = seeds.normal([20000], [3, 6], stddev=0.5).numpy()
    assert scipy.stats.kstest(normal, "norm", args=(0.0, 0.5)).pvalue > 1e-3
    integers = seeds.uniform([70000], [3, 7], -3, 4, dtype=tf.int32).numpy()
    counts = np.bincount(integers + 3, minlength=7)
    assert integers.dtype == np.int32 and counts.size == 7
    assert scipy.stats.chisquare(counts).pvalue > 1e-3
    permutation = seeds.permutation(100, [3, 8]).numpy()
    np.testing.assert_array_equal(np.sort(permutation), np.arange(100))
    assert not np.array_equal(permutation, np.arange(100))
    # Distinct seeds and draw numbers give independent streams.
    assert abs(np.corrcoef(uniform, seeds.uniform([20000], [3, 5]).numpy())[0, 1]) < 0.03
    draws = seeds.Draws([3, 4])
    first, second = draws.uniform([20000]).numpy(), draws.uniform([20000]).numpy()
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.03


def test_unseeded_draws_use_the_global_generator():
    tf.random.set_seed(3)
    expected = tf.random.uniform([5]).numpy()
    tf.random.set_seed(3)
    draws = seeds.Draws(None)
    assert draws.next_seed() is None
    np.testing.assert_array_equal(draws.uniform([5]), expected)


def test_replicas_draw_their_own(mirrored_strategy):
    per_replica = mirrored_strategy.run(lambda: seeds.uniform([3], seeds.replica_seed([5, 6])))
    values = [v.numpy() for v in mirrored_strategy.experimental_local_results(per_replica)]
    assert len(values) == 4
    assert len({tuple(v) for v in values}) == 4


def _images(shape=(6, 8, 8, 3)):
    return tf.random.stateless_uniform(shape, [1, 1], -1.0, 1.0)


def _linear_d(images, labels):
    weights = tf.reshape(tf.range(tf.size(images[0]), dtype=tf.float32), [-1, 1]) / 2000.0
    flat = tf.reshape(images, [tf.shape(images)[0], -1])
    return tf.tanh(flat @ weights)


def test_every_seeded_random_part_draws_the_same_under_xla():
    images, fakes = _images(), _images() * 0.5
    ada = AdaptiveAugment(batch_size=6, initial_p=1.0)
    mine = MutualInformationEstimator(hidden_units=8)
    z = tf.random.stateless_normal([6, 4], [2, 2])
    mine((images, z))

    def parts(seed):
        return dict(
            diffaugment=diff_augment(images, seed=seed),
            ada=ada(images, seed=seed),
            consistency=consistency_augment(images, seed=seed),
            perturbed=perturb_latent(z, seed=seed),
            wgan_gp=wgan_gp(_linear_d, images, fakes, seed=seed),
            dragan=dragan(_linear_d, images, seed=seed),
            mine=mine.mutual_information(images, z, seed=seed),
        )

    seed = tf.constant([11, 2**33], tf.int64)
    eager, compiled = _compiled_and_not(parts, seed)
    for name, values in eager.items():
        # Same draws; XLA may reassociate the float arithmetic around them.
        np.testing.assert_allclose(compiled[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    other = parts(tf.constant([12, 0], tf.int64))
    for name in ("diffaugment", "ada", "consistency", "perturbed"):
        assert not np.allclose(other[name], eager[name]), name


def test_seeded_objective_losses_are_identical_under_xla_and_reproducible():
    real = _images()
    objective = GANObjective(
        loss="wasserstein", penalty="dragan", consistency="icr", augment="diffaugment"
    )

    def g_fn(z, labels):
        return tf.reshape(tf.tanh(tf.tile(z, [1, 48])), [-1, 8, 8, 3])

    z = tf.random.stateless_normal([6, 4], [2, 3])

    def losses(seed):
        _, d_parts = objective.discriminator_loss(_linear_d, g_fn, real, None, z, seed=seed)
        _, g_parts = objective.generator_loss(_linear_d, g_fn, z, None, seed=seed)
        return {**d_parts, **g_parts}

    seed = tf.constant([4, 9], tf.int64)
    eager, compiled = _compiled_and_not(losses, seed)
    assert {"penalty", "bcr_real", "bcr_fake", "zcr", "zcr_generator"} <= set(eager)
    for name, value in eager.items():
        np.testing.assert_allclose(compiled[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
    again = losses(seed)
    for name, value in eager.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)
    assert losses(tf.constant([4, 10], tf.int64))["bcr_real"] != eager["bcr_real"]
