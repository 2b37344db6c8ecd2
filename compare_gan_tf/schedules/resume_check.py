"""Before a run reuses a model_dir with checkpoints, its saved config.gin is compared with the
new configuration: bindings that shape the model or the data must agree, or the checkpoints
would be restored into another model (or trained on other data). Other differences (training
steps, learning rates, evaluation settings) are allowed: they change how the run goes on."""

import os
import re

import gin
import tensorflow as tf

from compare_gan_tf.errors import ConfigError

# Bindings that define the model's variables or the data it learns: whole configurables, and
# single parameters of the Experiment.
_MODEL_OR_DATA_CONFIGURABLES = (
    "dataset",
    "image_folder",
    "digits",
    "build_generator",
    "build_discriminator",
)
_MODEL_OR_DATA_PARAMETERS = (
    "Experiment.architecture",
    "Experiment.conditional",
    "Experiment.z_dim",
    # The self-supervision's heads are variables of the model.
    "GANObjective.self_supervision",
    "S3GAN.self_supervision",
    "S3GAN.project_y",
    "S3GAN.use_predictor",
)
_BINDING = re.compile(r"^([\w./]+)\.(\w+)\s*=\s*(.*)$")


class ResumeMismatchError(ConfigError):
    """The new configuration would resume a model_dir trained with another model or data."""


def parse_bindings(text):
    """{"[scope/]configurable.parameter": value text} of gin's config_str() output."""
    bindings, key = {}, None
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and key:  # a long value continues, indented
            bindings[key] += " " + line.strip()
            continue
        match = _BINDING.match(line)
        key = f"{match[1]}.{match[2]}" if match else None
        if key:
            bindings[key] = match[3].strip()
    return bindings


def shapes_model_or_data(key):
    configurable = key.rsplit(".", 1)[0].rsplit("/", 1)[-1]
    return (
        configurable in _MODEL_OR_DATA_CONFIGURABLES
        or configurable.endswith(("_generator", "_discriminator"))
        or key.rsplit("/", 1)[-1] in _MODEL_OR_DATA_PARAMETERS
    )


def differences(saved, new):
    """[(key, saved value or None, new value or None)] of the model-or-data bindings that differ."""
    keys = sorted(key for key in set(saved) | set(new) if shapes_model_or_data(key))
    return [(key, saved.get(key), new.get(key)) for key in keys if saved.get(key) != new.get(key)]


def check_resumable(model_dir):
    """ResumeMismatchError, before anything is built or written, when model_dir holds
    checkpoints of a run whose config.gin differs from gin's current configuration in bindings
    that shape the model or the data."""
    saved_path = os.path.join(model_dir, "config.gin")
    if not tf.io.gfile.exists(saved_path) or tf.train.latest_checkpoint(model_dir) is None:
        return
    with tf.io.gfile.GFile(saved_path) as file:
        saved = parse_bindings(file.read())
    found = differences(saved, parse_bindings(gin.config_str()))
    if not found:
        return
    shown = "; ".join(
        f"{key}: {'unset' if old is None else old} there, {'unset' if new is None else new} here"
        for key, old, new in found
    )
    raise ResumeMismatchError(
        f"{model_dir} holds checkpoints of a run with another model or data ({saved_path}): "
        f"{shown}. Its checkpoints cannot go on with this configuration. Train in a new "
        f"model_dir, or delete {model_dir} to start afresh there, or rerun with the settings "
        "in its config.gin."
    )
