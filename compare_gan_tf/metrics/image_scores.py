"""The image metrics (MS-SSIM diversity, SWD) fed from the image batches the evaluator streams.

The feature metrics need only each image's features; these need pixels. The evaluator hands
every batch of one set (the real reference, or one draw of fakes) to an `ImageStatistics`
as well as to the extractor; it keeps only what its metrics need: SWD's descriptors, and
MS-SSIM's 5 x 64 generated images. No image array of the whole set is ever held.
"""

import numpy as np

from compare_gan_tf.metrics.ms_ssim import (
    BATCH_SIZE,
    NUM_BATCHES,
    mean_batch_ms_ssim,
    ms_ssim_batches,
)
from compare_gan_tf.metrics.swd import (
    DESCRIPTORS_PER_IMAGE,
    NUM_PROJECTIONS,
    DescriptorSet,
    swd_between,
)

IMAGE_METRICS = ("ms_ssim", "swd")
# Karras et al. 2018 report SWD multiplied by 1e3 (their metric names read "SWDx1e3").
SWD_SCALE = 1e3


def image_metric_settings(metrics):
    """What makes the image metrics' numbers comparable, for the selected ones."""
    settings = {}
    if "ms_ssim" in metrics:
        settings.update(ms_ssim_batches=NUM_BATCHES, ms_ssim_batch_size=BATCH_SIZE)
    if "swd" in metrics:
        settings.update(
            swd_descriptors_per_image=DESCRIPTORS_PER_IMAGE,
            swd_projections=NUM_PROJECTIONS,
            swd_normalization="channel",
            swd_scale=SWD_SCALE,
        )
    return settings


class ImageStatistics:
    """What the selected image metrics keep of one set of images, fed batch by batch.

    Args:
      metrics: the selected metric names (others are ignored).
      num_images: how many images the set will hold (MS-SSIM picks its batches among them).
      seed: SWD's descriptor positions use np.random.default_rng([seed, 0]) for real images and
        [seed, 1] for fakes, as `swd.sliced_wasserstein_distance`; MS-SSIM's batches use
        `ms_ssim_batches(num_images, seed=seed)`.
      generated: True for fakes. MS-SSIM scores generated images only.
    """

    def __init__(self, metrics, num_images, seed, generated):
        name = "generated images" if generated else "real images"
        self.swd = None
        if "swd" in metrics:
            self.swd = DescriptorSet(seed=[seed, int(generated)], name=name)
        self._batches = None
        if generated and "ms_ssim" in metrics:
            self._batches = ms_ssim_batches(num_images, seed=seed)
            self._wanted = set(self._batches.ravel().tolist())
            self._picked = {}
        self._seen = 0

    def add(self, images):
        """Takes one batch (float [B, H, W, C] in [0, 1]) of the set, in order."""
        if self.swd is not None:
            self.swd.add(images)
        if self._batches is not None:
            for offset, image in enumerate(images):
                if self._seen + offset in self._wanted:
                    self._picked[self._seen + offset] = np.array(image)
        self._seen += len(images)

    def ms_ssim(self):
        """compare_gan's MS-SSIM score: the mean over the shuffled batches of their mean
        pairwise MS-SSIM."""
        return mean_batch_ms_ssim(
            np.stack([self._picked[index] for index in batch]) for batch in self._batches
        )


def score_images(real, fake, metrics, seed):
    """{score name: float} of the image metrics among `metrics`.

    Keys: ms_ssim (mean pairwise MS-SSIM of the generated images; lower is more diverse);
    swd (mean over pyramid levels) and swd_<side> per level, the finest first, both x 1e3 as
    Karras et al. report them. SWD pairs the first min(N_real, N_fake) images of each set; its
    directions come from np.random.default_rng([seed, 2]).
    """
    scores = {}
    if "ms_ssim" in metrics:
        scores["ms_ssim"] = fake.ms_ssim()
    if "swd" in metrics:
        result = swd_between(real.swd, fake.swd, seed=[seed, 2])
        scores["swd"] = SWD_SCALE * result.mean
        for side, distance in zip(result.resolutions, result.distances):
            scores[f"swd_{side}"] = SWD_SCALE * distance
    return {name: float(value) for name, value in scores.items()}
