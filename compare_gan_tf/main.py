"""Command line of compare_gan_tf: absl flags plus gin.

    compare_gan_tf --model_dir=DIR [--gin_config=FILE ...] [--gin_bindings=BINDING ...]

--gin_config takes a path or the name of a config shipped in compare_gan_tf/gin_configs/. With
no flags it trains the embedded default, digits_sndcgan.gin: a class-conditional SNDCGAN on
scikit-learn's handwritten digits at 32 px, on whatever devices the machine has.
"""

import os

from absl import app, flags

SCHEDULES = ["train"]
DEFAULT_CONFIG = "digits_sndcgan.gin"
SHIPPED_CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gin_configs")

_MODEL_DIR = flags.DEFINE_string(
    "model_dir", "runs/default", "Directory for everything a run writes; a rerun resumes there."
)
_GIN_CONFIG = flags.DEFINE_multi_string(
    "gin_config", [DEFAULT_CONFIG], "gin files (paths or shipped names), applied in order."
)
_GIN_BINDINGS = flags.DEFINE_multi_string(
    "gin_bindings", [], 'gin bindings applied after the files, e.g. "train.training_steps=100".'
)
_SCHEDULE = flags.DEFINE_enum("schedule", "train", SCHEDULES, "What to run.")


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


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    # TensorFlow loads only after the flags parse, so a typo fails fast.
    from compare_gan_tf.training import runner

    parse_gin(_GIN_CONFIG.value, _GIN_BINDINGS.value)
    runner.train(_MODEL_DIR.value)
    print(f"Trained; checkpoints, summaries and samples are in {_MODEL_DIR.value}.")


def run():
    app.run(main)


if __name__ == "__main__":
    run()
