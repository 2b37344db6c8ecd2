"""Opens a study's Optuna storage: SQLite in a local study directory, an Optuna journal file in
one elsewhere (gs://, ram://; see journal.py), or any SQLAlchemy URL.

Trials report a heartbeat every `heartbeat_seconds` (database storages); a RUNNING trial silent
for twice that (its process was killed) is marked FAIL by the next worker and re-enqueued with
the same parameters, up to MAX_RETRIES times (Optuna's RetryHeartbeatStaleTrialCallback). The
journal has no heartbeats but only one worker, so a trial it finds RUNNING when the worker
starts was left by a dead one, and is failed and retried the same way.
"""

import os
import time
import warnings

import optuna
import sqlalchemy
import tensorflow as tf

from compare_gan_tf.paths import is_local
from compare_gan_tf.study.definition import StudyFileError
from compare_gan_tf.study.journal import FileJournalStorage
from compare_gan_tf.study.samplers import make_sampler

DATABASE_NAME = "study.db"
MAX_RETRIES = 3
# Seconds a SQLite writer waits for another worker's lock before "database is locked".
SQLITE_LOCK_TIMEOUT = 60
# Tries at opening a storage whose schema another worker may be creating at the same moment.
SCHEMA_ATTEMPTS = 5


def default_storage_url(study_dir):
    """The SQLite file a study keeps in its (local) directory."""
    return f"sqlite:///{os.path.abspath(os.path.join(study_dir, DATABASE_NAME))}"


def retry_orphaned_trials(study):
    """Fails and re-enqueues the trials a study file journal holds as RUNNING: with one worker
    per journal, the worker that ran them is dead. Database storages use heartbeats instead."""
    storage = study._storage
    if not isinstance(storage, FileJournalStorage):
        return
    with warnings.catch_warnings():
        # Marked experimental in Optuna 4.9, as in make_storage.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES)
        for trial in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
            storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
            retry(study, storage.get_trial(trial._trial_id))


def make_storage(url, heartbeat_seconds):
    """An RDBStorage with heartbeats and retries of trials whose process died."""
    engine_kwargs = {}
    if url.startswith("sqlite"):
        engine_kwargs = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT}}
    with warnings.catch_warnings():
        # Heartbeats and retries are marked experimental in Optuna 4.9; they are what we need.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=heartbeat_seconds,
            grace_period=2 * heartbeat_seconds,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=MAX_RETRIES
            ),
        )


def open_study(definition, study_dir, storage_url=None):
    """Creates the Optuna study, or loads it when it exists (a restart loses nothing).

    The definition is stored with the study; reopening it with a file that changes what a trial
    means (anything but trials and heartbeat_seconds) is refused.
    """
    tf.io.gfile.makedirs(study_dir)
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            if storage_url or is_local(study_dir):
                url = storage_url or default_storage_url(study_dir)
                storage = make_storage(url, definition.heartbeat_seconds)
            else:
                storage = FileJournalStorage(study_dir)
            study = optuna.create_study(
                storage=storage,
                sampler=make_sampler(definition),
                study_name=definition.name,
                direction=definition.direction,
                load_if_exists=True,
            )
            break
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError):
            # Workers starting together race to create the schema ("table studies already
            # exists"); the loser finds it complete on the next try.
            if attempt == SCHEMA_ATTEMPTS - 1:
                raise
            time.sleep(1.0 + attempt)
    stored = study.user_attrs.get("definition")
    if stored is None:
        study.set_user_attr("definition", definition.fingerprint())
    elif stored != definition.fingerprint():
        raise StudyFileError(
            f"{definition.path}: study {definition.name!r} in {storage.url} was started from a "
            "different definition (only trials and heartbeat_seconds may change); restore the "
            "old file, or give this one a new [study] name or --study_dir."
        )
    return study
