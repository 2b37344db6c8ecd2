"""Inception Score: limiting cases, split statistics and a scipy rel_entr reference."""

import numpy as np
import pytest
from scipy import special

from compare_gan_tf.metrics import inception_score, inception_score_from_logits


def _reference_score(probabilities, splits):
    """exp(mean KL) per split with scipy's rel_entr, then mean and std.

    Split i holds rows [i * N // splits, (i + 1) * N // splits), as in openai/improved-gan.
    """
    num = len(probabilities)
    scores = []
    for part in np.split(probabilities, [i * num // splits for i in range(1, splits)]):
        marginal = part.mean(axis=0, keepdims=True)
        scores.append(np.exp(special.rel_entr(part, marginal).sum(axis=1).mean()))
    return np.mean(scores), np.std(scores)


def test_uniform_predictions_score_one():
    assert inception_score(np.full((100, 7), 1 / 7)).mean == pytest.approx(1.0, abs=1e-12)
    score = inception_score_from_logits(np.zeros((100, 7)))
    assert score.mean == pytest.approx(1.0, abs=1e-12)
    assert score.std == pytest.approx(0.0, abs=1e-12)


def test_confident_balanced_predictions_score_the_number_of_classes():
    labels = np.arange(1000) % 10
    one_hot = np.eye(10)[labels]
    mean, std = inception_score(one_hot, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-9)
    assert inception_score_from_logits(50.0 * one_hot).mean == pytest.approx(10.0, rel=1e-9)


def test_std_over_splits_follows_the_per_split_scores():
    # Split i is confident and balanced over classes_per_split[i] classes, so it scores that.
    classes_per_split = [1, 2, 4, 8]
    labels = np.concatenate([np.arange(40) % c for c in classes_per_split])
    score = inception_score(np.eye(8)[labels], splits=4)
    assert score.mean == pytest.approx(np.mean(classes_per_split), rel=1e-12)
    assert score.std == pytest.approx(np.std(classes_per_split), rel=1e-12)
    # One split over everything mixes the splits' classes: balanced over 8 classes only if the
    # class frequencies were equal, which they are not, so the score is below 8.
    single = inception_score(np.eye(8)[labels], splits=1)
    assert single.std == 0.0 and 1.0 < single.mean < 8.0


@pytest.mark.parametrize("splits", [1, 3, 10])
def test_matches_scipy_reference_on_random_logits(splits):
    rng = np.random.default_rng(0)
    logits = 3.0 * rng.normal(size=(103, 12))
    probabilities = special.softmax(logits, axis=1)
    expected_mean, expected_std = _reference_score(probabilities, splits)
    from_logits = inception_score_from_logits(logits, splits=splits)
    from_probabilities = inception_score(probabilities, splits=splits)
    for score in (from_logits, from_probabilities):
        assert score.mean == pytest.approx(expected_mean, rel=1e-10)
        assert score.std == pytest.approx(expected_std, rel=1e-8, abs=1e-12)


def test_clear_errors():
    with pytest.raises(ValueError, match="inception_score_from_logits"):
        inception_score(np.random.default_rng(1).normal(size=(20, 5)))
    with pytest.raises(ValueError, match="splits=10 exceeds the 4 samples"):
        inception_score_from_logits(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="splits must be an integer"):
        inception_score_from_logits(np.zeros((4, 3)), splits=0)
