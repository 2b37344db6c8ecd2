"""compare_gan_tf-study: runs or continues a study, or writes its analysis.

    compare_gan_tf-study --study=studies/gaussian_mixtures.toml --study_dir=runs/mixtures
        [--trials=N] [--storage=URL] [--import=MODULE ...] [--analyze]

Without --analyze it trains until the study holds its trials (the file's, or --trials); a rerun
continues where it stopped, and several processes on the same --storage share the work: each
is one worker. With --analyze it writes results.csv, budget_<score>.png and report.md into
--study_dir. --import loads modules that register scorers
(compare_gan_tf.study.trial_scores.register_scorer). Exit statuses: see entry.py.

Paths: the study file and --study_dir may be local or on any TensorFlow filesystem (gs://). The
default storage is a SQLite database in a local --study_dir, and a one-worker journal file in a
gs:// one (SQLite cannot live on an object store); several workers on a gs:// --study_dir need a
shared database: --storage=postgresql://...
"""

import importlib

from absl import app, flags

from compare_gan_tf.commands import entry

_STUDY = flags.DEFINE_string("study", None, "The study file (TOML; local or gs://).", required=True)
_STUDY_DIR = flags.DEFINE_string(
    "study_dir",
    None,
    "Directory for the trials, the default storage and the analysis (local or gs://).",
    required=True,
)
_TRIALS = flags.DEFINE_integer(
    "trials", None, "Number of trials; overrides the study file's.", lower_bound=1
)
_STORAGE = flags.DEFINE_string(
    "storage",
    None,
    "SQLAlchemy URL of the Optuna storage; default: SQLite in a local --study_dir, a one-worker "
    "journal file in a gs:// one.",
)
_IMPORT = flags.DEFINE_multi_string("import", [], "Modules to import before running (scorers).")
_ANALYZE = flags.DEFINE_bool("analyze", False, "Write the table, plots and report; train nothing.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    from compare_gan_tf import study

    definition = study.load_definition(_STUDY.value)
    for module in _IMPORT.value:
        importlib.import_module(module)
    if _ANALYZE.value:
        optuna_study = study.open_study(definition, _STUDY_DIR.value, _STORAGE.value)
        for path in study.write_report(optuna_study, definition, _STUDY_DIR.value):
            print(f"Wrote {path}.")
        return 0
    optuna_study = study.optimize(definition, _STUDY_DIR.value, _STORAGE.value, _TRIALS.value)
    done = sum(trial.state.is_finished() for trial in optuna_study.get_trials(deepcopy=False))
    print(
        f"Study {definition.name!r}: {done} trials finished in {_STUDY_DIR.value}; "
        "--analyze writes the table, plots and report."
    )
    return 0


def run():
    entry.run(main, "compare_gan_tf-study")


if __name__ == "__main__":
    run()
