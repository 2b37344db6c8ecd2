"""Command line of compare_gan_tf: absl flags over `compare_gan_tf.run`.

    compare_gan_tf --model_dir=DIR [--gin_config=FILE ...] [--gin_bindings=BINDING ...]
                   [--schedule=train_and_eval,export]

--gin_config takes a path or the name of a config shipped in compare_gan_tf/gin_configs/. With
no flags it runs the embedded default, digits_sndcgan.gin: it trains a class-conditional SNDCGAN
on scikit-learn's handwritten digits at 32 px, scores each checkpoint (digits FID) and exports
the generator as a TF-Hub module. The schedules are those of compare_gan_tf.schedules.run; a
schedule without training reuses model_dir/config.gin unless --gin_config is given.

--list_configurables prints every gin configurable of the package (the first line of its
docstring, its parameters and their defaults) and exits.

Exit statuses (shared by every compare_gan_tf command, see commands/entry.py):
    0   done.
    1   an error a user can fix (a bad gin binding, a missing file or checkpoint, a non-finite
        loss...): one message naming it and the fix, without a traceback.
    2   a usage error (unknown flag, bad flag value, unexpected argument, unknown schedule):
        one line, reported before TensorFlow loads.
    75  preempted: on SIGTERM, training finishes its current loop, saves a checkpoint, prints
        that it was preempted and exits with EX_TEMPFAIL (retry); rerunning resumes.
--debug prints the full traceback of any error; other exceptions (bugs) always show theirs. gin
syntax errors in --gin_config or --gin_bindings are reported before TensorFlow loads; unknown
names once the configurables are imported.
"""

import sys

from absl import app, flags

from compare_gan_tf.commands import entry

# The exit status of a preemption (sysexits.h's EX_TEMPFAIL), as every command uses it.
PREEMPTED_STATUS = entry.PREEMPTED_STATUS

_MODEL_DIR = flags.DEFINE_string(
    "model_dir", "runs/default", "Directory for everything a run writes; a rerun resumes there."
)
_GIN_CONFIG = flags.DEFINE_multi_string(
    "gin_config",
    None,
    "gin files (paths or shipped names), applied in order; default: "
    "digits_sndcgan.gin, or model_dir/config.gin for schedules that do not train.",
)
_GIN_BINDINGS = flags.DEFINE_multi_string(
    "gin_bindings", [], 'gin bindings applied after the files, e.g. "train.training_steps=100".'
)
_SCHEDULE = flags.DEFINE_list(
    "schedule",
    ["train_and_eval", "export"],
    "What to run, in order: train, eval, continuous_eval, train_and_eval, truncation_curve, "
    "export, sample.",
)
_LIST_CONFIGURABLES = flags.DEFINE_bool(
    "list_configurables",
    False,
    "Print every gin configurable with its parameters and defaults, then exit.",
)


def _check_model_dir(model_dir):
    """A ram:// folder lives in this process's memory: refused without a name, else a warning
    that nothing written there outlives the run."""
    if not model_dir.startswith("ram://"):
        return
    if not model_dir[len("ram://") :].strip("/"):
        raise app.UsageError(
            f"--model_dir={model_dir} names no folder; name one, e.g. --model_dir=ram://run."
        )
    print(
        f"Warning: --model_dir={model_dir} is in memory: nothing written there (checkpoints, "
        "scores, the exported module) outlives this process.",
        file=sys.stderr,
        flush=True,
    )


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    if _LIST_CONFIGURABLES.value:
        from compare_gan_tf.commands.configurables import print_configurables

        print_configurables()
        return 0
    # Checks that need no TensorFlow come first, so a typo fails within a second or two.
    from compare_gan_tf.commands.gin_syntax import check_gin_syntax
    from compare_gan_tf.errors import ConfigError
    from compare_gan_tf.schedules.names import check_schedule

    try:
        schedule = check_schedule(_SCHEDULE.value)
    except ConfigError as error:
        raise app.UsageError(str(error)) from None
    check_gin_syntax(_GIN_CONFIG.value or [], _GIN_BINDINGS.value)
    _check_model_dir(_MODEL_DIR.value)
    from compare_gan_tf import console

    console.import_tensorflow()
    from compare_gan_tf.schedules.run import closing_line
    from compare_gan_tf.schedules.run import run as run_schedules

    outcomes = run_schedules(
        _MODEL_DIR.value,
        _GIN_CONFIG.value,
        _GIN_BINDINGS.value,
        schedule,
        report=lambda line: print(line, flush=True),
    )
    closing = closing_line(outcomes, _MODEL_DIR.value)
    if closing:
        print(closing, flush=True)
    return 0


def run():
    entry.run(main, "compare_gan_tf")


if __name__ == "__main__":
    run()
