"""Scores a sampler against real images: features in batches, every metric, 3 draws averaged.

The evaluator knows nothing of training: it takes real image batches and a function that
generates fake batches, both in [0, 1]. schedules/eval.py feeds it checkpoints; the same
evaluator scores a hub module.
"""

import math

import gin
import numpy as np

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import UserError
from compare_gan_tf.metrics.features import extract
from compare_gan_tf.metrics.scores import (
    DEFAULT_METRICS,
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
            **self.extractor.describe(),
            "num_real": self.num_real,
            "num_fake": self.num_samples,
            "num_draws": self.num_draws,
            "reference_split": self.reference_split,
            "inception_score_splits": self.inception_score_splits,
        }

    def reference_features(self, real_batches):
        """(features, labels) of the first `num_real` images of `real_batches`.

        `real_batches` yields (images in [0, 1], labels); fewer real images than `num_real`
        is an error, since FID is biased by the sample count.
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

        features, _ = extract(self.extractor, images())
        if images_seen < self.num_real:
            raise ReferenceTooSmallError(
                f"The {self.reference_split!r} split has {images_seen} images but evaluator."
                f"num_real is {self.num_real}; lower evaluator.num_real (or num_samples) or use "
                "a larger split."
            )
        return features, np.concatenate(labels)

    def fake_features(self, generate, draw):
        """(features, logits, labels) of `num_samples` fakes of one draw.

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

        features, logits = extract(self.extractor, images())
        return features, logits, (np.concatenate(labels) if labels else None)

    def score(self, reference, generate):
        """Scores averaged over the draws (see scores.score_features for the keys).

        `reference` is what `reference_features` returned.
        """
        real_features, real_labels = reference
        draws = []
        for draw in range(self.num_draws):
            fake_features, fake_logits, fake_labels = self.fake_features(generate, draw)
            draws.append(
                score_features(
                    real_features,
                    fake_features,
                    self.metrics,
                    fake_logits=fake_logits,
                    real_labels=real_labels,
                    fake_labels=fake_labels,
                    inception_score_splits=self.inception_score_splits,
                    seed=self.seed + draw,
                )
            )
        return average_draws(draws)
