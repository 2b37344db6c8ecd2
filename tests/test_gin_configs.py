"""Every shipped gin config: it binds only real parameters, each reaches one, and two steps of
it train.

The configs are the files in names.SHIPPED_CONFIGS, found by glob, so new ones are tested too.
Each is trained with tiny overrides (batch 4, narrow models, summaries every step) on offline
data: TFDS datasets come from tfds.testing.mock_data, the digits from scikit-learn. The run must
reach its step, write its checkpoint and finite losses, and every binding of the file that the
test does not override must reach the operative config unchanged, so the run trained what the
file says. The train steps run eagerly (tracing one of these models costs 15-60 s on 2 cores;
run with `-m slow` for the compiled runs); the embedded default also runs compiled by default.
"""

import glob
import inspect
import os

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from compare_gan_tf.architectures import registry
from compare_gan_tf.data import dataset_info
from compare_gan_tf.objectives.losses import LOSSES
from compare_gan_tf.schedules import run

# eval.py's import registers the extractors' gin names (digits_classifier.*, inception.*).
from compare_gan_tf.schedules.eval import Evaluator
from compare_gan_tf.schedules.gin_check import unused_bindings
from compare_gan_tf.schedules.names import DEFAULT_CONFIG, SHIPPED_CONFIGS
from compare_gan_tf.training import loop, sampling
from tests.training.tiny_run import tiny_overrides

CONFIGS = sorted(glob.glob(os.path.join(SHIPPED_CONFIGS, "*.gin")))
COMPARE_GAN_CONFIGS = (
    "biggan_imagenet128.gin",
    "dcgan_celeba64.gin",
    "resnet_cifar10.gin",
    "resnet_lsun-bedroom128.gin",
    "sndcgan_celebahq128.gin",
)
# Bindings the scoring schedules read, not training (tests/test_main.py runs them).
SCORING_SELECTOR = "evaluator."
# What a config must say about itself (the rest may be left to the library's defaults).
IDENTITY = (
    "dataset.name",
    "Experiment.architecture",
    "Experiment.conditional",
    "GAN.disc_iters",
    "GANObjective.loss",
    "GANObjective.penalty",
)
# Arguments the library passes to the architecture builders itself; a binding would be ignored.
BUILDER_ARGUMENTS = {"resolution", "num_classes", "channels", "z_dim", "synchronized"}
MOCK_EXAMPLES = 8
BATCH_SIZE = 4
STEPS = 2


def _key(statement):
    scope = f"{statement.scope}/" if statement.scope else ""
    return f"{scope}{statement.selector}.{statement.arg_name}"


def _statements(path):
    with open(path) as file:
        return list(gin.config_parser.ConfigParser(file, gin.config.ParserDelegate()))


def _bindings(path):
    """{"scope/selector.arg": value} of a gin file, in the file's own spelling."""
    return {_key(s): s.value for s in _statements(path)}


def _accepted_parameters(selector):
    """The parameter names a gin binding on `selector` can set, or raise if it is unknown."""
    configurable = gin.get_configurable(selector)
    model_class = getattr(configurable, "model_class", None)
    if model_class is not None:  # an architecture builder: its **options are the model's
        names = set()
        for cls in model_class.__mro__:
            if cls is keras.Model:
                break
            if "__init__" in vars(cls):
                names |= set(inspect.signature(cls.__init__).parameters)
        return names - {"self", "kwargs"} - BUILDER_ARGUMENTS
    parameters = inspect.signature(configurable).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in parameters.values()), (
        f"{selector} takes **kwargs; this test cannot check its bindings"
    )
    return set(parameters) - {"self"}


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        yield


def test_the_default_and_compare_gan_configs_are_shipped():
    names = {os.path.basename(path) for path in CONFIGS}
    assert DEFAULT_CONFIG in names
    assert set(COMPARE_GAN_CONFIGS) <= names


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_config_binds_only_known_parameters(clean_gin, path):
    with open(path) as file:
        head = file.readline()
    assert head.startswith("# "), f"{path} must open with a comment saying what it trains"
    statements = _statements(path)
    kinds = {type(s).__name__ for s in statements}
    assert kinds == {"BindingStatement"}, f"only bindings, no imports or includes: {kinds}"
    keys = [_key(s) for s in statements]
    assert len(keys) == len(set(keys)), f"a parameter is bound twice in {path}"
    gin.parse_config_file(path)  # unknown configurables or parameters raise here
    for statement in statements:
        accepted = _accepted_parameters(statement.selector)
        assert statement.arg_name in accepted, (
            f"{path}: {_key(statement)} is not a parameter of {statement.selector} "
            f"(it takes {sorted(accepted)})"
        )
    bindings = _bindings(path)
    for key in IDENTITY:
        assert key in bindings, f"{path} leaves {key} to the defaults; bind it"
    assert bindings["Experiment.architecture"] in (
        registry.ARCHITECTURES + registry.POINT_ARCHITECTURES
    )
    assert bindings["GANObjective.loss"] in LOSSES
    info = dataset_info(bindings["dataset.name"], bindings.get("dataset.resolution"))
    assert info.resolution in registry.resolutions(bindings["Experiment.architecture"])


def _matches(key, operative, file_bindings):
    """Operative values that the file's binding `key` decides.

    An unscoped file binding decides every scope of that parameter that the file does not bind
    in a scope of its own (`adam.beta1` -> `generator/adam.beta1`, `discriminator/adam.beta1`).
    """
    if key in operative:
        return {key: operative[key]}
    if "/" in key:
        return {}
    return {
        name: value
        for name, value in operative.items()
        if name.endswith(f"/{key}") and name not in file_bindings
    }


def _scalars(directory):
    """{tag: {step: value}} of the TensorBoard scalars written under `directory`."""
    scalars = {}
    for path in glob.glob(os.path.join(directory, "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "scalars":
                    continue  # images, the custom-scalars layout
                number = float(tf.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, {})[event.step] = number
    return scalars


def _train_params():
    params = []
    for path in CONFIGS:
        name = os.path.basename(path)
        params.append(pytest.param(path, False, id=f"{name}-eager"))
        marks = () if name == DEFAULT_CONFIG else pytest.mark.slow
        params.append(pytest.param(path, True, id=f"{name}-compiled", marks=marks))
    return params


@pytest.fixture
def eagerly_unless_compiled(request):
    compiled = request.node.callspec.params["compiled"]
    tf.config.run_functions_eagerly(not compiled)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.mark.parametrize(("path", "compiled"), _train_params())
def test_config_trains_what_it_says(
    clean_gin, mock_tfds, eagerly_unless_compiled, tmp_path, path, compiled
):
    file_bindings = _bindings(path)
    architecture = file_bindings["Experiment.architecture"]
    overrides = tiny_overrides(architecture, STEPS, BATCH_SIZE, MOCK_EXAMPLES, STEPS)
    assert not set(overrides) & set(IDENTITY)
    gin.parse_config_files_and_bindings(
        [path], [f"{key} = {value!r}" for key, value in overrides.items()]
    )

    experiment = loop.train(str(tmp_path))

    # Every binding reached a parameter, or reaches one in a schedule that scores, exports or
    # samples: a run of the file under any schedule neither refuses nor ignores one.
    later = run.later_calls(experiment)
    assert unused_bindings(later, experiment.settings_passed()) == []
    gan = experiment.gan
    assert int(gan.step.numpy()) == STEPS
    assert tf.train.latest_checkpoint(str(tmp_path)) == os.path.join(tmp_path, f"ckpt-{STEPS}")

    # The run trained the file's model: every binding not overridden is operative, unchanged.
    operative = _bindings(tmp_path / "operative_config.gin")
    for key, value in file_bindings.items():
        if key in overrides or key.startswith(SCORING_SELECTOR):
            continue
        decided = _matches(key, operative, file_bindings)
        assert decided, f"{key} = {value!r} of {path} was never used by the run"
        for name, used in decided.items():
            assert used == value, f"{name} ran with {used!r}, but {path} says {value!r}"
    for key, value in overrides.items():
        assert operative[key] == value, f"the override {key} = {value!r} did not apply"
    # The scoring settings build the evaluator they name.
    scoring = {k: v for k, v in file_bindings.items() if k.startswith(SCORING_SELECTOR)}
    if scoring:
        settings = Evaluator().settings()
        assert settings["num_fake"] == scoring.get("evaluator.num_samples", settings["num_fake"])
    # ... and the objects built agree with it.
    assert experiment.architecture == architecture
    model_class = gin.get_configurable(f"{architecture}_generator").model_class
    assert type(gan.generator) is model_class and type(gan.ema.average) is model_class
    assert gan.objective.loss_fn is LOSSES[file_bindings["GANObjective.loss"]]
    assert gan.objective.penalty == file_bindings["GANObjective.penalty"]
    assert gan.disc_iters == file_bindings["GAN.disc_iters"]
    info = experiment.info
    conditional = file_bindings["Experiment.conditional"] and info.num_classes > 0
    assert gan.num_classes == (info.num_classes if conditional else None)

    # Finite losses at every step, the penalty's own curve when there is one.
    scalars = _scalars(str(tmp_path / "train"))
    wanted = {"losses/d_loss", "losses/g_loss", "losses/d_loss_real", "losses/d_loss_fake"}
    if file_bindings["GANObjective.penalty"] != "none":
        wanted.add("losses/penalty")
    else:
        assert "losses/penalty" not in scalars
    for tag in wanted:
        assert sorted(scalars.get(tag, {})) == list(range(1, STEPS + 1)), tag
        assert np.all(np.isfinite(list(scalars[tag].values()))), (tag, scalars[tag])

    # The averaged generator samples the dataset's shape (images in [-1, 1]).
    samples = sampling.fixed_samples(gan, BATCH_SIZE)
    assert samples.shape == (BATCH_SIZE, *info.shape)
    assert np.all(np.isfinite(samples))
    if info.is_image:
        assert np.abs(samples).max() <= 1.0
