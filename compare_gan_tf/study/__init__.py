"""Studies: many settings of one model (Optuna), result tables, budget curves and reports.

    from compare_gan_tf import study
    definition = study.load_definition("studies/gaussian_mixtures.toml")
    optuna_study = study.optimize(definition, "runs/study")  # run or continue; workers may share
    study.write_report(optuna_study, definition, "runs/study")  # results.csv, *.png, report.md

The command line is compare_gan_tf-study (compare_gan_tf/commands/study.py). Names load
lazily, so reading a study file does not import TensorFlow.
"""

import importlib

_MODULES = {
    "analysis": ("best_within_budget", "budget_curves", "results_table", "setting_scores"),
    "definition": (
        "Parameter",
        "StudyDefinition",
        "StudyFileError",
        "load_definition",
        "parse_definition",
    ),
    "worker": ("check_bindings", "optimize"),
    "report": ("plot_budget_curves", "write_budget_plots", "write_report"),
    "trial_scores": ("SCORERS", "get_scorer", "register_scorer"),
    "storage": ("default_storage_url", "open_study"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
