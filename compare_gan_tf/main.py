"""Command line of compare_gan_tf: absl flags over `compare_gan_tf.run`.

    compare_gan_tf --model_dir=DIR [--gin_config=FILE ...] [--gin_bindings=BINDING ...]
                   [--schedule=train_and_eval,export]

--gin_config takes a path or the name of a config shipped in compare_gan_tf/gin_configs/. With
no flags it runs the embedded default, digits_sndcgan.gin: it trains a class-conditional SNDCGAN
on scikit-learn's handwritten digits at 32 px, scores each checkpoint (digits FID) and exports
the generator as a TF-Hub module. The schedules are those of compare_gan_tf.training.run; a
schedule without training reuses model_dir/config.gin unless --gin_config is given.

Preemption: on SIGTERM, training finishes its current loop, saves a checkpoint, prints that it
was preempted and exits with status 75 (EX_TEMPFAIL: retry); rerunning the command resumes.
Errors a user can cause print one message, without a traceback, and exit with status 1.
"""

import sys

from absl import app, flags

# sysexits.h's EX_TEMPFAIL ("try again later"): a job runner can tell a preemption from a failure.
PREEMPTED_STATUS = 75

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
    "export.",
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    # TensorFlow loads only after the flags parse, so a flag typo fails fast.
    from compare_gan_tf import console

    console.quiet_logging(verbosity_set=flags.FLAGS["verbosity"].present)
    console.import_tensorflow()
    from compare_gan_tf.errors import UserError
    from compare_gan_tf.training.faults import Preempted
    from compare_gan_tf.training.run import run as run_schedules

    model_dir = _MODEL_DIR.value
    try:
        run_schedules(
            model_dir,
            _GIN_CONFIG.value,
            _GIN_BINDINGS.value,
            _SCHEDULE.value,
            report=lambda line: print(line, flush=True),
        )
    except Preempted as preempted:
        print(
            f"Preempted (SIGTERM) at step {preempted.step}; its checkpoint is saved in "
            f"{model_dir}. Rerun this command to resume.",
            flush=True,
        )
        return PREEMPTED_STATUS
    except UserError as error:
        sys.exit(str(error))  # the message names the thing and the fix; no traceback


def run():
    app.run(main)


if __name__ == "__main__":
    run()
