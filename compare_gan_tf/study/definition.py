"""The study definition: a TOML file read into a checked `StudyDefinition`.

[study]
name = "ring8_losses"
gin_configs = ["gaussian_mixture_ring8.gin"]   # paths or shipped names, applied in order
bindings = ["train.training_steps = 2000"]      # fixed for every trial
trials = 40
sampler = "random"                              # random (the paper's), grid, tpe or gp
seed = 0
method = ["loss"]                               # parameters whose values name a method
balance = ["loss"]                              # optional: equal trial counts per value combo
cost_by = ["disc_iters"]                        # optional: split the cost table by these
heartbeat_seconds = 60                          # a silent RUNNING trial is dead after 2x this

[objective]
metric = "mixture"                              # a scorer in study.trial_scores
score = "modes_recovered"                       # the score optimized
direction = "maximize"
divergence_threshold = 1.0                      # optional: a score worse than this diverged
report = { high_quality_fraction = "maximize" } # optional: more scores to plot

[params.loss]                                   # a value bound to gin parameters
binding = "GANObjective.loss"
choices = ["non_saturating", "hinge"]

[params.constraint.bindings]                    # a choice that expands to gin bindings
none = []
wgan_gp = ["GANObjective.penalty = 'wgan_gp'"]

[params.learning_rate]                          # TOML types decide: 1.0 float, 1 int
binding = ["generator/adam.learning_rate", "discriminator/adam.learning_rate"]
low = 1e-5
high = 1e-3
log = true

[params.penalty_weight]                         # sampled only when the condition holds
binding = "GANObjective.penalty_weight"
low = 0.1
high = 100.0
log = true
when = { constraint = ["wgan_gp"] }
"""

import dataclasses
import itertools
import json
import tomllib

from compare_gan_tf.errors import UserError
from compare_gan_tf.paths import read_text

SAMPLERS = ("random", "grid", "tpe", "gp")
DIRECTIONS = ("maximize", "minimize")
STUDY_KEYS = (
    "name",
    "gin_configs",
    "bindings",
    "trials",
    "sampler",
    "seed",
    "method",
    "balance",
    "cost_by",
    "heartbeat_seconds",
)
OBJECTIVE_KEYS = ("metric", "score", "direction", "divergence_threshold", "report")
PARAMETER_KEYS = ("binding", "choices", "bindings", "low", "high", "log", "step", "when")
# Keys a continued study may change without invalidating the trials it already holds.
RESUMABLE_KEYS = ("trials", "heartbeat_seconds", "cost_by")


class StudyFileError(UserError, ValueError):
    """A study file that cannot be used; the message names the key and the fix."""


def _gin_literal(value):
    # repr gives gin's Python-literal syntax for str, int, float and bool.
    return repr(value)


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One searched dimension: categorical, int or float, bound to gin bindings.

    `targets` are the gin parameters that receive the sampled value; `choice_bindings` instead
    maps each categorical choice to whole binding lines. `when` maps earlier parameter names to
    the values under which this one is sampled.
    """

    name: str
    kind: str
    targets: tuple = ()
    choices: tuple = ()
    choice_bindings: dict = dataclasses.field(default_factory=dict)
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    when: dict = dataclasses.field(default_factory=dict)

    def applies(self, values):
        """Whether this parameter is sampled given the earlier parameters' `values`."""
        return all(values.get(name) in allowed for name, allowed in self.when.items())

    def suggest(self, trial):
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(
                self.name, self.low, self.high, step=self.step or 1, log=self.log
            )
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)

    def gin_bindings(self, value):
        """The gin binding lines that set this parameter to `value`."""
        if self.choice_bindings:
            return list(self.choice_bindings[value])
        return [f"{target} = {_gin_literal(value)}" for target in self.targets]

    def example_values(self):
        """Values that together exercise every binding line (to check gin names up front)."""
        return list(self.choices) if self.kind == "categorical" else [self.low]


@dataclasses.dataclass(frozen=True)
class StudyDefinition:
    """A checked study file; see the module docstring for the format."""

    name: str
    gin_configs: tuple
    bindings: tuple
    trials: int
    sampler: str
    seed: int
    method: tuple
    heartbeat_seconds: int
    metric: str
    score: str
    direction: str
    divergence_threshold: float | None
    report: dict
    parameters: tuple
    balance: tuple = ()
    cost_by: tuple = ()
    path: str = ""

    def sample(self, trial):
        """Samples every applicable parameter from `trial`; returns (values, gin bindings)."""
        values, bindings = {}, []
        for parameter in self.parameters:
            if parameter.applies(values):
                values[parameter.name] = parameter.suggest(trial)
                bindings += parameter.gin_bindings(values[parameter.name])
        return values, bindings

    def balanced_choice(self, trials):
        """The values of the `balance` parameters that the fewest of `trials` (Optuna trials
        already claimed) hold, as {name: value}; the first such combination in file order.
        Empty when the study balances nothing."""
        if not self.balance:
            return {}
        choices = [self.parameter(name).choices for name in self.balance]
        counts = {combination: 0 for combination in itertools.product(*choices)}
        for trial in trials:
            combination = tuple(trial.params.get(name) for name in self.balance)
            if combination in counts:
                counts[combination] += 1
        fewest = min(counts, key=counts.get)
        return dict(zip(self.balance, fewest))

    def parameter(self, name):
        return next(parameter for parameter in self.parameters if parameter.name == name)

    def scores_to_report(self):
        """{score: direction}: the optimized score first, then the extra ones."""
        return {self.score: self.direction, **self.report}

    def diverged(self, value):
        """Whether an objective `value` is past the divergence threshold."""
        if self.divergence_threshold is None:
            return False
        if self.direction == "maximize":
            return value < self.divergence_threshold
        return value > self.divergence_threshold

    def grid(self):
        """{parameter: choices} for Optuna's GridSampler."""
        return {parameter.name: list(parameter.choices) for parameter in self.parameters}

    def fingerprint(self):
        """JSON of everything that decides what a trial means (not trials or heartbeat).

        Optional fields left at their defaults are omitted, so a key added to the format later
        keeps the fingerprints of the studies started before it."""
        fields = dataclasses.asdict(self)
        for key in (*RESUMABLE_KEYS, "path"):
            fields.pop(key)
        for field in dataclasses.fields(self):
            if field.name in fields and field.default == fields[field.name]:
                fields.pop(field.name)
        return json.dumps(fields, sort_keys=True, default=str)


class _Checker:
    """Reads one table of the file, raising StudyFileError with the file and key in the message."""

    def __init__(self, path, table_name, table, valid_keys):
        self.path, self.table_name, self.table = path, table_name, table
        if not isinstance(table, dict):
            self.fail(f"[{table_name}] must be a table, got {type(table).__name__}")
        unknown = sorted(set(table) - set(valid_keys))
        if unknown:
            self.fail(
                f"unknown key {unknown[0]!r} in [{table_name}]; valid keys: {', '.join(valid_keys)}"
            )

    def fail(self, message):
        raise StudyFileError(f"{self.path}: {message}.")

    def get(self, key, types, default=dataclasses.MISSING, what=None):
        if key not in self.table:
            if default is dataclasses.MISSING:
                self.fail(f"[{self.table_name}] needs {key!r} ({what})")
            return default
        value = self.table[key]
        # bool is an int in Python; a TOML `true` is never a count or a bound.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            self.fail(f"[{self.table_name}] {key} = {value!r} must be {what}")
        return value

    def choice(self, key, choices, default=dataclasses.MISSING):
        value = self.get(key, (str,), default, what=f"one of {', '.join(choices)}")
        if value not in choices:
            self.fail(f"[{self.table_name}] {key} = {value!r}: use one of {', '.join(choices)}")
        return value

    def strings(self, key, default=dataclasses.MISSING, what="a list of strings"):
        value = self.get(key, (list, str), default, what=what)
        value = [value] if isinstance(value, str) else value
        if not all(isinstance(item, str) for item in value):
            self.fail(f"[{self.table_name}] {key} must be {what}")
        return tuple(value)


def _check_gin_configs(checker, names):
    # find_config needs no TensorFlow, so a typo fails before anything trains.
    from compare_gan_tf.errors import ConfigError
    from compare_gan_tf.schedules.names import find_config

    if not names:
        checker.fail("[study] gin_configs is empty; name at least one gin config")
    for name in names:
        try:
            find_config(name)
        except ConfigError as error:
            checker.fail(f"[study] gin_configs: {error}".rstrip("."))


def _read_numeric(checker, name):
    low = checker.get("low", (int, float), what="a number")
    high = checker.get("high", (int, float), what="a number")
    step = checker.get("step", (int, float), None, what="a positive number")
    log = checker.get("log", (bool,), False, what="true or false")
    where = f"[params.{name}]"
    if isinstance(low, int) != isinstance(high, int):
        checker.fail(
            f"{where} mixes an int and a float bound ({low!r}, {high!r}); write both as "
            "floats (1.0) for a float range or both as ints (1) for an int range"
        )
    kind = "int" if isinstance(low, int) else "float"
    if kind == "int" and step is not None and not isinstance(step, int):
        checker.fail(f"{where} is an int range, so step must be an int, got {step!r}")
    if not low < high:
        checker.fail(
            f"{where} needs low < high, got low = {low!r}, high = {high!r}; fix the bounds (a "
            "fixed value belongs in [study] bindings)"
        )
    if log and low <= 0:
        checker.fail(f"{where} has log = true, which needs low > 0 (got {low!r})")
    if log and step is not None:
        checker.fail(f"{where} sets both log and step; Optuna allows only one, drop one")
    if step is not None and step <= 0:
        checker.fail(f"{where} step must be > 0, got {step!r}")
    return dict(kind=kind, low=low, high=high, log=log, step=step)


def _read_parameter(path, name, table, earlier):
    checker = _Checker(path, f"params.{name}", table, PARAMETER_KEYS)
    where = f"[params.{name}]"
    has_targets, has_bindings = "binding" in table, "bindings" in table
    if has_targets == has_bindings:
        checker.fail(
            f"{where} needs exactly one of 'binding' (gin parameters that get the value) or "
            "'bindings' (a table mapping each choice to gin binding lines)"
        )
    fields = dict(name=name)
    if has_bindings:
        choice_bindings = checker.get("bindings", (dict,), what="a table: choice -> bindings")
        if "choices" in table or "low" in table:
            checker.fail(f"{where} with 'bindings' takes its choices from the table's keys")
        if not choice_bindings:
            checker.fail(f"{where} bindings is empty; map at least one choice to bindings")
        lines = {}
        for choice, value in choice_bindings.items():
            sub = _Checker(path, f"params.{name}.bindings", {choice: value}, [choice])
            lines[choice] = sub.strings(choice, what="a list of gin binding strings")
        fields.update(kind="categorical", choices=tuple(lines), choice_bindings=lines)
    else:
        fields["targets"] = checker.strings("binding", what="a gin parameter or a list of them")
        if "choices" in table:
            if "low" in table or "high" in table:
                checker.fail(f"{where} has both choices and a range; keep one")
            choices = checker.get("choices", (list,), what="a non-empty list")
            scalars = all(isinstance(c, (str, int, float, bool)) for c in choices)
            if not choices or not scalars or len(set(map(repr, choices))) != len(choices):
                checker.fail(
                    f"{where} choices must be a non-empty list of strings, numbers or booleans "
                    "without repeats"
                )
            fields.update(kind="categorical", choices=tuple(choices))
        else:
            fields.update(_read_numeric(checker, name))
    when = checker.get("when", (dict,), {}, what="a table: earlier parameter -> allowed values")
    conditions = {}
    for other, allowed in when.items():
        if other not in earlier:
            checker.fail(
                f"{where} when names {other!r}, which is not a parameter defined above it; "
                f"define [params.{other}] first"
            )
        allowed = allowed if isinstance(allowed, list) else [allowed]
        unknown = [value for value in allowed if value not in earlier[other].choices]
        if earlier[other].kind != "categorical" or unknown:
            checker.fail(
                f"{where} when {other} = {allowed!r}: conditions take values among the choices "
                f"of a categorical parameter ({other} has {list(earlier[other].choices)!r})"
            )
        conditions[other] = tuple(allowed)
    fields["when"] = conditions
    return Parameter(**fields)


def _check_sampler(checker, sampler, parameters, trials):
    if sampler != "grid":
        return
    unfit = [p.name for p in parameters if p.kind != "categorical" or p.when]
    if unfit:
        checker.fail(
            f"sampler 'grid' needs categorical, unconditional parameters; give "
            f"{', '.join(unfit)} 'choices' without 'when', or use 'random'"
        )
    size = 1
    for parameter in parameters:
        size *= len(parameter.choices)
    if trials > size:
        checker.fail(f"[study] trials = {trials} exceeds the grid's {size} settings; lower it")


def parse_definition(text, path="<study>"):
    """Parses and checks the TOML `text` of a study file; raises StudyFileError."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StudyFileError(f"{path}: not valid TOML ({error}); fix the syntax.") from None
    top = _Checker(path, "top level", document, ("study", "objective", "params"))
    for table in ("study", "objective", "params"):
        if table not in document:
            top.fail(f"missing the [{table}] table; see compare_gan_tf/study/definition.py")
    study = _Checker(path, "study", document["study"], STUDY_KEYS)
    objective = _Checker(path, "objective", document["objective"], OBJECTIVE_KEYS)
    if not isinstance(document["params"], dict):
        top.fail("params must be a table of [params.NAME] tables")
    parameters = {}
    for name, table in document["params"].items():
        parameters[name] = _read_parameter(path, name, table, parameters)
    if not parameters:
        top.fail("[params] is empty; define at least one [params.NAME] table")

    trials = study.get("trials", (int,), what="a positive int")
    heartbeat = study.get("heartbeat_seconds", (int,), 60, what="a positive int")
    if trials < 1 or heartbeat < 1:
        study.fail("[study] trials and heartbeat_seconds must be >= 1")
    method = study.strings("method", (), what="a list of parameter names")
    balance = study.strings("balance", (), what="a list of parameter names")
    cost_by = study.strings("cost_by", (), what="a list of parameter names")
    for key, names in (("method", method), ("balance", balance), ("cost_by", cost_by)):
        for name in names:
            if (
                name not in parameters
                or parameters[name].kind != "categorical"
                or parameters[name].when
            ):
                study.fail(
                    f"[study] {key} names {name!r}, which must be an unconditional categorical "
                    "parameter defined in [params]"
                )
    sampler = study.choice("sampler", SAMPLERS, "random")
    _check_sampler(study, sampler, parameters.values(), trials)
    gin_configs = study.strings("gin_configs", what="a list of gin configs")
    _check_gin_configs(study, gin_configs)

    report = objective.get("report", (dict,), {}, what="a table: score -> direction")
    for score, direction in report.items():
        if direction not in DIRECTIONS:
            objective.fail(f"[objective.report] {score} = {direction!r}: use {DIRECTIONS}")
    threshold = objective.get("divergence_threshold", (int, float), None, what="a number")
    return StudyDefinition(
        name=study.get("name", (str,), what="a string naming the study"),
        gin_configs=gin_configs,
        bindings=study.strings("bindings", ()),
        trials=trials,
        sampler=sampler,
        seed=study.get("seed", (int,), 0, what="an int"),
        method=method,
        balance=balance,
        cost_by=cost_by,
        heartbeat_seconds=heartbeat,
        metric=objective.get("metric", (str,), what="a scorer name such as 'mixture'"),
        score=objective.get("score", (str,), what="the name of the score to optimize"),
        direction=objective.choice("direction", DIRECTIONS),
        divergence_threshold=None if threshold is None else float(threshold),
        report=report,
        parameters=tuple(parameters.values()),
        path=str(path),
    )


def load_definition(path):
    """Reads and checks the study file at `path` (local, gs://, ram://...); raises
    StudyFileError naming key and fix."""
    try:
        text = read_text(path)
    except OSError as error:
        raise StudyFileError(f"Cannot read study file {path}: {error.strerror}.") from None
    return parse_definition(text, path)
