"""Result files: JSON lines (one row per score) and JSON, written atomically (never torn)."""

import json
import os

import tensorflow as tf
from absl import logging

from compare_gan_tf.files import write_file

# Where append_result keeps a torn last line it drops from a results file.
TORN_SUFFIX = ".torn"


def _rows_and_torn_line(path):
    """(rows, the torn last line or None); a bad line before the last is an error."""
    if not tf.io.gfile.exists(path):
        return [], None
    with tf.io.gfile.GFile(path) as file:
        lines = [line.strip() for line in file if line.strip()]
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            if number == len(lines):
                return rows, line
            raise ValueError(
                f"{path}, line {number} of {len(lines)}, is not a JSON row ({error.msg}); "
                "mend or delete that line, then rerun."
            ) from None
    return rows, None


def read_results(path):
    """The rows of a results file as a list of dicts ([] when it does not exist yet).

    A torn last line (a write cut short outside this library) is left out with a warning.
    """
    path = os.fspath(path)
    rows, torn = _rows_and_torn_line(path)
    if torn is not None:
        logging.warning("%s: its last line is torn and is left out: %.80s", path, torn)
    return rows


def append_result(path, row):
    """Appends `row` (a JSON-serialisable dict) to the results file at `path`, atomically.

    A torn last line is moved to `path + TORN_SUFFIX` first, so nothing is lost.
    """
    path = os.fspath(path)
    rows, torn = _rows_and_torn_line(path)
    if torn is not None:
        kept = path + TORN_SUFFIX
        earlier = ""
        if tf.io.gfile.exists(kept):
            with tf.io.gfile.GFile(kept) as file:
                earlier = file.read()
        write_text(kept, earlier + torn + "\n")
        logging.warning("%s: its torn last line was moved to %s.", path, kept)
    rows.append(row)
    write_text(path, "".join(json.dumps(item, sort_keys=True) + "\n" for item in rows))


def write_json(path, value):
    """Writes `value` as indented JSON to `path`, atomically."""
    write_text(path, json.dumps(value, indent=1, sort_keys=True) + "\n")


def write_text(path, text):
    """Writes `text` next to `path` and renames it into place: a crash leaves the old file or
    the new one, never a torn one."""
    write_file(path, text)
