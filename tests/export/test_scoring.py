"""Scoring an exported module reproduces the score its run gave the same generator."""

import json

import pytest
import tensorflow_hub as hub

from compare_gan_tf.export.scoring import score_hub_module
from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.pretrained import DIGITS_GENERATOR


def test_the_shipped_module_scores_as_its_training_run_did():
    """Same extractor, reference, sample count and number of draws; other draws: FID within a
    few percent."""
    stored = json.loads(hub.load(DIGITS_GENERATOR).metadata.numpy())
    settings = stored["score_settings"]
    evaluator = Evaluator(
        extractor="digits_classifier",
        num_samples=settings["num_fake"],
        num_real=settings["num_real"],
        reference_split=settings["reference_split"],
        num_draws=settings["num_draws"],
        metrics=("fid", "inception_score"),
    )
    scores, used = score_hub_module(DIGITS_GENERATOR, evaluator)
    assert used["dataset"] == "digits" and used["num_fake"] == 1500
    assert scores["fid"] == pytest.approx(stored["scores"]["fid"], rel=0.05)
    assert scores["inception_score"] == pytest.approx(stored["scores"]["inception_score"], rel=0.05)


def test_truncation_lowers_the_variety():
    evaluator = Evaluator(
        extractor="digits_classifier",
        num_samples=500,
        num_real=500,
        num_draws=1,
        reference_split="train",
        metrics=("precision_recall",),
    )
    full, _ = score_hub_module(DIGITS_GENERATOR, evaluator)
    truncated, settings = score_hub_module(DIGITS_GENERATOR, evaluator, truncation=0.2)
    assert settings["truncation"] == 0.2
    assert truncated["recall"] < full["recall"]


def test_truncated_samples_are_alike_by_ms_ssim_and_far_by_swd():
    # The module emits RGB tiles of its gray digits; the real digits are gray. Image metrics
    # only: the digits classifier is never loaded.
    evaluator = Evaluator(
        extractor="no_such_extractor",
        num_samples=320,
        num_real=100,
        num_draws=1,
        reference_split="train",
        metrics=("ms_ssim", "swd"),
    )
    full, settings = score_hub_module(DIGITS_GENERATOR, evaluator)
    truncated, _ = score_hub_module(DIGITS_GENERATOR, evaluator, truncation=0.2)
    assert settings["swd_projections"] == 512 and "extractor" not in settings
    assert set(full) == {"ms_ssim", "swd", "swd_32", "swd_16"}
    assert truncated["ms_ssim"] > full["ms_ssim"] + 0.05
    assert truncated["swd"] > full["swd"]
