"""compare_gan's five example configs convert, parse here, train two tiny steps, and keep the
settings of this library's hand translations (gin_configs/); bindings with no equivalent are all
refused in one message; includes, macros and compare_gan's defaults are followed."""

import math
import os
import re

import gin
import pytest
import tensorflow_datasets as tfds
from gin import config_parser

from compare_gan_tf.commands.configurables import package_configurables, parameters
from compare_gan_tf.data.datasets import resolve
from compare_gan_tf.migrate import detect, table
from compare_gan_tf.migrate.compare_gan_gin import ConversionError, convert_file
from compare_gan_tf.migrate.parse import read_config
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.schedules import run
from compare_gan_tf.schedules.gin_check import unused_bindings
from compare_gan_tf.schedules.names import SHIPPED_CONFIGS, shipped_configs
from compare_gan_tf.training import loop
from tests.event_scalars import event_scalars
from tests.training.tiny_run import tiny_overrides

DATA = os.path.join(os.path.dirname(__file__), "data")
EXAMPLES = (
    "biggan_imagenet128",
    "dcgan_celeba64",
    "resnet_cifar10",
    "resnet_lsun-bedroom128",
    "sndcgan_celebahq128",
)
# What the hand translations decide and a conversion must decide the same way.
KEY_SETTINGS = (
    "Experiment.architecture",
    "Experiment.batch_size",
    "Experiment.conditional",
    "Experiment.z_dim",
    "train.training_steps",
    "GAN.disc_iters",
    "GAN.z_prior",
    "GAN.ema_decay",
    "GANObjective.loss",
    "GANObjective.penalty",
    "GANObjective.penalty_weight",
    "generator/adam.learning_rate",
    "discriminator/adam.learning_rate",
    "adam.beta1",
    "adam.beta2",
)
MOCK_EXAMPLES = 8
STEPS = 2


def _example(name):
    return os.path.join(DATA, f"{name}.gin")


def _bindings(text):
    """{"scope/selector.parameter": value} of gin text, names unresolved."""
    statements = config_parser.ConfigParser(text, gin.config.ParserDelegate())
    return {
        f"{s.scope + '/' if s.scope else ''}{s.selector}.{s.arg_name}": s.value for s in statements
    }


def _example_text(name):
    with open(_example(name)) as file:
        return file.read()


def _write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as file:
        file.write(text)
    return path


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_converts_binding_for_binding(name):
    text = convert_file(_example(name))
    lines = text.splitlines()
    assert lines[0].startswith("# Converted from compare_gan's")
    assert max(len(line) for line in lines) <= 100
    # Every binding of the file is quoted, with its line, above what it became.
    for statement in read_config(_example(name)):
        quote = f"# compare_gan: {statement.written}  ({statement.where})"
        assert quote in lines, quote
    # Every binding written has a comment naming its compare_gan source above it.
    group_heads = ("# compare_gan: ", "# compare_gan's default: ")
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            above = lines[:index]
            head = max(i for i, text in enumerate(above) if text.startswith(group_heads))
            assert "" not in above[head:], f"{line!r} has no compare_gan binding above it"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_conversion_keeps_the_hand_translations_settings(name):
    converted = _bindings(convert_file(_example(name)))
    with open(os.path.join(SHIPPED_CONFIGS, f"{name}.gin")) as file:
        hand = _bindings(file.read())
    for key in KEY_SETTINGS:
        assert converted.get(key) == hand.get(key), key
    if hand["GAN.ema_decay"]:
        assert converted["GAN.ema_start_step"] == hand["GAN.ema_start_step"]
    datasets = [resolve(b["dataset.name"], b.get("dataset.resolution")) for b in (converted, hand)]
    assert [(name, resolution) for name, _, resolution in datasets][0] == (
        [(name, resolution) for name, _, resolution in datasets][1]
    )
    # Where the hand translations had no equivalent yet, the conversion now has one.
    assert converted["batch_norm.momentum"] == 0.9
    assert converted["batch_norm.epsilon"] == 1e-5


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_converted_example_trains_two_tiny_steps(clean_gin, eagerly, tmp_path, name):
    text = convert_file(_example(name))
    path = _write(tmp_path, f"{name}.gin", text)
    converted = _bindings(text)
    overrides = tiny_overrides(converted["Experiment.architecture"], STEPS, 8, MOCK_EXAMPLES, 0)
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        run.configure([path], [f"{key} = {value!r}" for key, value in overrides.items()])
        experiment = loop.train(str(tmp_path / "run"))
    # Every converted binding reached a parameter: none is ignored or refused by a run.
    assert unused_bindings(run.later_calls(experiment), experiment.settings_passed()) == []
    gan = experiment.gan
    assert int(gan.step.numpy()) == STEPS
    assert gan.disc_iters == converted["GAN.disc_iters"]
    assert gan.z_prior == converted["GAN.z_prior"]
    assert gan.objective.penalty == converted["GANObjective.penalty"]
    assert (gan.num_classes is not None) == converted["Experiment.conditional"]
    generator_rate = float(gan.g_optimizer.learning_rate.numpy())
    assert math.isclose(generator_rate, converted["generator/adam.learning_rate"], rel_tol=1e-6)
    assert math.isclose(float(gan.d_optimizer.beta_1), converted["adam.beta1"])
    losses = event_scalars(str(tmp_path / "run" / "train"))
    for tag in ("losses/d_loss", "losses/g_loss"):
        assert sorted(losses[tag]) == [1, 2] and all(map(math.isfinite, losses[tag].values()))


def test_every_binding_with_no_equivalent_is_listed_in_one_message(tmp_path):
    text = "\n".join(
        [
            'dataset.name = "cifar10"',
            'options.architecture = "infogan_arch"',
            "options.batch_size = 64",
            "options.gan_class = @SSGAN",
            "options.training_steps = 10",
            "SSGAN.rotated_batch_size = 16",
            "weights.stddev = 0.05",
            "ModularGAN.deprecated_split_disc_calls = True",
            'spectral_norm.singular_value = "middle"',
            "spectral_norm.epsilon = 1e-6",
            "ModularGAN.fit_label_distribution = True",
            "no_such_configurable.size = 3",
            "options.no_such_option = 3",
            "z.distribution_fn = @tf.random.normal",
            "z.stddev = 2.0",
        ]
    )
    path = _write(tmp_path, "bad.gin", text + "\n")
    with pytest.raises(ConversionError) as raised:
        convert_file(path)
    message = str(raised.value)
    listed = message.splitlines()[1:]
    assert message.startswith(f"Cannot convert {path}: 10 of its compare_gan settings have no ")
    assert len(listed) == 10
    reasons = {
        2: "this library has no infogan",
        7: "stddev 0.02, with no gin parameter",
        8: "calls D once on the real and fake images together",
        9: "unknown singular_value 'middle'",
        10: "epsilon 1e-12, with no gin parameter",
        11: "cannot follow the real labels",
        12: "compare_gan v3 has no gin configurable 'no_such_configurable'",
        13: "no row for it in compare_gan_tf/migrate/table.py",
        14: "z is N(0, 2.0^2); this library's normal prior is N(0, 1)",
        15: "z is N(0, 2.0^2); this library's normal prior is N(0, 1)",
    }
    for line_number, reason in reasons.items():
        [entry] = [entry for entry in listed if entry.startswith(f"  bad.gin:{line_number}: ")]
        assert reason in entry, entry


def test_a_default_with_no_equivalent_is_listed_too(tmp_path):
    text = _example_text("dcgan_celeba64") + "z.distribution_fn = @tf.random.normal\n"
    with pytest.raises(ConversionError) as raised:
        convert_file(_write(tmp_path, "normal_z.gin", text))
    [entry] = str(raised.value).splitlines()[1:]
    # compare_gan scored with eval_z, still U(-1, 1): this library scores with the training prior.
    assert entry.startswith("  compare_gan's default eval_z.distribution_fn = @tf.random.uniform")
    assert "bind eval_z like z to convert" in entry


@pytest.mark.parametrize(
    "binding, reason",
    [
        ('spectral_norm.singular_value = "right"', None),
        ("weights.stddev = 0.05", "stddev 0.02, with no gin parameter"),
        ("standardize_batch.use_cross_replica_mean = True", None),
        ("ModularGAN.g_optimizer_fn = @tf.train.RMSPropOptimizer", "has no equivalent"),
        ("tf.train.AdamOptimizer.epsilon = 1e-8", "Keras's epsilon, 1e-7"),
        ("ModularGAN.conditional = True", "compare_gan's G reads labels only through"),
        ("D.layer_norm = True", "combines spectral and layer normalization"),
        ("options.gan_class = @S3GAN", "S3GAN.rotated_batch_fraction is required"),
        ("options.gan_class = @SSGAN", "SSGAN.rotated_batch_size is required"),
        ("SSGAN.rotated_batch_size = 16", None),
        ("SSGAN.g_lr = 0.001", "bind SSGAN's ModularGAN settings as ModularGAN.*"),
        ('dataset.name = "random_class_imagenet_128"', "gives ImageNet images random labels"),
        ("run_config.single_core = True", "this library uses every core"),
        ('dataset.name = "celeb_a"\nModularGAN.conditional = True', "celeb_a has no labels"),
    ],
)
def test_one_binding_converts_or_is_refused_with_its_reason(tmp_path, binding, reason):
    base = [
        'dataset.name = "cifar10"',
        'options.architecture = "resnet_cifar_arch"',
        "options.batch_size = 64",
        "options.gan_class = @ModularGAN",
        "options.training_steps = 10",
        "D.spectral_norm = True",
    ]
    path = _write(tmp_path, "one.gin", "\n".join([*base, binding]) + "\n")
    if reason is None:
        assert f"# compare_gan: {binding}  (one.gin:7)" in convert_file(path)
        return
    with pytest.raises(ConversionError, match=re.escape(reason)):
        convert_file(path)


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        (
            "loss.fn = @least_squares",
            {"GANObjective.loss": "least_squares", "GANObjective.least_squares_on": "sigmoid"},
        ),
        (
            "penalty.fn = @dragan_penalty",
            {
                "GANObjective.penalty": "dragan",
                "GANObjective.dragan_noise": "two_sided_clipped",
                "GANObjective.penalty_weight": 1.0,
            },
        ),
    ],
)
def test_compare_gans_own_loss_and_penalty_forms_convert_to_their_options(
    clean_gin, tmp_path, binding, expected
):
    """compare_gan's least squares (on sigmoid outputs) and DRAGAN (clipped two-sided points)
    become this library's options for them, which GANObjective accepts together."""
    text = _example_text("dcgan_celeba64").replace("penalty.fn = @no_penalty", "")
    text = text.replace("loss.fn = @non_saturating", "")
    output = convert_file(_write(tmp_path, "numerics.gin", f"{text}{binding}\n"))
    converted = _bindings(output)
    assert {key: converted[key] for key in expected} == expected
    assert "not yet" not in output
    gin.parse_config([f"{key} = {value!r}" for key, value in expected.items()])
    objective = GANObjective()
    assert objective.least_squares_on == expected.get("GANObjective.least_squares_on", "logits")
    assert objective.dragan_noise == expected.get("GANObjective.dragan_noise", "one_sided")


@pytest.mark.parametrize(
    ("architecture", "library_name", "expected"),
    [
        (
            "resnet_cifar_arch",
            "resnet_cifar",
            {
                "resnet_cifar_generator.upsampling": "zeros",
                "resnet_cifar_generator.shortcut": "conv3x3",
                "resnet_cifar_discriminator.shortcut": "conv3x3",
            },
        ),
        (
            "resnet_biggan_arch",
            "biggan",
            {
                "biggan_generator.upsampling": "zeros",
                "biggan_discriminator.shortcut": "none_if_same_channels",
            },
        ),
        ("resnet_biggan_deep_arch", "biggan_deep", {"biggan_deep_generator.upsampling": "zeros"}),
    ],
)
def test_compare_gans_resnet_blocks_convert_to_their_options(
    tmp_path, architecture, library_name, expected
):
    """compare_gan's zero-insertion upsampling and its shortcuts are bound for each family."""
    text = (
        'dataset.name = "cifar10"\n'
        f'options.architecture = "{architecture}"\n'
        "options.batch_size = 16\noptions.gan_class = @ModularGAN\n"
        "options.training_steps = 10\nG.batch_norm_fn = @conditional_batch_norm\n"
        "ModularGAN.conditional = True\n"
        f"{architecture[: -len('_arch')]}.Discriminator.project_y = True\n"
    )
    converted = _bindings(convert_file(_write(tmp_path, "blocks.gin", text)))
    assert {key: converted.get(key) for key in expected} == expected
    assert converted[f"{library_name}_generator.cbn_gain"] == "gamma"


def test_compare_gans_sndcgan_generator_converts_to_its_seed_norm(tmp_path):
    """compare_gan's SNDCGAN G normalizes each unit of its fc output (g_bn1)."""
    converted = _bindings(convert_file(_example("sndcgan_celebahq128")))
    assert converted["Experiment.architecture"] == "sndcgan"
    assert converted["sndcgan_generator.flat_seed_norm"] is True


def test_compare_gan_defaults_fill_what_the_file_leaves_unset(tmp_path):
    text = (
        'dataset.name = "celeb_a_hq_128"\noptions.architecture = "resnet_biggan_arch"\n'
        "options.batch_size = 16\noptions.gan_class = @ModularGAN\n"
        "options.training_steps = 10\nG.batch_norm_fn = @batch_norm\n"
    )
    # compare_gan's default z_dim, 128, does not split into BigGAN's 6 chunks at 128 px.
    with pytest.raises(ConversionError, match=r"default options.z_dim = 128: .* 6 chunks"):
        convert_file(_write(tmp_path, "minimal.gin", text))
    converted = _bindings(
        convert_file(_write(tmp_path, "minimal.gin", text + "options.z_dim = 120"))
    )
    assert converted == {
        "dataset.name": "celeb_a_hq",
        "dataset.resolution": 128,
        "Experiment.architecture": "biggan",
        "biggan_generator.upsampling": "zeros",
        "biggan_discriminator.shortcut": "none_if_same_channels",
        "Experiment.batch_size": 16,
        "train.training_steps": 10,
        "biggan_generator.normalization": "batch",
        "Experiment.z_dim": 120,
        # compare_gan's defaults, several of which differ from this library's:
        "GAN.disc_iters": 1,
        "Experiment.conditional": False,
        "GAN.ema_decay": 0.0,
        "generator/adam.learning_rate": 0.0002,
        "discriminator/adam.learning_rate": 0.0002,
        "adam.beta1": 0.9,
        "adam.beta2": 0.999,
        "GANObjective.loss": "non_saturating",
        "GANObjective.penalty": "none",
        "biggan_generator.spectral_norm": "none",
        "biggan_discriminator.normalization": "none",
        "biggan_generator.initializer": "normal",
        "biggan_discriminator.initializer": "normal",
        "batch_norm.momentum": 0.999,
        "batch_norm.epsilon": 0.001,
        "GAN.z_prior": "uniform",
        "train.save_checkpoints_steps": 5000,
        "biggan_generator.attention_resolution": 64,
        "biggan_discriminator.attention_resolution": 64,
    }


def test_includes_macros_and_rebindings_are_followed(tmp_path):
    os.makedirs(tmp_path / "configs")
    _write(
        tmp_path / "configs",
        "base.gin",
        'dataset.name = "cifar10"\noptions.architecture = "resnet_cifar_arch"\n'
        "options.gan_class = @ModularGAN\noptions.training_steps = 10\nLR = 0.0003\n"
        "options.batch_size = 32\n",
    )
    top = _write(
        tmp_path / "configs",
        "top.gin",
        'include "base.gin"\nModularGAN.g_lr = %LR\nModularGAN.d_lr = 0.001\n'
        "options.batch_size = 64\n",
    )
    text = convert_file(top)
    assert "# compare_gan: options.batch_size = 32  (base.gin:6)" in text
    assert "# compare_gan: ModularGAN.g_lr = 0.0003  (top.gin:2)" in text
    converted = _bindings(text)
    assert converted["Experiment.batch_size"] == 64  # the later binding wins, as in gin
    assert converted["generator/adam.learning_rate"] == 0.0003
    assert converted["discriminator/adam.learning_rate"] == 0.001


def test_the_table_covers_every_default_row_and_required_binding():
    for key in table.DEFAULT_ROWS:
        assert table.row(key) is not None, key
    for key in table.REQUIRED:
        assert table.row(key) is not None, key


def test_no_config_or_configurable_of_this_library_looks_like_compare_gans():
    for name in shipped_configs():
        with open(os.path.join(SHIPPED_CONFIGS, name)) as file:
            statements = list(config_parser.ConfigParser(file, gin.config.ParserDelegate()))
        assert detect.compare_gan_keys(statements) == [], name
    for name, record in package_configurables():
        for parameter, _ in parameters(record):
            assert detect.compare_gan_key(name, parameter) is None, f"{name}.{parameter}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_run_entry_names_the_conversion_command(clean_gin, name):
    path = _example(name)
    with pytest.raises(run.ConfigError) as raised:
        run.parse_gin([path], [])
    assert f"compare_gan_tf-convert-gin {path} --out " in str(raised.value)
