"""An imported compare_gan generator (export/import_tf1.py) written as a run of this library: a
model_dir checkpoint, the gin bindings that rebuild it, and a generator hub module."""

import os

import tensorflow as tf

from compare_gan_tf.export.hub import export_generator
from compare_gan_tf.training import checkpoints
from compare_gan_tf.training.experiment import build_gan


def gin_bindings(imported):
    """The gin lines that rebuild the imported generator in a run."""
    architecture = imported.architecture
    classes = imported.info.num_classes
    lines = [f"# G has {classes} classes: use a dataset with {classes} classes."] if classes else []
    lines += [
        f'Experiment.architecture = "{architecture}"',
        f"Experiment.conditional = {bool(classes)}",
        f"Experiment.z_dim = {imported.info.z_dim}",
    ]
    for name, value in sorted(imported.options.items()):
        lines.append(f"{architecture}_generator.{name} = {value!r}".replace("'", '"'))
    return "\n".join(lines) + "\n"


def write_run(imported, out):
    """Writes the checkpoint, imported.gin and hub/generator into `out`; returns the paths."""
    info = imported.info
    gan = build_gan(
        imported.architecture,
        info.resolution,
        num_classes=info.num_classes,
        channels=info.channels,
        z_dim=info.z_dim,
        generator_options=imported.options,
    )
    labels = tf.zeros([1], tf.int32) if info.num_classes else None
    for generator in (gan.generator, gan.ema.average):
        generator(tf.zeros([1, info.z_dim]), labels, training=False)
    gan.generator.set_weights(imported.generator.get_weights())
    gan.ema.copy_weights()
    checkpoints.make_model_dir(out)
    manager = checkpoints.checkpoint_manager(gan, out)
    checkpoint = checkpoints.save(manager, out, 0)
    config = os.path.join(out, "imported.gin")
    with tf.io.gfile.GFile(config, "w") as handle:
        handle.write(f"# Imported from {info.handle} (tags {info.tags}).\n")
        handle.write(gin_bindings(imported))
    metadata = dict(
        imported_from=info.handle,
        max_abs_difference=imported.max_abs_difference,
        gin_config=gin_bindings(imported),
    )
    module = export_generator(
        imported.generator, os.path.join(out, "hub", "generator"), metadata=metadata
    )
    return checkpoint, config, module
