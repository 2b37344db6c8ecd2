"""Checks the syntax of gin files and bindings before the configurables (and TensorFlow) load.

gin's parser reads the statements without looking names up, so a typo in the grammar (a missing
"=", an unclosed bracket) is reported in a second; unknown names are found later, by gin itself.
A compare_gan config (or binding) is recognized here too, and refused with the command that
converts it (migrate/detect.py).
"""

import tokenize

from gin import config_parser

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.migrate import detect
from compare_gan_tf.paths import read_text
from compare_gan_tf.schedules.names import find_config


class _NamesUnchecked(config_parser.ParserDelegate):
    """Accepts every configurable reference and macro: only the grammar is checked here."""

    def configurable_reference(self, scoped_configurable_name, evaluate):
        return scoped_configurable_name

    def macro(self, macro_name):
        return macro_name


def _parse(text_or_file):
    return list(config_parser.ConfigParser(text_or_file, _NamesUnchecked()))


def check_gin_syntax(configs, bindings):
    """ConfigError naming the file or binding whose gin syntax is wrong; configs are paths or
    names of shipped configs (a missing one is a ConfigError too). A compare_gan config or
    binding is a ConfigError naming the command that converts it. A config on gs:// or ram://
    is read through tf.io.gfile; local ones without importing TensorFlow."""
    for name in configs:
        path = find_config(name)
        keys = detect.compare_gan_keys(_check(read_text(path), f"gin config {path}"))
        if keys:
            raise detect.compare_gan_config_error(path, keys)
    for binding in bindings:
        keys = detect.compare_gan_keys(_check(binding, f"--gin_bindings {binding!r}"))
        if keys:
            raise detect.compare_gan_binding_error(binding, keys[0])


def _check(source, where):
    """The statements of `source`, or ConfigError naming `where` for bad syntax."""
    try:
        return _parse(source)
    except (SyntaxError, tokenize.TokenError) as error:
        line = f", line {error.lineno}" if getattr(error, "lineno", None) else ""
        reason = error.msg if isinstance(error, SyntaxError) else error.args[0]
        reason = reason.rstrip(".")
        raise ConfigError(
            f"Bad gin syntax in {where}{line}: {reason}. A binding reads "
            "configurable.parameter = value, e.g. train.training_steps = 100."
        ) from None
