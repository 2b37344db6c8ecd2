"""What differs between images and 2-D points, in one object per kind of data.

A kind owns which architectures model it, how samples are drawn to files and TensorBoard, how a
generator is scored, and how it is exported. `data_kind(info)` picks it from the dataset info;
nothing else in the package branches on the kind.
"""

import os

import numpy as np
import tensorflow as tf

from compare_gan_tf.architectures import ARCHITECTURES, POINT_ARCHITECTURES
from compare_gan_tf.data import MIXTURES, mode_statistics
from compare_gan_tf.data.preprocessing import to_unit_range
from compare_gan_tf.export import export_discriminator, export_generator
from compare_gan_tf.training.pictures import (
    image_grid,
    save_image_grid,
    save_scatter_plot,
    scatter_plot_png,
)
from compare_gan_tf.training.sampling import prepare_sampling

# VEEGAN (Srivastava et al. 2017) scores the 2-D mixtures on 2,500 generated samples.
MIXTURE_SAMPLES = 2500


class DataKind:
    """The base of the kinds: `name`, the `architectures` that model it, `grid_size` samples per
    picture (`save_picture`: a grid of images, a scatter plot of points), `best_score` (what
    picks the best checkpoint), and the dataset's `info`."""

    def __init__(self, info):
        self.info = info


class Images(DataKind):
    """Square images: grids of 100, evaluator scores, generator and discriminator modules."""

    name = "images"
    architectures = ARCHITECTURES
    grid_size = 100
    best_score = "fid"

    def save_picture(self, samples, path, step):
        """Writes the samples' grid, enlarged twice, as a PNG file."""
        save_image_grid(samples, path, scale=2)

    def summarize_samples(self, samples):
        """Writes the samples' grid (as in the PNG file) to the default TensorBoard writer."""
        tf.summary.image("samples", image_grid(samples)[np.newaxis])

    def score(self, evaluator, reference, generate):
        """The evaluator's scores; `generate(draw, index, batch)` -> (model outputs, labels)."""

        def generate_unit_range(draw, index, batch_size):
            images, labels = generate(draw, index, batch_size)
            return to_unit_range(images).numpy(), labels

        return evaluator.score(reference(), generate_unit_range)

    def score_settings(self, evaluator):
        return evaluator.settings()

    def export(self, gan, directory, metadata, advance=lambda: None):
        """Writes directory/generator and directory/discriminator; returns the generator's path.
        `advance()` is called after each standing-statistics table and each module."""
        generator = _export_generator(gan, directory, metadata, advance)
        export_discriminator(
            gan.discriminator,
            os.path.join(directory, "discriminator"),
            num_classes=gan.objective.discriminator_classes(gan.num_classes),
            # PacGAN's D reads `packing` images stacked along the channels.
            channels=self.info.channels * gan.objective.packing,
            metadata=metadata,
        )
        advance()
        return generator


class Points(DataKind):
    """2-D points of a Gaussian mixture: scatter plots, mode statistics, a generator module."""

    name = "2-D points"
    architectures = POINT_ARCHITECTURES
    grid_size = 1000
    best_score = "modes_recovered"

    def __init__(self, info):
        super().__init__(info)
        self.mixture = MIXTURES.get(info.name)

    def save_picture(self, samples, path, step):
        """Writes the samples' scatter plot over the mixture's centres as a PNG file."""
        centres = None if self.mixture is None else self.mixture.centres
        save_scatter_plot(samples, path, centres, title=f"step {step}")

    def summarize_samples(self, samples):
        """Writes the scatter plot to the default TensorBoard writer."""
        centres = None if self.mixture is None else self.mixture.centres
        picture = tf.io.decode_png(scatter_plot_png(samples, centres))
        tf.summary.image("samples", picture[tf.newaxis])

    def score(self, evaluator, reference, generate):
        """Modes recovered and the high-quality fraction of MIXTURE_SAMPLES points, averaged over
        the evaluator's draws; `reference` is unused (the mixture is known exactly)."""
        if self.mixture is None:
            raise ValueError(
                f"Dataset {self.info.name!r} is not one of the known mixtures "
                f"({', '.join(MIXTURES)}), so its samples cannot be scored by modes."
            )
        draws = []
        for draw in range(evaluator.num_draws):
            points, _ = generate(draw, 0, MIXTURE_SAMPLES)
            statistics = mode_statistics(points, self.mixture)
            draws.append(
                {
                    "modes_recovered": float(statistics["modes_recovered"]),
                    "high_quality_fraction": float(statistics["high_quality_fraction"]),
                }
            )
        return {name: float(np.mean([draw[name] for draw in draws])) for name in draws[0]}

    def score_settings(self, evaluator):
        return {
            "extractor": "mixture_mode_statistics",
            "num_fake": MIXTURE_SAMPLES,
            "num_draws": evaluator.num_draws,
        }

    def export(self, gan, directory, metadata, advance=lambda: None):
        """Writes directory/generator (its `generated` is [B, 2]); returns its path.
        `advance()` is called after each standing-statistics table and the module."""
        return _export_generator(gan, directory, metadata, advance)


def _export_generator(gan, directory, metadata, advance):
    """Writes the EMA generator's module to directory/generator; returns its path."""
    path = export_generator(
        gan.ema.average,
        os.path.join(directory, "generator"),
        num_classes=gan.num_classes,
        z_prior=gan.z_prior,
        metadata=metadata,
        standing_statistics=_matched_statistics(gan, advance),
    )
    advance()
    return path


def _matched_statistics(gan, advance):
    """Sets the EMA generator's standing statistics for a truncation threshold (for export)."""

    def statistics(truncation):
        prepare_sampling(gan, truncation=truncation)
        advance()

    return statistics


def data_kind(info):
    """The kind object for a dataset's DatasetInfo."""
    return Images(info) if info.is_image else Points(info)
