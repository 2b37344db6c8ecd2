"""Loading generator modules exported by this package (paths on any TensorFlow filesystem, or hub
handles): checked loading, a sampler for sample files, and a Keras layer.

    module = load_generator_module("runs/digits/hub/generator")   # its `sample`, `metadata`...
    sampler = HubSampler("runs/digits/hub/generator")              # schedules/sample.py's files
    layer = HubGenerator("runs/digits/hub/generator")              # layer(z, labels) -> images

The modules' own format is export/hub.py's.
"""

import math
import os

import keras
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.errors import UserError
from compare_gan_tf.paths import is_url


class ModuleError(UserError, ValueError):
    """A path or handle that holds no generator module."""


def load_generator_module(handle):
    """hub.load(handle) after checking that a path (local, gs://, ram://...) holds a generator
    module; ModuleError naming the path otherwise (http(s) handles are hub's to resolve)."""
    handle = os.fspath(handle)
    if not is_url(handle) and not tf.saved_model.contains_saved_model(handle):
        raise ModuleError(
            f"{handle} holds no hub module (no saved_model.pb); pass the generator's folder, "
            "e.g. MODEL_DIR/hub/generator."
        )
    module = hub.load(handle)
    if not hasattr(module, "sample"):
        raise ModuleError(
            f"{handle} is not a generator module (it has no `sample`); pass "
            "MODEL_DIR/hub/generator, not the discriminator."
        )
    return module


class HubSampler:
    """A generator module exported by this package (a path or hub handle)."""

    def __init__(self, handle):
        self._module = load_generator_module(handle)
        self.num_classes = int(self._module.num_classes.numpy())
        self.points = int(self._module.resolution.numpy()) == 0
        self.step = int(self._module.step.numpy())
        self._channels = int(self._module.channels.numpy())
        self.why = f"the module {os.fspath(handle)}"

    def draw(self, count, truncation, seed, labels):
        inputs = [
            tf.constant(count, tf.int32),
            tf.constant(math.inf if truncation is None else truncation, tf.float32),
            tf.constant(seed, tf.int32),
        ]
        if self.num_classes:
            inputs.append(tf.constant(labels, tf.int32))
        outputs = self._module.sample(*inputs)
        generated = outputs["generated"].numpy()
        if not self.points and self._channels == 1:
            generated = generated[..., :1]  # modules tile grayscale to RGB; keep the model's own
        return generated, outputs["z"].numpy()


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class HubGenerator(keras.layers.Layer):
    """An exported generator as a Keras 3 layer: `layer(z, labels=None)` -> images in [0, 1].

    handle: a module path or hub handle (loaded with `hub.load`). The module's weights stay
    frozen and are not Keras weights; `get_config` stores the handle, which is reloaded.
    """

    def __init__(self, handle, **kwargs):
        super().__init__(**kwargs)
        self.trainable = False
        self.handle = os.fspath(handle)
        self.module = hub.load(self.handle)
        self.z_dim = int(self.module.z_dim.numpy())
        self.num_classes = int(self.module.num_classes.numpy()) or None
        self.resolution = int(self.module.resolution.numpy())

    def call(self, z, labels=None):
        if labels is None:
            return self.module(z)["generated"]
        return self.module(z, tf.cast(labels, tf.int32))["generated"]

    def compute_output_shape(self, z_shape, labels_shape=None):
        return (z_shape[0], self.resolution, self.resolution, 3)

    def get_config(self):
        config = super().get_config()
        config.update(handle=self.handle)
        return config
