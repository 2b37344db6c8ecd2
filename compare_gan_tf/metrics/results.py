"""Result files: JSON lines (one row per score) and JSON, written atomically (never torn)."""

import json
import os
import tempfile


def read_results(path):
    """The rows of a results file as a list of dicts ([] when it does not exist yet)."""
    if not os.path.exists(path):
        return []
    with open(path) as file:
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
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=".part")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
