"""The best checkpoint, standing statistics per truncation, and the D-overfitting monitor."""

import json

import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.layers.normalization import batch_norm_layers
from compare_gan_tf.schedules import best, export, run, train
from compare_gan_tf.schedules.overfitting import discriminator_split_scores
from compare_gan_tf.training import loop
from compare_gan_tf.training.ema import standing_statistics
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.sampling import SAMPLE_SEED, prepare_sampling


class ScriptedEvaluator:
    """An evaluator whose FID follows a script, one value per scored checkpoint."""

    reference_split = "train"
    batch_size = 8
    num_draws = 1

    def __init__(self, fids):
        self.fids = list(fids)

    def reference_features(self, batches):
        return None

    def score(self, reference, generate):
        return {"fid": self.fids.pop(0)}

    def settings(self):
        return {"extractor": "scripted", "num_fake": 0, "num_draws": self.num_draws}


def _module_step(path):
    return json.loads(hub.load(str(path)).metadata.numpy())["step"]


def test_a_run_whose_last_checkpoint_is_worse_exports_the_better_one(tiny_config, tmp_path):
    model_dir = str(tmp_path)
    gin.bind_parameter("train.training_steps", 3)
    rows, experiment = train.train_and_eval(model_dir, evaluator=ScriptedEvaluator([5.0, 1.0, 9.0]))
    assert [row["scores"]["fid"] for row in rows] == [5.0, 1.0, 9.0]
    record = best.best_record(model_dir)
    assert record["step"] == 2 and record["score"] == "fid" and record["value"] == 1.0
    # The best checkpoint outlives the keep-N rotation.
    assert sorted(p.name for p in (tmp_path / "best").iterdir()) == [
        "best.json",
        "ckpt-2.data-00000-of-00001",
        "ckpt-2.index",
    ]

    generator = export.export_checkpoint(model_dir, experiment)
    assert _module_step(generator) == 2
    metadata = json.loads(hub.load(generator).metadata.numpy())
    assert metadata["checkpoint_choice"].startswith("best: the lowest fid (1)")
    assert metadata["scores"]["fid"] == 1.0

    export.export_checkpoint(model_dir, experiment, checkpoint="newest")
    assert _module_step(generator) == 3


def test_the_best_survives_when_the_rotation_deletes_it(tiny_config, tmp_path):
    model_dir = str(tmp_path)
    gin.bind_parameter("train.keep_checkpoint_max", 1)
    gin.bind_parameter("train.training_steps", 3)
    _, experiment = train.train_and_eval(model_dir, evaluator=ScriptedEvaluator([3.0, 2.0, 4.0]))
    assert not (tmp_path / "ckpt-2.index").exists()
    assert _module_step(export.export_checkpoint(model_dir, experiment)) == 2


def test_higher_is_better_for_other_scores(tmp_path):
    rows = [
        {"step": s, "checkpoint": f"ckpt-{s}", "scores": {"recall": r}}
        for s, r in [(1, 0.2), (2, 0.5), (3, 0.4)]
    ]
    for row in rows:
        (tmp_path / f"{row['checkpoint']}.index").write_bytes(b"x")
    kept = [best.keep_if_best(str(tmp_path), row, "recall") for row in rows]
    assert kept == [True, True, False]
    assert best.best_record(str(tmp_path))["step"] == 2
    with pytest.raises(ValueError, match="best_checkpoint.score = 'fid' is not among"):
        best.keep_if_best(str(tmp_path), rows[0], "fid")


def test_swd_at_every_level_and_ms_ssim_are_better_lower(tmp_path):
    rows = [
        {"step": s, "checkpoint": f"ckpt-{s}", "scores": {"swd_32": v, "ms_ssim": v}}
        for s, v in [(1, 0.5), (2, 0.2), (3, 0.4)]
    ]
    for score in ("swd_32", "ms_ssim"):
        model_dir = tmp_path / score
        model_dir.mkdir()
        for row in rows:
            (model_dir / f"{row['checkpoint']}.index").write_bytes(b"x")
        kept = [best.keep_if_best(str(model_dir), row, score) for row in rows]
        assert kept == [True, True, False]
        assert best.best_record(str(model_dir))["step"] == 2
    assert best.lower_is_better("swd") and not best.lower_is_better("inception_score")


def test_an_unscored_run_exports_its_newest_checkpoint(tiny_config, tmp_path):
    experiment = loop.train(str(tmp_path), training_steps=2)
    generator = export.export_checkpoint(str(tmp_path), experiment)
    metadata = json.loads(hub.load(generator).metadata.numpy())
    assert metadata["step"] == 2
    assert metadata["checkpoint_choice"] == "newest: no checkpoint of this run has been scored"


def test_standing_statistics_follow_the_truncation(tiny_config):
    """prepare_sampling(truncation=t) equals standing statistics computed by hand from z
    truncated at t, and differs from the untruncated ones."""
    gan = Experiment().gan
    layers = batch_norm_layers(gan.ema.average)

    def moving_means():
        return [layer.moving_mean.numpy().copy() for layer in layers]

    prepare_sampling(gan, truncation=0.5)
    truncated = moving_means()
    batches = [
        gan.sample_latents(
            gan.global_batch_size, tf.constant([SAMPLE_SEED[0], 100 + i], tf.int64), 0.5
        )
        for i in range(8)
    ]
    standing_statistics(gan.ema.average, batches)
    for a, b in zip(truncated, moving_means()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    prepare_sampling(gan)
    assert any(not np.allclose(a, b) for a, b in zip(truncated, moving_means()))


def test_the_overfitting_monitor_matches_the_discriminator_by_hand(tiny_config):
    experiment = Experiment()
    gan = experiment.gan
    scores = discriminator_split_scores(gan, experiment.data, step=0, count=20, batch_size=8)
    for name, split in (("train", "train"), ("heldout", "eval")):
        images, labels = [], []
        for batch_images, batch_labels in experiment.data.make(split, 20, shuffle=False):
            images, labels = batch_images, batch_labels
            break
        logits = gan.discriminator(images, labels, training=False).numpy().ravel()
        assert scores[f"d_{name}_logit"] == pytest.approx(float(np.mean(logits)), abs=1e-5)
        assert scores[f"d_{name}_accuracy"] == pytest.approx(float(np.mean(logits > 0)))


def test_under_packing_the_overfitting_monitor_judges_packs_as_training_does():
    # PacGAN's D takes m examples concatenated along the last axis; the monitor must feed it
    # packs too (it used to pass single examples and fail).
    run.configure(["gaussian_mixture_ring8.gin"], ["GANObjective.packing = 2"])
    try:
        experiment = Experiment()
        gan = experiment.gan
        scores = discriminator_split_scores(gan, experiment.data, step=0, count=30, batch_size=30)
        points, _ = next(iter(experiment.data.make("train", 30, shuffle=False, repeat=False)))
        packs = np.reshape(points.numpy(), [15, 4])  # 2 consecutive points per pack
        logits = gan.discriminator(packs, None, training=False).numpy().ravel()
        assert scores["d_train_logit"] == pytest.approx(float(np.mean(logits)), abs=1e-5)
        assert scores["d_train_accuracy"] == pytest.approx(float(np.mean(logits > 0)))
    finally:
        gin.clear_config()
