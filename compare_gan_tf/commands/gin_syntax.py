"""Checks the syntax of gin files and bindings before the configurables (and TensorFlow) load.

gin's parser reads the statements without looking names up, so a typo in the grammar (a missing
"=", an unclosed bracket) is reported in a second; unknown names are found later, by gin itself.
"""

import tokenize

from gin import config_parser

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.paths import read_text
from compare_gan_tf.schedules.names import find_config


class _NamesUnchecked(config_parser.ParserDelegate):
    """Accepts every configurable reference and macro: only the grammar is checked here."""

    def configurable_reference(self, scoped_configurable_name, evaluate):
        return scoped_configurable_name

    def macro(self, macro_name):
        return macro_name


def _parse(text_or_file):
    for _ in config_parser.ConfigParser(text_or_file, _NamesUnchecked()):
        pass


def check_gin_syntax(configs, bindings):
    """ConfigError naming the file or binding whose gin syntax is wrong; configs are paths or
    names of shipped configs (a missing one is a ConfigError too). A config on gs:// or ram://
    is read through tf.io.gfile; local ones without importing TensorFlow."""
    for name in configs:
        path = find_config(name)
        _check(read_text(path), f"gin config {path}")
    for binding in bindings:
        _check(binding, f"--gin_bindings {binding!r}")


def _check(source, where):
    try:
        _parse(source)
    except (SyntaxError, tokenize.TokenError) as error:
        line = f", line {error.lineno}" if getattr(error, "lineno", None) else ""
        reason = error.msg if isinstance(error, SyntaxError) else error.args[0]
        reason = reason.rstrip(".")
        raise ConfigError(
            f"Bad gin syntax in {where}{line}: {reason}. A binding reads "
            "configurable.parameter = value, e.g. train.training_steps = 100."
        ) from None
