"""Paths the user names: local ones through os and open(), "scheme://" ones (gs:// on a Cloud
TPU, TensorFlow's in-memory ram:// in tests) through tf.io.gfile.

TensorFlow is imported only for a scheme:// path, so the command line checks local files before
TensorFlow loads (which takes seconds). http:// and https:// addresses are hub handles, not files.
"""

import errno
import os


def is_local(path):
    """Whether `path` is on the local disk (no "scheme://" prefix such as gs:// or ram://)."""
    return "://" not in os.fspath(path)


def is_url(handle):
    """Whether `handle` is a web address (a hub handle for tensorflow_hub), not a file path."""
    return os.fspath(handle).startswith(("http://", "https://"))


def is_file(path):
    """Whether `path` is an existing file (not a folder), on any TensorFlow filesystem."""
    if is_local(path):
        return os.path.isfile(path)
    import tensorflow as tf

    return tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path)


def open_file(path, mode="rb"):
    """`path` opened for reading: open() on the local disk, tf.io.gfile.GFile elsewhere (whose
    errors are TensorFlow's and come at the first read: check that the file exists first)."""
    if is_local(path):
        return open(path, mode)
    import tensorflow as tf

    return tf.io.gfile.GFile(path, mode)


def read_text(path):
    """The UTF-8 text of the file at `path`; an error is the OSError that open() raises
    (FileNotFoundError...), whatever the filesystem."""
    if is_local(path):
        with open(path, encoding="utf-8") as file:
            return file.read()
    import tensorflow as tf

    try:
        with tf.io.gfile.GFile(path) as file:
            return file.read()
    except tf.errors.OpError as error:
        raise os_error(error, path) from error


def os_error_type(error):
    """The OSError subclass that open() raises for TensorFlow filesystem error `error`."""
    import tensorflow as tf

    return {
        tf.errors.NotFoundError: FileNotFoundError,
        tf.errors.PermissionDeniedError: PermissionError,
        tf.errors.AlreadyExistsError: FileExistsError,
    }.get(type(error), OSError)


_ERRNO = {
    FileNotFoundError: errno.ENOENT,
    PermissionError: errno.EACCES,
    FileExistsError: errno.EEXIST,
}


def os_error(error, path):
    """The OSError open() would raise for TensorFlow filesystem error `error` on `path`."""
    kind = os_error_type(error)
    code = _ERRNO.get(kind)
    # ram:// gives NotFoundError an empty message: name the cause as the local disk would.
    return kind(code, os.strerror(code) if code else error.message, os.fspath(path))
