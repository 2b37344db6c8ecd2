"""Study files: the shipped ones parse, sampling follows conditions, bad files fail clearly."""

import dataclasses
import os
import types
import uuid

import optuna
import pytest

from compare_gan_tf.study import StudyFileError, check_bindings, load_definition, parse_definition

STUDIES = os.path.join(os.path.dirname(__file__), "..", "..", "studies")

VALID = """
[study]
name = "s"
gin_configs = ["gaussian_mixture_ring8.gin"]
trials = 4
{study_extra}

[objective]
metric = "mixture"
score = "modes_recovered"
direction = "maximize"
{objective_extra}

[params.constraint.bindings]
none = []
wgan_gp = ["GANObjective.penalty = 'wgan_gp'"]

[params.weight]
binding = "GANObjective.penalty_weight"
low = 0.1
high = 100.0
log = true
when = {{ constraint = ["wgan_gp"] }}

[params.steps]
binding = "GAN.disc_iters"
low = 1
high = 5
{params_extra}
"""


def _text(study_extra="", objective_extra="", params_extra=""):
    return VALID.format(
        study_extra=study_extra, objective_extra=objective_extra, params_extra=params_extra
    )


@pytest.mark.parametrize("name", ["gaussian_mixtures.toml", "digits.toml"])
def test_shipped_studies_parse(name):
    definition = load_definition(os.path.join(STUDIES, name))
    assert definition.sampler == "random"
    assert definition.parameters


@pytest.mark.parametrize(
    "name, methods",
    [
        ("gaussian_mixtures.toml", ("none", "wgan_gp", "sn", "gn", "pacgan2")),
        ("digits.toml", ("none", "sn", "wgan_gp", "default")),
    ],
)
def test_the_shipped_studies_balance_their_methods(name, methods):
    definition = load_definition(os.path.join(STUDIES, name))
    assert definition.parameter("method").choices == methods
    assert definition.method == ("method",)
    assert definition.balance[0] == "method"
    check_bindings(definition)  # every gin name of every choice exists


def test_sampling_follows_conditions_and_types():
    definition = parse_definition(_text())
    kinds = {p.name: p.kind for p in definition.parameters}
    assert kinds == {"constraint": "categorical", "weight": "float", "steps": "int"}
    with_penalty = optuna.trial.FixedTrial({"constraint": "wgan_gp", "weight": 2.5, "steps": 3})
    values, bindings = definition.sample(with_penalty)
    assert values == {"constraint": "wgan_gp", "weight": 2.5, "steps": 3}
    assert bindings == [
        "GANObjective.penalty = 'wgan_gp'",
        "GANObjective.penalty_weight = 2.5",
        "GAN.disc_iters = 3",
    ]
    values, bindings = definition.sample(
        optuna.trial.FixedTrial({"constraint": "none", "steps": 1})
    )
    assert values == {"constraint": "none", "steps": 1}
    assert bindings == ["GAN.disc_iters = 1"]


def _claimed(constraint, loss):
    # balanced_choice reads only the trials' params.
    return types.SimpleNamespace(params={"constraint": constraint, "loss": loss})


def test_balanced_choice_picks_the_least_claimed_combination_in_file_order():
    definition = parse_definition(
        _text(study_extra='balance = ["constraint"]', params_extra="")
        + '[params.loss]\nbinding = "GANObjective.loss"\nchoices = ["hinge", "wasserstein"]\n'
    )
    claimed = [_claimed("none", "hinge")]
    assert definition.balanced_choice([]) == {"constraint": "none"}
    assert definition.balanced_choice(claimed) == {"constraint": "wgan_gp"}
    two_params = dataclasses.replace(definition, balance=("constraint", "loss"))
    claimed += [
        _claimed("none", "wasserstein"),
        _claimed("wgan_gp", "hinge"),
    ]
    assert two_params.balanced_choice(claimed) == {"constraint": "wgan_gp", "loss": "wasserstein"}
    assert parse_definition(_text()).balanced_choice(claimed) == {}


@pytest.mark.parametrize(
    "text, message",
    [
        (_text(study_extra="trails = 3"), "unknown key 'trails' in [study]; valid keys: name"),
        (_text(params_extra="lo = 1"), "unknown key 'lo' in [params.steps]"),
        (_text(params_extra="log = true\nstep = 1"), "sets both log and step"),
        (_text(study_extra='sampler = "bayes"'), "sampler = 'bayes': use one of random, grid"),
        (_text(study_extra='sampler = "grid"'), "sampler 'grid' needs categorical"),
        (_text(study_extra='method = ["weight"]'), "method names 'weight'"),
        (_text(study_extra='balance = ["steps"]'), "balance names 'steps'"),
        (_text(study_extra='cost_by = ["nothing"]'), "cost_by names 'nothing'"),
        (_text(objective_extra='direction2 = "up"'), "unknown key 'direction2' in [objective]"),
        (_text().replace("ring8.gin", "ring9.gin"), "neither a file nor a shipped config"),
        (_text().replace("trials = 4", "trials = 0"), "trials and heartbeat_seconds must be >= 1"),
        (
            _text().replace("high = 100.0", "high = 0.01"),
            "needs low < high, got low = 0.1, high = 0.01; fix",
        ),
        (_text().replace("high = 100.0", "high = 100"), "mixes an int and a float bound"),
        (_text().replace("low = 0.1", "low = 0.0"), "log = true, which needs low > 0"),
        (_text().replace('constraint = ["wgan_gp"]', 'constraint = ["r1"]'), "conditions take"),
        (_text().replace("when = {", "when = { loss = 1, "), "when names 'loss', which is not"),
        (_text().replace('direction = "maximize"', 'direction = "up"'), "use one of maximize"),
        (_text().replace('binding = "GAN.disc_iters"', ""), "needs exactly one of 'binding'"),
        (_text().replace("[objective]", "[objectives]"), "unknown key 'objectives' in [top level]"),
        ("[study\n", "not valid TOML"),
    ],
)
def test_bad_study_files_name_the_key_and_the_fix(text, message):
    with pytest.raises(StudyFileError) as error:
        parse_definition(text, "bad.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("bad.toml: ")


def test_a_missing_study_file_is_named(tmp_path):
    with pytest.raises(StudyFileError, match="Cannot read study file .*missing.toml"):
        load_definition(tmp_path / "missing.toml")


@pytest.mark.parametrize("name", ["gaussian_mixtures.toml", "digits.toml"])
def test_a_study_file_on_ram_reads_as_its_local_copy(name, copy_to_ram):
    local = os.path.join(STUDIES, name)
    remote = copy_to_ram(local)
    from_ram = load_definition(remote)
    assert from_ram.path == remote
    assert dataclasses.replace(from_ram, path=local) == load_definition(local)
    assert from_ram.fingerprint() == load_definition(local).fingerprint()


def test_a_missing_study_file_on_ram_is_named():
    missing = f"ram://{uuid.uuid4().hex}/missing.toml"
    with pytest.raises(StudyFileError) as error:
        load_definition(missing)
    assert str(error.value) == f"Cannot read study file {missing}: No such file or directory."


def test_an_unknown_gin_name_fails_before_training_naming_the_parameter():
    text = _text().replace("GAN.disc_iters", "GAN.disc_iterations")
    with pytest.raises(StudyFileError, match=r"\[params.steps\].*disc_iterations"):
        check_bindings(parse_definition(text, "bad.toml"))


def test_optional_keys_at_their_defaults_keep_older_fingerprints():
    definition = parse_definition(_text())
    assert "balance" not in definition.fingerprint()
    balanced = parse_definition(_text(study_extra='balance = ["constraint"]'))
    assert balanced.fingerprint() != definition.fingerprint()
    costed = parse_definition(_text(study_extra='cost_by = ["constraint"]'))
    assert costed.fingerprint() == definition.fingerprint()  # analysis only
