"""The evaluator: batching, draws, averaging and provenance, against direct numpy computations.

A stand-in extractor (pixel statistics of 4x4 average pools, and fixed random logits) makes the
features an independent numpy function of the images.
"""

import numpy as np
import pytest

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.metrics import fid_from_features, inception_score_from_logits
from compare_gan_tf.metrics.evaluator import Evaluator, make_extractor
from compare_gan_tf.metrics.features import FeatureExtractor, check_images, extract
from compare_gan_tf.metrics.ms_ssim import ms_ssim_diversity
from compare_gan_tf.metrics.scores import average_draws, score_features
from compare_gan_tf.metrics.swd import sliced_wasserstein_distance

RNG = np.random.default_rng(0)
LOGIT_WEIGHTS = RNG.normal(size=(16, 5))


def pooled(images):
    """[B, 8, 8, 1] -> [B, 16]: the mean of each 2x2 block."""
    return images.reshape(len(images), 4, 2, 4, 2).mean(axis=(2, 4)).reshape(len(images), 16)


class PooledPixels(FeatureExtractor):
    name = "pooled_pixels"

    def __init__(self):
        self.calls = []

    def __call__(self, images):
        self.calls.append(len(images))
        features = pooled(np.asarray(images))
        return {"features": features, "logits": 4.0 * features @ LOGIT_WEIGHTS}

    def describe(self):
        return {"extractor": self.name, "resize": "none"}


REAL = RNG.uniform(size=(300, 8, 8, 1)).astype(np.float32)


def batches(images, size):
    for start in range(0, len(images), size):
        yield images[start : start + size], np.zeros(len(images[start : start + size]), int)


def noisy_generator(scale):
    """Fakes: real images plus noise of `scale`, a different draw per (draw, batch)."""

    def generate(draw, index, batch_size):
        rng = np.random.default_rng([draw, index])
        base = REAL[rng.integers(0, len(REAL), batch_size)]
        return np.clip(base + scale * rng.normal(size=base.shape), 0, 1).astype(np.float32), None

    return generate


def test_scores_equal_a_direct_computation_on_the_same_samples():
    evaluator = Evaluator(
        extractor=PooledPixels(),
        num_samples=130,
        num_real=250,
        batch_size=40,
        num_draws=3,
        metrics=("fid", "inception_score"),
        inception_score_splits=2,
    )
    reference = evaluator.reference_features(batches(REAL, 64))
    generate = noisy_generator(0.2)
    scores = evaluator.score(reference, generate)
    expected = []
    for draw in range(3):
        # 4 batches of 40, cut to 130: the evaluator must drop the last 30 images.
        fakes = np.concatenate([generate(draw, i, 40)[0] for i in range(4)])[:130]
        features = pooled(fakes)
        expected.append(
            {
                "fid": fid_from_features(pooled(REAL[:250]), features),
                "inception_score": inception_score_from_logits(
                    4.0 * features @ LOGIT_WEIGHTS, splits=2
                ).mean,
            }
        )
    for name in ("fid", "inception_score"):
        values = [draw[name] for draw in expected]
        assert scores[name] == pytest.approx(np.mean(values), rel=1e-5)
        assert scores[f"{name}_draws_std"] == pytest.approx(np.std(values), rel=1e-4)
    assert evaluator.extractor.calls[:4] == [64, 64, 64, 58]  # real images, cut at 250


def test_fid_grows_with_the_distance_from_the_real_images():
    evaluator = Evaluator(
        extractor=PooledPixels(), num_samples=200, num_real=300, metrics=("fid",), num_draws=1
    )
    reference = evaluator.reference_features(batches(REAL, 100))
    close = evaluator.score(reference, noisy_generator(0.02))
    far = evaluator.score(reference, noisy_generator(0.5))
    assert far["fid"] > 5 * close["fid"]


def test_settings_record_what_makes_scores_comparable():
    evaluator = Evaluator(
        extractor=PooledPixels(),
        num_samples=50,
        num_real=40,
        reference_split="train",
        inception_score_splits=5,
    )
    assert evaluator.settings() == {
        "extractor": "pooled_pixels",
        "resize": "none",
        "num_real": 40,
        "num_fake": 50,
        "num_draws": 3,
        "reference_split": "train",
        "inception_score_splits": 5,
    }


def test_too_few_real_images_is_an_error_naming_the_setting():
    evaluator = Evaluator(extractor=PooledPixels(), num_samples=500)
    with pytest.raises(ValueError, match="has 300 images but evaluator.num_real is 500"):
        evaluator.reference_features(batches(REAL, 100))


def test_unknown_extractor_and_metric_are_refused():
    with pytest.raises(ValueError, match="Unknown feature extractor 'vgg'"):
        make_extractor("vgg")
    with pytest.raises(ValueError, match="Unknown metrics"):
        Evaluator(extractor=PooledPixels(), metrics=("fid", "sharpness"))


def test_images_outside_zero_one_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        check_images(np.full((2, 8, 8, 1), -1.0, np.float32))
    with pytest.raises(ValueError, match="divide uint8 images by 255"):
        check_images(np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="NHWC"):
        extract(PooledPixels(), [np.zeros((8, 8, 1), np.float32)])


def test_score_features_leaves_out_what_it_cannot_compute():
    features = RNG.normal(size=(60, 4))
    scores = score_features(
        features, features + 0.1, metrics=("fid", "inception_score", "intra_fid")
    )
    assert set(scores) == {"fid"}  # no logits, no labels
    scores = score_features(features, features, metrics=("precision_recall", "density_coverage"))
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1.0


def test_average_draws_is_the_numpy_mean_and_std():
    draws = [{"fid": 1.0}, {"fid": 2.0}, {"fid": 6.0}]
    assert average_draws(draws) == {"fid": 3.0, "fid_draws_std": pytest.approx(np.std([1, 2, 6]))}
    assert average_draws([{"fid": 1.5}]) == {"fid": 1.5}


def test_image_metrics_equal_the_direct_functions_on_the_same_images():
    evaluator = Evaluator(
        extractor=PooledPixels(),
        num_samples=320,
        num_real=40,
        batch_size=100,
        num_draws=1,
        metrics=("fid", "ms_ssim", "swd"),
        seed=5,
    )
    reference = evaluator.reference_features(batches(REAL, 64))
    generate = noisy_generator(0.2)
    scores = evaluator.score(reference, generate)
    # 4 batches of 100, cut to 320.
    fakes = np.concatenate([generate(0, i, 100)[0] for i in range(4)])[:320]
    expected_fid = fid_from_features(pooled(REAL[:40]), pooled(fakes))
    assert scores["fid"] == pytest.approx(expected_fid, rel=1e-5)
    assert scores["ms_ssim"] == pytest.approx(ms_ssim_diversity(fakes, seed=5), abs=1e-12)
    # SWD pairs the first 40 of each set; at 8 px the pyramid has one level.
    swd = sliced_wasserstein_distance(REAL[:40], fakes[:40], seed=5)
    assert swd.resolutions == (8,)
    assert scores["swd"] == pytest.approx(1e3 * swd.mean, rel=1e-6)
    assert scores["swd_8"] == pytest.approx(1e3 * swd.distances[0], rel=1e-6)
    assert evaluator.settings()["swd_projections"] == 512


def test_image_metrics_alone_load_no_extractor_and_separate_copies_from_variety():
    extractor = PooledPixels()
    evaluator = Evaluator(
        extractor=extractor, num_samples=320, num_real=300, num_draws=2, metrics=("ms_ssim",)
    )
    reference = evaluator.reference_features(batches(REAL, 100))
    varied = evaluator.score(reference, noisy_generator(0.2))

    def copies(draw, index, batch_size):  # one image over and over: no diversity
        return np.repeat(REAL[:1], batch_size, axis=0), None

    assert evaluator.score(reference, copies)["ms_ssim"] == 1.0
    assert varied["ms_ssim"] < 0.5 and "ms_ssim_draws_std" in varied
    assert extractor.calls == []
    assert "extractor" not in evaluator.settings()


def test_ms_ssim_with_too_few_samples_is_refused_at_construction():
    with pytest.raises(ConfigError, match=r"5 batches of 64.*num_samples is 100; raise"):
        Evaluator(extractor=PooledPixels(), num_samples=100, metrics=("fid", "ms_ssim"))
