"""Tells a compare_gan config from this library's by its bindings, without TensorFlow.

compare_gan_tf's command line (commands/gin_syntax.py) and `schedules.run.parse_gin` use it so
that `--gin_config=compare_gan_config.gin` fails with the command that converts it, not with
gin's "No configurable matching 'options'".
"""

import os
import tokenize

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.migrate.parse import canonical, parse_statements
from compare_gan_tf.paths import read_text

# compare_gan configurables whose names this library also uses: their bindings tell nothing,
# except these parameters, which only compare_gan's have.
_SHARED_NAMES = {"dataset", "spectral_norm", "batch_norm", "hinge", "non_saturating"}
_SHARED_NAMES |= {"wasserstein", "least_squares", "S3GAN"}
_COMPARE_GAN_PARAMETERS = {"spectral_norm.singular_value", "spectral_norm.epsilon"}
CONVERTER = "compare_gan_tf-convert-gin"


def compare_gan_key(selector, parameter):
    """compare_gan's "selector.parameter" when a binding is one of compare_gan's own, else None."""
    name = canonical(selector.rpartition("/")[2])
    if name is None:
        return None
    key = f"{name}.{parameter}"
    if name in _SHARED_NAMES and key not in _COMPARE_GAN_PARAMETERS:
        return None
    return key


def compare_gan_keys(statements):
    """The compare_gan keys among gin's parsed statements (BindingStatements; others ignored)."""
    keys = []
    for statement in statements:
        selector = getattr(statement, "selector", None)
        parameter = getattr(statement, "arg_name", None)
        if selector and parameter:
            key = compare_gan_key(selector, parameter)
            if key and key not in keys:
                keys.append(key)
    return keys


def compare_gan_config(paths):
    """(path, its compare_gan keys) of the first compare_gan config among `paths`, or None.
    Unreadable files and bad syntax count as not compare_gan's (their own errors tell more)."""
    for path in paths:
        try:
            keys = compare_gan_keys(parse_statements(read_text(path)))
        except (OSError, SyntaxError, tokenize.TokenError):
            continue
        if keys:
            return path, keys
    return None


def converted_path(path):
    """Where the conversion command suggests writing the converted config of `path`."""
    stem, _ = os.path.splitext(os.fspath(path))
    return f"{stem}_converted.gin"


def compare_gan_config_error(path, keys):
    """The ConfigError for a compare_gan config at `path` that binds `keys`."""
    shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
    out = converted_path(path)
    return ConfigError(
        f"{path} is a compare_gan config (it binds {shown}), which compare_gan_tf does not read. "
        f"Convert it first:\n    {CONVERTER} {path} --out {out}\nthen run with "
        f"--gin_config={out}."
    )


def compare_gan_binding_error(binding, key):
    return ConfigError(
        f"--gin_bindings {binding!r} binds compare_gan's {key}, which compare_gan_tf does not "
        f"read. Put compare_gan bindings in a config and convert it with {CONVERTER} OLD.gin "
        "--out NEW.gin; compare_gan_tf --list_configurables lists this library's names."
    )
