"""File writing shared across the package, through tf.io.gfile so any TF filesystem works.

Local paths, gs://, ram:// and the rest: whatever TensorFlow can open, these helpers can write.
os.path.join keeps "ram://bucket/run" intact, but os.path.dirname, abspath and makedirs do not
(they make "ram:" a local folder): use `parent` and `tf.io.gfile.makedirs` on run paths.
"""

import io
import os
import uuid

import tensorflow as tf

from compare_gan_tf.errors import UserError
from compare_gan_tf.paths import is_local, os_error_type


class WriteError(UserError, OSError):
    """A file could not be written (a full disk, no permission, a missing folder); the message
    names the path and the cause. Subclasses keep the builtin type: WritePermissionError is a
    PermissionError, and so on."""


class WritePermissionError(WriteError, PermissionError):
    pass


class WriteNotFoundError(WriteError, FileNotFoundError):
    pass


class WriteExistsError(WriteError, FileExistsError):
    pass


_WRITE_ERRORS = {
    PermissionError: WritePermissionError,
    FileNotFoundError: WriteNotFoundError,
    FileExistsError: WriteExistsError,
}


def write_error(path, error):
    """The WriteError naming `path` for `error`, an OSError or a TensorFlow filesystem error."""
    if isinstance(error, WriteError):
        return error
    if isinstance(error, tf.errors.OpError):
        kind, cause = os_error_type(error), error.message
    else:
        kind, cause = type(error), error.strerror or str(error)
    return _WRITE_ERRORS.get(kind, WriteError)(f"Cannot write {path}: {cause}")


def parent(path):
    """The folder holding `path` ("" for a bare name); keeps the "//" of "gs://bucket/x"."""
    # Split at the last "/" by hand: os.path.dirname("ram://name") gives "ram:".
    directory, _, _ = os.fspath(path).rpartition("/")
    return directory + "/" if directory.endswith(":/") else directory


def write_file(path, data):
    """Creates the folder of `path` if needed and writes `data` (bytes or str) atomically."""
    directory = parent(path)
    if directory and not directory.endswith("://"):
        tf.io.gfile.makedirs(directory)
    return write_atomically(path, data)


def write_figure(figure, path, dpi=100):
    """Writes a matplotlib figure as a PNG to `path` on any TF filesystem, atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return write_file(path, buffer.getvalue())


def move_directory(source, target):
    """Moves the folder `source` to `target` (which must not exist).

    One rename on the local disk, so atomic there. Elsewhere file by file, deepest folders
    first (a SavedModel's saved_model.pb arrives last), then `source` is deleted: object stores
    (gs://) have no folder rename, and ram:// renames only the folder's own entry, losing its
    files.
    """
    source, target = os.fspath(source), os.fspath(target)
    if is_local(source) and is_local(target):
        tf.io.gfile.rename(source, target)
        return
    for directory, _, names in tf.io.gfile.walk(source, topdown=False):
        copied = target + directory[len(source) :]
        tf.io.gfile.makedirs(copied)
        for name in names:
            tf.io.gfile.copy(f"{directory}/{name}", f"{copied}/{name}")
    tf.io.gfile.rmtree(source)


def write_atomically(path, data):
    """Writes `data` (bytes or str) to `path` so that readers see the old file or the new one.

    The data goes to a temporary file next to `path`, which is then renamed over it. On any
    failure the temporary is removed, the old file (if any) is left as it was, and OSErrors and
    TensorFlow's filesystem errors become a WriteError naming `path` (a UserError), of the
    OSError type that open() would give (FileNotFoundError for a missing directory...),
    chained to the original. The file gets the
    usual permissions (0644 under umask 022). On local disks the data is synced before the
    rename, so a crash cannot leave an empty file. Returns `path`.
    """
    target = os.fspath(path)
    # Split at the last "/" by hand: os.path.split("ram://name") would drop a slash.
    directory, slash, name = target.rpartition("/")
    temporary = f"{directory}{slash}.{name}.{uuid.uuid4().hex}.tmp"
    try:
        with tf.io.gfile.GFile(temporary, "w" if isinstance(data, str) else "wb") as file:
            file.write(data)
        if is_local(temporary):
            _sync(temporary)
        tf.io.gfile.rename(temporary, target, overwrite=True)
    except BaseException as error:
        try:
            if tf.io.gfile.exists(temporary):
                tf.io.gfile.remove(temporary)
        except (OSError, tf.errors.OpError):
            pass  # The original error matters more than a leftover temporary.
        if isinstance(error, (OSError, tf.errors.OpError)):
            raise write_error(target, error) from error
        raise
    return path


def _sync(local_path):
    descriptor = os.open(local_path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def plain_json_value(value):
    """json.dumps's `default` for numpy scalars and arrays: plain Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serializable")
