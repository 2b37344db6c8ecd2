"""GAN.jit_compile under MirroredStrategy on logical CPUs: the compiled step equals the plain one,
random draws included, for every architecture of the registry and every shipped gin config.

Each GAN is built twice over the 4 logical CPUs (2 examples per replica), with jit_compile False
and True, from the same weights, and trained 2 steps by `GAN.train` on the same batches; the
metrics and every copy of every weight of G, D and the EMA G must agree. G's batch norms are
per replica (cross-replica BN off): XLA's CPU backend compiles no collective and MirroredStrategy
sums through merge calls off GPUs, so `check_jit_compile` refuses cross-replica BN there (as it
refuses ADA and LeCam, asserted below for the configs that use them). The objective's random
parts (DiffAugment, WGAN-GP's interpolation, bCR's flips and shifts, zCR's noise) draw
statelessly from the GAN's per-update seed (objectives.seeds), the same numbers compiled or not.

Tolerance: what remains is float32 arithmetic in another order (XLA fuses and reassociates), on
weights of order 0.01-1 after two small updates and on losses of order 1-10. The largest
differences measured are printed by each test (see TOLERANCE); the bound sits about 10x above
them. Each compile takes tens of seconds to minutes on 2 cores: the tests are slow.

Status: not yet run to completion. Measured on 2 loaded cores (largest |xla - plain|, metrics /
weights): dcgan 1.2e-6 / 1.6e-6, sndcgan 1.5e-6 / 2.0e-6, resnet_cifar 8.7e-6 / 1.1e-5 (compile
and first steps 3 to 23 minutes each); the other architectures and the configs are unmeasured.
TOLERANCE keeps the bound of the fast mirrored test in test_jit_compile.py, about 10x the
largest difference measured.
"""

import glob
import os
import time

import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from compare_gan_tf.architectures import registry, resolutions
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.schedules.names import SHIPPED_CONFIGS
from compare_gan_tf.training.experiment import Experiment, build_gan

ARCHITECTURES = registry.ARCHITECTURES + registry.POINT_ARCHITECTURES
CONFIGS = sorted(glob.glob(os.path.join(SHIPPED_CONFIGS, "*.gin")))
# The smallest widths that keep self-attention (C/8 channels) whole.
SMALL_CH = {"biggan": 8, "biggan_deep": 4, "mlp": 8}
BATCH = 8  # 2 examples on each of the 4 replicas
STEPS = 2
# Largest |compiled - plain| allowed, on weights and on metrics (relative above 1).
TOLERANCE = 1e-4
MOCK_EXAMPLES = 16


def _copies(variable, strategy):
    """Every replica's copy of `variable`, as numpy."""
    return [np.asarray(copy) for copy in strategy.experimental_local_results(variable)]


def _weights(gan):
    models = (("G", gan.generator), ("D", gan.discriminator), ("EMA", gan.ema.average))
    return [(f"{name}/{v.path}", v) for name, model in models for v in model.weights]


def _max_difference(first, second):
    """max |a - b| over paired lists of arrays."""
    return max(float(np.max(np.abs(a - b), initial=0.0)) for a, b in zip(first, second))


def _copy_weights(source, target):
    for (_, value), (_, variable) in zip(_weights(source), _weights(target)):
        variable.assign(value.numpy())


def _train(gan, batches):
    """Trains `gan` STEPS steps on `batches` (a list of global (images, labels) batches)."""
    images, labels = (tf.stack(part) for part in zip(*batches))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    iterator = iter(gan.strategy.experimental_distribute_dataset(dataset))
    began = time.perf_counter()
    metrics = gan.train(iterator, tf.constant(STEPS))
    seconds = time.perf_counter() - began
    return {name: float(value) for name, value in metrics.items()}, seconds


def _compare(label, plain, compiled, batches):
    """Trains both from plain's weights on `batches`; asserts and prints their differences."""
    _copy_weights(plain, compiled)
    start = [_copies(v, plain.strategy) for _, v in _weights(plain)]
    (plain_metrics, plain_seconds), (xla_metrics, xla_seconds) = (
        _train(gan, batches) for gan in (plain, compiled)
    )
    assert int(plain.step.numpy()) == int(compiled.step.numpy()) == STEPS
    assert set(plain_metrics) == set(xla_metrics)
    metric_difference = max(
        abs(xla_metrics[name] - value) / max(1.0, abs(value))
        for name, value in plain_metrics.items()
    )
    weight_differences, moved = {}, 0.0
    for (name, a), (_, b), before in zip(_weights(plain), _weights(compiled), start):
        plain_copies, xla_copies = _copies(a, plain.strategy), _copies(b, compiled.strategy)
        weight_differences[name] = _max_difference(plain_copies, xla_copies)
        moved = max(moved, _max_difference(plain_copies, before))
    worst = max(weight_differences, key=weight_differences.get)
    print(
        f"\n{label}: max |xla - plain| metrics {metric_difference:.2e}, weights "
        f"{weight_differences[worst]:.2e} ({worst}); plain {plain_seconds:.1f} s, "
        f"xla {xla_seconds:.1f} s"
    )
    for name, value in plain_metrics.items():
        assert np.isfinite(value), (name, value)
        assert abs(xla_metrics[name] - value) <= TOLERANCE * max(1.0, abs(value)), (
            name,
            value,
            xla_metrics[name],
        )
    assert weight_differences[worst] <= TOLERANCE, (worst, weight_differences[worst])
    # The steps trained: the weights moved far more than the two runs differ.
    assert moved > 100 * TOLERANCE


def _random_batches(gan, count, resolution, channels, seed):
    shape = [BATCH, resolution, resolution, channels] if resolution else [BATCH, channels]
    batches = []
    for index in range(count):
        images = tf.random.stateless_uniform(shape, [seed, index], -1.0, 1.0)
        labels = tf.random.stateless_uniform(
            [BATCH], [seed, index + 100], maxval=gan.num_classes or 1, dtype=tf.int32
        )
        batches.append((images, labels))
    return batches


def _architecture_gan(name, jit_compile, strategy):
    images = name != "mlp"
    # Every random part the objective has for the data: WGAN-GP's interpolation points, and
    # for images DiffAugment and bCR's flips and shifts; for points zCR's latent noise.
    objective = GANObjective(
        loss="wasserstein",
        penalty="wgan_gp",
        consistency="bcr" if images else "zcr",
        augment="diffaugment" if images else "none",
    )
    ch = SMALL_CH.get(name, 4)
    g_options = dict(ch=ch, spectral_norm="sn", synchronized=False)
    if not images:
        g_options["normalization"] = "batch"  # the mlp G has none by default
    return build_gan(
        name,
        resolutions(name)[0],
        num_classes=3 if name.startswith("biggan") else None,
        batch_size=BATCH,
        strategy=strategy,
        objective=objective,
        generator_options=g_options,
        discriminator_options=dict(ch=ch, normalization="spectral"),
        jit_compile=jit_compile,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_architecture_compiled_equals_plain(clean_gin, mirrored_strategy, name):
    plain, compiled = (_architecture_gan(name, jit, mirrored_strategy) for jit in (False, True))
    resolution = resolutions(name)[0]
    channels = 3 if resolution else 2
    batches = _random_batches(plain, STEPS * plain.disc_iters, resolution, channels, seed=7)
    _compare(name, plain, compiled, batches)


def _config_overrides(architecture):
    # BigGAN's self-attention at 64 px and more needs 8 channels (it projects to C // 8).
    width = 8 if architecture.startswith("biggan") else 4
    return {
        "Experiment.batch_size": BATCH,
        f"{architecture}_generator.ch": width,
        f"{architecture}_discriminator.ch": width,
        "dataset.shuffle_buffer_size": MOCK_EXAMPLES,
        "batch_norm.generator_cross_replica": False,
    }


def _config_experiment(path, jit_compile, strategy):
    """The config's Experiment with tiny overrides, G's batch norms per replica."""
    gin.clear_config()
    gin.parse_config_file(path)
    architecture = gin.query_parameter("Experiment.architecture")
    overrides = dict(_config_overrides(architecture), **{"GAN.jit_compile": jit_compile})
    for key, value in overrides.items():
        gin.bind_parameter(key, value)
    return Experiment(strategy=strategy)


def _config_batches(experiment, count):
    dataset = experiment.data.make("train", BATCH)
    return [(images, labels) for images, labels in dataset.take(count)]


def _refused(objective):
    """What check_jit_compile refuses on CPUs besides cross-replica BN: ADA and LeCam."""
    return objective.ada is not None or objective.lecam is not None


@pytest.mark.slow
@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_every_shipped_config_compiled_equals_plain(clean_gin, mirrored_strategy, path):
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        plain = _config_experiment(path, False, mirrored_strategy)
        if _refused(plain.gan.objective):
            with pytest.raises(ConfigError, match=r"^GAN.jit_compile = True cannot compile"):
                _config_experiment(path, True, mirrored_strategy)
            print(f"\n{os.path.basename(path)}: refused on CPUs (ADA or LeCam)")
            return
        compiled = _config_experiment(path, True, mirrored_strategy)
        assert not plain.gan.jit_compile and compiled.gan.jit_compile
        batches = _config_batches(plain, STEPS * plain.gan.disc_iters)
    _compare(os.path.basename(path), plain.gan, compiled.gan, batches)
