"""Study throughput: trials per hour with one and with two workers sharing one study.

Runs `compare_gan_tf-study` on a fresh study directory, once with one worker process and once
with two on the same SQLite storage, each time until the study holds `trials` trials, and
reports finished trials per hour of wall time (process start to the last worker's exit, so
TensorFlow's import and each worker's set-up count). Default: the ring8 study
(studies/gaussian_mixtures.toml, 10,000-step trials), 6 trials per run. --quick: 2 trials of
the tiny ring8 study of 100 steps.
"""

import os
import subprocess
import tempfile
import time

from benchmarks import common
from compare_gan_tf.study.worker import worker_command

STUDY = common.ROOT / "studies" / "gaussian_mixtures.toml"
QUICK_BINDINGS = ('"train.training_steps = 10000"', '"train.training_steps = 100"')


def _quick_study(directory):
    text = STUDY.read_text().replace(*QUICK_BINDINGS)
    path = os.path.join(directory, "quick.toml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def _finished_trials(study_file, study_dir):
    import optuna

    from compare_gan_tf.study import load_definition
    from compare_gan_tf.study.storage import default_storage_url

    name = load_definition(study_file).name
    study = optuna.load_study(study_name=name, storage=default_storage_url(study_dir))
    return sum(trial.state.is_finished() for trial in study.get_trials(deepcopy=False))


def time_workers(study_file, workers, trials):
    """(wall seconds, finished trials) for `workers` processes sharing a fresh study that
    asks for `trials` (workers claim independently, so two may finish one extra)."""
    with tempfile.TemporaryDirectory() as study_dir:
        command = worker_command(study_file, study_dir, f"--trials={trials}")
        start = time.perf_counter()
        processes = [
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(workers)
        ]
        errors = [process.communicate()[1] for process in processes]
        seconds = time.perf_counter() - start
        failed = [error[-2000:] for process, error in zip(processes, errors) if process.returncode]
        if failed:
            raise RuntimeError(f"a worker failed:\n{failed[0]}")
        return seconds, _finished_trials(study_file, study_dir)


def run(quick=False, trials=6):
    with tempfile.TemporaryDirectory() as directory:
        study_file = _quick_study(directory) if quick else str(STUDY)
        trials = 2 if quick else trials
        results = {}
        for workers in (1, 2):
            seconds, finished = time_workers(study_file, workers, trials)
            results[f"{workers}_workers"] = {
                "trials": finished,
                "wall_seconds": round(seconds, 1),
                "trials_per_hour": round(3600 * finished / seconds, 1),
            }
    notes = [f"study: {'tiny ring8 (100 steps)' if quick else STUDY.name}, {trials} trials"]
    return common.payload("study_throughput", quick, results, notes=notes)


def table(results):
    rows = [["workers", "trials", "wall s", "trials/hour"]]
    for name, result in results.items():
        rows.append([name, result["trials"], result["wall_seconds"], result["trials_per_hour"]])
    return rows


if __name__ == "__main__":
    common.main("study_throughput", run, table)
