"""Converts a compare_gan (v3) gin config into compare_gan_tf's, binding for binding.

    text = convert_file("biggan_imagenet128.gin")  # this library's config, as a string

Each compare_gan binding becomes a group: a comment quoting it ("# compare_gan: ..."), then
the bindings it decides here and comments on what differs, or one comment on why it needs
nothing here. Then come compare_gan's defaults for what the file leaves unset, where they
decide something here (Adam's beta1 = 0.9, no EMA, z ~ U(-1, 1), ...). A binding with no
equivalent stops the conversion: ConversionError lists every such binding and why, and
nothing is returned. The mapping is table.py's.
"""

import os
import textwrap

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.migrate import table
from compare_gan_tf.migrate.context import Context
from compare_gan_tf.migrate.outcomes import Outcome
from compare_gan_tf.migrate.parse import format_value, read_config
from compare_gan_tf.migrate.vocabulary import DEFAULTS

_WIDTH = 100


class ConversionError(ConfigError):
    """Bindings of a compare_gan config that have no equivalent here; the message lists them."""


def convert_file(path):
    """This library's config (a string) for the compare_gan config at `path`; ConversionError
    listing every binding with no equivalent, ConfigError for an unreadable file."""
    return _Conversion(read_config(path), os.path.basename(path)).run(path)


def _comment(text, indent=""):
    lines = textwrap.wrap(text, _WIDTH - 2 - len(indent), break_on_hyphens=False)
    return [f"# {indent}{line}" for line in lines]


class _Conversion:
    def __init__(self, statements, name):
        self.statements = statements
        self.name = name
        bindings = {s.key: s.value for s in statements if s.kind == "binding"}
        self.context = Context(bindings)
        self.refusals = []
        self.written = {}

    def run(self, path):
        groups = [self._group(s) for s in self.statements]
        defaults = self._defaults()
        for key in table.REQUIRED:
            if not self.context.bound(key):
                self.refusals.append(f"{key} is not bound: compare_gan requires it")
        if self.refusals:
            listed = "\n".join(f"  {refusal}" for refusal in self.refusals)
            raise ConversionError(
                f"Cannot convert {path}: {len(self.refusals)} of its compare_gan settings "
                f"{'has' if len(self.refusals) == 1 else 'have'} no equivalent in "
                f"compare_gan_tf (nothing was written):\n{listed}"
            )
        lines = self._header()
        for group in groups:
            lines += ["", *group]
        if defaults:
            lines += [
                "",
                *_comment(
                    "compare_gan's defaults for what the file leaves unset, where they decide "
                    "something here:"
                ),
            ]
            for group in defaults:
                lines += ["", *group]
        return "\n".join(lines) + "\n"

    def _header(self):
        return _comment(
            f"Converted from compare_gan's {self.name} by compare_gan_tf-convert-gin. Each "
            "group quotes the compare_gan binding it comes from (file:line); indented comments "
            "say what differs here, or why a binding needs nothing here."
        )

    def _group(self, statement):
        quote = f"compare_gan: {statement.written}  ({statement.where})"
        if statement.kind == "import":
            return [f"# {quote}", "#   no effect here: this library imports what it needs"]
        if statement.kind == "macro":
            return [
                f"# compare_gan macro: {statement.written}  ({statement.where})",
                "#   its uses are written out below",
            ]
        outcome = self._outcome(statement)
        if outcome.refusal:
            self.refusals.append(f"{statement.where}: {statement.written}: {outcome.refusal}")
            return []
        return [f"# {quote}", *self._render(outcome)]

    def _outcome(self, statement):
        key = statement.key
        if "/" in key:
            return Outcome(refusal="a scoped binding: compare_gan's configurables run in no scope")
        if not statement.known:
            selector = key.rsplit(".", 1)[0]
            return Outcome(refusal=f"compare_gan v3 has no gin configurable {selector!r}")
        row = table.row(key)
        if row is None:
            return Outcome(refusal="no row for it in compare_gan_tf/migrate/table.py")
        return row(statement.value, self.context)

    def _defaults(self):
        groups = []
        for key in table.DEFAULT_ROWS:
            if self.context.bound(key):
                continue
            outcome = table.row(key)(DEFAULTS[key], self.context)
            written = f"{key} = {format_value(DEFAULTS[key])}"
            if outcome.refusal:
                self.refusals.append(f"compare_gan's default {written}: {outcome.refusal}")
                continue
            rendered = self._render(outcome)
            if any(not line.startswith("#") for line in rendered):  # something new to bind
                groups.append([f"# compare_gan's default: {written}", *rendered])
        return groups

    def _render(self, outcome):
        lines = []
        for target, value in outcome.bindings:
            if target in self.written and self.written[target] == value:
                lines.append(f"#   ({target} = {format_value(value)}: written above)")
                continue
            self.written[target] = value
            lines.append(f"{target} = {format_value(value)}")
        for text in outcome.notes:
            lines += _comment(text, indent="  ")
        return lines
