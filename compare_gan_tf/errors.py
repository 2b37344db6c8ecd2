"""The exceptions that every command catches once, at its entry (commands/entry.py).

`UserError` is the base of every error a user can cause and fix (a bad setting, a missing file,
a lost worker): commands print its message, which names the thing and the fix, without a
traceback. `ConfigError` is the one for a wrong gin config, binding or setting. `Preempted` is
no error: training stopped cleanly on a signal, and a rerun resumes. Any other exception is a
bug and keeps its traceback. This module imports nothing heavy, so entry points can use it
before TensorFlow loads.
"""


class UserError(Exception):
    """Mixed into the package's user-facing errors, beside the builtin type they refine."""


class ConfigError(UserError, ValueError):
    """A gin config, binding or setting of the run is wrong; the message names it and the fix."""


class Preempted(Exception):  # noqa: N818 (a clean stop, not an error)
    """Training stopped on SIGTERM or Ctrl-C (SIGINT) after saving the checkpoint of `step`;
    a rerun resumes. `signal_name` names the signal that stopped it."""

    def __init__(self, step, model_dir, signal_name="SIGTERM"):
        super().__init__(
            f"Preempted ({signal_name}) at step {step}: saved checkpoint ckpt-{step} in "
            f"{model_dir}. Rerun the same command to resume from it."
        )
        self.step = step
        self.signal_name = signal_name
