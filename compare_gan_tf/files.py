"""File writing shared across the package, through tf.io.gfile so any TF filesystem works.

Local paths, gs://, ram:// and the rest: whatever TensorFlow can open, these helpers can write.
"""

import os
import uuid

import tensorflow as tf


def write_atomically(path, data):
    """Writes `data` (bytes or str) to `path` so that readers see the old file or the new one.

    The data goes to a temporary file next to `path`, which is then renamed over it. On any
    failure the temporary is removed, the old file (if any) is left as it was and the error is
    raised again; TensorFlow's filesystem errors become the OSError that open() would give
    (FileNotFoundError for a missing directory...), chained to the original. The file gets the
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
        if isinstance(error, tf.errors.OpError):
            os_error = _OS_ERRORS.get(type(error), OSError)
            raise os_error(f"Cannot write {target}: {error.message}") from error
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
