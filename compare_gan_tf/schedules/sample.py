"""The sample schedule: N samples of a generator as PNG files in a folder (and optionally one
.npz of them all), also behind compare_gan_tf-sample (commands/sample.py).

    sampler = RunSampler("runs/digits")  # or export.loading.HubSampler("runs/digits/hub/generator")
    written = write_sample_files(sampler, "runs/digits/generated", 1000, truncation=1.0, seed=0)

A run's sampler is its EMA generator at the best checkpoint (model_dir/best, see best.py), else
the newest, with standing BN statistics recomputed for the truncation. A hub module's
(export/loading.py) is its `sample` signature, whose statistics are those tabulated for the
nearest threshold at or above it. Both draw z the way `sample` does from a seed
(architectures/latents.py's `seeded_z`), so a run and its export give the same images.
Files are named by index and class (`000017_class3.png`; unconditional: `000017.png`); labels go
round-robin over all classes, or over the given ones. The same seed and batch size give the
same files. Everything is written through tf.io.gfile, so any TensorFlow filesystem works.
"""

import dataclasses
import io
import math
import os

import gin
import numpy as np
import tensorflow as tf
import tqdm
from PIL import Image

from compare_gan_tf.architectures.latents import seeded_z
from compare_gan_tf.data.preprocessing import to_unit_range
from compare_gan_tf.errors import UserError
from compare_gan_tf.files import write_atomically
from compare_gan_tf.schedules.export import chosen_checkpoint
from compare_gan_tf.training.checkpoints import restore_for_sampling
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.sampling import prepare_sampling

OUTPUT_DIR = "generated"


class SampleError(UserError, ValueError):
    """A sampling request the generator cannot serve; the message names the setting and fix."""


class SampleWriteError(UserError, OSError):
    """A sample file could not be written; the message names it."""


def check_truncation(truncation):
    """None (no truncation) or a finite threshold > 0 on |z|; SampleError otherwise."""
    if truncation is None:
        return None
    if isinstance(truncation, bool) or not isinstance(truncation, int | float):
        raise SampleError(f"truncation must be a number > 0 or None, got {truncation!r}.")
    if not (math.isfinite(truncation) and truncation > 0):
        raise SampleError(
            f"truncation must be a finite threshold > 0 on |z| (BigGAN uses 0.04 to 2), got "
            f"{truncation!r}; leave it out for no truncation."
        )
    return float(truncation)


def class_labels(count, num_classes, classes=None):
    """Labels of `count` samples, round-robin over `classes` (None: all `num_classes`); None for
    an unconditional generator (num_classes 0)."""
    if not num_classes:
        if classes:
            raise SampleError(
                f"The generator is unconditional, so it takes no classes (got {list(classes)}); "
                "leave the classes out."
            )
        return None
    classes = list(range(num_classes)) if classes is None else list(classes)
    ids = all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    if not classes or not ids or not all(0 <= c < num_classes for c in classes):
        raise SampleError(
            f"classes must be class ids in [0, {num_classes}), got {classes}; leave them out "
            "for all classes in turn."
        )
    return np.resize(np.asarray(classes, np.int32), count)


def batch_seed(seed, index):
    """The int32 seed of batch `index` of a request with `seed` (the hub `sample` seed)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0] >> 1)


class RunSampler:
    """The EMA generator of model_dir's best checkpoint (the newest when none is scored), built
    from gin (the run's config.gin) unless an Experiment is given."""

    def __init__(self, model_dir, experiment=None):
        path, self.why = chosen_checkpoint(model_dir, "best")
        self.experiment = experiment or Experiment()
        self._gan = self.experiment.gan
        self.step = restore_for_sampling(self._gan, path)  # untruncated statistics
        self.num_classes = self._gan.num_classes or 0
        self.points = not self.experiment.info.is_image
        self._statistics_for = None

    def draw(self, count, truncation, seed, labels):
        """(outputs in [0, 1] for images, else the points; z) of one batch."""
        if truncation != self._statistics_for:
            prepare_sampling(self._gan, truncation=truncation)
            self._statistics_for = truncation
        z = seeded_z(count, self._gan.z_dim, self._gan.z_prior, seed, truncation)
        outputs = self._gan.ema.average(z, labels, training=False).numpy()
        if not self.points:
            outputs = to_unit_range(outputs).numpy()
        return outputs, z.numpy()


@dataclasses.dataclass
class Written:
    """What `write_sample_files` wrote: `count` samples as PNG `paths` in `folder` (None for points)
    and in the .npz `npz` (None if not asked for), drawn by `sampler`."""

    count: int
    folder: str
    paths: list
    npz: str
    sampler: object

    @property
    def experiment(self):
        """The run's Experiment (None for a hub module), for the schedules that follow."""
        return getattr(self.sampler, "experiment", None)

    def summary(self):
        places = " and ".join(place for place in (self.folder, self.npz) if place)
        return (
            f"Wrote {self.count} samples of step {self.sampler.step} ({self.sampler.why}) to "
            f"{places}."
        )


def file_name(index, label, width):
    """`000017_class3.png`, or `000017.png` without a label."""
    suffix = "" if label is None else f"_class{label}"
    return f"{index:0{width}d}{suffix}.png"


def _png(image):
    pixels = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _write(path, data):
    try:
        return write_atomically(path, data)
    except OSError as error:
        raise SampleWriteError(
            f"Cannot write {path} ({error}); free disk space or pick a writable output folder. "
            "The files written before it are complete."
        ) from error


def write_sample_files(
    sampler,
    folder,
    num_images,
    *,
    classes=None,
    truncation=None,
    seed=0,
    batch_size=64,
    npz=None,
    progress=True,
):
    """Writes `num_images` samples of `sampler` as PNG files into `folder`; returns Written.

    classes: class ids to go round-robin over (None: all). truncation: None or a threshold > 0.
    npz: optional path of one .npz holding `images` (uint8 [N, H, W, C]; for points `points`
    float32 [N, D]), `z` and, for a conditional generator, `labels`. A generator of points
    writes no PNG files, so it needs `npz`.
    """
    for name, value in (("num_images", num_images), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SampleError(f"{name} must be a whole number >= 1, got {value!r}.")
    truncation = check_truncation(truncation)
    labels = class_labels(num_images, sampler.num_classes, classes)
    if sampler.points and npz is None:
        raise SampleError(
            "This generator makes points, not images, so there are no PNG files to write; "
            "pass an .npz path (--npz) to get them."
        )
    folder = os.fspath(folder)
    if not sampler.points:
        _make_folder(folder)
    width = max(6, len(str(num_images - 1)))
    paths, outputs, latents = [], [], []
    bar = tqdm.tqdm(total=num_images, desc="sample", unit="image", disable=not progress)
    with bar:
        for index, start in enumerate(range(0, num_images, batch_size)):
            count = min(batch_size, num_images - start)
            batch_labels = None if labels is None else labels[start : start + count]
            generated, z = sampler.draw(count, truncation, batch_seed(seed, index), batch_labels)
            for offset, sample in enumerate([] if sampler.points else generated):
                label = None if batch_labels is None else int(batch_labels[offset])
                path = os.path.join(folder, file_name(start + offset, label, width))
                paths.append(_write(path, _png(sample)))
            if npz is not None:
                outputs.append(generated)
                latents.append(z)
            bar.update(count)
    if npz is not None:
        _write_npz(npz, sampler.points, outputs, latents, labels)
    return Written(num_images, None if sampler.points else folder, paths, npz, sampler)


def _make_folder(folder):
    try:
        tf.io.gfile.makedirs(folder)
    except (OSError, tf.errors.OpError) as error:
        raise SampleWriteError(
            f"Cannot create the output folder {folder} ({error}); pick a writable one."
        ) from error


def _write_npz(path, points, outputs, latents, labels):
    outputs = np.concatenate(outputs)
    arrays = {"z": np.concatenate(latents).astype(np.float32)}
    if points:
        arrays["points"] = outputs.astype(np.float32)
    else:
        arrays["images"] = np.clip(np.rint(outputs * 255.0), 0, 255).astype(np.uint8)
    if labels is not None:
        arrays["labels"] = labels
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _write(path, buffer.getvalue())


@gin.configurable(denylist=["model_dir", "experiment"])
def sample_images(
    model_dir,
    experiment=None,
    num_images=100,
    classes=None,
    truncation=None,
    seed=0,
    batch_size=64,
    output_dir=None,
    npz=None,
):
    """Writes `num_images` samples of a run's best (else newest) checkpoint as PNG files in
    `output_dir` (None: model_dir/generated); the other settings are those of write_sample_files."""
    folder = output_dir or os.path.join(model_dir, OUTPUT_DIR)
    return write_sample_files(
        RunSampler(model_dir, experiment),
        folder,
        num_images,
        classes=None if classes is None else list(classes),
        truncation=truncation,
        seed=seed,
        batch_size=batch_size,
        npz=npz,
    )
