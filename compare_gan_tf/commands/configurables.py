"""Lists every gin configurable of the package: its first docstring line, parameters, defaults.

compare_gan_tf --list_configurables
"""

import importlib
import inspect
import pkgutil
import sys

import gin

import compare_gan_tf

# The command modules define absl flags; importing them here would define them twice.
_NOT_IMPORTED = ("compare_gan_tf.commands", "compare_gan_tf.main")


def import_package():
    """Imports every module of the package, so each registers its configurables with gin."""
    prefix = f"{compare_gan_tf.__name__}."
    for module in pkgutil.walk_packages(compare_gan_tf.__path__, prefix):
        if not module.name.startswith(_NOT_IMPORTED):
            importlib.import_module(module.name)


def package_configurables():
    """[(name, gin's Configurable record)] of the package's configurables, sorted by name."""
    import_package()
    # gin keeps its registry private and offers no listing; reading it is the only way.
    records = {
        record.selector: record
        for _, record in gin.config._REGISTRY.items()
        if record.module.startswith(compare_gan_tf.__name__)
    }
    return sorted(((record.name, record) for record in records.values()), key=_name_order)


def _name_order(item):
    return item[0].lower(), item[0]


def parameters(record):
    """[(name, default or inspect.Parameter.empty)] of the parameters gin may bind."""
    signature = inspect.signature(record.wrapped)
    bindable = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if record.denylist and name in record.denylist:
            continue
        if record.allowlist and name not in record.allowlist:
            continue
        bindable.append((name, parameter.default))
    return bindable


def _default_text(default):
    if default is inspect.Parameter.empty or default is gin.REQUIRED:
        return "(no default)"
    return f"= {default!r}"


def describe(name, record):
    """The lines printed for one configurable."""
    # The first paragraph, since docstrings here often wrap their first sentence.
    paragraph = (inspect.getdoc(record.wrapped) or "").strip().split("\n\n")[0]
    summary = " ".join(paragraph.split()) or "(no docstring)"
    lines = [f"{name}  ({record.module})", f"    {summary}"]
    lines += [f"    {name}.{param} {_default_text(value)}" for param, value in parameters(record)]
    return lines


def print_configurables(file=None):
    """Prints every configurable, sorted by name, with a blank line between them."""
    file = file or sys.stdout
    blocks = ["\n".join(describe(name, record)) for name, record in package_configurables()]
    print("\n\n".join(blocks), file=file)
