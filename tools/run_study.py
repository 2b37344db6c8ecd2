"""Runs or continues a study, or writes its analysis.

    python tools/run_study.py --study=studies/gaussian_mixtures.toml --study_dir=runs/mixtures
        [--trials=N] [--storage=URL] [--import=MODULE ...] [--analyze]

Without --analyze it trains until the study holds its trials (the file's, or --trials); a rerun
continues where it stopped, and several processes on the same --storage share the work. With
--analyze it writes results.csv, budget_<score>.png and report.md into --study_dir.
--import loads modules that register scorers (compare_gan_tf.study.trial_scores.register_scorer).
"""

import importlib

from absl import app, flags

_STUDY = flags.DEFINE_string("study", None, "The study file (TOML).", required=True)
_STUDY_DIR = flags.DEFINE_string(
    "study_dir",
    None,
    "Directory for the trials, the default storage and the analysis (local or gs://).",
    required=True,
)
_TRIALS = flags.DEFINE_integer("trials", None, "Number of trials; overrides the study file's.")
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
    if _TRIALS.value is not None and _TRIALS.value < 1:
        raise app.UsageError(f"--trials must be >= 1, got {_TRIALS.value}.")
    from compare_gan_tf import study

    try:
        definition = study.load_definition(_STUDY.value)
    except study.StudyFileError as error:
        raise app.UsageError(str(error)) from None
    for module in _IMPORT.value:
        importlib.import_module(module)
    if _ANALYZE.value:
        optuna_study = study.open_study(definition, _STUDY_DIR.value, _STORAGE.value)
        for path in study.write_report(optuna_study, definition, _STUDY_DIR.value):
            print(f"Wrote {path}.")
        return
    try:
        optuna_study = study.optimize(definition, _STUDY_DIR.value, _STORAGE.value, _TRIALS.value)
    except study.StudyFileError as error:
        raise app.UsageError(str(error)) from None
    done = sum(trial.state.is_finished() for trial in optuna_study.get_trials(deepcopy=False))
    print(
        f"Study {definition.name!r}: {done} trials finished in {_STUDY_DIR.value}; "
        "--analyze writes the table, plots and report."
    )


if __name__ == "__main__":
    app.run(main)
