"""Command line of compare_gan_tf: absl flags plus gin.

    compare_gan_tf --model_dir=DIR [--gin_config=FILE ...] [--gin_bindings=BINDING ...]
                   [--schedule=train_and_eval,export]

--gin_config takes a path or the name of a config shipped in compare_gan_tf/gin_configs/. With
no flags it runs the embedded default, digits_sndcgan.gin: it trains a class-conditional SNDCGAN
on scikit-learn's handwritten digits at 32 px, scores each checkpoint (digits FID) and exports
the generator as a TF-Hub module.

Schedules, run in the order given (Estimator's modes): train; eval (score every unscored
checkpoint); continuous_eval (score checkpoints as they appear); train_and_eval (train, scoring
each checkpoint as it is saved); truncation_curve (score the newest checkpoint across truncation
thresholds); export (the newest checkpoint as hub modules in model_dir/hub). A schedule without
training reuses model_dir/config.gin (the run's bindings) unless --gin_config is given.

Preemption: on SIGTERM, training finishes its current loop, saves a checkpoint, prints that it
was preempted and exits with status 75 (EX_TEMPFAIL: retry); rerunning the command resumes.
"""

import os
import sys

from absl import app, flags

SCHEDULES = ("train", "eval", "continuous_eval", "train_and_eval", "truncation_curve", "export")
DEFAULT_CONFIG = "digits_sndcgan.gin"
# sysexits.h's EX_TEMPFAIL ("try again later"): a job runner can tell a preemption from a failure.
PREEMPTED_STATUS = 75
SHIPPED_CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gin_configs")
# train's step counts; the intervals among them may also be None (never).
STEP_BINDINGS = ("train.training_steps", "train.steps_per_loop")
INTERVAL_BINDINGS = (
    "train.save_checkpoints_steps",
    "train.summary_steps",
    "train.sample_steps",
    "train.singular_value_steps",
)

_MODEL_DIR = flags.DEFINE_string(
    "model_dir", "runs/default", "Directory for everything a run writes; a rerun resumes there."
)
_GIN_CONFIG = flags.DEFINE_multi_string(
    "gin_config", [DEFAULT_CONFIG], "gin files (paths or shipped names), applied in order."
)
_GIN_BINDINGS = flags.DEFINE_multi_string(
    "gin_bindings", [], 'gin bindings applied after the files, e.g. "train.training_steps=100".'
)
_SCHEDULE = flags.DEFINE_list(
    "schedule", ["train_and_eval", "export"], f"What to run, in order: {', '.join(SCHEDULES)}."
)


def shipped_configs():
    """Names of the gin configs that come with the package."""
    return sorted(name for name in os.listdir(SHIPPED_CONFIGS) if name.endswith(".gin"))


def find_config(name):
    """The path of a gin config given as a path or as the name of a shipped one."""
    if os.path.isfile(name):
        return name
    shipped = os.path.join(SHIPPED_CONFIGS, name)
    if os.path.isfile(shipped):
        return shipped
    raise app.UsageError(
        f"gin config {name!r} is neither a file nor a shipped config; pass a path, or one of "
        f"{', '.join(shipped_configs())}."
    )


def parse_gin(configs, bindings):
    """Parses the configs and bindings; a bad one becomes a UsageError naming it."""
    import gin

    paths = [find_config(name) for name in configs]
    try:
        gin.parse_config_files_and_bindings(paths, bindings)
    except (ValueError, KeyError, NameError, TypeError, SyntaxError) as error:
        raise app.UsageError(
            f"Bad gin configuration ({type(error).__name__}): {error}. Check the names against "
            "the files in gin_configs/ and the docstrings of the configurables."
        ) from None


def check_step_bindings():
    """A step count bound to a non-integer fails here, not as a TypeError deep in training."""
    import gin

    for binding in STEP_BINDINGS + INTERVAL_BINDINGS:
        try:
            value = gin.query_parameter(binding)
        except ValueError:  # not bound: the default applies
            continue
        allowed_none = binding in INTERVAL_BINDINGS and value is None
        if not allowed_none and (isinstance(value, bool) or not isinstance(value, int)):
            raise app.UsageError(
                f"{binding} must be an integer number of steps, got {value!r}; "
                f"bind e.g. {binding} = 1000."
            )


def check_schedule(schedule):
    unknown = [name for name in schedule if name not in SCHEDULES]
    if unknown or not schedule:
        raise app.UsageError(
            f"Unknown schedule {', '.join(unknown) or '(empty)'}; use a comma-separated list of "
            f"{', '.join(SCHEDULES)}."
        )
    return schedule


def gin_configs(model_dir, schedule):
    """The configs to parse: --gin_config, or the run's own config.gin when the schedule only
    reads an earlier run and no config was named."""
    saved = os.path.join(model_dir, "config.gin")
    reuse = not flags.FLAGS["gin_config"].present and "train" not in " ".join(schedule)
    return [saved] if reuse and os.path.isfile(saved) else _GIN_CONFIG.value


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    model_dir = _MODEL_DIR.value
    schedule = check_schedule(_SCHEDULE.value)
    # TensorFlow loads only after the flags parse, so a typo fails fast.
    from compare_gan_tf.data import DatasetError, DatasetNotFoundError
    from compare_gan_tf.training import runner, schedules
    from compare_gan_tf.training.experiment import ConfigError

    parse_gin(gin_configs(model_dir, schedule), _GIN_BINDINGS.value)
    check_step_bindings()

    try:
        for name in schedule:
            print(schedules.run(name, model_dir))
    except runner.Preempted as preempted:
        print(
            f"Preempted (SIGTERM) at step {preempted.step}; its checkpoint is saved in "
            f"{model_dir}. Rerun this command to resume.",
            flush=True,
        )
        return PREEMPTED_STATUS
    except (
        runner.ModelDirError,
        runner.WorkerLostError,
        ConfigError,
        DatasetError,
        DatasetNotFoundError,
    ) as error:
        sys.exit(str(error))  # the message names the thing and the fix; no traceback


def run():
    app.run(main)


if __name__ == "__main__":
    run()
