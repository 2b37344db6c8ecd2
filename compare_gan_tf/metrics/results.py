"""Result files: JSON lines (one row per score) and JSON, written atomically (never torn)."""

import json
import os

import tensorflow as tf

from compare_gan_tf.files import write_atomically


def read_results(path):
    """The rows of a results file as a list of dicts ([] when it does not exist yet)."""
    path = os.fspath(path)
    if not tf.io.gfile.exists(path):
        return []
    with tf.io.gfile.GFile(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def append_result(path, row):
    """Appends `row` (a JSON-serialisable dict) to the results file at `path`, atomically."""
    rows = read_results(path) + [row]
    write_text(path, "".join(json.dumps(item, sort_keys=True) + "\n" for item in rows))


def write_json(path, value):
    """Writes `value` as indented JSON to `path`, atomically."""
    write_text(path, json.dumps(value, indent=1, sort_keys=True) + "\n")


def write_text(path, text):
    """Writes `text` next to `path` and renames it into place: a crash leaves the old file or
    the new one, never a torn one."""
    directory = os.path.dirname(os.fspath(path))
    if directory:
        tf.io.gfile.makedirs(directory)
    write_atomically(path, text)
