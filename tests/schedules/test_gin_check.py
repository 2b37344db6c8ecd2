"""Every gin binding a run is given reaches a parameter, or the run stops before it writes.

The command cases run compare_gan_tf.main's entry in-process on the embedded default config
(digits_sndcgan.gin); the others build the Experiment of a tiny configuration and check it.
"""

import os

import gin
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.schedules import run
from compare_gan_tf.schedules.gin_check import unused_bindings
from tests.commands.in_process import run_command
from tests.training.tiny_run import TINY_RUN

# Small enough to train one step in seconds if a binding were not refused.
TINY_DEFAULT = [
    "train.training_steps = 1",
    "train.steps_per_loop = 1",
    "train.sample_steps = 0",
    "train.singular_value_steps = 0",
    "Experiment.batch_size = 8",
    "sndcgan_generator.ch = 4",
    "sndcgan_discriminator.ch = 4",
]

IGNORED = {
    "synchronized": (
        ["sndcgan_generator.synchronized = True"],
        "sndcgan_generator.synchronized = True is set, but that value comes from the strategy",
    ),
    "resolution": (
        ["sndcgan_generator.resolution = 64"],
        "sndcgan_generator.resolution = 64 is set, but that value comes from the dataset "
        "(dataset.name, dataset.resolution)",
    ),
    "channels": (
        ["sndcgan_generator.channels = 3"],
        "sndcgan_generator.channels = 3 is set, but that value comes from the dataset",
    ),
    "z_dim": (
        ["Experiment.z_dim = 16", "sndcgan_generator.z_dim = 32"],
        "sndcgan_generator.z_dim = 32 is set, but that value comes from Experiment.z_dim",
    ),
    "scope_typo": (
        ["gen/adam.learning_rate = 1e-3"],
        "gen/adam.learning_rate = 0.001 is set, but this run calls adam only in discriminator/ "
        "and in generator/, so gin would ignore it: the run enters no scope gen/; did you mean "
        "generator/adam.learning_rate?",
    ),
}


@pytest.fixture
def command(tmp_path):
    """Runs the command in-process with --gin_bindings; returns its exit status."""
    model_dir = tmp_path / "run"

    def command_with(bindings, schedule="train"):
        arguments = [f"--model_dir={model_dir}", f"--schedule={schedule}"]
        arguments += [f"--gin_bindings={binding}" for binding in TINY_DEFAULT + bindings]
        try:
            return run_command(*arguments)
        finally:
            gin.clear_config()

    command_with.model_dir = model_dir
    return command_with


@pytest.mark.parametrize("case", sorted(IGNORED))
def test_a_binding_gin_would_ignore_stops_the_command_before_it_writes(case, command, capsys):
    bindings, message = IGNORED[case]
    assert command(bindings) == 1
    error = capsys.readouterr().err
    assert message in error
    assert error.strip().splitlines()[-1].startswith(bindings[-1].split(" = ")[0])
    assert error.count(" is set, but ") == 1  # one message, for the one binding
    assert "Traceback" not in error
    assert not os.path.exists(os.path.join(command.model_dir, "config.gin"))
    assert tf.train.latest_checkpoint(str(command.model_dir)) is None


def test_a_parameter_the_gan_settings_lack_is_refused_with_the_ones_they_have(command, capsys):
    """GAN reads no gin: `GAN.*` names the Experiment's GAN settings, so a binding of the GAN's
    optimizer (which comes from generator/optimizer.name) is refused as gin parses it."""
    assert command(["GAN.g_optimizer = @adamw()"]) == 1
    error = capsys.readouterr().err
    assert "Configurable 'GAN' doesn't have a parameter named 'g_optimizer'" in error
    assert "GAN takes: disc_iters, ema_decay, ema_start_step, z_prior" in error
    assert "Traceback" not in error
    assert not os.path.exists(os.path.join(command.model_dir, "config.gin"))


def test_bindings_of_each_kind_reach_their_parameters_and_later_schedules(command, capsys):
    """A scoped optimizer rate, a GAN setting and a scoring setting under --schedule=train; a
    sampling setting that the train schedule does not use is saved and used by --schedule=sample
    with the saved config.gin."""
    valid = [
        "generator/adam.learning_rate = 1e-3",
        "GAN.disc_iters = 2",
        "evaluator.num_samples = 100",
        "sample_images.num_images = 3",
    ]
    assert command(valid) == 0, capsys.readouterr().err[-3000:]
    model_dir = command.model_dir
    assert tf.train.latest_checkpoint(str(model_dir)).endswith("ckpt-1")
    operative = (model_dir / "operative_config.gin").read_text()
    assert "generator/adam.learning_rate = 0.001" in operative
    assert "GAN.disc_iters = 2" in operative
    assert "sample_images.num_images = 3" in (model_dir / "config.gin").read_text()

    try:
        assert run_command(f"--model_dir={model_dir}", "--schedule=sample") == 0
    finally:
        gin.clear_config()
    assert len(list((model_dir / "generated").glob("*.png"))) == 3


def _check(*bindings, configs=()):
    """Builds the run of `configs` (none: TINY_RUN) and `bindings`, with the check."""
    run.configure(list(configs), ([] if configs else [TINY_RUN]) + list(bindings))
    return run.build_experiment()


@pytest.fixture(autouse=True)
def _clean_gin():
    yield
    gin.clear_config()


@pytest.mark.parametrize(
    "bindings",
    [
        # A macro used by a binding that reaches a parameter reaches it too.
        ["LR = 3e-4", "discriminator/adam.learning_rate = %LR"],
        # A reference's own bindings: the optimizer chosen by name, in its scope.
        ["generator/optimizer.name = 'adamw'", "generator/adamw.weight_decay = 0.0"],
        # Read by schedules that come later, under any schedule.
        ["sample_images.num_images = 5", "truncation_sweep.thresholds = (0.5, 1.0)"],
        ["continuous_eval.timeout = 10", "evaluate.truncation = 1.0"],
        ["best_checkpoint.score = 'fid'", "export_checkpoint.checkpoint = 'newest'"],
        ["discriminator_split_scores.count = 10", "inception.batch_size = 8"],
        ["evaluator.extractor = 'digits_classifier'", "digits_classifier.weights_path = None"],
        ["digits.upsampling = 'nearest'"],
        # Read by the training step, when the objective calls them.
        ["GANObjective.consistency = 'icr'", "bcr.weight_real = 5.0", "perturb_latent.sigma = 0.1"],
        # The MINE optimizer is unscoped adam: the unscoped rate reaches it.
        ["GANObjective.mine_weight = 0.1", "adam.learning_rate = 1e-3"],
    ],
)
def test_bindings_that_reach_a_parameter_are_accepted(bindings):
    _check(*bindings)


@pytest.mark.parametrize(
    "bindings, message",
    [
        (["FOO = 2"], "The macro FOO = 2 is set, but no binding that reaches a parameter uses"),
        (
            ["GANObjective.consistency = 'bcr'", "cr.weight = 5.0"],
            "cr.weight = 5.0 is set, but this run never calls cr with these settings",
        ),
        (
            ["inception.batch_size = 8"],  # the evaluator loads digits_classifier's features
            "inception.batch_size = 8 is set, but this run never calls inception",
        ),
        (
            ["evaluate.experiment = None"],
            "that value comes from evaluate's caller, which passes experiment itself",
        ),
        (
            ["adam.learning_rate = 1e-3"],  # both scoped rates of the config win over it
            "every call of adam takes learning_rate from discriminator/adam.learning_rate and "
            "generator/adam.learning_rate",
        ),
        (
            ["generator/GAN.disc_iters = 3"],
            "this run calls GAN only outside any scope, so gin would ignore it",
        ),
        (
            ["generator/optimizer.name = 'adamw'", "generator/adam.beta1 = 0.0"],
            "generator/adam.beta1 = 0.0 is set, but this run calls adam only in discriminator/",
        ),
    ],
)
def test_bindings_given_after_the_files_that_reach_nothing_are_refused(bindings, message):
    with pytest.raises(ConfigError, match="would ignore") as raised:
        _check(*bindings, configs=["digits_sndcgan.gin"])
    assert message in str(raised.value)


def test_several_ignored_bindings_are_named_in_one_message():
    with pytest.raises(ConfigError) as raised:
        _check("sndcgan_generator.resolution = 64", "sndcgan_generator.channels = 3")
    lines = str(raised.value).splitlines()
    assert lines[0] == "2 gin bindings would be ignored:"
    assert lines[1].startswith("  sndcgan_generator.channels = 3 is set, but ")
    assert lines[2].startswith("  sndcgan_generator.resolution = 64 is set, but ")


def test_a_config_file_may_configure_what_a_later_binding_turns_off(tmp_path):
    """The default config's SNDCGAN, DiffAugment and G's Adam options under a dcgan without
    augmentation and with AdamW for G are noted, not refused (gin cannot remove a binding); a
    scope no call enters is refused from a file too."""
    bindings = [
        *TINY_RUN.strip().splitlines(),
        "GANObjective.augment = 'none'",
        "generator/optimizer.name = 'adamw'",
    ]
    run.configure(["digits_sndcgan.gin"], bindings)
    experiment = run.build_experiment()
    unused = unused_bindings(run.later_calls(experiment), experiment.settings_passed())
    assert {binding for binding, _, _ in unused} == {
        "sndcgan_generator.normalization = 'conditional'",
        "sndcgan_generator.spectral_norm = 'none'",
        "sndcgan_generator.ch = 32",
        "sndcgan_discriminator.normalization = 'spectral'",
        "sndcgan_discriminator.ch = 32",
        "diff_augment.policy = 'color,translation,cutout'",
        "generator/adam.learning_rate = 0.0004",
    }
    assert not any(refused for _, refused, _ in unused)

    config = tmp_path / "typo.gin"
    config.write_text(f"{TINY_RUN}\ngen/adam.learning_rate = 1e-3\n")
    with pytest.raises(ConfigError, match="did you mean generator/adam.learning_rate"):
        _check(configs=[str(config)])
