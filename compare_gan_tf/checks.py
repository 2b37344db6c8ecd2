"""Argument checks shared across the package; it imports nothing of compare_gan_tf but the
dependency-free errors module."""

from compare_gan_tf.errors import UserError


class ChoiceError(UserError, ValueError):
    """A name (of a loss, a layer option, a strategy...) that is not one of the valid ones."""


def check_choice(what, value, choices, fix=None, *, error=ChoiceError, colon=False):
    """Returns `value`, or raises `error` naming it and the valid `choices` if it is not one.

    The message reads "Unknown {what} {value!r}; use one of a, b, c." and then `fix`, an optional
    extra sentence. `error` is the exception class: a ValueError subclass, by default
    ChoiceError (a UserError). `colon` writes "use one of: a, b, c" instead, the wording that
    some messages have always had.
    """
    try:
        if value in choices:
            return value
    except TypeError:  # An unhashable value is not a key of a dict or set of choices.
        pass
    valid = ", ".join(str(choice) for choice in choices)
    message = f"Unknown {what} {value!r}; use one of{':' if colon else ''} {valid}."
    if fix:
        message = f"{message} {fix}"
    raise error(message)
