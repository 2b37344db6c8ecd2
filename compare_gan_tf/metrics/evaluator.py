"""Scores a sampler against real images: features in batches, every metric, 3 draws averaged.

The evaluator knows nothing of training: it takes real image batches and a function that
generates fake batches, both in [0, 1]. schedules/eval.py feeds it checkpoints; the same
evaluator scores a hub module.

Each batch goes to the feature extractor (for the feature metrics) and, when an image metric
(ms_ssim, swd) is selected, to an image_scores.ImageStatistics that keeps what that metric
needs of the pixels. With image metrics only, no extractor is loaded.
"""

import math

import gin
import numpy as np

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError, UserError
from compare_gan_tf.metrics import ms_ssim
from compare_gan_tf.metrics.features import check_images, extract
from compare_gan_tf.metrics.image_scores import (
    IMAGE_METRICS,
    ImageStatistics,
    image_metric_settings,
    score_images,
)
from compare_gan_tf.metrics.scores import (
    DEFAULT_METRICS,
    FEATURE_METRICS,
    average_draws,
    check_metrics,
    score_features,
)


class ReferenceTooSmallError(UserError, ValueError):
    """The reference split holds fewer images than evaluator.num_real asks for."""


FEATURE_EXTRACTORS = ("inception", "digits_classifier", "keras_inception_v3")


def make_extractor(name):
    """The feature extractor called `name`; its file paths come from its own gin bindings."""
    check_choice(
        "feature extractor",
        name,
        FEATURE_EXTRACTORS,
        "inception is TF-GAN's Inception v3 (the published numbers' network), digits_classifier "
        "the shipped digits model, keras_inception_v3 not comparable to published scores.",
    )
    if name == "digits_classifier":
        from compare_gan_tf.metrics.digits_classifier import digits_classifier

        return digits_classifier()
    if name == "inception":
        from compare_gan_tf.metrics.inception import inception_extractor

        return inception_extractor()
    if name == "keras_inception_v3":
        from compare_gan_tf.metrics.keras_extractors import keras_inception_v3

        return keras_inception_v3()
    raise AssertionError(f"FEATURE_EXTRACTORS lists {name!r} but it is not built here.")


@gin.configurable("evaluator")
class Evaluator:
    """Scores `num_draws` independent draws of `num_samples` fakes against one real reference.

    compare_gan averaged 3 draws; the spread across draws is reported as `<score>_draws_std`.
    `num_real` real images of `reference_split` form the reference (None: as many as fakes).
    `metrics` may list image metrics (ms_ssim needs num_samples >= 320: 5 batches of 64).
    """

    def __init__(
        self,
        extractor="inception",
        num_samples=10000,
        num_real=None,
        reference_split="eval",
        num_draws=3,
        batch_size=100,
        metrics=DEFAULT_METRICS,
        inception_score_splits=10,
        seed=0,
    ):
        self._extractor = extractor
        self.num_samples = num_samples
        self.num_real = num_real or num_samples
        self.reference_split = reference_split
        self.num_draws = num_draws
        self.batch_size = batch_size
        self.metrics = check_metrics(metrics)
        self.inception_score_splits = inception_score_splits
        self.seed = seed
        needed = ms_ssim.BATCH_SIZE * ms_ssim.NUM_BATCHES
        if "ms_ssim" in self.metrics and num_samples < needed:
            raise ConfigError(
                f"evaluator.metrics lists ms_ssim, which scores {ms_ssim.NUM_BATCHES} batches "
                f"of {ms_ssim.BATCH_SIZE} generated images, but evaluator.num_samples is "
                f"{num_samples}; raise num_samples to at least {needed} or drop ms_ssim."
            )

    @property
    def needs_features(self):
        """Whether a selected metric needs the extractor (the image metrics do not)."""
        return any(name in FEATURE_METRICS for name in self.metrics)

    @property
    def image_metrics(self):
        return tuple(name for name in self.metrics if name in IMAGE_METRICS)

    @property
    def extractor_name(self):
        """The name of the extractor to load (one of FEATURE_EXTRACTORS, also its gin name), or
        None when an extractor object was given."""
        return self._extractor if isinstance(self._extractor, str) else None

    @property
    def extractor(self):
        """The feature extractor, loaded on first use (2-D mixtures never need one)."""
        if isinstance(self._extractor, str):
            self._extractor = make_extractor(self._extractor)
        return self._extractor

    def settings(self):
        """What is saved with every score so that numbers stay comparable."""
        return {
            **(self.extractor.describe() if self.needs_features else {}),
            "num_real": self.num_real,
            "num_fake": self.num_samples,
            "num_draws": self.num_draws,
            "reference_split": self.reference_split,
            "inception_score_splits": self.inception_score_splits,
            **image_metric_settings(self.metrics),
        }

    def _image_statistics(self, num_images, seed, generated):
        if not self.image_metrics:
            return None
        return ImageStatistics(self.image_metrics, num_images, seed, generated)

    def _consume(self, batches, statistics):
        """Runs the batches through the extractor, if a metric needs it, and `statistics`;
        returns (features, logits), both None without feature metrics."""

        def observed():
            for batch in batches:
                if statistics is not None:
                    statistics.add(batch)
                yield batch

        if self.needs_features:
            return extract(self.extractor, observed())
        for batch in observed():
            check_images(batch)
        return None, None

    def reference_features(self, real_batches):
        """(features, labels, image statistics) of the first `num_real` images of
        `real_batches`; what `score` takes as `reference`.

        `real_batches` yields (images in [0, 1], labels); fewer real images than `num_real`
        is an error, since FID is biased by the sample count. Features are None when no
        feature metric is selected, image statistics None when no image metric is.
        """
        images_seen, labels = 0, []

        def images():
            nonlocal images_seen
            for batch, batch_labels in real_batches:
                batch = np.asarray(batch)[: self.num_real - images_seen]
                labels.append(np.asarray(batch_labels)[: len(batch)])
                images_seen += len(batch)
                yield batch
                if images_seen >= self.num_real:
                    return

        statistics = self._image_statistics(self.num_real, self.seed, generated=False)
        features, _ = self._consume(images(), statistics)
        if images_seen < self.num_real:
            raise ReferenceTooSmallError(
                f"The {self.reference_split!r} split has {images_seen} images but evaluator."
                f"num_real is {self.num_real}; lower evaluator.num_real (or num_samples) or use "
                "a larger split."
            )
        return features, np.concatenate(labels), statistics

    def fake_features(self, generate, draw):
        """(features, logits, labels, image statistics) of `num_samples` fakes of one draw.

        `generate(draw, batch_index, batch_size)` returns (images in [0, 1], labels or None).
        """
        labels = []

        def images():
            remaining = self.num_samples
            for index in range(math.ceil(self.num_samples / self.batch_size)):
                batch, batch_labels = generate(draw, index, self.batch_size)
                batch = np.asarray(batch)[:remaining]
                if batch_labels is not None:
                    labels.append(np.asarray(batch_labels)[: len(batch)])
                remaining -= len(batch)
                yield batch

        statistics = self._image_statistics(self.num_samples, self.seed + draw, generated=True)
        features, logits = self._consume(images(), statistics)
        return features, logits, (np.concatenate(labels) if labels else None), statistics

    def score(self, reference, generate):
        """Scores averaged over the draws (keys: scores.score_features and
        image_scores.score_images).

        `reference` is what `reference_features` returned. Draw d seeds its random choices
        with `seed + d`; the real images' SWD descriptors are drawn once, with `seed`.
        """
        real_features, real_labels, real_statistics = reference
        draws = []
        for draw in range(self.num_draws):
            fake_features, fake_logits, fake_labels, fake_statistics = self.fake_features(
                generate, draw
            )
            scores = {}
            if self.needs_features:
                scores = score_features(
                    real_features,
                    fake_features,
                    self.metrics,
                    fake_logits=fake_logits,
                    real_labels=real_labels,
                    fake_labels=fake_labels,
                    inception_score_splits=self.inception_score_splits,
                    seed=self.seed + draw,
                )
            if self.image_metrics:
                scores.update(
                    score_images(
                        real_statistics, fake_statistics, self.metrics, seed=self.seed + draw
                    )
                )
            draws.append(scores)
        return average_draws(draws)
