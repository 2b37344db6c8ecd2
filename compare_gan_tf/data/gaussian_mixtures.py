"""2-D Gaussian mixtures for mode-collapse studies that run in seconds.

Each example is a point [2] float32 in raw coordinates (not scaled to [-1, 1]; the grid spans
about -4.2..4.2), so a batch is [B, 2] where image datasets give [B, H, W, C]. The label is the
index of the mode the point was drawn from. Modes are equally likely and isotropic.

- `ring8`: 8 modes evenly spaced on a circle of radius 2 (mode k at angle 2*pi*k/8), std 0.02:
  the 2-D mixture of Metz et al. 2017 ("Unrolled GANs"), with the radius and std of the public
  re-implementations of that experiment (e.g. unroll_gan's data.py: radius=2, std=0.02). It is
  the ring VEEGAN and PacGAN use, but PacGAN's code (fjxmlzn/PacGAN, 2DRing config) draws it
  with radius 1, std 0.01: scale by 0.5 to compare with its numbers.
- `grid25`: 25 modes on the 5x5 grid {-4, -2, 0, 2, 4}^2, std 0.05: VEEGAN's "2D grid", as in
  PacGAN's code (Lin et al. 2018, synthetic_data_experiments/2DGrid_GAN&PacGAN/config.py).

`mode_statistics` scores samples as VEEGAN and PacGAN do: a sample is high quality when it lies
within 3 standard deviations of its nearest mode, and a mode is recovered when at least one high
quality sample is nearest to it.

Splits: "train" is an endless stream of fresh samples drawn from the dataset seed; "eval" is a
fixed set of 2,500 points (the number VEEGAN and PacGAN score), the same for every seed.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from compare_gan_tf.data.base import DatasetInfo, Examples, Source, pipeline_position

EVAL_SIZE = 2500
# The eval set's seed: fixed, so every run is scored against the same points.
_EVAL_SEED = (20170227, 1)
HIGH_QUALITY_STDS = 3.0


@dataclasses.dataclass(frozen=True, eq=False)
class GaussianMixture:
    """Equally weighted isotropic Gaussians in the plane: `centres` [K, 2], one `std`."""

    name: str
    centres: np.ndarray
    std: float
    reference: str

    @property
    def num_modes(self):
        return len(self.centres)


def ring(num_modes=8, radius=2.0, std=0.02):
    """Modes on a circle, mode k at angle 2*pi*k/num_modes (Metz et al. 2017: 8, 2.0, 0.02)."""
    angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(
        f"ring{num_modes}",
        centres.astype(np.float32),
        std,
        "Metz et al. 2017 (Unrolled GANs) 2-D ring",
    )


def grid(size=5, spacing=2.0, std=0.05):
    """A size x size grid centred on 0 (VEEGAN / PacGAN: 5, 2.0, 0.05 -> {-4,...,4}^2)."""
    axis = (np.arange(size) - (size - 1) / 2.0) * spacing
    xs, ys = np.meshgrid(axis, axis, indexing="ij")
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
    return GaussianMixture(
        f"grid{size * size}",
        centres.astype(np.float32),
        std,
        "VEEGAN 2D grid (Srivastava et al. 2017), PacGAN (Lin et al. 2018)",
    )


RING8 = ring()
GRID25 = grid()
MIXTURES = {"ring8": RING8, "grid25": GRID25}


def sample_mixture(mixture, num_samples, seed):
    """(points float32 [N, 2], mode indices int32 [N]); `seed` is a [2] integer tensor."""
    mode_seed, noise_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    modes = tf.random.stateless_uniform(
        [num_samples], mode_seed, maxval=mixture.num_modes, dtype=tf.int32
    )
    noise = tf.random.stateless_normal([num_samples, 2], noise_seed) * mixture.std
    points = tf.gather(tf.constant(mixture.centres), modes) + noise
    return points, modes


def mode_statistics(samples, mixture, num_stds=HIGH_QUALITY_STDS):
    """How well `samples` [N, 2] cover `mixture` (VEEGAN / PacGAN definitions).

    Returns a dict: "counts" int [K] (high-quality samples nearest to each mode),
    "modes_recovered" (modes with at least one), "high_quality_fraction" (samples within
    `num_stds` standard deviations of their nearest mode) and "nearest_mode" int [N].
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"samples must have shape [N, 2]; got {samples.shape}.")
    offsets = samples[:, None, :] - mixture.centres[None, :, :].astype(np.float64)
    distances = np.sqrt(np.sum(offsets**2, axis=-1))
    nearest = np.argmin(distances, axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] < num_stds * mixture.std
    counts = np.bincount(nearest[high_quality], minlength=mixture.num_modes)
    return {
        "counts": counts,
        "modes_recovered": int(np.count_nonzero(counts)),
        "high_quality_fraction": float(np.mean(high_quality)) if len(samples) else 0.0,
        "nearest_mode": nearest,
    }


def eval_points(mixture):
    """The fixed eval set: (points float32 [2500, 2], modes int32 [2500]) as numpy."""
    points, modes = sample_mixture(mixture, EVAL_SIZE, tf.constant(_EVAL_SEED, tf.int64))
    return points.numpy(), modes.numpy()


class MixtureSource(Source):
    """A Gaussian mixture served as a dataset (see the module docstring for the splits)."""

    default_resolution = None

    def __init__(self, mixture):
        self.mixture = mixture

    def info(self, name, resolution):
        return DatasetInfo(
            name=name,
            shape=(2,),
            num_classes=self.mixture.num_modes,
            num_examples={"train": None, "eval": EVAL_SIZE},
            splits={"train": "fresh samples from the seed", "eval": "2,500 fixed samples"},
            source=self.mixture.reference,
        )

    def stream(self, name, split, batch_size, input_context, seed):
        """The train split: endless batches, each pipeline on its own random stream."""
        if split != "train":
            return None
        _, index = pipeline_position(input_context)
        base = tf.constant([seed, index], tf.int64)
        mixture = self.mixture

        def draw(step):
            return sample_mixture(
                mixture, batch_size, tf.random.experimental.stateless_fold_in(base, step)
            )

        return tf.data.Dataset.counter().map(draw)

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        points, modes = eval_points(self.mixture)
        num_pipelines, index = pipeline_position(input_context)
        dataset = tf.data.Dataset.from_tensor_slices((points, modes)).shard(num_pipelines, index)
        return Examples(
            dataset=dataset,
            finalize=None,
            bytes_per_example=points[0].nbytes,
            count=len(range(index, EVAL_SIZE, num_pipelines)),
        )
