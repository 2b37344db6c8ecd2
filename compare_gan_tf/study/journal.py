"""An Optuna journal kept as one JSON-lines file on any TensorFlow filesystem (gs://, ram://).

SQLite needs a local disk with working file locks, so a study_dir on gs:// keeps its storage as
an Optuna journal (one JSON object per storage operation) in study_dir/study.journal instead.
The file has no lock: it serves one worker at a time. Each append rewrites the file atomically,
after checking that nobody else changed it; a second worker is refused with JournalInUseError.
Several workers share a study through a database server (--storage=postgresql://...).
"""

import json

import optuna
import tensorflow as tf
from optuna.storages.journal import BaseJournalBackend

from compare_gan_tf.errors import UserError
from compare_gan_tf.files import write_file

JOURNAL_NAME = "study.journal"


class JournalInUseError(UserError, RuntimeError):
    """Another worker wrote the journal file this worker holds."""


class FileJournal(BaseJournalBackend):
    """The journal's logs, held in memory and written through to `path` on every append."""

    def __init__(self, path):
        self.path = path
        self._text = ""
        if tf.io.gfile.exists(path):
            with tf.io.gfile.GFile(path) as file:
                self._text = file.read()
        self._logs = [json.loads(line) for line in self._text.splitlines() if line.strip()]

    def read_logs(self, log_number_from):
        return self._logs[log_number_from:]

    def append_logs(self, logs):
        size = tf.io.gfile.stat(self.path).length if tf.io.gfile.exists(self.path) else 0
        if size != len(self._text.encode()):
            raise JournalInUseError(
                f"Another worker changed the study journal {self.path}; a study_dir that is not "
                "on the local disk holds one worker at a time. Stop the other worker, or share "
                "the study through a database: --storage=postgresql://..."
            )
        text = self._text + "".join(json.dumps(log, sort_keys=True) + "\n" for log in logs)
        write_file(self.path, text)
        self._text = text
        self._logs.extend(logs)


class FileJournalStorage(optuna.storages.JournalStorage):
    """Optuna's JournalStorage over study_dir/study.journal; `url` names the file, as an
    RDBStorage's names its database."""

    def __init__(self, study_dir):
        self.url = f"{study_dir.rstrip('/')}/{JOURNAL_NAME}"
        super().__init__(FileJournal(self.url))
