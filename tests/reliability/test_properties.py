"""Property-based tests (hypothesis) of the layers and metrics over small random inputs.

Each property is checked against numpy or a closed form, so a wrong layer or metric fails it.
Examples are few and small (deadline=None) so the file runs in well under a minute on 2 cores.
"""

import dataclasses

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compare_gan_tf import layers, metrics

LAYER_SETTINGS = settings(max_examples=8, deadline=None)
METRIC_SETTINGS = settings(max_examples=30, deadline=None)

input_dtypes = st.sampled_from([np.float32, np.float16])
seeds = st.integers(0, 2**31 - 1)


def _normal(seed, shape, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _variable_values(layer):
    return [np.array(variable) for variable in layer.variables]


def _assert_unchanged(before, layer):
    for old, new in zip(before, _variable_values(layer), strict=True):
        np.testing.assert_array_equal(old, new)


# --- layers -------------------------------------------------------------------------------------


@LAYER_SETTINGS
@given(
    batch=st.integers(1, 3),
    in_dim=st.integers(1, 8),
    units=st.integers(1, 8),
    dtype=input_dtypes,
    seed=seeds,
)
def test_spectral_norm_dense_output_and_state(batch, in_dim, units, dtype, seed):
    keras.utils.set_random_seed(seed)
    wrapped = layers.SpectralNormalization(keras.layers.Dense(units))
    inputs = _normal(seed, (batch, in_dim), dtype)
    wrapped.build((None, in_dim))
    before = _variable_values(wrapped)
    outputs = np.array(wrapped(inputs, training=False))
    assert outputs.shape == (batch, units)
    assert np.isfinite(outputs).all()
    _assert_unchanged(before, wrapped)
    # The output is the Dense map with W / sigma, sigma from one power iteration of the stored u.
    kernel = np.array(wrapped.normalized_kernel(training=False))
    expected = inputs.astype(np.float32) @ kernel + np.array(wrapped.layer.bias)
    np.testing.assert_allclose(outputs, expected, rtol=1e-4, atol=1e-4)


@LAYER_SETTINGS
@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    kernel_size=st.integers(1, 3),
    seed=seeds,
)
def test_spectral_norm_conv_top_singular_value_converges_to_one(rows, cols, kernel_size, seed):
    keras.utils.set_random_seed(seed)
    conv = keras.layers.Conv2D(cols, kernel_size, padding="same")
    wrapped = layers.SpectralNormalization(conv, power_iterations=1)
    wrapped.build((None, 4, 4, rows))
    matrix = np.array(wrapped.raw_kernel).reshape(-1, cols)
    singular_values = np.linalg.svd(matrix, compute_uv=False)
    # Power iteration converges like (s2 / s1)^(2 t); a clear gap keeps 60 iterations enough.
    assume(len(singular_values) == 1 or singular_values[1] < 0.9 * singular_values[0])
    for _ in range(60):
        wrapped.normalized_kernel(training=True)
    normalized = np.array(wrapped.normalized_kernel(training=False)).reshape(-1, cols)
    top = np.linalg.svd(normalized, compute_uv=False)[0]
    assert top == pytest.approx(1.0, abs=1e-3)


@LAYER_SETTINGS
@given(
    batch=st.integers(1, 2),
    size=st.integers(1, 5),
    channels=st.integers(1, 4),
    dtype=input_dtypes,
    seed=seeds,
)
def test_spectral_norm_conv_training_false_keeps_u(batch, size, channels, dtype, seed):
    keras.utils.set_random_seed(seed)
    wrapped = layers.SpectralNormalization(keras.layers.Conv2D(3, 3, padding="same"))
    inputs = _normal(seed, (batch, size, size, channels), dtype)
    wrapped.build(inputs.shape)
    u_before = np.array(wrapped.u)
    outputs = np.array(wrapped(inputs, training=False))
    assert outputs.shape == (batch, size, size, 3)
    assert np.isfinite(outputs).all()
    np.testing.assert_array_equal(np.array(wrapped.u), u_before)
    wrapped(inputs, training=True)
    assert not np.array_equal(np.array(wrapped.u), u_before)


@LAYER_SETTINGS
@given(
    batch=st.integers(1, 3),
    size=st.integers(1, 4),
    channels=st.integers(1, 6),
    num_classes=st.integers(1, 5),
    dtype=input_dtypes,
    seed=seeds,
)
def test_conditional_batch_norm_standardizes_and_keeps_state_at_eval(
    batch, size, channels, num_classes, dtype, seed
):
    keras.utils.set_random_seed(seed)
    norm = layers.ConditionalBatchNorm(num_classes=num_classes)
    inputs = 3.0 + 2.0 * _normal(seed, (batch, size, size, channels), dtype)
    labels = np.random.default_rng(seed).integers(0, num_classes, batch)
    norm.build(inputs.shape, labels.shape)
    before = _variable_values(norm)
    evaluated = np.array(norm(inputs, labels, training=False))
    assert evaluated.shape == inputs.shape
    assert np.isfinite(evaluated).all()
    _assert_unchanged(before, norm)
    # Zero-initialized gamma and beta: training output is plain batch norm over (B, H, W).
    trained = np.array(norm(inputs, labels, training=True))
    x = inputs.astype(np.float64)
    mean = x.mean(axis=(0, 1, 2))
    expected = (x - mean) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-5)
    np.testing.assert_allclose(trained, expected, rtol=2e-3, atol=2e-3)
    moving_mean = np.array(norm.standardize.moving_mean)
    np.testing.assert_allclose(moving_mean, 0.01 * mean, rtol=1e-3, atol=1e-3)


@LAYER_SETTINGS
@given(
    batch=st.integers(1, 2),
    half_height=st.integers(1, 3),
    half_width=st.integers(1, 3),
    channel_groups=st.integers(1, 2),
    spectral_norm=st.sampled_from(["none", "sn"]),
    dtype=input_dtypes,
    seed=seeds,
)
def test_non_local_block_identity_at_init_and_finite(
    batch, half_height, half_width, channel_groups, spectral_norm, dtype, seed
):
    keras.utils.set_random_seed(seed)
    block = layers.NonLocalBlock(spectral_norm=spectral_norm)
    shape = (batch, 2 * half_height, 2 * half_width, 8 * channel_groups)
    inputs = _normal(seed, shape, dtype)
    block.build(shape)
    before = _variable_values(block)
    # SAGAN: gamma starts at 0, so the block is exactly the identity.
    np.testing.assert_array_equal(np.array(block(inputs, training=False)), inputs)
    _assert_unchanged(before, block)
    block.gamma.assign(1.0)
    attended = np.array(block(inputs, training=False))
    assert attended.shape == shape
    assert np.isfinite(attended).all()
    assert not np.allclose(attended, inputs)


@LAYER_SETTINGS
@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 8),
    num_classes=st.integers(1, 5),
    dtype=input_dtypes,
    seed=seeds,
)
def test_projection_head_matches_numpy(batch, channels, num_classes, dtype, seed):
    keras.utils.set_random_seed(seed)
    head = layers.ProjectionHead(num_classes=num_classes)
    features = _normal(seed, (batch, channels), dtype)
    labels = np.random.default_rng(seed).integers(0, num_classes, batch)
    logits = np.array(head(features, labels, training=False))
    assert logits.shape == (batch, 1)
    x = features.astype(np.float32)
    embedding = np.array(head.embedding.embeddings)[labels]
    # Miyato & Koyama 2018, eq. 3: psi(phi(x)) + <embed(y), phi(x)>.
    linear = x @ np.array(head.linear.kernel) + np.array(head.linear.bias)
    expected = linear + (embedding * x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def _call_composite(name, policy):
    """Builds and calls one composite layer with `policy` given to it alone (no global policy)."""
    x = np.ones((2, 4, 4, 8), np.float16)
    labels = np.array([0, 1])
    z = np.ones((2, 3), np.float16)
    options = dict(dtype=policy, spectral_norm="sn")
    if name == "NonLocalBlock":
        layer = layers.NonLocalBlock(**options)
        return layer, layer(x, training=True)
    if name == "ProjectionHead":
        layer = layers.ProjectionHead(num_classes=2, **options)
        return layer, layer(x[:, 0, 0], labels)
    if name == "ConditionalBatchNorm":
        layer = layers.ConditionalBatchNorm(num_classes=2, **options)
        return layer, layer(x, labels, training=True)
    if name == "SelfModulationBatchNorm":
        layer = layers.SelfModulationBatchNorm(**options)
        return layer, layer(x, z, training=True)
    if name == "GeneratorResBlock":
        layer = layers.GeneratorResBlock(4, normalization="conditional", num_classes=2, **options)
        return layer, layer(x, labels, training=True)
    if name == "GeneratorBottleneckBlock":
        layer = layers.GeneratorBottleneckBlock(4, normalization="self_modulated", **options)
        return layer, layer(x, z, training=True)
    if name == "DiscriminatorResBlock":
        layer = layers.DiscriminatorResBlock(8, normalization="layer", **options)
        return layer, layer(x, training=True)
    layer = layers.DiscriminatorBottleneckBlock(16, **options)
    return layer, layer(x, training=True)


COMPOSITE_LAYERS = [
    "NonLocalBlock",
    "ProjectionHead",
    "ConditionalBatchNorm",
    "SelfModulationBatchNorm",
    "GeneratorResBlock",
    "GeneratorBottleneckBlock",
    "DiscriminatorResBlock",
    "DiscriminatorBottleneckBlock",
]


@pytest.mark.parametrize("layer_name", COMPOSITE_LAYERS)
def test_a_policy_given_to_a_composite_layer_reaches_every_sublayer(layer_name):
    assert keras.config.dtype_policy().name == "float32"
    layer, outputs = _call_composite(layer_name, "mixed_float16")
    assert outputs.dtype == "float16"
    sublayers = layer._flatten_layers(include_self=False)
    assert sublayers, f"{layer_name} has no sublayers to check"
    policies = {type(sub).__name__: sub.dtype_policy.name for sub in sublayers}
    assert set(policies.values()) == {"mixed_float16"}, policies
    # Weights stay float32 under mixed precision; only the computation is float16.
    assert {v.dtype for v in layer.trainable_variables} == {"float32"}
    assert np.isfinite(np.array(outputs, np.float32)).all()


# --- metrics ------------------------------------------------------------------------------------


def feature_arrays(min_rows, max_rows=10, max_dim=5, same_rows=False):
    """Two feature arrays of the same dimension with bounded float64 entries."""
    elements = st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
    rows = st.integers(min_rows, max_rows)

    @st.composite
    def build(draw):
        dim = draw(st.integers(1, max_dim))
        first_rows = draw(rows)
        second_rows = first_rows if same_rows else draw(rows)
        first = draw(hnp.arrays(np.float64, (first_rows, dim), elements=elements))
        second = draw(hnp.arrays(np.float64, (second_rows, dim), elements=elements))
        return first, second

    return build()


def _fid_scale(*arrays):
    """Size of the terms FID adds and subtracts, for a rounding tolerance."""
    return 1.0 + sum(np.var(a, axis=0).sum() * 2 + (a.mean(0) ** 2).sum() for a in arrays)


@METRIC_SETTINGS
@given(arrays=feature_arrays(min_rows=2))
def test_fid_is_symmetric_and_non_negative(arrays):
    a, b = arrays
    forward = metrics.fid_from_features(a, b)
    backward = metrics.fid_from_features(b, a)
    assert forward >= 0.0
    assert forward == pytest.approx(backward, abs=1e-6 * _fid_scale(a, b))


@METRIC_SETTINGS
@given(arrays=feature_arrays(min_rows=2), shift=st.floats(-5, 5))
def test_fid_of_a_set_with_itself_and_shifted(arrays, shift):
    a, _ = arrays
    tolerance = 1e-6 * _fid_scale(a)
    assert metrics.fid_from_features(a, a) == pytest.approx(0.0, abs=tolerance)
    # Shifting every sample by c keeps the covariance, so FID = ||c||^2 (Heusel et al. 2017).
    shifted = a + shift
    expected = shift**2 * a.shape[1]
    assert metrics.fid_from_features(a, shifted) == pytest.approx(expected, abs=tolerance * 10)


@METRIC_SETTINGS
@given(arrays=feature_arrays(min_rows=2, max_dim=4, same_rows=True))
def test_kid_of_identical_sets_is_near_zero_and_symmetric(arrays):
    a, b = arrays
    n = a.shape[0]
    kid = metrics.kernel_inception_distance(a, a, num_subsets=3)
    # With every row in every subset, MMD^2_u(a, a) = 2 (S - (n-1) T) / (n^2 (n-1)),
    # S the off-diagonal and T the diagonal kernel sums, so |KID| <= 4 max|k| / n.
    kernel_bound = np.abs(metrics.polynomial_kernel(a, a)).max()
    assert abs(kid.mean) <= 4.0 * kernel_bound / n + 1e-9
    # Equal sizes put every row in every subset, so swapping the sets must not matter.
    forward = metrics.kernel_inception_distance(a, b, num_subsets=2).mean
    backward = metrics.kernel_inception_distance(b, a, num_subsets=2).mean
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-9 * (1 + kernel_bound))


@METRIC_SETTINGS
@given(arrays=feature_arrays(min_rows=4, max_rows=12))
def test_precision_recall_in_unit_interval_and_perfect_on_itself(arrays):
    real, fake = arrays
    scores = metrics.improved_precision_recall(real, fake)
    assert 0.0 <= scores.precision <= 1.0
    assert 0.0 <= scores.recall <= 1.0
    # Every sample lies in its own closed k-NN ball (Kynkaenniemi et al. 2019).
    assert metrics.improved_precision_recall(real, real) == metrics.PrecisionRecall(1.0, 1.0)


@METRIC_SETTINGS
@given(arrays=feature_arrays(min_rows=6, max_rows=12))
def test_density_coverage_ranges(arrays):
    real, fake = arrays
    k = 5
    scores = metrics.density_coverage(real, fake, k=k)
    assert 0.0 <= scores.coverage <= 1.0
    # A fake sample lies in at most every one of the N real balls: density <= N / k.
    assert 0.0 <= scores.density <= real.shape[0] / k


@METRIC_SETTINGS
@given(
    logits=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.integers(1, 6)),
        elements=st.floats(-20, 20, allow_nan=False, allow_subnormal=False),
    ),
    splits=st.integers(1, 3),
)
def test_inception_score_between_one_and_num_classes(logits, splits):
    assume(splits <= logits.shape[0])
    num_classes = logits.shape[1]
    score = metrics.inception_score_from_logits(logits, splits=splits)
    assert 1.0 - 1e-9 <= score.mean <= num_classes + 1e-9


@METRIC_SETTINGS
@given(num_classes=st.integers(1, 8), repeats=st.integers(1, 3), splits=st.integers(1, 3))
def test_inception_score_reaches_its_bounds(num_classes, repeats, splits):
    # splits * repeats copies of every class, one split per block: each split is balanced.
    one_hot = np.tile(np.eye(num_classes), (splits * repeats, 1))
    balanced = metrics.inception_score(one_hot, splits=splits)
    assert balanced.mean == pytest.approx(num_classes)
    same_class = metrics.inception_score(np.tile(one_hot[:1], (splits, 1)), splits=splits)
    assert same_class.mean == pytest.approx(1.0)


MINIMUM_SAMPLES = {
    "fid": (lambda x: metrics.fid_from_features(x, x), 2),
    "kid": (lambda x: metrics.kernel_inception_distance(x, x, num_subsets=1), 2),
    "precision_recall": (lambda x: metrics.improved_precision_recall(x, x), 4),
    "density_coverage": (lambda x: metrics.density_coverage(x, x), 6),
    "inception_score": (lambda x: metrics.inception_score_from_logits(x, splits=1), 1),
}


@pytest.mark.parametrize("name", sorted(MINIMUM_SAMPLES))
@settings(max_examples=5, deadline=None)
@given(dim=st.integers(1, 4), seed=seeds)
def test_metrics_accept_their_minimum_batch_and_reject_below(name, dim, seed):
    metric, minimum = MINIMUM_SAMPLES[name]
    features = _normal(seed, (minimum, dim)).astype(np.float64)
    result = metric(features)
    values = dataclasses.astuple(result) if dataclasses.is_dataclass(result) else (result,)
    assert np.isfinite(values).all()
    with pytest.raises(ValueError, match=r"samples"):
        metric(features[: minimum - 1])
