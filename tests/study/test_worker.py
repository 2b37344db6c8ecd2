"""Running studies: a killed worker's trial is retried once, workers share a storage, divergence
is pruned, and the analysis is written."""

import os
import signal
import subprocess
import time

import optuna
import pytest
import tensorflow as tf

from compare_gan_tf.study import load_definition, optimize, results_table, write_report
from compare_gan_tf.study.worker import worker_command


def _start_worker(study_file, study_dir, *flags):
    command = worker_command(study_file, study_dir, *flags)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_for(condition, process, timeout=240):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{process.stdout.read()[-3000:]}")
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.1)


def test_a_killed_study_restarts_and_records_each_trial_once(tiny_study, tmp_path, caplog):
    study_file = tiny_study(steps=200, trials=2)
    study_dir = tmp_path / "study"
    worker = _start_worker(study_file, study_dir)
    # Kill it mid-trial, once trial 0 has written a checkpoint.
    _wait_for(lambda: tf.train.latest_checkpoint(str(study_dir / "trials" / "0")), worker)
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    definition = load_definition(study_file)
    caplog.set_level("INFO", logger="absl")  # whatever verbosity earlier tests left
    study = optimize(definition, str(study_dir))

    trials = study.get_trials()
    # Trial 0 died RUNNING; its retry continued in trials/0 from its checkpoint. Whether the
    # retry or a new trial comes first depends on when the heartbeat went stale.
    assert trials[0].state == optuna.trial.TrialState.FAIL
    assert "Resumed from" in caplog.text and "trials/0/ckpt-" in caplog.text
    table = results_table(study, definition.method)
    assert sorted(table["number"]) == [1, 2]
    assert table["state"].tolist() == ["complete", "complete"]
    retry = table[table["retry_of"] == 0].iloc[0]
    new = table[table["retry_of"].isna()].iloc[0]
    assert retry["model_dir"].endswith(os.path.join("trials", "0"))
    assert new["model_dir"].endswith(os.path.join("trials", str(new["number"])))
    assert tf.train.latest_checkpoint(retry["model_dir"]).endswith("ckpt-200")
    assert trials[retry["number"]].params == trials[0].params  # the retry kept the setting
    # Running again finds the study complete and adds nothing.
    assert len(optimize(definition, str(study_dir)).get_trials()) == 3


def test_two_workers_on_one_storage_run_distinct_trials(tiny_study, tmp_path):
    study_file = tiny_study(steps=50, trials=4)
    study_dir = tmp_path / "study"
    workers = [_start_worker(study_file, study_dir) for _ in range(2)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [out[-2500:] for out in outputs]

    definition = load_definition(study_file)
    storage = f"sqlite:///{study_dir / 'study.db'}"
    study = optuna.load_study(study_name=definition.name, storage=storage)
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    # Workers claim independently: two may each take the last slot (see study/worker.py).
    assert 4 <= len(done) <= 5
    assert len({trial.user_attrs["model_dir"] for trial in done}) == len(done)
    assert len({tuple(sorted(trial.params.items())) for trial in done}) == len(done)
    assert len({trial.user_attrs["worker"] for trial in done}) == 2


def test_a_diverged_trial_is_pruned_and_the_analysis_is_written(tiny_study, tmp_path):
    # A learning rate of 1e20 overflows the critic's weights within a few steps.
    study_file = tiny_study(steps=50, trials=1, low=1e20, high=1e21)
    definition = load_definition(study_file)
    study_dir = str(tmp_path / "study")
    study = optimize(definition, study_dir)
    (trial,) = study.get_trials()
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert "Non-finite" in trial.user_attrs["diverged"]

    paths = write_report(study, definition, study_dir)
    assert sorted(os.path.basename(path) for path in paths) == [
        "budget_modes_recovered.png",
        "report.md",
        "results.csv",
    ]
    with open(os.path.join(study_dir, "report.md")) as file:
        report = file.read()
    assert "1 trials: 1 pruned" in report
    # The diverged setting counts as the mixture scorer's worst: 0 modes.
    assert "| 1 | 1 | 0 | 0 |" in report


@pytest.mark.parametrize("threshold, state", [(9, "pruned"), (-1, "complete")])
def test_a_score_past_the_divergence_threshold_is_pruned(tiny_study, tmp_path, threshold, state):
    study_file = tiny_study(
        steps=10, trials=1, objective_extra=f"divergence_threshold = {threshold}"
    )
    study = optimize(load_definition(study_file), str(tmp_path / "study"))
    (trial,) = study.get_trials()
    assert trial.state.name.lower() == state
    assert ("past the divergence threshold 9" in trial.user_attrs.get("diverged", "")) == (
        state == "pruned"
    )
    assert 0 <= trial.user_attrs["score:modes_recovered"] <= 8


def test_a_balanced_study_gives_each_choice_its_share_and_records_step_costs(tiny_study, tmp_path):
    # Seed 3 alone draws "hinge" for 3 of the first 4 trials; balance gives each loss 2.
    study_file = tiny_study(
        steps=20,
        trials=4,
        study_extra='balance = ["loss"]',
        extra_bindings=["train.summary_steps = 10"],
    )
    definition = load_definition(study_file)
    table = results_table(optimize(definition, str(tmp_path / "study")), definition.method)
    assert table["loss"].value_counts().to_dict() == {"non_saturating": 2, "hinge": 2}
    assert (table["seconds_per_step"] > 0).all()
