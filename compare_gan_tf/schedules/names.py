"""The names a run is given, checked without TensorFlow, so a typo on the command line fails
within a second or two: the schedules, and the gin configs (paths or shipped names)."""

import os

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.paths import is_file

SCHEDULES = (
    "train",
    "eval",
    "continuous_eval",
    "train_and_eval",
    "truncation_curve",
    "export",
    "sample",
)
DEFAULT_SCHEDULE = ("train_and_eval", "export")

SHIPPED_CONFIGS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "gin_configs")
DEFAULT_CONFIG = "digits_sndcgan.gin"


def check_schedule(schedule):
    """The schedule as a list; ConfigError for an empty one or an unknown name."""
    schedule = [schedule] if isinstance(schedule, str) else list(schedule)
    unknown = [name for name in schedule if name not in SCHEDULES]
    if unknown or not schedule:
        raise ConfigError(
            f"Unknown schedule {', '.join(unknown) or '(empty)'}; use a comma-separated list of "
            f"{', '.join(SCHEDULES)}."
        )
    return schedule


def shipped_configs():
    """Names of the gin configs that come with the package."""
    return sorted(name for name in os.listdir(SHIPPED_CONFIGS) if name.endswith(".gin"))


def find_config(name):
    """The path of a gin config given as a path (on any TensorFlow filesystem) or as the name
    of a shipped one; local paths are checked without TensorFlow, so the command line is fast."""
    if is_file(name):
        return name
    shipped = os.path.join(SHIPPED_CONFIGS, name)
    if os.path.isfile(shipped):
        return shipped
    raise ConfigError(
        f"gin config {name!r} is neither a file nor a shipped config; pass a path, or one of "
        f"{', '.join(shipped_configs())}."
    )
