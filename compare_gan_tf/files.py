"""File writing shared across the package, through tf.io.gfile so any TF filesystem works.

Local paths, gs://, ram:// and the rest: whatever TensorFlow can open, these helpers can write.
"""

import os
import uuid

import tensorflow as tf

from compare_gan_tf.errors import UserError


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
        kind, cause = _OS_ERRORS.get(type(error), OSError), error.message
    else:
        kind, cause = type(error), error.strerror or str(error)
    return _WRITE_ERRORS.get(kind, WriteError)(f"Cannot write {path}: {cause}")


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
        if "://" not in temporary:
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


# TensorFlow filesystem errors -> the OSError subclass that Python's own file functions raise.
_OS_ERRORS = {
    tf.errors.NotFoundError: FileNotFoundError,
    tf.errors.PermissionDeniedError: PermissionError,
    tf.errors.AlreadyExistsError: FileExistsError,
}


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
