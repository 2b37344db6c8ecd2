"""Every gin binding a run is given must reach a parameter; a binding gin would ignore is refused.

gin drops a binding silently when the caller passes that parameter itself, when no call happens
in the binding's scope (a mistyped `gen/adam.learning_rate`), and when its configurable is never
called. After a run has built its objects, `check_bindings_reached` compares the bindings given
with the parameters gin supplied (gin records each call's parameters: its operative config).
A binding reaches a parameter when a call of its configurable, in its scope or a scope nested
in it, took that parameter's value from it: gin looks a parameter up from the call's scope
outwards, so a binding in a narrower scope wins, and a value the caller passes wins over all.

Calls that happen after the check (a schedule's, or the training step's, which reads its
configurables' bindings when it is traced) are given as `LaterCall`s: they reach bindings as
their call will. A binding's value that refers to a configurable (`@adamw()`, or a macro
`%LR`) reaches that configurable's bindings when the binding itself is reached: gin calls it
with the binding's call (a macro is a configurable too), or the receiver calls it later.

What is refused, with one ConfigError listing every such binding:
- a parameter that every call in the binding's scope takes from its caller (the message names
  the setting that decides it, where the caller says so);
- a scope that the run never enters, for any configurable (a mistyped scope: the message
  names the scopes where the configurable is called);
- given after the config files (--gin_bindings, a study's bindings): a binding of a
  configurable this run never calls in its scope, a binding that narrower ones override in
  every call, and a macro that nothing uses.
The last three, when a config file gives them, are reported in one log line instead: a config
file may set up a component that a later binding turns off (the default config's SNDCGAN
options under `Experiment.architecture = "dcgan"`), and gin cannot remove a binding.
"""

import dataclasses
import difflib
import inspect

import gin
from absl import logging

from compare_gan_tf.errors import ConfigError

# {(scope, selector, parameter): value} of gin's bindings once the config files were parsed.
_in_files = {}


def _bindings():
    # gin keeps its bindings private ({(scope, selector): {parameter: value}}); nothing public
    # lists them with their scopes.
    return {
        (scope, selector, parameter): value
        for (scope, selector), parameters in gin.config._CONFIG.items()
        for parameter, value in parameters.items()
    }


def note_config_files(parsed):
    """run.parse_gin's marks around the config files: before them (`parsed` False) no binding
    came from a file; after them (`parsed` True), every binding gin holds did."""
    global _in_files
    _in_files = _bindings() if parsed else {}


def given_in_files():
    """The (scope, selector, parameter) keys of gin's bindings that the config files of the last
    `run.parse_gin` set and nothing bound again since (bindings given after the files, such as
    --gin_bindings or gin.bind_parameter, are not among them)."""
    now = _bindings()
    if not set(_in_files) <= set(now):  # gin cannot unbind: its configuration was cleared since
        return set()
    return {key for key, value in now.items() if key in _in_files and _in_files[key] is value}


@dataclasses.dataclass(frozen=True)
class LaterCall:
    """A call of `configurable` (a gin configurable or its name) that the run makes after the
    check, in gin scope `scope`, with the parameters `passed` from its caller (those without
    a default are always passed)."""

    configurable: object
    passed: tuple = ()
    scope: str = ""


@dataclasses.dataclass(frozen=True)
class _Binding:
    scope: str
    selector: str
    parameter: str
    value: object

    @property
    def name(self):
        return gin.config._REGISTRY.minimal_selector(self.selector)

    @property
    def is_macro(self):
        return gin.config._REGISTRY[self.selector].wrapped is gin.config.macro

    def __str__(self):
        if self.is_macro:
            return f"{self.scope} = {self.value!r}"
        scope = f"{self.scope}/" if self.scope else ""
        return f"{scope}{self.name}.{self.parameter} = {self.value!r}"


def _parts(scope):
    return scope.split("/") if scope else []


def _within(scope, inner):
    """Whether a binding in `scope` applies to a call in scope `inner` (gin: a prefix)."""
    outer = _parts(scope)
    return _parts(inner)[: len(outer)] == outer


class _Reach:
    """Which bindings of gin's configuration the calls made (and to be made) reach."""

    def __init__(self, later_calls):
        # gin keeps its configuration and its record of calls private; these two dicts, keyed
        # by (scope, selector), are what gin.config_str() and gin.operative_config_str() print.
        self.config = gin.config._CONFIG
        self.calls = {}  # (scope, selector) -> parameters gin supplied in calls there
        self.reached = set()  # (scope, selector, parameter) of the bindings reached
        with gin.config._OPERATIVE_CONFIG_LOCK:
            operative = {key: set(values) for key, values in gin.config._OPERATIVE_CONFIG.items()}
        self._pending = list(operative.items())
        self._pending += [self._later(call) for call in later_calls]
        while self._pending:
            (scope, selector), parameters = self._pending.pop()
            self.calls.setdefault((scope, selector), set()).update(parameters)
            for parameter in parameters:
                self._reach(scope, selector, parameter)

    def supplier(self, scope, selector, parameter):
        """The scope of the binding gin supplies for `parameter` in a call in `scope`."""
        parts = _parts(scope)
        for length in range(len(parts), -1, -1):
            prefix = "/".join(parts[:length])
            if parameter in self.config.get((prefix, selector), {}):
                return prefix
        return None

    def _bound(self, scope, selector):
        parts = _parts(scope)
        return {
            parameter
            for length in range(len(parts) + 1)
            for parameter in self.config.get(("/".join(parts[:length]), selector), {})
        }

    def _later(self, call):
        configurable = call.configurable
        if isinstance(configurable, str):
            record = gin.config._REGISTRY.get_match(configurable)
        else:
            record = gin.config._inverse_lookup(configurable)
        if record is None:
            raise ValueError(f"{configurable!r} is not a gin configurable.")
        signature_of = (
            record.wrapped.__init__ if inspect.isclass(record.wrapped) else record.wrapped
        )
        required = {
            name
            for name, parameter in inspect.signature(signature_of).parameters.items()
            if parameter.default is inspect.Parameter.empty
        }
        parameters = self._bound(call.scope, record.selector) - required - set(call.passed)
        return (call.scope, record.selector), parameters

    def _reach(self, scope, selector, parameter):
        supplier = self.supplier(scope, selector, parameter)
        if supplier is None or (supplier, selector, parameter) in self.reached:
            return
        self.reached.add((supplier, selector, parameter))
        value = self.config[(supplier, selector)][parameter]
        for reference in gin.config.iterate_references({parameter: value}):
            # gin calls a scoped reference in its own scope, an unscoped one in the caller's.
            at = "/".join(reference.scopes) if reference.scopes else scope
            key = (at, reference.configurable.selector)
            self._pending.append((key, self._bound(*key)))

    def scopes_of(self, selector):
        return sorted(scope for scope, called in self.calls if called == selector)

    def entered(self, scope):
        """Whether any call of the run happened in `scope` or a scope nested in it."""
        return any(_within(scope, inner) for inner, _ in self.calls)


def _unreached(reach):
    return [
        _Binding(scope, selector, parameter, value)
        for (scope, selector), parameters in sorted(reach.config.items())
        for parameter, value in sorted(parameters.items())
        if (scope, selector, parameter) not in reach.reached
    ]


def _why(binding, reach, sources):
    """(always refused, the reason) for a binding that reached no parameter."""
    if binding.is_macro:
        return False, (
            f"The macro {binding} is set, but no binding that reaches a parameter uses it "
            f"(%{binding.scope}), so gin would ignore it; remove it."
        )
    name, parameter = binding.name, binding.parameter
    within = [scope for scope in reach.scopes_of(binding.selector) if _within(binding.scope, scope)]
    suppliers = {scope: reach.supplier(scope, binding.selector, parameter) for scope in within}
    if binding.scope in suppliers.values():
        instead = sources.get(parameter) or f"{name}'s caller, which passes {parameter} itself"
        return True, (
            f"{binding} is set, but that value comes from {instead}, so gin would ignore it; "
            "remove the binding."
        )
    if within:
        narrower = sorted({f"{scope}/{name}.{parameter}" for scope in suppliers.values()})
        return False, (
            f"{binding} is set, but every call of {name} takes {parameter} from "
            f"{' and '.join(narrower)}, so gin would ignore it; remove the binding."
        )
    scopes = reach.scopes_of(binding.selector)
    if not scopes:
        return False, (
            f"{binding} is set, but this run never calls {name} with these settings, so gin "
            f"would ignore it; remove the binding, or change the settings that leave {name} out."
        )
    where = " and ".join(f"in {scope}/" if scope else "outside any scope" for scope in scopes)
    said = f"{binding} is set, but this run calls {name} only {where}, so gin would ignore it"
    if reach.entered(binding.scope):  # other configurables are called there
        return False, f"{said}; remove the binding."
    guess = difflib.get_close_matches(binding.scope, [scope for scope in scopes if scope], 1, 0.3)
    hint = f"; did you mean {guess[0]}/{name}.{parameter}?" if guess else "; fix its scope."
    return True, f"{said}: the run enters no scope {binding.scope}/{hint}"


def unused_bindings(later_calls=(), sources=None):
    """[(binding, refused, reason)] of the bindings that reach no parameter, where `binding` is
    its text (`scope/configurable.parameter = value`) and `refused` tells whether
    `check_bindings_reached` refuses it."""
    in_files = given_in_files()
    reach = _Reach(later_calls)
    found = []
    for binding in _unreached(reach):
        always, reason = _why(binding, reach, sources or {})
        given_after_files = (binding.scope, binding.selector, binding.parameter) not in in_files
        found.append((str(binding), always or given_after_files, reason))
    return found


def check_bindings_reached(later_calls=(), sources=None):
    """ConfigError naming every binding given that reaches no parameter (see the module's
    docstring): of the calls gin has seen, nor of `later_calls`. `sources` maps a parameter
    name to the setting that decides what callers pass for it, for the messages. Bindings of
    the config files that are only left unused are logged in one line instead."""
    found = unused_bindings(later_calls, sources)
    noted = [binding for binding, refused, _ in found if not refused]
    if noted:
        logging.info(
            "Bindings of the config files that this run does not use: %s.", "; ".join(noted)
        )
    refused = [reason for _, refused, reason in found if refused]
    if len(refused) == 1:
        raise ConfigError(refused[0])
    if refused:
        reasons = "\n".join(f"  {reason}" for reason in refused)
        raise ConfigError(f"{len(refused)} gin bindings would be ignored:\n{reasons}")
