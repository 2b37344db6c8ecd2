"""A folder of the user's own images, named "folder:/path/to/images" (or "folder:gs://...": the
folder may be on any TensorFlow filesystem; it is listed and read through tf.io.gfile).

Every .png, .jpg, .jpeg, .bmp and .gif file under the folder (recursively, extensions in any
case) is one example, taken in sorted path order. Each image is cut to its central square and
resized to the resolution (64 px unless the request says otherwise; bilinear, antialiased when
shrinking), as grayscale (1 channel) or RGB (3, the default); alpha is dropped and a GIF gives
its first frame.

Labels (`image_folder.labels = True`): the sorted names of the folder's immediate subfolders
that hold images become classes 0..K-1, and every image takes the class of the subfolder it lies
in, at any depth. Otherwise every label is 0 and the dataset has no classes.

Modes are converted, not rejected: grayscale (and gray + alpha) repeats its channel to RGB, RGB
becomes grayscale with BT.601 luma weights when channels=1, alpha is dropped (not composited),
palette images are expanded, 16-bit PNGs are scaled to 8 bits (v * 255 / 65535, rounded) and CMYK
JPEGs become RGB (libjpeg).

Symbolic links (on the local disk) are followed once: a link loop, or a second link to a folder
or file already listed, is left out with a warning naming it, so no image is listed twice.

Bad files: listing the folder opens every file with Pillow (`verify`, which reads the headers and
checks PNG checksums without decoding the pixels) and checks that a JPEG ends with its
end-of-image marker (truncation, which `verify` misses). A file that fails, that is empty or not
an image, a dangling symbolic link, or an image whose shorter side is below
`image_folder.min_size` pixels is a bad file. With `image_folder.bad_files = "skip"` (the
default) they are left out and one warning gives their count and names every one with the
reason; with "fail" that list is a DatasetError, and listing also decodes every image once with
TensorFlow's decoder (slower on big folders), so that a file only decoding can refuse is named
too. With "skip", a file that passes the check but fails to decode in the pipeline is dropped by
tf.data with a logged warning. A missing folder, a folder without image files, or one whose
images are all bad raises DatasetNotFoundError.

Splits: with `image_folder.eval_fraction = 0` (the default) "eval" is the whole folder, as when
FID is computed against the training images; with a fraction f > 0 a fixed permutation (seed 0)
of the sorted files puts round(f * N) of them in "eval" and the rest in "train".
"""

import dataclasses
import io
import os

import gin
import numpy as np
import tensorflow as tf
from absl import logging

from compare_gan_tf.checks import check_choice
from compare_gan_tf.data import preprocessing
from compare_gan_tf.data.base import (
    DatasetError,
    DatasetInfo,
    DatasetNotFoundError,
    Examples,
    Source,
    pipeline_position,
)
from compare_gan_tf.paths import is_local, open_file

PREFIX = "folder:"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
BAD_FILE_POLICIES = ("skip", "fail")
# Every JPEG ends with the EOI marker; some writers pad after it, so look at the last bytes.
_JPEG_END = b"\xff\xd9"
_JPEG_TAIL_BYTES = 64

# (path, size, mtime) -> (reason the file cannot be read or None, (width, height) or None).
_checked = {}


@gin.configurable("image_folder")
def folder_options(labels=False, channels=3, eval_fraction=0.0, bad_files="skip", min_size=1):
    """Options for "folder:PATH" datasets (see the module docstring)."""
    if channels not in (1, 3):
        raise DatasetError(f"image_folder.channels must be 1 or 3; got {channels!r}.")
    if not 0.0 <= eval_fraction < 1.0:
        raise DatasetError(f"image_folder.eval_fraction must be in [0, 1); got {eval_fraction!r}.")
    check_choice("image_folder.bad_files", bad_files, BAD_FILE_POLICIES, error=DatasetError)
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise DatasetError(f"image_folder.min_size must be a positive integer; got {min_size!r}.")
    return {
        "labels": bool(labels),
        "channels": channels,
        "eval_fraction": eval_fraction,
        "bad_files": bad_files,
        "min_size": min_size,
    }


@dataclasses.dataclass
class FolderListing:
    """The readable images of a folder with their labels, and what was left out."""

    root: str
    files: list
    labels: list
    classes: list
    skipped: list  # (path, reason)


def _read_check(path):
    """(None, size) when Pillow can open and verify the image file, else (the reason, None)."""
    from PIL import Image

    length, modified = _version(path)
    key = (path, length, modified)
    if key not in _checked:
        try:
            with Image.open(_image_file(path)) as image:
                size, is_jpeg = image.size, image.format == "JPEG"
                image.verify()
            if is_jpeg and not _has_jpeg_end(path, length):
                raise OSError("truncated JPEG: no end-of-image marker")
            _checked[key] = (None, size)
        except Exception as error:  # Pillow raises many types for bad files.
            _checked[key] = (f"{type(error).__name__}: {error}", None)
    return _checked[key]


def _image_file(path):
    """What Pillow opens: a local path (its errors then name the file), else the file's bytes."""
    if is_local(path):
        return path
    with open_file(path) as file:
        return io.BytesIO(file.read())


def _version(path):
    """(size in bytes, modification time in ns) of a file: with the path, the key of its check."""
    if is_local(path):
        # os.stat, not tf.io.gfile.stat: TensorFlow rounds local modification times to seconds.
        stat = os.stat(path)
        return stat.st_size, stat.st_mtime_ns
    stat = tf.io.gfile.stat(path)
    return stat.length, stat.mtime_nsec


def _has_jpeg_end(path, size):
    with open_file(path) as file:
        file.seek(max(0, size - _JPEG_TAIL_BYTES))
        return _JPEG_END in file.read()


def _problem(path, min_size, decode=False):
    """None when the file is a usable image, else the reason it is not. `decode` also decodes
    it with TensorFlow, the pipeline's decoder, which refuses some files that `verify` passes."""
    reason, size = _read_check(path)
    if reason is None and min(size) < min_size:
        reason = f"{size[0]}x{size[1]} px is below image_folder.min_size = {min_size}"
    if reason is None and decode:
        reason = _decode_check(path)
    return reason


def _decode_check(path):
    key = ("decoded", path, *_version(path))
    if key not in _checked:
        try:
            tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
            _checked[key] = None
        except tf.errors.OpError as error:
            _checked[key] = f"TensorFlow cannot decode it: {error.message.splitlines()[0]}"
    return _checked[key]


def _bad_files_summary(skipped, total, root):
    shown = "; ".join(f"{path} ({reason})" for path, reason in skipped)
    return f"{len(skipped)} of {total} image files under {root} are bad: {shown}"


def _find_images(root):
    """(image paths, dangling links, (path, why) left out) under `root`, in sorted order.

    Symbolic links are followed once: a folder reached again (a link loop, or a second link to
    one already listed) is not walked twice, and a file reached by a second path is listed once.
    """
    found, dangling, repeated = [], [], []
    folders, files = set(), {}
    for directory, subdirectories, names in _walk(root):
        real = _real_path(directory)
        if real in folders:
            subdirectories[:] = []
            repeated.append((directory, f"a link to {real}, which is already listed"))
            continue
        folders.add(real)
        subdirectories.sort()
        for name in sorted(names):
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = os.path.join(directory, name)
            if not tf.io.gfile.exists(path):  # only a symbolic link can be listed and not exist
                dangling.append(path)
                continue
            real = _real_path(path)
            if real in files:
                repeated.append((path, f"the same file as {files[real]}"))
                continue
            files[real] = path
            found.append(path)
    return found, dangling, repeated


def _walk(root):
    # os.walk lists the local disk fastest and follows its links; other filesystems have none.
    return os.walk(root, followlinks=True) if is_local(root) else tf.io.gfile.walk(root)


def _real_path(path):
    return os.path.realpath(path) if is_local(path) else path


def _top_folder(path, root):
    """The name of the immediate subfolder of `root` that holds `path` (or the file's name)."""
    return path[len(root) :].lstrip("/").split("/")[0]


def _normalized_root(root):
    if is_local(root):
        return os.path.abspath(os.path.expanduser(root))
    scheme, _, rest = root.partition("://")
    return f"{scheme}://{rest.rstrip('/')}"


def list_images(root, labels=False, bad_files="skip", min_size=1):
    """Lists, checks and labels the images under `root` (see the module docstring)."""
    root = _normalized_root(root)
    if not tf.io.gfile.isdir(root):
        raise DatasetNotFoundError(
            f"Image folder {root!r} does not exist or is not a directory; pass an existing "
            f"folder as {PREFIX}PATH."
        )
    candidates, dangling, repeated = _find_images(root)
    if repeated:
        logging.warning(
            "Left out what symbolic links lead to twice under %s: %s.",
            root,
            "; ".join(f"{path} ({why})" for path, why in repeated),
        )
    candidates = sorted(candidates + dangling)
    if not candidates:
        raise DatasetNotFoundError(
            f"Image folder {root!r} holds no images (searched recursively for "
            f"{', '.join(IMAGE_EXTENSIONS)}); add images or point {PREFIX}PATH elsewhere."
        )
    classes = []
    if labels:
        top = [_top_folder(path, root) for path in candidates]
        loose = [path for path, first in zip(candidates, top) if first == os.path.basename(path)]
        if loose:
            raise DatasetError(
                f"image_folder.labels=True takes classes from the subfolders of {root!r}, but "
                f"{len(loose)} images lie directly in it (e.g. {loose[0]!r}); move them into a "
                "class subfolder or set image_folder.labels=False."
            )
        classes = sorted(set(top))
    files, skipped = [], []
    for path in candidates:
        reason = (
            f"dangling symbolic link to {os.readlink(path)}"
            if path in dangling
            else _problem(path, min_size, decode=bad_files == "fail")
        )
        if reason is None:
            files.append(path)
        else:
            skipped.append((path, reason))
    if skipped and bad_files == "fail":
        raise DatasetError(
            f"{_bad_files_summary(skipped, len(candidates), root)}. Fix or remove them, or set "
            'image_folder.bad_files = "skip" to leave them out.'
        )
    if skipped:
        logging.warning("Skipped %s.", _bad_files_summary(skipped, len(candidates), root))
    if not files:
        raise DatasetNotFoundError(
            f"None of the {len(candidates)} image files under {root!r} can be used (first: "
            f"{skipped[0][0]!r}: {skipped[0][1]}); replace them with valid images."
        )
    index = {name: i for i, name in enumerate(classes)}
    file_labels = [index[_top_folder(path, root)] if labels else 0 for path in files]
    return FolderListing(root, files, file_labels, classes, skipped)


def split_indices(num_files, split, eval_fraction):
    """Indices of `split` among the sorted readable files."""
    if eval_fraction == 0.0:
        return np.arange(num_files)
    order = np.random.default_rng(0).permutation(num_files)
    num_eval = int(round(eval_fraction * num_files))
    chosen = order[:num_eval] if split == "eval" else order[num_eval:]
    return np.sort(chosen)


class FolderSource(Source):
    default_resolution = 64

    def __init__(self, root):
        self.root = root

    def _listing(self):
        options = folder_options()
        listing = list_images(
            self.root, options["labels"], options["bad_files"], options["min_size"]
        )
        return listing, options

    def info(self, name, resolution):
        listing, options = self._listing()
        sizes = {
            split: len(split_indices(len(listing.files), split, options["eval_fraction"]))
            for split in ("train", "eval")
        }
        fraction = options["eval_fraction"]
        splits = (
            {"train": "all images", "eval": "all images"}
            if fraction == 0.0
            else {"train": f"{1 - fraction:.0%} of the images", "eval": f"{fraction:.0%}"}
        )
        return DatasetInfo(
            name=name,
            shape=(resolution, resolution, options["channels"]),
            num_classes=len(listing.classes),
            num_examples=sizes,
            splits=splits,
            source=listing.root,
        )

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        listing, options = self._listing()
        chosen = split_indices(len(listing.files), split, options["eval_fraction"])
        paths = [listing.files[i] for i in chosen]
        labels = np.array([listing.labels[i] for i in chosen], dtype=np.int32)
        num_pipelines, index = pipeline_position(input_context)
        channels = options["channels"]

        def load(path, label):
            image = preprocessing.decode_image(tf.io.read_file(path), channels)
            square = preprocessing.center_square_crop(image)
            return preprocessing.resize(square, resolution), label

        dataset = tf.data.Dataset.from_tensor_slices((paths, labels)).shard(num_pipelines, index)
        dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        if options["bad_files"] == "skip":
            dataset = dataset.ignore_errors(log_warning=True)
        return Examples(
            dataset=dataset,
            finalize=preprocessing.to_model_range,
            bytes_per_example=resolution * resolution * channels * 4,
            count=len(range(index, len(paths), num_pipelines)),
        )
