"""The one entry into a run: schedules through compare_gan_tf.run, ignored bindings refused,
2-D points trained, scored and exported like images."""

import json

import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

import compare_gan_tf
from compare_gan_tf.data import RING8, mode_statistics
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.schedules import run
from tests.training.tiny_run import TINY_RUN

TINY_RING8 = [
    "Experiment.batch_size = 64",
    "mlp_generator.ch = 8",
    "mlp_discriminator.ch = 8",
    "train.training_steps = 4",
    "train.steps_per_loop = 2",
    "train.save_checkpoints_steps = 2",
    "train.sample_steps = 4",
    "evaluator.num_draws = 1",
]


@pytest.fixture(autouse=True)
def _clean_gin():
    yield
    gin.clear_config()


def test_ring8_runs_the_default_schedule_to_its_export(tmp_path):
    """gaussian_mixture_ring8.gin trains, scores each checkpoint by modes and exports a module
    whose `generated` is [B, 2] points in the mixture's coordinates."""
    model_dir = str(tmp_path)
    outcomes = compare_gan_tf.run(model_dir, ["gaussian_mixture_ring8.gin"], TINY_RING8)
    assert [outcome.schedule for outcome in outcomes] == ["train_and_eval", "export"]
    rows = outcomes[0].rows
    assert [row["step"] for row in rows] == [2, 4]
    assert rows[-1]["settings"]["extractor"] == "mixture_mode_statistics"
    assert (tmp_path / "samples" / "latest.png").exists()

    module = hub.load(str(tmp_path / "hub" / "generator"))
    assert int(module.resolution.numpy()) == 0 and int(module.channels.numpy()) == 2
    z = tf.random.stateless_normal([500, int(module.z_dim.numpy())], [1, 2])
    points = module(z)["generated"].numpy()
    assert points.shape == (500, 2)
    # The module is the EMA generator of the run: the same points as the experiment's.
    gan = outcomes[-1].experiment.gan
    np.testing.assert_allclose(points, gan.ema.average(z, training=False).numpy(), atol=1e-5)
    # The export is the best checkpoint by modes recovered (the earlier one on a tie).
    metadata = json.loads(module.metadata.numpy())
    best_row = max(rows, key=lambda row: (row["scores"]["modes_recovered"], -row["step"]))
    assert metadata["dataset"] == "ring8" and metadata["step"] == best_row["step"]
    assert metadata["scores"] == best_row["scores"]
    # Scores of module samples follow the mixture scorer's definition.
    statistics = mode_statistics(points, RING8)
    assert 0 <= statistics["modes_recovered"] <= 8


def test_a_study_score_equals_the_eval_row_of_the_same_checkpoint(tmp_path):
    """One mixture scorer: scoring the trained generator gives the final eval row's scores."""
    model_dir = str(tmp_path)
    outcomes = compare_gan_tf.run(
        model_dir, ["gaussian_mixture_ring8.gin"], TINY_RING8, schedule=["train_and_eval"]
    )
    scores = run.score_trained(outcomes[0].experiment, model_dir)
    assert scores == outcomes[0].rows[-1]["scores"]


IGNORED_BINDINGS = {
    "build_generator.name = 'resnet_cifar'": "Experiment.architecture",
    "build_generator.z_dim = 16": "Experiment.z_dim",
    "build_generator.channels = 3": "the dataset",
    "build_discriminator.name = 'resnet_cifar'": "Experiment.architecture",
    "dcgan_generator.num_classes = 5": "comes from the dataset (10 here)",
}


@pytest.mark.parametrize("binding", sorted(IGNORED_BINDINGS))
def test_a_binding_the_experiment_overrides_is_refused(binding):
    run.configure([], [TINY_RUN, binding])
    with pytest.raises(ConfigError) as raised:
        run.build_experiment()
    message = str(raised.value)
    assert binding in message
    assert IGNORED_BINDINGS[binding] in message
    assert "remove the binding" in message


@pytest.mark.parametrize("binding", ["GAN.seed = 3", "GAN.global_batch_size = 32"])
def test_a_gan_parameter_the_experiment_sets_is_refused_as_gin_parses(binding):
    """GAN reads no gin: gin's GAN.* are the Experiment's GANSettings, which lack the seed and
    the batch (Experiment.seed, Experiment.batch_size), so gin refuses them by name."""
    with pytest.raises(ConfigError) as raised:
        run.configure([], [TINY_RUN, binding])
    message = str(raised.value)
    assert f"doesn't have a parameter named '{binding.split('.')[1].split(' ')[0]}'" in message
    assert "GAN takes: disc_iters" in message


def test_a_penalty_weight_has_one_place():
    """GANObjective.penalty_weight sets every penalty's weight; the penalty functions take no
    gin binding of their own."""
    with pytest.raises(ConfigError, match="wgan_gp"):
        run.configure([], ["GANObjective.penalty = 'wgan_gp'", "wgan_gp.weight = 5.0"])


@pytest.mark.parametrize(
    "binding, message",
    [
        ("train.training_steps = -5", "train.training_steps must be an integer number of steps"),
        ("train.steps_per_loop = 0", "train.steps_per_loop must be an integer number of steps"),
        ("train.summary_steps = 2.5", "train.summary_steps must be an integer number of steps"),
        ("train.on_non_finite = 'rollbak'", "Unknown train.on_non_finite 'rollbak'"),
    ],
)
def test_the_loop_settings_are_checked_once_at_the_entry(tmp_path, binding, message):
    with pytest.raises((ConfigError, ValueError), match=message):
        compare_gan_tf.run(str(tmp_path / "run"), ["digits_sndcgan.gin"], [binding])
    assert not (tmp_path / "run").exists()


def test_an_unknown_schedule_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="Unknown schedule trian; use"):
        compare_gan_tf.run(str(tmp_path), schedule=["trian"])
