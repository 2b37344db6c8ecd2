"""compare_gan's SSGAN and S3GAN configs (options.gan_class = @SSGAN / @S3GAN) convert to
GANObjective.self_supervision with SelfSupervision.* / S3GAN.*, and train two tiny steps on the
shipped digits."""

import os

import gin
import pytest
from gin import config_parser

from compare_gan_tf.migrate.compare_gan_gin import ConversionError, convert_file
from compare_gan_tf.schedules import run
from compare_gan_tf.schedules.gin_check import unused_bindings
from compare_gan_tf.training import loop

COMMON = """dataset.name = "cifar10"
options.architecture = "sndcgan_arch"
options.batch_size = 64
options.training_steps = 10
G.batch_norm_fn = @batch_norm
D.spectral_norm = True
"""
SSGAN = (
    COMMON
    + """options.gan_class = @SSGAN
SSGAN.self_supervision = "rotation_gan"
SSGAN.rotated_batch_size = 16
SSGAN.weight_rotation_loss_g = 0.5
"""
)
S3GAN = (
    COMMON.replace("@batch_norm", "@conditional_batch_norm")
    + """options.gan_class = @S3GAN
ModularGAN.conditional = True
S3GAN.rotated_batch_fraction = 2
S3GAN.project_y = True
S3GAN.use_predictor = True
S3GAN.weight_class_loss = 0.5
"""
)
# Digits at 32 px, batch 8, tiny widths; the rotation task keeps 8 of the 8 reals (4 x 2).
DIGITS = {
    "dataset.name": "digits",
    "dataset.resolution": 32,
    "Experiment.batch_size": 8,
    "sndcgan_generator.ch": 4,
    "sndcgan_discriminator.ch": 4,
    "train.training_steps": 2,
    "train.steps_per_loop": 1,
    "train.summary_steps": 1,
    "train.save_checkpoints_steps": 2,
    "train.singular_value_steps": 0,
    "train.sample_steps": 0,
}


def _bindings(text):
    statements = config_parser.ConfigParser(text, gin.config.ParserDelegate())
    return {f"{s.selector}.{s.arg_name}": s.value for s in statements}


def _convert(tmp_path, text):
    path = tmp_path / "compare_gan.gin"
    path.write_text(text)
    return convert_file(str(path))


def test_ssgan_converts_to_the_rotation_task(tmp_path):
    converted = _bindings(_convert(tmp_path, SSGAN))
    assert converted["GANObjective.self_supervision"] == "rotation_gan"
    assert converted["SelfSupervision.rotated_batch_size"] == 16
    assert converted["SelfSupervision.weight_rotation_loss_g"] == 0.5
    assert not any(key.startswith("S3GAN.") for key in converted)


def test_s3gan_converts_to_its_own_parameters(tmp_path):
    converted = _bindings(_convert(tmp_path, S3GAN))
    assert converted["GANObjective.self_supervision"] == "s3gan"
    expected = {"rotated_batch_fraction": 2, "project_y": True, "use_predictor": True}
    assert {name: converted[f"S3GAN.{name}"] for name in expected} == expected
    assert converted["S3GAN.weight_class_loss"] == 0.5
    assert converted["Experiment.conditional"] is True


def test_ssgan_rotation_only_and_none(tmp_path):
    only = SSGAN.replace('"rotation_gan"', '"rotation_only"')
    assert _bindings(_convert(tmp_path, only))["GANObjective.self_supervision"] == "rotation_only"
    plain = SSGAN.replace('"rotation_gan"', "None").replace("SSGAN.rotated_batch_size = 16\n", "")
    assert _bindings(_convert(tmp_path, plain))["GANObjective.self_supervision"] == "none"


def test_s3gan_refuses_the_architectures_second_projection(tmp_path):
    text = S3GAN.replace("sndcgan_arch", "resnet_cifar_arch")
    text += "resnet_cifar.Discriminator.project_y = True\n"
    with pytest.raises(ConversionError, match="projects the labels twice"):
        _convert(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "labeled_fraction"), [(SSGAN, None), (S3GAN, 0.5)], ids=["ssgan", "s3gan"]
)
def test_converted_config_trains_two_steps_on_digits(
    clean_gin, eagerly, tmp_path, text, labeled_fraction
):
    path = tmp_path / "converted.gin"
    path.write_text(_convert(tmp_path, text))
    overrides = dict(DIGITS, **{"SelfSupervision.rotated_batch_size": 8})
    if labeled_fraction:  # S3GAN: a part of the digits keep their labels, the others are -1
        overrides = dict(DIGITS, **{"dataset.labeled_fraction": labeled_fraction})
    run.configure([str(path)], [f"{key} = {value!r}" for key, value in overrides.items()])
    experiment = loop.train(str(tmp_path / "run"))
    assert unused_bindings(run.later_calls(experiment), experiment.settings_passed()) == []
    gan = experiment.gan
    assert int(gan.step.numpy()) == 2
    assert gan.objective.auxiliary is not None and gan.objective.auxiliary.rotation
    assert os.path.isdir(tmp_path / "run" / "train")


def test_an_unknown_ssgan_mode_is_refused_once(tmp_path):
    with pytest.raises(ConversionError) as raised:
        _convert(tmp_path, SSGAN.replace('"rotation_gan"', '"jigsaw"'))
    [entry] = str(raised.value).splitlines()[1:]
    assert "unknown SSGAN.self_supervision 'jigsaw'" in entry
