"""Reads a compare_gan gin file with gin's parser, without resolving any name.

`read_config(path)` returns its statements in the order gin applies them: an `include` is read
in place (a relative path is taken from the including file's folder, then from the working
folder), macros (`%NAME`) are replaced by their values, and every selector and reference is
spelled as compare_gan's configs spell it (`resnet_biggan.Generator`, `tf.train.AdamOptimizer`).
"""

import dataclasses
import os
import tokenize

from gin import config_parser

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.migrate.vocabulary import CONFIGURABLES, Ref
from compare_gan_tf.paths import is_file, read_text


def _canonical_names():
    """{full dotted name: the spelling compare_gan's configs use}."""
    counts = {}
    for names in CONFIGURABLES.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    spelled = {}
    for module, names in CONFIGURABLES.items():
        for name in names:
            if module.startswith("tf."):
                short = f"{module}.{name}"
            elif counts[name] > 1:
                short = f"{module.rsplit('.', 1)[-1]}.{name}"
            else:
                short = name
            spelled[f"{module}.{name}"] = short
    return spelled


_CANONICAL = _canonical_names()


def canonical(selector):
    """compare_gan's spelling of the configurable `selector` names (gin matches any dotted
    suffix of its full name), or None when it names none or several."""
    found = {
        short
        for full, short in _CANONICAL.items()
        if full == selector or full.endswith(f".{selector}")
    }
    return found.pop() if len(found) == 1 else None


@dataclasses.dataclass(frozen=True)
class Statement:
    """One statement of a compare_gan config.

    kind: "binding", "macro" (NAME = value) or "import". key: "selector.parameter" in
    compare_gan's spelling (the selector as written when it is unknown; "scope/" in front when
    scoped). written: the statement as the file spells it. where: "file.gin:12".
    """

    kind: str
    key: str
    value: object
    written: str
    where: str
    known: bool = True


class _Macro:
    def __init__(self, name):
        self.name = name


class _Delegate(config_parser.ParserDelegate):
    def configurable_reference(self, scoped_configurable_name, evaluate):
        scope, _, name = scoped_configurable_name.rpartition("/")
        name = canonical(name) or name
        return Ref(f"{scope}/{name}" if scope else name, evaluate)

    def macro(self, macro_name):
        return _Macro(macro_name)


def parse_statements(text):
    """gin's statements of `text`, with references and macros left unresolved."""
    return list(config_parser.ConfigParser(text, _Delegate()))


def _parse(text, path):
    try:
        return parse_statements(text)
    except (SyntaxError, tokenize.TokenError) as error:
        line = f", line {error.lineno}" if getattr(error, "lineno", None) else ""
        reason = error.msg if isinstance(error, SyntaxError) else error.args[0]
        raise ConfigError(f"Bad gin syntax in {path}{line}: {reason.rstrip('.')}.") from None


def _include_path(name, including):
    beside = os.path.join(os.path.dirname(including), name)
    for candidate in (beside, name):
        if is_file(candidate):
            return candidate
    raise ConfigError(
        f"{including} includes {name!r}, which is neither beside it ({beside}) nor a path from "
        "the working folder; copy the included file there or fix the include line."
    )


def _statements(path, reading):
    if path in reading:
        raise ConfigError(f"{path} includes itself (through {' -> '.join(reading)}).")
    try:
        text = read_text(path)
    except OSError as error:
        raise ConfigError(f"Cannot read the compare_gan config {path}: {error}.") from None
    for statement in _parse(text, path):
        where = f"{os.path.basename(path)}:{statement.location.line_num}"
        if isinstance(statement, config_parser.IncludeStatement):
            yield from _statements(_include_path(statement.filename, path), reading + [path])
        elif isinstance(statement, config_parser.ImportStatement):
            written = f"import {statement.module}"
            yield Statement("import", statement.module, None, written, where)
        elif isinstance(statement, config_parser.BindingStatement) and not statement.arg_name:
            yield Statement("macro", statement.selector, statement.value, "", where)
        else:
            yield _binding(statement, where)


def _binding(statement, where):
    name = canonical(statement.selector)
    key = f"{name or statement.selector}.{statement.arg_name}"
    if statement.scope:
        key = f"{statement.scope}/{key}"
    scope = f"{statement.scope}/" if statement.scope else ""
    written = f"{scope}{statement.selector}.{statement.arg_name}"
    return Statement("binding", key, statement.value, written, where, known=name is not None)


def _resolve(value, macros, seen=()):
    if isinstance(value, _Macro):
        if value.name not in macros or value.name in seen:
            raise ConfigError(f"The macro %{value.name} is used but never defined.")
        return _resolve(macros[value.name], macros, (*seen, value.name))
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(item, macros, seen) for item in value)
    if isinstance(value, dict):
        return {key: _resolve(item, macros, seen) for key, item in value.items()}
    return value


def format_value(value):
    """A value as gin writes it: strings in double quotes, references as @name."""
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return f"[{', '.join(format_value(item) for item in value)}]"
    if isinstance(value, tuple):
        items = [format_value(item) for item in value]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    return repr(value)


def read_config(path):
    """The statements of the compare_gan config at `path` (see the module docstring);
    ConfigError for a missing file, a bad include, bad syntax or an undefined macro."""
    statements = list(_statements(path, []))
    macros = {s.key: s.value for s in statements if s.kind == "macro"}
    resolved = []
    for statement in statements:
        value = _resolve(statement.value, macros)
        written = statement.written
        if statement.kind == "binding":
            written = f"{written} = {format_value(value)}"
        elif statement.kind == "macro":
            written = f"{statement.key} = {format_value(value)}"
        resolved.append(dataclasses.replace(statement, value=value, written=written))
    return resolved
