"""A study whose study_dir is on ram:// (the stand-in for gs://): its Optuna storage is a journal
file there, its trials and analysis land there, and nothing lands on the local disk."""

import os
import uuid

import optuna
import pytest
import tensorflow as tf

from compare_gan_tf.study import load_definition, open_study, optimize, write_report
from compare_gan_tf.study.journal import FileJournal, JournalInUseError
from compare_gan_tf.study.storage import retry_orphaned_trials

TrialState = optuna.trial.TrialState


def _ram_dir():
    return f"ram://{uuid.uuid4().hex}/study"


@pytest.mark.slow
def test_a_study_on_ram_runs_and_reports_there(tiny_study, empty_cwd):
    definition = load_definition(tiny_study(steps=10, trials=2))
    study_dir = _ram_dir()
    study = optimize(definition, study_dir)
    paths = write_report(study, definition, study_dir)

    assert os.listdir(empty_cwd) == []
    assert sorted(tf.io.gfile.listdir(study_dir)) == sorted(
        ["study.journal", "trials", *(path.rpartition("/")[2] for path in paths)]
    )
    assert [trial.state for trial in study.get_trials()] == [TrialState.COMPLETE] * 2
    for number in (0, 1):
        model_dir = f"{study_dir}/trials/{number}"
        assert study.trials[number].user_attrs["model_dir"] == model_dir
        assert tf.train.latest_checkpoint(model_dir) == f"{model_dir}/ckpt-10"
    assert paths[0] == f"{study_dir}/results.csv" and paths[-1] == f"{study_dir}/report.md"
    assert f"{study_dir}/budget_modes_recovered.png" in paths
    for path in paths:
        with tf.io.gfile.GFile(path, "rb") as file:
            start = file.read(8)
        assert start == b"\x89PNG\r\n\x1a\n" if path.endswith(".png") else start
    with tf.io.gfile.GFile(f"{study_dir}/results.csv") as file:
        assert len(file.read().splitlines()) == 3  # a header and a row per trial
    # A fresh storage reads the same study back from the journal file alone.
    reopened = open_study(definition, study_dir)
    assert [t.value for t in reopened.get_trials()] == [t.value for t in study.get_trials()]
    assert [t.params for t in reopened.get_trials()] == [t.params for t in study.get_trials()]


def test_a_trial_left_running_is_failed_and_retried(tiny_study, empty_cwd):
    definition = load_definition(tiny_study())
    study_dir = _ram_dir()
    dead_worker = open_study(definition, study_dir)
    dead_worker.ask()  # trial 0, RUNNING in the journal when its worker dies

    study = open_study(definition, study_dir)
    retry_orphaned_trials(study)
    trials = study.get_trials()
    assert [trial.state for trial in trials] == [TrialState.FAIL, TrialState.WAITING]
    assert trials[1].system_attrs["failed_trial"] == 0
    assert trials[1].params == trials[0].params
    assert os.listdir(empty_cwd) == []


def test_a_second_worker_on_the_journal_is_refused(empty_cwd):
    path = f"{_ram_dir()}/study.journal"
    first, second = FileJournal(path), FileJournal(path)
    first.append_logs([{"op_code": 0}])
    assert list(FileJournal(path).read_logs(0)) == [{"op_code": 0}]
    with pytest.raises(JournalInUseError, match=f"Another worker changed the study journal {path}"):
        second.append_logs([{"op_code": 1}])
    first.append_logs([{"op_code": 2}])
    assert list(FileJournal(path).read_logs(1)) == [{"op_code": 2}]
