"""A quiet terminal: TensorFlow's C++ start-up lines silenced, Python log lines above the
progress bars, other libraries' INFO lines only on request (--verbosity=0).

TF_CPP_MIN_LOG_LEVEL and absl's --verbosity keep working: a value the user sets wins.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile

_TF_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
# Set before TensorFlow loads: hides its C++ INFO, WARNING and ERROR lines (CUDA probing,
# grappler's "remapper failed") on a machine where they carry no news; Python errors still raise.
_QUIET_LEVEL = "3"
# TensorFlow logs these before its log level is read, once per shared library it loads.
_STARTUP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IW]\d{4} "
    r"|To enable the following instructions)"
)
_quiet_by_us = False
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def silence_tensorflow_cpp_logs():
    """Sets TF_CPP_MIN_LOG_LEVEL=3 unless the user set it; call before TensorFlow loads."""
    global _quiet_by_us
    if _TF_LOG_LEVEL not in os.environ:
        os.environ[_TF_LOG_LEVEL] = _QUIET_LEVEL
        _quiet_by_us = True


@contextlib.contextmanager
def _stderr_without(pattern):
    """Captures file descriptor 2 (where C++ writes) and replays the lines `pattern` misses."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to capture: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not pattern.match(line)))
            sys.stderr.flush()


def import_tensorflow():
    """Imports TensorFlow without its start-up banner (when the log level is ours)."""
    if "tensorflow" in sys.modules or not _quiet_by_us:
        import tensorflow  # noqa: F401

        return
    with _stderr_without(_STARTUP_LINE):
        import tensorflow  # noqa: F401


class _AboveProgressBars:
    """A stream for log handlers: each line printed above any tqdm bar, not through it."""

    def write(self, text):
        import tqdm

        if text.strip():
            tqdm.tqdm.write(text.rstrip("\n"), file=sys.stderr)

    def flush(self):
        sys.stderr.flush()

    def close(self):
        """Called by logging's shutdown; sys.stderr stays open."""


class _OwnInfo(logging.Filter):
    """Passes warnings and worse from anywhere, and INFO lines of this package only."""

    def filter(self, record):
        return record.levelno >= logging.WARNING or record.pathname.startswith(_PACKAGE_DIR)


class _Plain(logging.Formatter):
    """The message alone; warnings and errors prefixed with their level."""

    def format(self, record):
        message = super().format(record)
        return message if record.levelno < logging.WARNING else f"{record.levelname}: {message}"


def quiet_logging(verbosity_set):
    """absl's log lines above the progress bars; unless the user chose a --verbosity
    (`verbosity_set`), only this package's INFO lines and everyone's warnings, without the
    time-and-thread prefix."""
    from absl import logging as absl_logging

    handler = absl_logging.get_absl_handler()
    handler.python_handler.stream = _AboveProgressBars()
    logging.captureWarnings(True)  # Python warnings through the same handler
    if not verbosity_set:
        handler.addFilter(_OwnInfo())
        handler.setFormatter(_Plain())
