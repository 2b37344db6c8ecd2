"""What a row of the conversion table makes of one compare_gan binding, and row builders.

A row is a function `row(value, context) -> Outcome` (context.py's Context holds the whole
config); it returns this library's bindings to write, notes that explain them (or why the
binding needs none), or a refusal naming why there is no equivalent. The builders below make
the one-line rows of table.py.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Outcome:
    """bindings: ((this library's "selector.parameter", value), ...); notes: comment texts;
    refusal: why the binding has no equivalent (then nothing else counts)."""

    bindings: tuple = ()
    notes: tuple = ()
    refusal: str | None = None


def emit(*bindings, note=None):
    """Writes `bindings` ((target, value) pairs), with an optional explaining note."""
    return Outcome(bindings=tuple(bindings), notes=(note,) if note else ())


def note(text):
    """Writes nothing but the comment `text` (a binding with no effect here)."""
    return Outcome(notes=(text,))


def refuse(reason):
    return Outcome(refusal=reason)


def combine(*outcomes):
    """One outcome of several: their bindings and notes, or the first refusal."""
    for outcome in outcomes:
        if outcome.refusal:
            return outcome
    return Outcome(
        bindings=tuple(b for outcome in outcomes for b in outcome.bindings),
        notes=tuple(n for outcome in outcomes for n in outcome.notes),
    )


# Row builders ------------------------------------------------------------------------------


def to(target, convert=None, why=None):
    """The same value (or `convert(value)`) under this library's name `target`."""

    def row(value, context):
        return emit((target, convert(value) if convert else value), note=why)

    return row


def no_effect(why):
    """A binding that needs nothing here; `why` says why."""
    return lambda value, context: note(f"no effect here: {why}")


def only(*accepted, why, reason):
    """Nothing to write when the value is one of `accepted` (`why` says why); else refused."""

    def row(value, context):
        if _among(value, accepted):
            return note(why)
        return refuse(reason)

    return row


def refused(reason):
    return lambda value, context: refuse(reason)


def for_architectures(architectures, row):
    """`row` when options.architecture is one of `architectures` (this library's names), else
    a note that the binding configures another architecture."""

    def guarded(value, context):
        if context.architecture not in architectures:
            return note(f"no effect: options.architecture is {context.compare_gan_architecture!r}")
        return row(value, context)

    return guarded


def needs_architecture(row):
    """`row`, whose bindings name the architecture's builders, when options.architecture has an
    equivalent here (its own row refuses it otherwise)."""

    def guarded(value, context):
        if context.architecture is None:
            return note("decided with options.architecture, which has no equivalent here")
        return row(value, context)

    return guarded


def _among(value, accepted):
    # 1 == True in Python; a bool must match a bool.
    return any(type(value) is type(a) and value == a for a in accepted) or any(
        isinstance(value, float | int)
        and not isinstance(value, bool)
        and isinstance(a, float | int)
        and not isinstance(a, bool)
        and value == a
        for a in accepted
    )
