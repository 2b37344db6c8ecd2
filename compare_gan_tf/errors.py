"""The base of every error a user can cause and fix (a bad setting, a missing file, a lost worker).

Commands catch `UserError` once, at their entry point: they print its message, which names the
thing and the fix, without a traceback. Any other exception is a bug and keeps its traceback.
This module imports nothing heavy, so entry points can use it before TensorFlow loads.
"""


class UserError(Exception):
    """Mixed into the package's user-facing errors, beside the builtin type they refine."""
