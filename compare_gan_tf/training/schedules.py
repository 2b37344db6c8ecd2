"""The names of the schedules a run can take, checked without importing TensorFlow."""

from compare_gan_tf.errors import ConfigError

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
