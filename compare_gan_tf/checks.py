"""Argument checks shared across the package; this module imports nothing of compare_gan_tf."""


def check_choice(what, value, choices, fix=None, *, error=ValueError, colon=False):
    """Returns `value`, or raises `error` naming it and the valid `choices` if it is not one.

    The message reads "Unknown {what} {value!r}; use one of a, b, c." and then `fix`, an optional
    extra sentence. `error` is the exception class (ValueError or a subclass). `colon` writes
    "use one of: a, b, c" instead, the wording that some messages have always had.
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
