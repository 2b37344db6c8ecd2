"""Stability monitor: the top singular values of every weight matrix (BigGAN, section 4), named
by the layer's place in the model (`generator/block1/conv1`), with a TensorBoard layout that
draws a layer's top values on one chart."""

import math
import re

import keras
from tensorboard.plugins.custom_scalar import layout_pb2

from compare_gan_tf.layers import top_singular_values

_WEIGHT_LAYERS = (
    keras.layers.Dense,
    keras.layers.Conv2D,
    keras.layers.Conv2DTranspose,
    keras.layers.Embedding,
)
TAG_PREFIX = "singular_values"


def _children(layer):
    """(name, layer) of the layers held in `layer`'s public attributes; list members are named
    by the list's singular and index (`blocks[1]` -> `block1`)."""
    for attribute, value in vars(layer).items():
        if attribute.startswith("_"):
            continue
        if isinstance(value, keras.layers.Layer):
            yield attribute, value
        elif isinstance(value, (list, tuple)):
            stem = attribute.removesuffix("s")
            for index, item in enumerate(value):
                if isinstance(item, keras.layers.Layer):
                    yield f"{stem}{index}", item


def named_layers(model, prefix):
    """{layer: "prefix/attribute/path"} for every layer under `model`; a wrapper (e.g. spectral
    normalization) gives its path to the layer it wraps. Layers held only by Keras itself (a
    Sequential's list) are named `prefix/<layer.name>`."""
    names = {}

    def visit(layer, path):
        for name, child in _children(layer):
            while isinstance(child, keras.layers.Wrapper):
                child = child.layer
            if id(child) not in names:
                names[id(child)] = f"{path}/{name}"
                visit(child, f"{path}/{name}")

    visit(model, prefix)
    for layer in model._flatten_layers(include_self=False):
        if not isinstance(layer, keras.layers.Wrapper):
            names.setdefault(id(layer), f"{prefix}/{layer.name}")
    return names


def weight_matrices(model, prefix):
    """(name, raw kernel) of every Dense, Conv and Embedding layer; SN-wrapped ones unwrapped."""
    names = named_layers(model, prefix)
    matrices = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, _WEIGHT_LAYERS):
            kernel = layer.embeddings if isinstance(layer, keras.layers.Embedding) else layer.kernel
            matrices.append((names[id(layer)], kernel))
    return matrices


def singular_value_names(model, prefix, k=3):
    """The keys of top_singular_value_summaries, from the kernels' shapes alone."""
    names = []
    for name, kernel in weight_matrices(model, prefix):
        rows = math.prod(kernel.shape[:-1])
        names += [f"{name}/sv{index}" for index in range(min(k, rows, kernel.shape[-1]))]
    return names


def top_singular_value_summaries(model, prefix, k=3):
    """{"<prefix>/<layer path>/sv<i>": value} for the k largest singular values of every kernel.

    The raw (unnormalized) kernels are reported: their growth is what BigGAN watches before a
    collapse; an SN layer's effective kernel has sigma_0 = 1 by construction.
    """
    summaries = {}
    for name, kernel in weight_matrices(model, prefix):
        values = top_singular_values(kernel, k)
        for index in range(values.shape[0]):
            summaries[f"{name}/sv{index}"] = values[index]
    return summaries


def singular_value_layout(names):
    """A custom-scalars layout: per model, one chart per layer with its sv0, sv1, ... lines.

    `names` are the keys of top_singular_value_summaries ("generator/block0/conv1/sv0", ...).
    """
    layers = {}
    for name in names:
        layer = name.rsplit("/", 1)[0]
        layers.setdefault(layer.split("/", 1)[0], {})[layer] = None  # ordered, unique
    categories = []
    for model, model_layers in layers.items():
        charts = [
            layout_pb2.Chart(
                title=layer,
                multiline=layout_pb2.MultilineChartContent(
                    tag=[rf"^{re.escape(f'{TAG_PREFIX}/{layer}')}/sv\d+$"]
                ),
            )
            for layer in model_layers
        ]
        categories.append(
            layout_pb2.Category(title=f"{TAG_PREFIX}: {model}", chart=charts, closed=True)
        )
    return layout_pb2.Layout(category=categories)
