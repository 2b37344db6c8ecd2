"""compare_gan's TF1 generator hub modules as this library's Keras generators.

    imported = import_generator("path/or/handle", tags={"gen", "bs64"})
    imported.generator            # the Keras generator, weights from the module
    imported.max_abs_difference   # against the module's own output on the same z

The module is loaded with `hub.load(handle, tags)`, its variables are read by name and shape,
the family is recognized from the names, and every variable goes into the matching Keras weight
through the family's name map (export/tf1_names.py, tf1_names_biggan.py). A missing, misshapen
or unexpected variable fails with one ConfigError listing every problem. Then the Keras generator
and the module's "default" signature run on the same random z (and labels), BN in inference
mode, and the largest absolute difference of the images in [0, 1] must be within `tolerance`.

Families done: compare_gan's resnet_cifar, resnet5 and sndcgan generators, unconditional, with
"batch_norm" or "no_batch_norm" and without spectral norm in G (the GAN-landscape and v3 study
settings), and its resnet_biggan generator (the s3gan / ssgan v3 modules; export/import_biggan.py),
conditional or not, with spectral norm and self-attention. The Keras generators are built with
compare_gan's numerics: zero-insertion upsampling, 3x3 shortcuts (resnet_cifar, resnet5), BN per
unit of the fc output (SNDCGAN), BN decay 0.999 (arch_ops.standardize_batch's default) and the
BN epsilon found in the module's graph (export/tf1_graph.py; else the default 1e-3).
Refused with a message: DeepMind's BigGAN modules; conditional, self-modulated and spectrally
normalized generators of the other families.
"""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.architectures.registry import build_generator
from compare_gan_tf.data.preprocessing import to_unit_range
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.export import tf1_graph, tf1_names, tf1_names_biggan
from compare_gan_tf.export.import_biggan import is_biggan, recognize_biggan

# compare_gan's arch_ops.standardize_batch defaults.
COMPARE_GAN_BN = dict(bn_epsilon=1e-3, bn_momentum=0.999)
PARITY_BATCH = 16
_MAPS = {"resnet_cifar": tf1_names.resnet_entries, "resnet5": tf1_names.resnet_entries}
_MAPS["sndcgan"] = tf1_names.sndcgan_entries
_MAPS["biggan"] = tf1_names_biggan.biggan_entries


@dataclasses.dataclass
class ModuleInfo:
    """What a TF1 generator module's "default" signature and variables say about it."""

    handle: str
    tags: object
    z_dim: int
    batch_size: object  # None: any batch
    labels: bool
    resolution: int
    channels: int
    arrays: dict  # map name (tf1_names.module_name) -> np.ndarray, read before any call
    graph: tf1_graph.GraphFacts = dataclasses.field(default_factory=tf1_graph.GraphFacts)
    num_classes: object = None  # the labels' one-hot depth; None: unconditional


@dataclasses.dataclass
class ImportedGenerator:
    generator: object
    architecture: str
    options: dict  # the generator's constructor options (also gin bindings of <arch>_generator)
    info: ModuleInfo
    max_abs_difference: float
    parity_batch: int


def read_module(handle, tags=None):
    """(the loaded module, its ModuleInfo). ConfigError when it has no usable generator
    signature."""
    try:
        loaded = hub.load(handle, tags=sorted(tags) if tags else None)
    except (OSError, ValueError, RuntimeError, tf.errors.OpError) as error:
        raise ConfigError(
            f"Cannot load the hub module {handle!r} with tags {_tags_text(tags)}: {error}. Pass "
            'a TF1 generator module and its tags, e.g. --tags=gen,bs64 or "gen,bsNone".'
        ) from error
    signature = loaded.signatures.get("default")
    if signature is None:
        raise ConfigError(f"The hub module {handle!r} has no signature 'default'.")
    _, inputs = signature.structured_input_signature
    outputs = signature.structured_outputs
    if "z" not in inputs or "generated" not in outputs:
        raise ConfigError(
            f"The module {handle!r} (tags {_tags_text(tags)}) is not a compare_gan generator: its "
            f"default signature takes {sorted(inputs)} and returns {sorted(outputs)}, not z -> "
            "generated. Pass the generator's tags (gen, bsN)."
        )
    z_shape = inputs["z"].shape
    image_shape = outputs["generated"].shape
    # Read before the first call: compare_gan's spectral_norm assigns u_var on every call.
    arrays = tf1_names.module_arrays({v.name: v.numpy() for v in loaded.variables})
    graph = tf1_graph.read_graph(signature)
    info = ModuleInfo(
        handle=str(handle),
        tags=tags,
        z_dim=int(z_shape[-1]),
        batch_size=z_shape[0],
        labels="labels" in inputs,
        resolution=int(image_shape[1]),
        channels=int(image_shape[-1]),
        arrays=arrays,
        graph=graph,
        num_classes=_num_classes(graph, arrays) if "labels" in inputs else None,
    )
    return loaded, info


def _num_classes(graph, arrays):
    """The one-hot depth in the graph, else the rows of resnet_biggan's embed_y kernel."""
    if graph.num_classes is not None:
        return graph.num_classes
    embedding = arrays.get("embed_y/kernel")
    return None if embedding is None else int(embedding.shape[0])


def _tags_text(tags):
    return "{" + ", ".join(sorted(tags)) + "}" if tags else "(default)"


def recognize(info):
    """(architecture, generator options) from the variable names and shapes; ConfigError for
    a module of a family not done."""
    arrays = info.arrays
    names = set(arrays)
    if is_biggan(arrays):
        return recognize_biggan(info, bn_options(info))
    why = None
    if any(name.endswith("/u_var") for name in names):
        why = "its generator is spectrally normalized (not imported yet)"
    elif info.labels or any("/condition/" in name or "embed_y" in name for name in names):
        why = "it is class-conditional (not imported yet)"
    elif any("/sbn/" in name for name in names):
        why = "it uses self-modulated batch norm (not imported yet)"
    if why:
        raise ConfigError(f"Cannot import {info.handle}: {why}.")
    blocks = len({name.split("/")[0] for name in names if name.startswith("B")})
    batch = any(name.endswith("/gamma") for name in names)
    options = dict(bn_options(info), normalization="batch" if batch else "none")
    if "g_fc1/kernel" in names:
        seed_units = arrays["g_fc1/kernel"].shape[1] // (info.resolution // 8) ** 2
        architecture = "sndcgan"
        options.update(ch=seed_units // 8, flat_seed_norm=True)
    elif "fc_noise/kernel" in names and "B1/up_conv_shortcut/kernel" in names:
        seed_units = arrays["fc_noise/kernel"].shape[1] // 16
        if blocks == 3 and info.resolution == 32:
            architecture, ch = "resnet_cifar", seed_units
        elif blocks == 5 and info.resolution == 128:
            architecture, ch = "resnet5", seed_units // 8
        else:
            raise ConfigError(
                f"Cannot import {info.handle}: a compare_gan ResNet generator with {blocks} "
                f"blocks at {info.resolution} px is neither resnet_cifar (3 blocks, 32 px) nor "
                "resnet5 (5 blocks, 128 px)."
            )
        options.update(ch=ch, upsampling="zeros", shortcut="conv3x3")
    else:
        found = ", ".join(sorted(names)[:8])
        raise ConfigError(
            f"Cannot import {info.handle}: its variables ({found}, ...) match no family done "
            "(compare_gan's resnet_cifar, resnet5, sndcgan, resnet_biggan generators)."
        )
    return architecture, options


def bn_options(info):
    """compare_gan's BN settings: standardize_batch's decay, and the graph's epsilon when it has
    one value (else standardize_batch's default)."""
    options = dict(COMPARE_GAN_BN)
    if len(info.graph.bn_epsilons) == 1:
        # The float32 constant, written as its shortest decimal (1e-05, not 9.99999974e-06).
        options["bn_epsilon"] = float(str(np.float32(info.graph.bn_epsilons[0])))
    return options


def build_keras_generator(architecture, options, info):
    """The Keras generator of `architecture`, built with one call so its weights exist."""
    labels = tf.zeros([1], tf.int32) if info.num_classes else None
    try:
        generator = build_generator(
            architecture,
            info.resolution,
            num_classes=info.num_classes,
            channels=info.channels,
            z_dim=info.z_dim,
            **options,
        )
        generator(tf.zeros([1, info.z_dim]), labels, training=False)
    except ValueError as error:
        raise ConfigError(f"Cannot build {architecture} for {info.handle}: {error}") from error
    return generator


def fill(generator, architecture, arrays, handle="the module"):
    """Assigns every Keras weight of `generator` from `arrays` through the family's map.

    ConfigError listing every missing, misshapen and unexpected variable, before anything is
    assigned."""
    entries = _MAPS[architecture](generator)
    problems, values, used = [], [], set()
    for entry in entries:
        sources, transform = _available(entry, arrays)
        if sources is None:
            problems.append(f"missing {tf1_names.SCOPE}{entry.sources[0]}")
            continue
        used.update(sources)
        value = np.asarray(transform(*(arrays[name] for name in sources)), np.float32)
        expected = tuple(entry.target.shape)
        if value.shape != expected:
            given = " and ".join(f"{arrays[name].shape}" for name in sources)
            problems.append(
                f"misshapen {tf1_names.SCOPE}{sources[0]}: shape {given}, {architecture} "
                f"needs {expected}"
            )
            continue
        values.append((entry.target, value))
    unexpected = sorted(
        name
        for name in set(arrays) - used
        if not name.endswith(tuple(f"/{ignored}" for ignored in tf1_names.IGNORED))
    )
    problems += [
        f"unexpected {tf1_names.SCOPE}{name} (no {architecture} weight)" for name in unexpected
    ]
    if problems:
        raise ConfigError(
            f"Cannot import {handle} as {architecture}: {len(problems)} problem(s):\n  "
            + "\n  ".join(problems)
        )
    for target, value in values:
        target.assign(value)
    return len(values)


def _available(entry, arrays):
    candidates = [(entry.sources, entry.transform or tf1_names._identity), *entry.alternatives]
    for sources, transform in candidates:
        if all(name in arrays for name in sources):
            return sources, transform
    return None, None


def parity(loaded, generator, info, seed=0):
    """(largest |module - Keras| over the images in [0, 1], batch): both run on the same
    N(0, 1) z (and uniform labels), PARITY_BATCH of them (or the module's fixed batch)."""
    batch = int(info.batch_size) if info.batch_size is not None else PARITY_BATCH
    rng = np.random.default_rng(seed)
    inputs = dict(z=tf.constant(rng.standard_normal((batch, info.z_dim)), tf.float32))
    if info.num_classes:
        inputs["labels"] = tf.constant(rng.integers(info.num_classes, size=batch), tf.int32)
    expected = loaded.signatures["default"](**inputs)["generated"].numpy()
    output = generator(inputs["z"], inputs.get("labels"), training=False)
    got = to_unit_range(output).numpy()
    if got.shape != expected.shape:
        raise ConfigError(
            f"The Keras generator makes {got.shape}, the module {info.handle} {expected.shape}."
        )
    return float(np.max(np.abs(got - expected))), batch


def import_generator(handle, tags=None, tolerance=1e-4, seed=0):
    """A compare_gan TF1 generator module as an ImportedGenerator (see the module docstring).

    ConfigError when the family is not done, a variable is missing, misshapen or unexpected, or
    the outputs differ by more than `tolerance`.
    """
    loaded, info = read_module(handle, tags)
    architecture, options = recognize(info)
    generator = build_keras_generator(architecture, options, info)
    fill(generator, architecture, info.arrays, info.handle)
    difference, batch = parity(loaded, generator, info, seed)
    if not difference <= tolerance:
        raise ConfigError(
            f"The Keras {architecture} generator differs from {info.handle} by up to "
            f"{difference:.3g} on {batch} random z (tolerance {tolerance:g}); the module was "
            "likely trained with settings this import assumes otherwise (e.g. BN epsilon)."
        )
    return ImportedGenerator(generator, architecture, options, info, difference, batch)
