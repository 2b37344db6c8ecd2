"""PRD: curve values from the definition, F_beta identities, the paper's mode-dropping example."""

import numpy as np
import pytest

from compare_gan_tf.metrics import (
    PRDCurve,
    compute_prd,
    plot_prd,
    prd_from_embeddings,
    prd_to_max_f_beta_pair,
)


def test_curve_matches_the_definition_at_every_slope():
    real = np.array([0.5, 0.3, 0.2, 0.0])
    fake = np.array([0.1, 0.3, 0.0, 0.6])
    num_angles, epsilon = 11, 1e-10
    curve = compute_prd(real, fake, num_angles=num_angles, epsilon=epsilon)
    for i, angle in enumerate(np.linspace(epsilon, np.pi / 2 - epsilon, num_angles)):
        slope = np.tan(angle)
        alpha = sum(min(slope * p, q) for p, q in zip(real, fake))
        assert curve.precision[i] == pytest.approx(min(alpha, 1.0), abs=1e-12)
        assert curve.recall[i] == pytest.approx(min(alpha / slope, 1.0), abs=1e-12)
    # End points: the fake mass on the real support, and the real mass on the fake support.
    assert curve.precision[-1] == pytest.approx(0.4, abs=1e-9)
    assert curve.recall[0] == pytest.approx(0.8, abs=1e-9)


def test_f_beta_identities():
    # F_beta(p, p) = p for every beta; F_1(1, 1/2) = 2/3.
    precision = np.array([0.0, 0.3, 0.7, 1.0])
    recall = np.array([1.0, 0.3, 0.7, 0.5])
    f_8, f_inv = prd_to_max_f_beta_pair(precision, recall, beta=8)
    assert f_inv == pytest.approx(max(0.7, 65 / 64 * 0.5 / (1 / 64 + 0.5)), rel=1e-8)
    assert f_8 == pytest.approx(max(0.7, 65 * 0.5 / (64 + 0.5)), rel=1e-8)
    assert prd_to_max_f_beta_pair([1.0], [0.5], beta=1) == pytest.approx((2 / 3, 2 / 3))


def test_identical_sets_peak_at_one_one():
    features = np.random.default_rng(0).normal(size=(150, 6))
    curve = prd_from_embeddings(features, features.copy(), num_runs=2)
    f_8, f_inv = curve.max_f_beta_pair()
    assert f_8 == pytest.approx(1.0, abs=1e-6)
    assert f_inv == pytest.approx(1.0, abs=1e-6)


def _mixture(centers, modes, num_samples, rng):
    return centers[np.arange(num_samples) % modes] + rng.normal(size=(num_samples, 8))


def test_mode_dropping_gives_high_precision_low_recall_and_the_reverse():
    # Sajjadi et al. 2018, Fig. 1 idea: a model covering half of the data's modes.
    rng = np.random.default_rng(1)
    centers = 30.0 * rng.normal(size=(10, 8))
    all_modes = _mixture(centers, 10, 200, rng)
    half_modes = _mixture(centers, 5, 200, rng)
    # P on 10 modes, Q on 5: the curve runs at recall 1/2 up to precision 1, so
    # F_8 = 65 * 0.5 / (64 + 0.5) ~ 0.50 and F_1/8 ~ 0.98.
    drops = prd_from_embeddings(all_modes, half_modes, num_runs=2)
    f_8, f_inv = drops.max_f_beta_pair()
    assert f_8 == pytest.approx(0.504, abs=0.05)
    assert f_inv > 0.9
    invents = prd_from_embeddings(half_modes, all_modes, num_runs=2)
    f_8, f_inv = invents.max_f_beta_pair()
    assert f_8 > 0.9
    assert f_inv == pytest.approx(0.504, abs=0.05)


def test_plot_writes_an_image(tmp_path):
    curve = compute_prd(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5]))
    other = PRDCurve(precision=curve.recall, recall=curve.precision)
    path = plot_prd([curve, other], tmp_path / "plots" / "prd.png", labels=["a", "b"], dpi=50)
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_clear_errors():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="PRD expects equal sizes"):
        prd_from_embeddings(rng.normal(size=(30, 3)), rng.normal(size=(20, 3)))
    with pytest.raises(ValueError, match="sum to 1"):
        compute_prd(np.array([0.5, 0.6]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="one label per curve"):
        curve = compute_prd(np.array([1.0]), np.array([1.0]))
        plot_prd([curve], "unused.png", labels=["a", "b"])
